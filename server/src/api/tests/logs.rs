//! Unit tests of `api::logs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

#[test]
fn filters_map_to_log_conditions() {
    let alternatives =
        conditions(r#"(eventType eq "a.b" or eventType sw "user.") and actor.id eq "00u1""#)
            .unwrap();
    assert_eq!(alternatives.len(), 2);
    assert_eq!(
        alternatives[1],
        vec![
            LogCondition::StartsWith(LogField::EventType, "user.".into()),
            LogCondition::Equals(LogField::ActorId, "00u1".into()),
        ]
    );
    assert!(conditions(r#"published gt "2024-01-01""#).is_err());
    assert!(conditions(r#"actor.id co "00u""#).is_err());
    assert!(keywords(&"k ".repeat(11)).is_err());
}
