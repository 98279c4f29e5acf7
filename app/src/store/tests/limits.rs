//! Unit tests of the limits' messages.

#![allow(clippy::panic)]

use super::*;
use crate::store::StoreError;

#[test]
fn limits_name_their_number() {
    assert_eq!(thousands(500), "500");
    assert_eq!(thousands(10_000), "10,000");
    assert!(at_most(100, 100, "x", "y", "z").is_ok());
    let Err(StoreError::Conflict(message)) =
        at_most(101, 100, "An org", "custom roles", "delete one.")
    else {
        panic!("over the limit must be refused");
    };
    assert_eq!(
        message,
        "An org holds at most 100 custom roles, as in Okta; delete one."
    );
}
