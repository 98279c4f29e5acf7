#!/usr/bin/env bash
# Starts a fresh portal for the end-to-end tests: a new SQLite database in a temp
# dir, migrated and seeded with the demo org, wired to the dev identity provider
# and the mail catcher. Everything it prints also goes to $PORTAL_LOG, which the
# run's global teardown searches for the secrets the specs used.
set -euo pipefail
cd "$(dirname "$0")/../.."

log=${PORTAL_LOG:-end2end/.run/portal.log}
mkdir -p "$(dirname "$log")"
: >"$log"
exec > >(tee -a "$log") 2> >(tee -a "$log" >&2)

port=${PORTAL_PORT:-3300}
idp_port=${DEV_IDP_PORT:-5566}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

export PORTAL_LISTEN_ADDR=127.0.0.1:$port
export PORTAL_PUBLIC_URL=${PORTAL_URL:-http://127.0.0.1:$port}
export PORTAL_DATABASE_URL="sqlite://$tmp/portal.db?mode=rwc"
export PORTAL_ORG_IDP_ISSUER=http://127.0.0.1:$idp_port/org
export PORTAL_ORG_IDP_CLIENT_ID=partner-portal
export PORTAL_ORG_IDP_CLIENT_SECRET=dev-secret-org
export PORTAL_SECURE_COOKIES=false
export PORTAL_SESSION_SECRET=e2e-session-secret-e2e-session-secret-e2e-session-secret-0123456789
export PORTAL_SECRETS_KEY=e2e-secrets-key-e2e-secrets-key
# The mail catcher the Playwright config starts (activation and reset mails).
export PORTAL_SMTP_URL=${PORTAL_SMTP_URL:-smtp://127.0.0.1:${MAIL_SMTP_PORT:-5025}}
# Every spec signs in from 127.0.0.1; the limit itself is proven in
# server/tests/hardening.rs.
export PORTAL_RATE_LIMIT_SIGNIN_PER_MINUTE=${PORTAL_RATE_LIMIT_SIGNIN_PER_MINUTE:-1000}
export PORTAL_RATE_LIMIT_READS_PER_MINUTE=${PORTAL_RATE_LIMIT_READS_PER_MINUTE:-100000}
# The dev identity provider's partner tenants are plain http on this machine.
export PORTAL_DEV_ALLOW_LOOPBACK_IDPS=true
export LEPTOS_SITE_ROOT=${LEPTOS_SITE_ROOT:-target/site}
export LEPTOS_SITE_PKG_DIR=${LEPTOS_SITE_PKG_DIR:-pkg}

bin=${PORTAL_BIN:-target/debug/server}
"$bin" migrate
"$bin" seed --demo --dev-idp "http://127.0.0.1:$idp_port"
"$bin" serve &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
wait $pid
