use super::*;
use crate::ids::{RealmId, UserId};
use crate::model::{BaseProfile, UserStatus};

fn user() -> User {
    User {
        id: UserId::generate(),
        realm_id: RealmId::generate(),
        status: UserStatus::Active,
        transitioning_to_status: None,
        profile: BaseProfile {
            login: "martha.miller@hooli.test".into(),
            email: "martha.miller@hooli.test".into(),
            first_name: "Martha".into(),
            last_name: "Miller".into(),
            ..BaseProfile::default()
        },
        custom_profile: Default::default(),
        profile_source_id: None,
        created: String::new(),
        activated: None,
        status_changed: None,
        last_login: None,
        last_updated: String::new(),
        version: 1,
    }
}

#[test]
fn the_policy_refuses_short_personal_and_overlong_passwords() {
    let policy = Policy {
        min_length: 12,
        ..Policy::default()
    };
    let u = user();
    assert_eq!(
        policy.refuse("short-one", &u).as_deref(),
        Some("At least 12 characters.")
    );
    assert_eq!(
        policy.refuse("xx-Martha-loves-tea", &u).as_deref(),
        Some("It may not contain your first name.")
    );
    assert_eq!(
        policy.refuse("xx-MILLER-loves-tea", &u).as_deref(),
        Some("It may not contain your last name.")
    );
    assert_eq!(
        policy.refuse("martha.miller-2026!", &u).as_deref(),
        Some("It may not contain your username.")
    );
    assert_eq!(
        policy.refuse("            ", &u).as_deref(),
        Some("A password cannot be only spaces.")
    );
    assert!(policy.refuse(&"x".repeat(MAX_LENGTH + 1), &u).is_some());
    assert_eq!(policy.refuse("correct horse battery", &u), None);
    // Length counts characters, not bytes.
    assert!(policy.refuse("ééééééééééé", &u).is_some());
    assert!(policy.refuse("éééééééééééé", &u).is_none());
}

#[test]
fn a_password_expires_after_the_maximum_age_only_when_one_is_set() {
    let now = time::OffsetDateTime::now_utc();
    let old = crate::store::clock::format(now - time::Duration::days(31));
    let fresh = crate::store::clock::format(now - time::Duration::days(29));
    let never = Policy::default();
    assert!(!never.expired(&old, now));
    let monthly = Policy {
        max_age_days: 30,
        ..Policy::default()
    };
    assert!(monthly.expired(&old, now));
    assert!(!monthly.expired(&fresh, now));
}

#[tokio::test]
async fn hashes_are_argon2id_salted_and_verify_only_the_right_password() {
    let hasher = PasswordHasher::new(1024, 1, 1).unwrap();
    let a = hasher.hash("correct horse battery").await.unwrap();
    let b = hasher.hash("correct horse battery").await.unwrap();
    assert!(a.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{a}");
    assert_ne!(a, b, "each hash has its own salt");
    assert!(hasher.verify("correct horse battery", &a).await.unwrap());
    assert!(!hasher.verify("correct horse batterz", &a).await.unwrap());
    // A hash made with other parameters still verifies (the PHC string
    // carries them), so raising the cost does not lock anyone out.
    let stronger = PasswordHasher::new(2048, 2, 1).unwrap();
    assert!(stronger.verify("correct horse battery", &a).await.unwrap());
    assert!(hasher.verify("x", "not a hash").await.is_err());
}
