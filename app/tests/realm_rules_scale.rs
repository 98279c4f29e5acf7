//! A measurement, not a check (ignored; timings are never asserted): a
//! realm-assignment rule planned over a generated directory (1M users by
//! default) and executed in batches in the background, while a users-page
//! read loops beside it. Prints plan and apply times and the read's latency
//! idle and during the execution.
//!
//! `cargo test --release -p app --features ssr --test realm_rules_scale -- --ignored --nocapture`
//! (`PORTAL_TIMING_USERS` to change the size; SQLite, `synchronous=FULL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use app::authz::{self, Permission, Principal, Target};
use app::model::{LifecycleStatus, OperationStatus, RealmType};
use app::store::realms::NewRealm;
use app::store::rules::RuleInput;
use app::store::users::{UserFilter, UserSort};
use app::store::{Store, StoreOptions};

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(at).copied().unwrap_or_default()
}

async fn read_once(store: &Store, all: &authz::Scope, realm: &app::ids::RealmId) -> Duration {
    let started = Instant::now();
    let filter = UserFilter {
        realm: Some(realm.clone()),
        ..UserFilter::default()
    };
    store
        .list_users(all, &filter, UserSort::Name, None, 50)
        .await
        .unwrap();
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: run by hand or by make bench"]
async fn a_rule_over_a_large_directory_runs_in_batches_beside_fast_reads() {
    let n: u64 = std::env::var("PORTAL_TIMING_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/portal.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let started = Instant::now();
    app::store::seed::users(&store, "http://127.0.0.1:3000", n)
        .await
        .unwrap();
    println!(
        "seeded {n} users in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let system = Principal::system();
    let grant = authz::check(&system, Permission::RealmsManage, &Target::Org).unwrap();
    let all = authz::scope(&system, Permission::UsersRead);
    let spill = store
        .create_realm(
            &grant,
            NewRealm {
                name: "Spillover".into(),
                realm_type: RealmType::Partner,
                domains: Vec::new(),
            },
        )
        .await
        .unwrap();
    // Five of the generated partner realms' users (about a tenth at 1M).
    let expression = (1..=5)
        .map(|i| format!("user.profile.email.endsWith(\"@partner{i:03}.example\")"))
        .collect::<Vec<_>>()
        .join(" || ");
    let rule = store
        .create_rule(
            &grant,
            RuleInput {
                name: "Spill five realms".into(),
                profile_source_id: None,
                expression: Some(expression),
                target_realm_id: spill.id.clone(),
            },
        )
        .await
        .unwrap();
    store
        .set_rule_status(&grant, &rule.id, LifecycleStatus::Active)
        .await
        .unwrap();
    // The read beside it: a partner realm's first users page.
    let read_realm = store
        .realm_by_name("Partner 010")
        .await
        .unwrap()
        .unwrap()
        .id;

    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(read_once(&store, &all, &read_realm).await);
    }

    let started = Instant::now();
    let plan = store
        .plan_rule(&grant, &rule.id, &Default::default(), None)
        .await
        .unwrap();
    let plan_time = started.elapsed();
    println!(
        "plan: {} users to move of {n}, in {:.1} s ({:.0} users evaluated/s)",
        plan.num_planned,
        plan_time.as_secs_f64(),
        n as f64 / plan_time.as_secs_f64()
    );

    store.start_operation(&grant, &plan.id).await.unwrap();
    let started = Instant::now();
    let run = tokio::spawn(app::store::rules::run_operation(
        store.clone(),
        grant.clone(),
        plan.id.clone(),
    ));
    let mut busy = Vec::new();
    while !run.is_finished() {
        busy.push(read_once(&store, &all, &read_realm).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let apply_time = started.elapsed();
    run.await.unwrap();
    let done = store.get_operation(&grant, &plan.id).await.unwrap();
    assert_eq!(done.status, OperationStatus::Completed);
    assert_eq!(done.num_moved, plan.num_planned);
    println!(
        "apply: {} moved in {:.1} s ({:.0} users/s, batches of {}, each with its user.realm.update)",
        done.num_moved,
        apply_time.as_secs_f64(),
        done.num_moved as f64 / apply_time.as_secs_f64(),
        app::store::rules::APPLY_BATCH
    );
    println!(
        "users page (realm filter, 50 rows): idle p50 {:?} p99 {:?}; during the execution p50 {:?} p99 {:?} max {:?} ({} reads)",
        percentile(&mut idle, 0.5),
        percentile(&mut idle, 0.99),
        percentile(&mut busy, 0.5),
        percentile(&mut busy, 0.99),
        percentile(&mut busy, 1.0),
        busy.len()
    );
    store.close().await;
}
