//! Realm-assignment rule evaluation at directory scale: every user of a
//! directory of `PORTAL_BENCH_RULE_USERS` (default 1,000,000) placed by the
//! first of 1, 10, 100 and 500 active rules that selects it — the work of a
//! dry run once the users are read. Half the users match no rule, so each of
//! them is tested against every rule (the worst case of first-match order).

#![allow(clippy::panic)] // a benchmark harness: a broken fixture should stop it loudly

use std::time::{Duration, Instant};

use app::expr::{self, Expr, UserView, ValueRef};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

struct BenchUser {
    email: String,
    department: &'static str,
    realm: String,
}

impl UserView for BenchUser {
    fn profile(&self, attr: &str) -> Option<ValueRef<'_>> {
        match attr {
            "email" | "login" => Some(ValueRef::Str(&self.email)),
            "department" => Some(ValueRef::Str(self.department)),
            _ => None,
        }
    }

    fn realm_id(&self) -> Option<&str> {
        Some(&self.realm)
    }
}

const DEPARTMENTS: [&str; 3] = ["Sales", "Support", "Engineering"];

fn users(n: usize) -> Vec<BenchUser> {
    (0..n)
        .map(|i| BenchUser {
            // 1,000 partner domains; rules name at most the first 500.
            email: format!("user{i}@partner{:03}.example", (i * 7919) % 1000),
            department: DEPARTMENTS[i % 3],
            realm: format!("guo{:017}", i % 50),
        })
        .collect()
}

/// `n` rules as an org admin writes them: mostly domain rules, every tenth
/// also narrowed by department.
fn rules(n: usize) -> Vec<Expr> {
    (0..n)
        .map(|i| {
            let src = if i % 10 == 9 {
                format!(
                    "user.profile.email.endsWith(\"@partner{i:03}.example\") && user.profile.department == \"{}\"",
                    DEPARTMENTS[i % 3]
                )
            } else {
                format!("user.profile.email.endsWith(\"@partner{i:03}.example\")")
            };
            match expr::compile(&src) {
                Ok(e) => e,
                Err(e) => panic!("{src}: {e:?}"),
            }
        })
        .collect()
}

/// Places every user: the index of the first rule that selects it, if any.
fn place(users: &[BenchUser], rules: &[Expr]) -> usize {
    users
        .iter()
        .filter(|u| rules.iter().any(|r| r.evaluate(*u)))
        .count()
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("PORTAL_BENCH_RULE_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let directory = users(n);
    let mut group = c.benchmark_group(format!("rules over {n} users"));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    let mut summary = Vec::new();
    for count in [1usize, 10, 100, 500] {
        let set = rules(count);
        group.bench_with_input(BenchmarkId::from_parameter(count), &set, |b, set| {
            b.iter(|| place(&directory, set))
        });
        // One timed pass for the report (criterion's estimates are in
        // target/criterion as well).
        let start = Instant::now();
        let placed = std::hint::black_box(place(&directory, &set));
        summary.push((count, start.elapsed(), placed));
    }
    group.finish();
    for (count, took, placed) in &summary {
        println!(
            "BENCH_JSON {{\"bench\":\"rules\",\"users\":{n},\"rules\":{count},\"seconds\":{:.4},\"placed\":{placed}}}",
            took.as_secs_f64()
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
