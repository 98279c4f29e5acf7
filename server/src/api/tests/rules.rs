//! Unit tests of `api::rules`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

#[test]
fn only_okta_statuses_leave_the_api() {
    assert_eq!(okta_status(OperationStatus::Planned), None);
    assert_eq!(okta_status(OperationStatus::Canceled), Some("FAILED"));
    assert_eq!(
        okta_status(OperationStatus::InProgress),
        Some("IN_PROGRESS")
    );
}

#[test]
fn validation_fields_take_okta_names() {
    let e = okta_fields(AppError::validation("expression", "bad at character 3"));
    assert_eq!(e.code, "E0000001");
    assert!(
        e.causes[0].starts_with("conditions.expression.value:"),
        "{:?}",
        e.causes
    );
}
