//! Unit tests of `api::limits`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

#[test]
fn a_token_gets_its_budget_per_minute_and_the_org_caps_all_tokens() {
    let limits = RateLimits::new(3, 5);
    let now = 1_700_000_000 - 1_700_000_000 % 60;
    let a: Vec<_> = (0..4).map(|_| limits.take(Some("a"), now)).collect();
    assert_eq!(
        a.iter()
            .map(|s| (s.allowed, s.remaining))
            .collect::<Vec<_>>(),
        vec![(true, 2), (true, 1), (true, 0), (false, 0)]
    );
    assert!(a.iter().all(|s| s.limit == 3 && s.reset == now + 60));
    // Token b has its own budget, but the org has only two left.
    assert!(limits.take(Some("b"), now + 1).allowed);
    let b = limits.take(Some("b"), now + 2);
    assert!(b.allowed);
    assert_eq!((b.limit, b.remaining), (5, 0));
    assert!(!limits.take(Some("b"), now + 3).allowed);
    assert!(!limits.take(None, now + 3).allowed);
    // The next window starts afresh.
    let next = limits.take(Some("a"), now + 60);
    assert!(next.allowed);
    assert_eq!((next.remaining, next.reset), (2, now + 120));
}
