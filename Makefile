# Partner Portal — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Same value cargo-leptos uses, so plain cargo and cargo-leptos share one build.
export LEPTOS_OUTPUT_NAME := partner-portal
export CARGO_TERM_COLOR ?= never

.PHONY: help setup run test test-rust test-e2e lint fmt build bench bench-quick bench-build clean

help:
	@echo "make run    – the portal on SQLite with the dev identity provider and demo data"
	@echo "make test   – formatting, clippy, Rust tests on SQLite and PostgreSQL, Playwright"
	@echo "make bench  – performance harness at 1M users (bench/REPORT.md); make bench-quick at 100k"

setup:
	@NEED_BROWSER=$(NEED_BROWSER) end2end/scripts/setup.sh

build: setup
	cargo leptos build --split

run:
	@$(MAKE) --no-print-directory setup
	cargo leptos build --split
	@end2end/scripts/run-dev.sh

lint:
	cargo fmt --all -- --check
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p server --all-targets -- -D warnings
	cargo clippy -p bench --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

fmt:
	cargo fmt --all

test-rust:
	PORTAL_TEST_POSTGRES_URL="$$(end2end/scripts/postgres.sh)" \
	  cargo test -p app --features ssr -p server

test-e2e:
	cargo leptos build --split
	cd end2end && npx playwright test

test:
	@$(MAKE) --no-print-directory setup NEED_BROWSER=1
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-rust
	@$(MAKE) --no-print-directory test-e2e
	@end2end/scripts/postgres.sh stop

# The performance harness (bench/, see the README): the release build against a
# minimal axum + sqlx baseline on SQLite and PostgreSQL, criterion benches of the
# authorization kernel and rule evaluation; writes bench/REPORT.md and
# bench/results.json. bench-quick: 100k users and shorter loads.
BENCH_PG = PORTAL_BENCH_POSTGRES_URL="$$(end2end/scripts/postgres.sh)"

bench-build:
	@NEED_BENCH=1 end2end/scripts/setup.sh
	cargo leptos build --release --split
	cargo build --release -p bench
	@mkdir -p target/bench

bench: bench-build
	PORTAL_BENCH_RULE_USERS=1000000 cargo bench -p app --features ssr --bench authz --bench rules \
	  | tee target/bench/criterion.txt
	$(BENCH_PG) target/release/portal-bench run --mode full --users 1000000 \
	  --criterion target/bench/criterion.txt
	@end2end/scripts/postgres.sh stop

bench-quick: bench-build
	PORTAL_BENCH_RULE_USERS=100000 cargo bench -p app --features ssr --bench authz --bench rules -- --quick \
	  | tee target/bench/criterion.txt
	$(BENCH_PG) target/release/portal-bench run --mode quick --users 100000 --seconds 4 \
	  --edits 10000 --move-realms 1 --criterion target/bench/criterion.txt
	@end2end/scripts/postgres.sh stop

clean:
	cargo clean
	rm -rf data end2end/test-results end2end/playwright-report end2end/.run
