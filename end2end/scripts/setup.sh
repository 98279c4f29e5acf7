#!/usr/bin/env bash
# Installs what `make run` / `make test` need and is missing; a warm machine pays
# nothing. Everything comes from crates.io, npm or Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/../.."

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
need_browser=${NEED_BROWSER:-0}
need_bench=${NEED_BENCH:-0}

say() { printf '==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  if [ ! -f /tmp/.partner-portal-apt-updated ]; then
    as_root apt-get update -qq
    touch /tmp/.partner-portal-apt-updated
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes ~15 minutes on 2 cores, once)"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (must equal Cargo.lock's wasm-bindgen)"
  # Not --locked: its lock file names a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

npm_install() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm install in $dir (versions pinned by its package-lock.json)"
    # Not `npm ci`: npm 11 drops other platforms' optional packages (Tailwind's
    # native binaries) from the lock file and then refuses it in `npm ci`.
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error)
  fi
}
npm_install .
npm_install end2end

# The downstream SCIM app of the provisioning tests: scim2-server from PyPI,
# in a virtual environment of its own.
SCIM2_SERVER_VERSION=0.8.3
if [ "$(end2end/.venv/bin/pip show scim2-server 2>/dev/null | awk '/^Version:/{print $2}')" != "$SCIM2_SERVER_VERSION" ]; then
  say "installing scim2-server $SCIM2_SERVER_VERSION (PyPI) in end2end/.venv"
  python3 -m venv end2end/.venv
  end2end/.venv/bin/pip install --quiet --disable-pip-version-check "scim2-server==$SCIM2_SERVER_VERSION"
fi

if [ "$need_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  apt_install chromium
fi

if [ "$need_bench" = 1 ] && ! command -v wrk >/dev/null; then
  say "installing Debian's wrk (the benchmark's load generator)"
  apt_install wrk
fi

# The bench report's "where the main module's bytes go" (crates.io).
TWIGGY_VERSION=0.8.0
if [ "$need_bench" = 1 ] && [ "$(twiggy --version 2>/dev/null | awk '{print $2}')" != "$TWIGGY_VERSION" ]; then
  say "installing twiggy $TWIGGY_VERSION (wasm size profiler, ~3 minutes once)"
  cargo install twiggy --locked --version "$TWIGGY_VERSION"
fi
