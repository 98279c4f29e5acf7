//! Several instances on one PostgreSQL database: two real server processes
//! share it; a realm-assignment execution held by one of them is cut off by
//! `kill -9` in the middle of a batch, and the other takes it over when the
//! lease runs out and finishes it — every user moved exactly once, with one
//! event each.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use app::authz::{check, Permission, Principal, Target};
use app::ids::UserId;
use app::model::{ItemResult, OperationStatus};
use app::store::leases::Lease;
use app::store::{Store, StoreOptions};
use sqlx::{Connection, Row};

fn admin_url() -> String {
    std::env::var("PORTAL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh database on the test PostgreSQL server, dropped at the end.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    async fn create() -> Self {
        sqlx::any::install_default_drivers();
        let admin = admin_url();
        let name = format!("pp_instances_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::AnyConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is not reachable at {admin} ({e}); run `make test`, or set PORTAL_TEST_POSTGRES_URL"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.ok();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Self { admin, name, url }
    }

    async fn drop_db(self) {
        let mut conn = sqlx::AnyConnection::connect(&self.admin).await.unwrap();
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut conn)
        .await
        .ok();
    }
}

async fn ids(store_url: &str, sql: &str) -> Vec<String> {
    let mut conn = sqlx::AnyConnection::connect(store_url).await.unwrap();
    sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
}

async fn until<F, Fut>(what: &str, within: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn two_instances_share_a_database_and_one_finishes_what_a_killed_one_was_running() {
    let db = Database::create().await;
    // Instance A seeds the directory (1,500 users in three partner realms).
    let mut a = common::start(common::Options {
        database_url: Some(&db.url),
        seed_users: Some(1_500),
        ..Default::default()
    })
    .await;
    let mut b = common::start(common::Options {
        database_url: Some(&db.url),
        ..Default::default()
    })
    .await;
    // Both serve the same directory (and the same sessions' store).
    for server in [&a, &b] {
        let ready = common::client()
            .get(format!("{}/readyz", server.base))
            .send()
            .await
            .unwrap();
        assert!(ready.status().is_success());
    }

    // This test writes too (the realm, the plan): with the servers' System
    // Log key (derived from their `secrets_key`), so that the chain stays one.
    {
        use sha2::Digest;
        let mut key = sha2::Sha256::new();
        key.update(b"partner-portal audit chain\n");
        key.update(b"a-secrets-key-for-tests");
        app::store::audit::set_chain_key(&key.finalize());
    }
    let store = Store::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    let grant = check(&Principal::system(), Permission::RealmsManage, &Target::Org).unwrap();
    // A realm without domain rules, which takes anyone.
    let target = store
        .create_realm(
            &grant,
            app::store::realms::NewRealm {
                name: "Movers".into(),
                realm_type: app::model::RealmType::Partner,
                domains: Vec::new(),
            },
        )
        .await
        .unwrap()
        .id;
    let moving: Vec<String> = ids(
        &db.url,
        "SELECT u.id FROM users u JOIN realms r ON r.id = u.realm_id \
         WHERE r.name IN ('Partner 001', 'Partner 002') ORDER BY u.id",
    )
    .await;
    assert_eq!(moving.len(), 1_000);
    let users: Vec<UserId> = moving.iter().map(|id| UserId::parse(id).unwrap()).collect();
    let plan = store.plan_bulk_move(&grant, &users, &target).await.unwrap();
    assert_eq!(plan.num_planned, 1_000);

    // A user in the second batch (500 a batch, in id order) is locked by this
    // test: the instance running the operation applies the first batch and
    // then waits on that row, in the middle of its second batch.
    let mut blocker = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut blocker).await.unwrap();
    sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
        .bind(&moving[700])
        .fetch_one(&mut blocker)
        .await
        .unwrap();

    // Started as by an instance that stopped at once: its lease has run out,
    // so A or B takes it (whichever looks first).
    store
        .clone()
        .with_lease(Lease::new(Duration::ZERO).held_by("a stopped instance"))
        .start_operation(&grant, &plan.id)
        .await
        .unwrap();
    let holder = || async {
        let lease = store
            .lease_of(app::store::leases::Job::Operation, plan.id.as_str())
            .await
            .unwrap();
        lease.and_then(|(by, _)| by).unwrap_or_default()
    };
    let pid_of = |holder: &str| holder.split(':').nth(1).unwrap_or("").to_string();
    until(
        "an instance holds the operation and waits in its second batch",
        Duration::from_secs(30),
        || async {
            let h = holder().await;
            let waiting: i64 = {
                let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND wait_event_type = 'Lock'",
                )
                .fetch_one(&mut conn)
                .await
                .unwrap()
            };
            let p = pid_of(&h);
            (p == a.pid().to_string() || p == b.pid().to_string()) && waiting > 0
        },
    )
    .await;
    let first = store.get_operation(&grant, &plan.id).await.unwrap();
    assert_eq!(first.num_moved, 500, "the first batch is applied");
    let held_by_a = pid_of(&holder().await) == a.pid().to_string();
    let (killed, survivor) = if held_by_a {
        (&mut a, &b)
    } else {
        (&mut b, &a)
    };
    killed.kill();
    // The killed instance's transaction dies with it.
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();

    until(
        "the other instance finishes the operation",
        Duration::from_secs(60),
        || async {
            store.get_operation(&grant, &plan.id).await.unwrap().status
                != OperationStatus::InProgress
        },
    )
    .await;
    let op = store.get_operation(&grant, &plan.id).await.unwrap();
    assert_eq!(
        (op.status, op.num_moved, op.num_skipped, op.num_failed),
        (OperationStatus::Completed, 1_000, 0, 0),
        "{}",
        survivor.log()
    );
    assert_eq!(
        pid_of(
            &ids(
                &db.url,
                "SELECT COALESCE(MAX(locked_by), '') FROM realm_assignment_operations"
            )
            .await[0]
        ),
        "",
        "a finished operation is held by no one"
    );
    // Every item MOVED, every user in the target realm, one event per user.
    let moved = ids(
        &db.url,
        &format!(
            "SELECT user_id FROM realm_assignment_operation_items WHERE operation_id = '{}' AND result = '{}'",
            plan.id.as_str(),
            ItemResult::Moved.as_str()
        ),
    )
    .await;
    assert_eq!(moved.len(), 1_000);
    let in_target = ids(
        &db.url,
        &format!(
            "SELECT id FROM users WHERE realm_id = '{}' AND id IN (SELECT user_id FROM realm_assignment_operation_items WHERE operation_id = '{}')",
            target.as_str(),
            plan.id.as_str()
        ),
    )
    .await;
    assert_eq!(in_target.len(), 1_000);
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let events = sqlx::query(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT target_id) AS d FROM system_log_targets t \
         JOIN system_log l ON l.seq = t.seq WHERE l.event_type = 'user.realm.update' AND t.target_type = 'User'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let (n, distinct): (i64, i64) = (events.get("n"), events.get("d"));
    assert_eq!((n, distinct), (1_000, 1_000), "one event per user moved");
    assert_eq!(
        store
            .count_events("directory.realm.assignment.execution_completed")
            .await
            .unwrap(),
        1
    );
    // The System Log's chain is whole across both writers.
    let verify = survivor.cli(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    conn.close().await.ok();
    store.close().await;
    drop(a);
    drop(b);
    db.drop_db().await;
}

#[tokio::test]
async fn instances_sharing_the_rate_limits_count_one_window_for_a_token() {
    let db = Database::create().await;
    let shared = [("PORTAL_RATE_LIMIT_SHARED", "true")];
    let a = common::start(common::Options {
        database_url: Some(&db.url),
        demo_with_idp_base: Some("http://127.0.0.1:9"),
        api_per_token_per_minute: "5",
        env: &shared,
        ..Default::default()
    })
    .await;
    let b = common::start(common::Options {
        database_url: Some(&db.url),
        api_per_token_per_minute: "5",
        env: &shared,
        ..Default::default()
    })
    .await;
    let made = a.cli(&[
        "api-token",
        "create",
        "--admin",
        "olivia.owner@hostco.test",
        "--name",
        "shared limits",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let token = String::from_utf8(made.stdout).unwrap().trim().to_string();
    // Five requests a minute for the token, whichever instance answers: the
    // sixth is refused. (A minute that turns meanwhile starts a new window:
    // then the round is made again.)
    for _round in 0..3 {
        let mut answers = Vec::new();
        for i in 0..6 {
            let server = if i % 2 == 0 { &a } else { &b };
            let r = common::client()
                .get(format!("{}/api/v1/users?limit=1", server.base))
                .header("authorization", format!("SSWS {token}"))
                .send()
                .await
                .unwrap();
            let header = |name: &str| {
                r.headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default()
            };
            answers.push((
                r.status().as_u16(),
                header("x-rate-limit-remaining"),
                header("x-rate-limit-reset"),
            ));
        }
        if answers.iter().any(|(_, _, reset)| *reset != answers[0].2) {
            continue;
        }
        let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429], "{answers:?}");
        let remaining: Vec<&str> = answers.iter().map(|a| a.1.as_str()).collect();
        assert_eq!(remaining, ["4", "3", "2", "1", "0", "0"], "{answers:?}");
        drop(a);
        drop(b);
        db.drop_db().await;
        return;
    }
    panic!("three rounds each crossed a minute");
}
