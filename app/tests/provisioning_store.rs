//! Provisioning's outbox and its operations, on SQLite and PostgreSQL: a
//! change leaves its task in its own transaction (one waiting task per
//! subject), claims are exclusive and keep one user's changes in order, a
//! failure is retried or marked FAILED for an admin (retry, dismiss), an
//! abandoned lease is taken over; bad connections are refused field by
//! field; and a partner admin who cannot see the app finds nothing — every
//! provisioning operation answers NotFound and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;

use app::error::AppError;
use app::ops;
use app::ops::links::Link;
use app::provisioning::{Failure, Kind};
use common::{cx, on_both, partner_admin, realm, super_admin, user};

fn scim_view() -> app::views::apps::ProvisioningView {
    let mut v = ops::provisioning::blank(Kind::Scim2);
    v.base_url = "https://scim.ledger.example/scim/v2".into();
    v.push_groups = true;
    v.import_users = true;
    v
}

const LATER: &str = "2999-01-01T00:00:00.000Z";
const PAST: &str = "2000-01-01T00:00:00.000Z";

#[tokio::test]
async fn changes_leave_tasks_in_their_transaction_and_claims_are_exclusive() {
    on_both(|store, engine| async move {
        let org = app::store::setup::bootstrap(&store, "http://127.0.0.1")
            .await
            .unwrap();
        let acme = realm(&store, "Acme", &["acme.test"]).await;
        let owner = user(&store, &acme, "owner@acme.test").await;
        super_admin(&store, &owner).await;
        let ocx = cx(&store, &org, &common::principal(&store, &org, &owner).await);
        let alice = user(&store, &acme, "alice@acme.test").await;
        let acx = cx(
            &store,
            &org,
            &partner_admin(&store, &org, &[&acme], &alice).await,
        );
        let erin = user(&store, &acme, "erin@acme.test").await;
        let ledger = ops::apps::create(&ocx, "ledger", "Ledger", "BOOKMARK")
            .await
            .unwrap();

        // Bad input: field errors, nothing saved.
        let mut bad = scim_view();
        bad.base_url = "http://10.0.0.1/scim".into();
        bad.mappings = "name.givenName = user.profile.firstName".into();
        match ops::provisioning::save(&ocx, &ledger.id, &bad, "token").await {
            Err(AppError::Validation { fields, .. }) => {
                let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(names, ["base_url", "mappings"], "{engine}");
            }
            other => panic!("{engine}: {other:?}"),
        }
        // A first save needs the credential.
        match ops::provisioning::save(&ocx, &ledger.id, &scim_view(), "").await {
            Err(AppError::Validation { fields, .. }) => assert_eq!(fields[0].field, "secret"),
            other => panic!("{engine}: {other:?}"),
        }
        assert!(
            store.provisioning_of(&ledger.id).await.unwrap().is_none(),
            "{engine}"
        );
        ops::provisioning::save(&ocx, &ledger.id, &scim_view(), "the-token")
            .await
            .unwrap();
        // Sealed at rest, opened for the worker only.
        let opened = store
            .system_connection(&ledger.id, &ocx.settings.secrets)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(opened.secret, "the-token");
        // The stored credential goes only where it went: another address
        // needs it typed again, nothing saved meanwhile.
        let mut moved = scim_view();
        moved.base_url = "https://attacker.example/scim".into();
        match ops::provisioning::save(&ocx, &ledger.id, &moved, "").await {
            Err(AppError::Validation { fields, .. }) => {
                assert_eq!(fields[0].field, "secret", "{engine}")
            }
            other => panic!("{engine}: {other:?}"),
        }
        let kept = store.provisioning_of(&ledger.id).await.unwrap().unwrap();
        assert_eq!(
            kept.base_url.as_str(),
            "https://scim.ledger.example/scim/v2"
        );
        // The same address keeps it.
        let mut same = scim_view();
        same.import_every_minutes = 15;
        ops::provisioning::save(&ocx, &ledger.id, &same, "")
            .await
            .unwrap();
        // A scheduled import runs as the admin who set it.
        let due = store.system_claim_due_imports().await.unwrap();
        assert_eq!(
            due,
            vec![(ledger.id.clone(), Some(owner.id.clone()))],
            "{engine}"
        );
        assert!(
            store.system_claim_due_imports().await.unwrap().is_empty(),
            "{engine}: claimed once"
        );
        assert_eq!(store.count_provisioning_tasks("QUEUED").await.unwrap(), 0);

        // An assignment leaves a task; a profile edit before it is
        // delivered leaves none more (one waits per subject).
        ops::links::change(&ocx, &erin.id, Link::App(ledger.id.clone()), true)
            .await
            .unwrap();
        assert_eq!(
            store.count_provisioning_tasks("QUEUED").await.unwrap(),
            1,
            "{engine}"
        );
        let edit = HashMap::from([("firstName".to_string(), "Erin".to_string())]);
        ops::users::change_profile(&ocx, &erin.id, edit.clone(), HashMap::new(), false)
            .await
            .unwrap();
        assert_eq!(
            store.count_provisioning_tasks("QUEUED").await.unwrap(),
            1,
            "{engine}"
        );
        // A user without the app leaves none.
        let other = user(&store, &acme, "other@acme.test").await;
        ops::users::change_profile(&ocx, &other.id, edit.clone(), HashMap::new(), false)
            .await
            .unwrap();
        assert_eq!(
            store.count_provisioning_tasks("QUEUED").await.unwrap(),
            1,
            "{engine}"
        );

        // Claims are exclusive; a busy subject's next task waits.
        let claimed = store.system_claim_tasks("w1", LATER, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "{engine}");
        assert_eq!(claimed[0].subject_id, erin.id.as_str());
        assert!(store
            .system_claim_tasks("w2", LATER, 10)
            .await
            .unwrap()
            .is_empty());
        let edit2 = HashMap::from([("lastName".to_string(), "Ng".to_string())]);
        ops::users::change_profile(&ocx, &erin.id, edit2, HashMap::new(), false)
            .await
            .unwrap();
        assert_eq!(store.count_provisioning_tasks("QUEUED").await.unwrap(), 1);
        assert!(
            store
                .system_claim_tasks("w2", LATER, 10)
                .await
                .unwrap()
                .is_empty(),
            "{engine}: one user's changes reach the app in order"
        );
        // The running one fails: the waiting one covers it.
        store
            .system_fail_task(
                &claimed[0],
                ("application.provision.user.push", "Push"),
                None,
                None,
                &Failure::transient("503"),
            )
            .await
            .unwrap();
        assert_eq!(store.count_provisioning_tasks("RUNNING").await.unwrap(), 0);
        assert_eq!(store.count_provisioning_tasks("QUEUED").await.unwrap(), 1);

        // A transient failure waits (backoff); a lease that runs out is
        // taken over.
        let t = store.system_claim_tasks("w1", PAST, 10).await.unwrap();
        assert_eq!(t.len(), 1);
        let again = store.system_claim_tasks("w2", LATER, 10).await.unwrap();
        assert_eq!(again.len(), 1, "{engine}: an abandoned task is taken over");
        assert_eq!(again[0].attempts, 2);
        store
            .system_fail_task(
                &again[0],
                ("application.provision.user.push", "Push"),
                None,
                None,
                &Failure::transient("503 busy"),
            )
            .await
            .unwrap();
        assert!(
            store
                .system_claim_tasks("w1", LATER, 10)
                .await
                .unwrap()
                .is_empty(),
            "{engine}: not before its backoff"
        );
        let sync = store.sync_states(&erin.id).await.unwrap();
        assert_eq!(sync[ledger.id.as_str()].state, "SYNCING");
        assert_eq!(
            sync[ledger.id.as_str()].message.as_deref(),
            Some("503 busy")
        );

        // A permanent failure is FAILED at once, for an admin.
        store
            .unsafe_execute_raw("UPDATE provisioning_tasks SET run_at = '2000-01-01T00:00:00.000Z'")
            .await
            .unwrap();
        let t = store.system_claim_tasks("w1", LATER, 10).await.unwrap();
        let app = store.system_app(&ledger.id).await.unwrap().unwrap();
        store
            .system_fail_task(
                &t[0],
                (
                    "application.provision.user.push",
                    "Push new user to external application",
                ),
                Some(&app),
                Some(&erin),
                &Failure::permanent("POST /Users: 409 uniqueness"),
            )
            .await
            .unwrap();
        assert_eq!(store.count_provisioning_tasks("FAILED").await.unwrap(), 1);
        let sync = store.sync_states(&erin.id).await.unwrap();
        assert_eq!(sync[ledger.id.as_str()].state, "ERROR", "{engine}");
        let (failed, _) = store.provisioning_tasks_of(&ledger.id).await.unwrap();
        assert_eq!(failed[0].subject, "erin@acme.test");
        assert!(failed[0].error.contains("409"));

        // Alice cannot see the app: NotFound for every operation, nothing changes.
        let gid = ops::groups::create(&ocx, "Ledger users", "")
            .await
            .unwrap()
            .id;
        let denied: Vec<(&str, Result<(), AppError>)> = vec![
            (
                "save",
                ops::provisioning::save(&acx, &ledger.id, &scim_view(), "x")
                    .await
                    .map(|_| ()),
            ),
            (
                "test",
                ops::provisioning::test(&acx, &ledger.id).await.map(|_| ()),
            ),
            (
                "preview",
                ops::provisioning::preview(&acx, &ledger.id, "erin@acme.test")
                    .await
                    .map(|_| ()),
            ),
            (
                "retry",
                ops::provisioning::resolve_failed(&acx, &ledger.id, &failed[0].id, true).await,
            ),
            (
                "dismiss",
                ops::provisioning::resolve_failed(&acx, &ledger.id, &failed[0].id, false).await,
            ),
            (
                "pushes",
                ops::provisioning::push_mappings(&acx, &ledger.id)
                    .await
                    .map(|_| ()),
            ),
            (
                "push",
                ops::provisioning::create_push(&acx, &ledger.id, &gid, None, None, true)
                    .await
                    .map(|_| ()),
            ),
            (
                "connection",
                ops::provisioning::connection_view(&acx, &ledger.id)
                    .await
                    .map(|_| ()),
            ),
            (
                "import preview",
                ops::provisioning::import_preview(&acx, &ledger.id)
                    .await
                    .map(|_| ()),
            ),
            (
                "import",
                ops::provisioning::import_run(&acx, &ledger.id)
                    .await
                    .map(|_| ()),
            ),
            (
                "push status",
                ops::provisioning::set_push_status(&acx, &ledger.id, "gPmNoSuchMapping0000", true)
                    .await
                    .map(|_| ()),
            ),
            (
                "delete push",
                ops::provisioning::delete_push(&acx, &ledger.id, "gPmNoSuchMapping0000", false)
                    .await,
            ),
        ];
        for (what, result) in denied {
            assert!(
                matches!(result, Err(AppError::NotFound)),
                "{engine}: {what}: {result:?}"
            );
        }
        assert_eq!(store.count_provisioning_tasks("FAILED").await.unwrap(), 1);
        assert!(store.push_mappings(&ledger.id).await.unwrap().is_empty());

        // The owner retries it: waiting again, with its event.
        ops::provisioning::resolve_failed(&ocx, &ledger.id, &failed[0].id, true)
            .await
            .unwrap();
        assert_eq!(store.count_provisioning_tasks("FAILED").await.unwrap(), 0);
        assert_eq!(store.count_provisioning_tasks("QUEUED").await.unwrap(), 1);
        assert_eq!(
            store
                .count_events("application.provision.task.retry")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .count_events("application.provision.user.push")
                .await
                .unwrap(),
            1,
            "{engine}: the failure's event"
        );

        // A group push: a task for the mapping now, and at each membership change.
        let mapping = ops::provisioning::create_push(
            &ocx,
            &ledger.id,
            &gid,
            Some("Ledger Users"),
            None,
            true,
        )
        .await
        .unwrap();
        assert_eq!(mapping.status, "ACTIVE");
        let groups = store.system_claim_tasks("w1", LATER, 10).await.unwrap();
        assert!(
            groups
                .iter()
                .any(|t| t.subject == "group" && t.subject_id == mapping.id),
            "{engine}"
        );
        // Deleting needs it inactive first.
        assert!(matches!(
            ops::provisioning::delete_push(&ocx, &ledger.id, &mapping.id, false).await,
            Err(AppError::Validation { .. })
        ));
        ops::provisioning::set_push_status(&ocx, &ledger.id, &mapping.id, false)
            .await
            .unwrap();
        ops::provisioning::delete_push(&ocx, &ledger.id, &mapping.id, false)
            .await
            .unwrap();
        assert!(store.push_mappings(&ledger.id).await.unwrap().is_empty());
    })
    .await;
}

#[test]
fn backoff_doubles_to_fifteen_minutes_and_honours_retry_after() {
    use app::store::provisioning::backoff;
    assert_eq!(backoff(1, None).whole_seconds(), 2);
    assert_eq!(backoff(3, None).whole_seconds(), 8);
    assert_eq!(backoff(20, None).whole_seconds(), 900);
    assert_eq!(backoff(1, Some(30)).whole_seconds(), 30);
    assert_eq!(backoff(1, Some(999_999)).whole_seconds(), 3600);
}
