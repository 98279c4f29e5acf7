//! Store tests, each run on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod schema_parity;
mod user_creation;
mod write_grants;

use app::authz::{self, Permission};
use app::model::{BaseProfile, LifecycleOp, UserStatus};
use app::store::audit::ChainReport;
use app::store::{Store, StoreError};
use common::{on_both, system};

fn profile(login: &str) -> BaseProfile {
    common::profile(login, "Test", "User")
}

async fn partner_realm(store: &Store, name: &str, domain: &str) -> app::model::Realm {
    common::realm(store, name, &[domain]).await
}

async fn new_user(
    store: &Store,
    realm: &app::model::Realm,
    login: &str,
) -> Result<app::model::User, StoreError> {
    common::create_user(store, realm, profile(login), Default::default()).await
}

async fn event_count(store: &Store, event_type: &str) -> i64 {
    store.count_events(event_type).await.expect("count events")
}

#[tokio::test]
async fn bootstrap_is_idempotent_and_creates_default_realm_and_partner_admin_role() {
    on_both(|store, engine| async move {
        let first = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .expect("bootstrap");
        let second = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .expect("bootstrap again");
        assert_eq!(first.default_realm, second.default_realm, "{engine}");
        assert_eq!(
            first.partner_admin_role, second.partner_admin_role,
            "{engine}"
        );
        assert_eq!(first.orn.org_id(), second.orn.org_id(), "{engine}");
        let perms = store
            .role_permissions(&common::iam(), &first.partner_admin_role)
            .await
            .unwrap();
        assert_eq!(perms.len(), 13, "{engine}: {perms:?}");
        assert_eq!(event_count(&store, "iam.role.create").await, 1, "{engine}");
        assert_eq!(
            event_count(&store, "directory.realm.lifecycle.create").await,
            1,
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn users_are_created_with_their_event_and_duplicates_are_field_errors() {
    on_both(|store, engine| async move {
        let acme = partner_realm(&store, "Acme", "acme.test").await;
        let user = new_user(&store, &acme, "erin@acme.test")
            .await
            .expect("create");
        assert_eq!(user.status, UserStatus::Active);
        assert_eq!(user.realm_id, acme.id);
        assert_eq!(
            event_count(&store, "user.lifecycle.create").await,
            1,
            "{engine}"
        );

        let before = store.count_all_events().await.unwrap();
        let err = new_user(&store, &acme, "ERIN@acme.test")
            .await
            .expect_err("duplicate login");
        match err {
            StoreError::Invalid(fields) => assert_eq!(fields[0].field, "login", "{engine}"),
            other => panic!("{engine}: expected a field error, got {other:?}"),
        }
        assert_eq!(
            store.count_all_events().await.unwrap(),
            before,
            "{engine}: a failed write leaves no event"
        );
    })
    .await;
}

#[tokio::test]
async fn realm_domains_are_enforced_with_field_errors() {
    on_both(|store, engine| async move {
        let acme = partner_realm(&store, "Acme", "acme.test").await;
        let err = new_user(&store, &acme, "mallory@evil.test")
            .await
            .expect_err("outside domains");
        let StoreError::Invalid(fields) = err else {
            panic!("{engine}: expected field errors")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert!(
            names.contains(&"login") && names.contains(&"email"),
            "{engine}: {names:?}"
        );
        assert!(fields[0].message.contains("acme.test"), "{engine}");
    })
    .await;
}

#[tokio::test]
async fn lifecycle_transitions_follow_okta_and_invalid_ones_are_refused() {
    on_both(|store, engine| async move {
        let acme = partner_realm(&store, "Acme", "acme.test").await;
        let user = new_user(&store, &acme, "sam@acme.test").await.unwrap();
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let target = store.facts_of_user(&org.orn, &user).await.unwrap();
        let grant = system(Permission::UsersLifecycleManage, target);
        let suspended = store
            .apply_lifecycle(&grant, LifecycleOp::Suspend)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(suspended.status, UserStatus::Suspended, "{engine}");
        let err = store
            .apply_lifecycle(&grant, LifecycleOp::Suspend)
            .await
            .expect_err("already suspended");
        assert!(matches!(err, StoreError::Invalid(_)), "{engine}: {err:?}");
        let err = store
            .apply_lifecycle(&grant, LifecycleOp::Delete)
            .await
            .expect_err("delete needs deprovisioned");
        assert!(matches!(err, StoreError::Invalid(_)), "{engine}: {err:?}");
        store
            .apply_lifecycle(&grant, LifecycleOp::Deactivate)
            .await
            .unwrap();
        assert!(store
            .apply_lifecycle(&grant, LifecycleOp::Delete)
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            event_count(&store, "user.lifecycle.suspend").await,
            1,
            "{engine}"
        );
        assert_eq!(
            event_count(&store, "user.lifecycle.delete.completed").await,
            1,
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_system_log_is_append_only_and_tampering_is_detected() {
    on_both(|store, engine| async move {
        let acme = partner_realm(&store, "Acme", "acme.test").await;
        new_user(&store, &acme, "a@acme.test").await.unwrap();
        new_user(&store, &acme, "b@acme.test").await.unwrap();
        let report = store.verify_system_log().await.unwrap();
        // A realm, then two users each created and activated.
        assert_eq!(report, ChainReport::Intact { events: 5 }, "{engine}");
        let err = store.unsafe_execute_raw("UPDATE system_log SET display_message = 'x'").await;
        assert!(err.is_err(), "{engine}: UPDATE must be rejected");
        let err = store.unsafe_execute_raw("DELETE FROM system_log").await;
        assert!(err.is_err(), "{engine}: DELETE must be rejected");

        // An attacker with database access disables the guard and edits event 3.
        let disable = if engine == "sqlite" {
            "DROP TRIGGER system_log_no_update"
        } else {
            "ALTER TABLE system_log DISABLE TRIGGER USER"
        };
        store.unsafe_execute_raw(disable).await.unwrap();
        store
            .unsafe_execute_raw(
                "UPDATE system_log SET event_json = replace(event_json, 'b@acme.test', 'x@acme.test') \
                 WHERE seq = (SELECT seq FROM system_log ORDER BY seq LIMIT 1 OFFSET 3)",
            )
            .await
            .unwrap();
        match store.verify_system_log().await.unwrap() {
            ChainReport::Tampered { reason, .. } => assert!(reason.contains("edited"), "{engine}: {reason}"),
            other => panic!("{engine}: tampering went unnoticed: {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_realm_scope_lists_and_reads_only_users_in_that_realm() {
    on_both(|store, engine| async move {
        let acme = partner_realm(&store, "Acme", "acme.test").await;
        let globex = partner_realm(&store, "Globex", "globex.test").await;
        let erin = new_user(&store, &acme, "erin@acme.test").await.unwrap();
        let gina = new_user(&store, &globex, "gina@globex.test").await.unwrap();
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let admin = new_user(&store, &acme, "alice@acme.test").await.unwrap();
        let principal = common::partner_admin(&store, &org, &[&acme], &admin).await;
        let scope = authz::scope(&principal, Permission::UsersRead);
        assert_eq!(
            store.get_user(&scope, &erin.id).await.unwrap().id,
            erin.id,
            "{engine}"
        );
        assert!(
            matches!(
                store.get_user(&scope, &gina.id).await,
                Err(StoreError::NotFound)
            ),
            "{engine}"
        );
    })
    .await;
}

#[tokio::test]
async fn clearing_or_suspending_a_user_ends_its_sessions_at_once() {
    use std::collections::HashMap;
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;

    async fn session_of(store: &Store, user: &app::model::User) -> Id {
        let mut data = HashMap::new();
        data.insert(
            app::ctx::USER_ID.to_string(),
            serde_json::json!(user.id.to_string()),
        );
        let mut record = Record {
            id: Id::default(),
            data,
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        store.create(&mut record).await.unwrap();
        // A later save (what every request does) keeps the owner.
        store.save(&record).await.unwrap();
        record.id
    }

    on_both(|store, engine| async move {
        let acme = partner_realm(&store, "Acme", "acme.test").await;
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
            .await
            .unwrap();
        let sam = new_user(&store, &acme, "sam@acme.test").await.unwrap();
        let kim = new_user(&store, &acme, "kim@acme.test").await.unwrap();
        let sam_laptop = session_of(&store, &sam).await;
        let sam_phone = session_of(&store, &sam).await;
        let kim_laptop = session_of(&store, &kim).await;
        let grant = |user: app::model::User| {
            let store = store.clone();
            let orn = org.orn.clone();
            async move {
                let target = store.facts_of_user(&orn, &user).await.unwrap();
                system(Permission::UsersLifecycleManage, target)
            }
        };

        store
            .apply_lifecycle(&grant(sam.clone()).await, LifecycleOp::ClearSessions)
            .await
            .unwrap();
        assert!(store.load(&sam_laptop).await.unwrap().is_none(), "{engine}");
        assert!(store.load(&sam_phone).await.unwrap().is_none(), "{engine}");
        assert!(
            store.load(&kim_laptop).await.unwrap().is_some(),
            "{engine}: another user's session stays"
        );
        assert_eq!(
            event_count(&store, "user.session.clear").await,
            1,
            "{engine}"
        );

        store
            .apply_lifecycle(&grant(kim.clone()).await, LifecycleOp::Suspend)
            .await
            .unwrap();
        assert!(store.load(&kim_laptop).await.unwrap().is_none(), "{engine}");
    })
    .await;
}

#[tokio::test]
async fn a_request_that_changed_nothing_in_its_session_writes_nothing() {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;

    common::on_both_with_url(|store, engine, url| async move {
        let mut record = Record {
            id: Id::default(),
            data: std::collections::HashMap::from([("k".to_string(), serde_json::json!("v"))]),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        store.create(&mut record).await.unwrap();
        // Two page views of the session at once load it …
        let loaded = store.load(&record.id).await.unwrap().unwrap();
        let beside = store.load(&record.id).await.unwrap().unwrap();
        // … another instance changes it meanwhile (a sign-in step there) …
        common::raw_sql(
            &url,
            &[format!(
                "UPDATE tower_sessions SET data = '{{\"k\":\"w\"}}' WHERE id = '{}'",
                record.id
            )],
        )
        .await;
        // … and each page view's save, with nothing changed and the expiry as
        // loaded, is no statement at all: the other instance's change stays.
        store.save(&loaded).await.unwrap();
        store.save(&beside).await.unwrap();
        let now = store.load(&record.id).await.unwrap().unwrap();
        assert_eq!(now.data["k"], "w", "{engine}: kept");
        // A save that does change something still writes.
        let mut changed = now.clone();
        changed.data.insert("k".into(), serde_json::json!("x"));
        store.save(&changed).await.unwrap();
        let now = store.load(&record.id).await.unwrap().unwrap();
        assert_eq!(now.data["k"], "x", "{engine}: written");
    })
    .await;
}

#[tokio::test]
async fn a_session_is_rewritten_when_its_data_changes_or_its_expiry_lags_not_on_every_request() {
    use std::collections::HashMap;
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;

    on_both(|store, engine| async move {
        let start = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
        let mut record = Record {
            id: Id::default(),
            data: HashMap::from([("k".to_string(), serde_json::json!("v"))]),
            expiry_date: start,
        };
        store.create(&mut record).await.unwrap();
        let stored = |store: Store, id: Id| async move {
            store.load(&id).await.unwrap().unwrap().expiry_date
        };
        // A request 10 s later: same data, the sliding expiry moved a little.
        record.expiry_date = start + time::Duration::seconds(10);
        store.save(&record).await.unwrap();
        assert_eq!(
            stored(store.clone(), record.id).await.unix_timestamp(),
            start.unix_timestamp(),
            "{engine}: not rewritten"
        );
        // Changed data is always written.
        record.data.insert("k".into(), serde_json::json!("w"));
        store.save(&record).await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().unwrap();
        assert_eq!(loaded.data["k"], "w", "{engine}");
        assert_eq!(
            loaded.expiry_date.unix_timestamp(),
            record.expiry_date.unix_timestamp(),
            "{engine}"
        );
        // An expiry lagging by more than a minute is written.
        let later = record.expiry_date + time::Duration::seconds(61);
        record.expiry_date = later;
        store.save(&record).await.unwrap();
        assert_eq!(
            stored(store.clone(), record.id).await.unix_timestamp(),
            later.unix_timestamp(),
            "{engine}: the lagging expiry moved"
        );
    })
    .await;
}
