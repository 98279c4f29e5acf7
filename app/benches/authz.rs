//! Authorization kernel benchmarks: a single `check` and a `scope` compile for a
//! principal whose rights come from 1,000 bindings, plus the p50/p99 of `check`.

#![allow(clippy::panic)] // a benchmark harness: a broken fixture should stop it loudly

use std::time::{Duration, Instant};

use app::authz::orn::OrnContext;
use app::authz::{self, Permission, Principal, Privileges, Target};
use app::ids::{GroupId, RealmId, ResourceSetId, RoleId, UserId};
use app::store::admin::{BindingRow, RightsRows, StoredPermission};
use app::store::audit::{Actor, Client};
use criterion::{criterion_group, criterion_main, Criterion};

fn id<T>(parse: fn(&str) -> Result<T, app::ids::IdError>, prefix: &str, i: usize) -> T {
    match parse(&format!("{prefix}{i:017}")) {
        Ok(id) => id,
        Err(e) => panic!("{e}"),
    }
}

/// A principal bound to 1,000 (resource set, role) pairs: one realm each.
fn principal_with_bindings(ctx: &OrnContext, n: usize) -> Principal {
    let partner = app::authz::catalog::partner_admin_role();
    let permissions: Vec<StoredPermission> = partner
        .permissions
        .iter()
        .map(|(p, _)| StoredPermission {
            permission: p.as_str().into(),
            conditions: None,
        })
        .collect();
    let bindings = (0..n)
        .map(|i| {
            let realm: RealmId = id(RealmId::parse, "guo", i);
            BindingRow {
                resource_set_id: id(ResourceSetId::parse, "iam", i),
                resource_set_label: format!("Realm {i}"),
                role_id: id(RoleId::parse, "cr0", 0),
                role_label: "Partner Admin".into(),
                via_group: None,
                permissions: permissions.clone(),
                resources: vec![
                    format!("orn:okta:directory:{}:realms:{realm}", ctx.org_id()),
                    format!(
                        "orn:okta:directory:{}:realms:{realm}:contained_resources",
                        ctx.org_id()
                    ),
                ],
            }
        })
        .collect();
    Principal::for_user(
        id(UserId::parse, "00u", 0),
        Actor::system(),
        Client::default(),
        RightsRows {
            standard: vec![],
            bindings,
        },
        ctx,
    )
}

fn target(realm: usize) -> Target {
    Target::User {
        id: id(UserId::parse, "00u", 42),
        realm_id: id(RealmId::parse, "guo", realm),
        groups: vec![id(GroupId::parse, "00g", 1)],
        privileges: Privileges::none(),
    }
}

fn bench(c: &mut Criterion) {
    let ctx = match OrnContext::new("okta", "00o1bench", "http://127.0.0.1:3000") {
        Ok(ctx) => ctx,
        Err(e) => panic!("{e}"),
    };
    let principal = principal_with_bindings(&ctx, 1_000);
    // The worst case: the last binding is the one that allows.
    let last = target(999);
    let outside = target(5_000);
    c.bench_function("check allowed by the 1000th binding", |b| {
        b.iter(|| authz::check(&principal, Permission::UsersLifecycleSuspend, &last))
    });
    c.bench_function("check denied after 1000 bindings", |b| {
        b.iter(|| authz::check(&principal, Permission::UsersLifecycleSuspend, &outside))
    });
    c.bench_function("scope compile over 1000 bindings", |b| {
        b.iter(|| authz::scope(&principal, Permission::UsersRead))
    });

    // Tail latency, which criterion does not report: 20,000 single checks.
    let mut samples: Vec<Duration> = (0..20_000)
        .map(|i| {
            let t = if i % 2 == 0 { &last } else { &outside };
            let start = Instant::now();
            let _ = std::hint::black_box(authz::check(
                &principal,
                Permission::UsersLifecycleSuspend,
                t,
            ));
            start.elapsed()
        })
        .collect();
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "authz check with 1000 bindings: p50 {:?}, p99 {:?}, max {:?} (target p99 ≤ 50 µs)",
        pct(0.50),
        pct(0.99),
        samples[samples.len() - 1]
    );
    let mut compiles: Vec<Duration> = (0..2_000)
        .map(|_| {
            let start = Instant::now();
            let _ = std::hint::black_box(authz::scope(&principal, Permission::UsersRead));
            start.elapsed()
        })
        .collect();
    compiles.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "BENCH_JSON {{\"bench\":\"authz\",\"bindings\":1000,\"check_p50_us\":{:.3},\"check_p99_us\":{:.3},\"check_max_us\":{:.3},\"scope_p50_us\":{:.3},\"scope_p99_us\":{:.3}}}",
        us(pct(0.50)),
        us(pct(0.99)),
        us(samples[samples.len() - 1]),
        us(compiles[compiles.len() / 2]),
        us(compiles[(compiles.len() * 99) / 100]),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
