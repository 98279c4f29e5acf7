#!/usr/bin/env bash
# Prints a PostgreSQL admin URL that the store tests may create databases with.
# Uses $PORTAL_TEST_POSTGRES_URL if set, else a server on 127.0.0.1:5432 if one
# answers, else installs PostgreSQL from Debian's packages and starts a throwaway
# cluster on a free port (stopped by `postgres.sh stop`).
set -euo pipefail
cd "$(dirname "$0")/../.."
state_dir="$PWD/target/pg-throwaway"

if [ "${1:-}" = stop ]; then
  if [ -f "$state_dir/data/postmaster.pid" ]; then
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    runuser -u postgres -- "$bin/pg_ctl" -D "$state_dir/data" -m fast stop >/dev/null 2>&1 || true
  fi
  exit 0
fi

if [ -n "${PORTAL_TEST_POSTGRES_URL:-}" ]; then
  echo "$PORTAL_TEST_POSTGRES_URL"; exit 0
fi

probe() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if probe 5432 && command -v psql >/dev/null && psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
  echo "postgres://postgres@127.0.0.1:5432/postgres"; exit 0
fi

if [ -f "$state_dir/port" ] && probe "$(cat "$state_dir/port")"; then
  echo "postgres://postgres@127.0.0.1:$(cat "$state_dir/port")/postgres"; exit 0
fi

if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  echo "==> installing PostgreSQL from Debian's packages" >&2
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rm -rf "$state_dir"; mkdir -p "$state_dir/data" "$state_dir/sock"
chown -R postgres:postgres "$state_dir"
runuser -u postgres -- "$bin/initdb" -D "$state_dir/data" -U postgres --auth=trust >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$state_dir/data" -l "$state_dir/log" -w \
  -o "-k $state_dir/sock -p $port -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
echo "$port" > "$state_dir/port"
echo "postgres://postgres@127.0.0.1:$port/postgres"
