//! Server time of the users page's server function over a generated directory
//! (default 1M users; `PORTAL_TIMING_USERS` to change), measured over loopback
//! against the real server. A measurement, not a test: it is ignored by default
//! and asserts nothing about speed. Run it in release:
//!
//! ```text
//! cargo test --release -p server --test scale_timing -- --ignored --nocapture
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use app::authz::{Permission, Principal};
use app::store::admin::Member;
use common::client;
use common::oidc::Rig;

const ROUNDS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn time(base: &str, cookie: &str, endpoint: &str, body: &str) -> (f64, f64, usize) {
    let http = client();
    let mut samples = Vec::with_capacity(ROUNDS);
    let mut rows = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let r = http
            .post(format!("{base}/_fn/{endpoint}"))
            .header("cookie", cookie)
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        samples.push(started.elapsed());
        rows = text.matches("\"login\"").count();
    }
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99), rows)
}

#[tokio::test]
#[ignore = "a measurement over a generated directory; run in release with --ignored"]
async fn users_page_server_time_at_scale() {
    let users: u64 = std::env::var("PORTAL_TIMING_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let started = Instant::now();
    let mut rig = Rig::with_users(Some(users)).await;
    println!(
        "seeded {users} users in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Carol, a partner admin, also administers the first generated realm.
    let store = rig.store.clone();
    let org = app::store::setup::bootstrap(&store, "http://127.0.0.1")
        .await
        .unwrap();
    let realm = store.realm_by_name("Partner 001").await.unwrap().unwrap();
    let system = Principal::system();
    let rs = store
        .create_resource_set(
            &common::iam(),
            "Partner 001 administration",
            "Timing",
            &[org.orn_realm(&realm.id), org.orn_realm_users(&realm.id)],
        )
        .await
        .unwrap();
    let carol = store
        .system_user_by_login("carol.both@hostco.test")
        .await
        .unwrap()
        .unwrap();
    store
        .add_binding_members(
            &common::iam(),
            &rs,
            &org.partner_admin_role,
            &[Member::User(carol.id)],
        )
        .await
        .unwrap();
    // A cursor mid-alphabet for the deep page.
    let deep = app::store::users::name_cursor(
        &store
            .list_users(
                &app::authz::scope(&system, Permission::UsersRead),
                &app::store::users::UserFilter {
                    search: Some("Muller".into()),
                    ..Default::default()
                },
                app::store::users::UserSort::Name,
                None,
                1,
            )
            .await
            .unwrap()
            .items[0],
    );

    let base = rig.portal.base.clone();
    println!("| caller | page | p50 ms | p99 ms | rows |");
    println!("|---|---|---|---|---|");
    for (who, login) in [
        ("org super admin (all users)", "olivia.owner@hostco.test"),
        (
            "partner admin (3 realms, ~20k users)",
            "carol.both@hostco.test",
        ),
    ] {
        let cookie = rig.sign_in(login).await;
        for (page, body) in [
            ("first page", String::new()),
            ("deep page (cursor at M…)", format!("after={deep}")),
            ("status filter", "status=SUSPENDED".to_string()),
            ("search \"novak\"", "search=novak".to_string()),
        ] {
            let (p50, p99, rows) = time(&base, &cookie, "users/list", &body).await;
            println!("| {who} | {page} | {p50:.2} | {p99:.2} | {rows} |");
        }
    }
}
