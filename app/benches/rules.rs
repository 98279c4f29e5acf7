//! Realm-assignment rule evaluation at directory scale: every user of a
//! directory of `PORTAL_BENCH_RULE_USERS` (default 1,000,000) placed by the
//! first of 1, 10, 100 and 500 active rules that selects it. Half the users
//! match no rule (the worst case of first-match order). Criterion measures the
//! product's way — `expr::RuleIndex`, which looks domain rules up instead of
//! testing each — and one timed pass of each way goes into the report, the
//! plain linear scan beside it.

#![allow(clippy::panic)] // a benchmark harness: a broken fixture should stop it loudly
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use app::expr::{self, Expr, RuleIndex, UserView, ValueRef};
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

/// Places every user by the first rule that selects it, testing each rule in
/// turn; how many were placed.
fn place_linear(users: &[BenchUser], rules: &[Expr]) -> usize {
    users
        .iter()
        .filter(|u| rules.iter().any(|r| r.evaluate(*u)))
        .count()
}

/// The same through the index.
fn place_indexed(users: &[BenchUser], index: &RuleIndex<'_>) -> usize {
    let mut buf = Vec::new();
    users
        .iter()
        .filter(|u| index.first_match(*u, &mut buf).is_some())
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
        let index = RuleIndex::new(set.iter().collect());
        group.bench_with_input(BenchmarkId::from_parameter(count), &index, |b, index| {
            b.iter(|| place_indexed(&directory, index))
        });
        let start = Instant::now();
        let placed = std::hint::black_box(place_indexed(&directory, &index));
        let indexed = start.elapsed();
        let start = Instant::now();
        let linear_placed = std::hint::black_box(place_linear(&directory, &set));
        let linear = start.elapsed();
        assert_eq!(placed, linear_placed, "the index places as the scan does");
        summary.push((count, indexed, linear, placed));
    }
    group.finish();
    for (count, indexed, linear, placed) in &summary {
        println!(
            "BENCH_JSON {{\"bench\":\"rules\",\"users\":{n},\"rules\":{count},\"seconds\":{:.4},\"seconds_linear\":{:.4},\"placed\":{placed}}}",
            indexed.as_secs_f64(),
            linear.as_secs_f64()
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
