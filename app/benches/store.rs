//! The directory at scale: seeds a fresh database per engine with
//! `PORTAL_BENCH_USERS` users (default 1,000,000) through `seed::users`, then
//! times the users list as the portal runs it (first page, a page deep in the
//! name order, substring search, a partner admin's realm-scoped first page)
//! and reports the database size. One JSON object per engine on stdout's last
//! lines (`{"engine":…}`), a readable table before them.
//!
//! Engines: SQLite (a temp file) and PostgreSQL when `PORTAL_BENCH_POSTGRES_URL`
//! (an admin URL) is set; `PORTAL_BENCH_ENGINES=sqlite|postgres` picks one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use app::authz::{self, Permission, Principal};
use app::store::users::{name_cursor, UserFilter, UserSort};
use app::store::{Store, StoreOptions};
use sqlx::Connection;

const RUNS: usize = 40;

struct Timing {
    p50: Duration,
    p99: Duration,
}

fn summarize(mut samples: Vec<Duration>) -> Timing {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Timing {
        p50: at(0.5),
        p99: at(0.99),
    }
}

async fn time<F, Fut>(mut f: F) -> Timing
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    f().await; // warm the cache
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let rows = f().await;
        samples.push(start.elapsed());
        assert!(rows > 0, "a measured query returned no rows");
    }
    summarize(samples)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

async fn measure(store: &Store, engine: &str, users: u64, size: impl AsyncFnOnce() -> u64) {
    let seed = app::store::seed::users(store, "http://127.0.0.1:3000", users)
        .await
        .unwrap();
    let all = authz::scope(&Principal::system(), Permission::UsersRead);
    let filter = UserFilter::default();
    let first = time(|| async {
        store
            .list_users(&all, &filter, UserSort::Name, None, 50)
            .await
            .unwrap()
            .items
            .len()
    })
    .await;
    // A cursor from the middle of the name order, as after ~users/100 pages.
    let middle = store
        .list_users(
            &all,
            &UserFilter {
                search: Some("Nakamura".into()),
                ..Default::default()
            },
            UserSort::Name,
            None,
            200,
        )
        .await
        .unwrap();
    let cursor = name_cursor(middle.items.last().expect("seeded users named Nakamura"));
    let deep = time(|| async {
        store
            .list_users(&all, &filter, UserSort::Name, Some(&cursor), 50)
            .await
            .unwrap()
            .items
            .len()
    })
    .await;
    let search_filter = UserFilter {
        search: Some("okafor".into()),
        ..Default::default()
    };
    let search = time(|| async {
        store
            .list_users(&all, &search_filter, UserSort::Name, None, 50)
            .await
            .unwrap()
            .items
            .len()
    })
    .await;
    let realm = store
        .realm_by_name("Partner 002")
        .await
        .unwrap()
        .expect("seeded realm");
    let realm_filter = UserFilter {
        realm: Some(realm.id.clone()),
        status: Some(app::model::UserStatus::Active),
        ..Default::default()
    };
    let realm_page = time(|| async {
        store
            .list_users(&all, &realm_filter, UserSort::Name, None, 50)
            .await
            .unwrap()
            .items
            .len()
    })
    .await;
    let bytes = size().await;
    println!(
        "{engine:>8}: {users} users seeded in {:.1} s; first page p50 {} ms p99 {} ms; deep page p50 {} ms p99 {} ms; \
         search p50 {} ms p99 {} ms; realm+status page p50 {} ms p99 {} ms; database {:.0} MB",
        seed.seconds,
        ms(first.p50), ms(first.p99), ms(deep.p50), ms(deep.p99), ms(search.p50), ms(search.p99),
        ms(realm_page.p50), ms(realm_page.p99), bytes as f64 / 1e6
    );
    println!(
        "{}",
        serde_json::json!({
            "engine": engine, "users": users, "seed_seconds": seed.seconds,
            "first_page_ms": {"p50": ms(first.p50), "p99": ms(first.p99)},
            "deep_page_ms": {"p50": ms(deep.p50), "p99": ms(deep.p99)},
            "search_ms": {"p50": ms(search.p50), "p99": ms(search.p99)},
            "realm_status_page_ms": {"p50": ms(realm_page.p50), "p99": ms(realm_page.p99)},
            "database_bytes": bytes,
        })
    );
}

fn main() {
    let users: u64 = std::env::var("PORTAL_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // PORTAL_BENCH_ENGINES: "sqlite", "postgres" or both (default).
    let engines =
        std::env::var("PORTAL_BENCH_ENGINES").unwrap_or_else(|_| "sqlite,postgres".into());
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        if engines.contains("sqlite") {
            let path = dir.path().join("bench.db");
            let url = format!("sqlite://{}?mode=rwc", path.display());
            let store = Store::connect(&url, &StoreOptions::default())
                .await
                .unwrap();
            store.migrate().await.unwrap();
            let dir_path = dir.path().to_path_buf();
            measure(&store, "sqlite", users, async || {
                std::fs::read_dir(&dir_path)
                    .unwrap()
                    .filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .await;
            store.close().await;
        }

        if let (true, Ok(admin)) = (
            engines.contains("postgres"),
            std::env::var("PORTAL_BENCH_POSTGRES_URL"),
        ) {
            sqlx::any::install_default_drivers();
            let name = format!("pp_bench_{}", std::process::id());
            let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let (base, _) = admin.rsplit_once('/').unwrap();
            let store = Store::connect(&format!("{base}/{name}"), &StoreOptions::default())
                .await
                .unwrap();
            store.migrate().await.unwrap();
            let db_url = format!("{base}/{name}");
            measure(&store, "postgres", users, async || {
                let mut c = sqlx::AnyConnection::connect(&db_url).await.unwrap();
                let n: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                    .fetch_one(&mut c)
                    .await
                    .unwrap();
                n as u64
            })
            .await;
            store.close().await;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    });
}
