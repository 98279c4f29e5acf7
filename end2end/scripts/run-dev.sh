#!/usr/bin/env bash
# `make run`: the dev identity provider, a mail catcher and the portal on SQLite
# with demo data. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/../.."

export DEV_IDP_PORT=${DEV_IDP_PORT:-5556}
export PORTAL_PORT=${PORTAL_PORT:-3000}
export MAIL_SMTP_PORT=${MAIL_SMTP_PORT:-1025}
export MAIL_WEB_PORT=${MAIL_WEB_PORT:-1080}
# The "Partner Wiki" sample app: the demo seed registers it at the portal's
# host, 100 ports above the portal's.
export WIKI_PORT=$((PORTAL_PORT + 100))
# `localhost`, not 127.0.0.1: browsers refuse passkeys (WebAuthn) on IP addresses.
export PORTAL_URL=${PORTAL_URL:-http://localhost:$PORTAL_PORT}
export PORTAL_LISTEN_ADDR=${PORTAL_LISTEN_ADDR:-127.0.0.1:$PORTAL_PORT}
export PORTAL_PUBLIC_URL=${PORTAL_PUBLIC_URL:-$PORTAL_URL}
export PORTAL_DATABASE_URL=${PORTAL_DATABASE_URL:-sqlite://data/portal.db?mode=rwc}
export PORTAL_ORG_IDP_ISSUER=${PORTAL_ORG_IDP_ISSUER:-http://127.0.0.1:$DEV_IDP_PORT/org}
export PORTAL_ORG_IDP_CLIENT_ID=${PORTAL_ORG_IDP_CLIENT_ID:-partner-portal}
export PORTAL_ORG_IDP_CLIENT_SECRET=${PORTAL_ORG_IDP_CLIENT_SECRET:-dev-secret-org}
export PORTAL_SECURE_COOKIES=${PORTAL_SECURE_COOKIES:-false}
export PORTAL_SESSION_SECRET=${PORTAL_SESSION_SECRET:-dev-only-session-secret-change-me-dev-only-session-secret-change-me}
export PORTAL_SECRETS_KEY=${PORTAL_SECRETS_KEY:-dev-only-secrets-key-change-me}
# Activation and password-reset mails go to the mail catcher (read them at its web page).
export PORTAL_SMTP_URL=${PORTAL_SMTP_URL:-smtp://127.0.0.1:$MAIL_SMTP_PORT}
# The dev identity provider's partner tenants are plain http on this machine.
export PORTAL_DEV_ALLOW_LOOPBACK_IDPS=${PORTAL_DEV_ALLOW_LOOPBACK_IDPS:-true}
export LEPTOS_SITE_ROOT=${LEPTOS_SITE_ROOT:-target/site}

bin=target/debug/server
pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

for port in "$DEV_IDP_PORT" "$PORTAL_PORT" "$MAIL_SMTP_PORT" "$MAIL_WEB_PORT" "$WIKI_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: port $port is already in use (set DEV_IDP_PORT / PORTAL_PORT / MAIL_SMTP_PORT / MAIL_WEB_PORT to choose others)" >&2
    exit 1
  fi
done

node end2end/dev-idp/server.mjs &
pids+=($!)

node_modules/.bin/maildev --smtp "$MAIL_SMTP_PORT" --ip 127.0.0.1 --web "$MAIL_WEB_PORT" --web-ip 127.0.0.1 --silent >/dev/null &
pids+=($!)

"$bin" migrate
"$bin" seed --demo --dev-idp "http://127.0.0.1:$DEV_IDP_PORT"

"$bin" serve &
pids+=($!)

WIKI_URL="$(echo "$PORTAL_URL" | sed -E 's#:[0-9]+$##'):$WIKI_PORT" node end2end/sample-app/server.mjs &
pids+=($!)

for _ in $(seq 1 150); do
  curl -fsS "$PORTAL_URL/readyz" >/dev/null 2>&1 \
    && curl -fsS "http://127.0.0.1:$DEV_IDP_PORT/org/.well-known/openid-configuration" >/dev/null 2>&1 \
    && curl -fsS "http://127.0.0.1:$MAIL_WEB_PORT/api/healthz" >/dev/null 2>&1 \
    && break
  sleep 0.2
done

cat <<MSG

  Partner Portal is running: $PORTAL_URL
  Dev identity provider:     http://127.0.0.1:$DEV_IDP_PORT/{org,acme,globex}
  Mail catcher (sent mail):  http://127.0.0.1:$MAIL_WEB_PORT  (SMTP on port $MAIL_SMTP_PORT)
  Partner Wiki (sample app): $(echo "$PORTAL_URL" | sed -E 's#:[0-9]+$##'):$WIKI_PORT  (signs in through the portal)

  Demo accounts (password: demo-password)
    olivia.owner@hostco.test   org super admin           (org IdP)
    alice.admin@acme.test      partner admin, Acme       (org IdP)
    bob.admin@globex.test      partner admin, Globex     (org IdP)
    carol.both@hostco.test     partner admin, Acme+Globex (org IdP)
    erin.engineer@acme.test    Acme end user             (Acme's IdP)
    gina.green@globex.test     Globex end user           (Globex's IdP)
    hanna.admin@hooli.test     partner admin, Hooli      (password held by the portal)

  Ctrl-C stops them all.
MSG

wait -n "${pids[@]}"
