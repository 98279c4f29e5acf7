# Partner Portal — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Same value cargo-leptos uses, so plain cargo and cargo-leptos share one build.
export LEPTOS_OUTPUT_NAME := partner-portal
export CARGO_TERM_COLOR ?= never

.PHONY: help setup run test test-rust test-e2e lint fmt build bench bench-quick clean

help:
	@echo "make run    – the portal on SQLite with the dev identity provider and demo data"
	@echo "make test   – formatting, clippy, Rust tests on SQLite and PostgreSQL, Playwright"
	@echo "make bench  – performance harness (bench/REPORT.md)"

setup:
	@NEED_BROWSER=$(NEED_BROWSER) end2end/scripts/setup.sh

build: setup
	cargo leptos build

run:
	@$(MAKE) --no-print-directory setup
	cargo leptos build
	@end2end/scripts/run-dev.sh

lint:
	cargo fmt --all -- --check
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p server --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

fmt:
	cargo fmt --all

test-rust:
	PORTAL_TEST_POSTGRES_URL="$$(end2end/scripts/postgres.sh)" \
	  cargo test -p app --features ssr -p server

test-e2e:
	cargo leptos build
	cd end2end && npx playwright test

test:
	@$(MAKE) --no-print-directory setup NEED_BROWSER=1
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-rust
	@$(MAKE) --no-print-directory test-e2e
	@end2end/scripts/postgres.sh stop

# The performance harness grows with the product (see the README); today it runs
# the authorization kernel's benchmarks and the directory at 1M users on both
# engines (PORTAL_BENCH_USERS to change the size).
bench:
	cargo bench -p app --features ssr --bench authz
	PORTAL_BENCH_POSTGRES_URL="$$(end2end/scripts/postgres.sh)" \
	  cargo bench -p app --features ssr --bench store
	@end2end/scripts/postgres.sh stop

bench-quick:
	cargo bench -p app --features ssr --bench authz -- --quick
	PORTAL_BENCH_USERS=100000 PORTAL_BENCH_POSTGRES_URL="$$(end2end/scripts/postgres.sh)" \
	  cargo bench -p app --features ssr --bench store
	@end2end/scripts/postgres.sh stop

clean:
	cargo clean
	rm -rf data end2end/test-results end2end/playwright-report
