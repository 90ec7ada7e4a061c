#!/usr/bin/env bash
# Runs the TypeScript test command (`pnpm test`) N times in a row (default 3) while `pnpm bench`
# loads the machine beside it, and prints PASS/FAIL per run: the check that the suite does not
# flake on a busy machine (issue 16, item 14).
#
#   scripts/soak-tests.sh [N]
#
# Run it after `pnpm test:all` has set the machine up (PostgreSQL on 54329, Chromium, the worker's
# venv); it builds once first, so no run's `pnpm start` test rebuilds the packages mid-suite.
# OPENV_TEST_DATABASE_URL is taken from the environment, else the test PostgreSQL of
# scripts/test-all.sh when it answers. Each run's output goes to .soak/run-<i>.log, the bench's
# to .soak/bench.log. SOAK_SKIP_BUILD=1 skips the build. Exits 0 when every run passed.
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${1:-3}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/soak-tests.sh [N]  (N ≥ 1 runs of pnpm test; default 3)" >&2
  exit 2
fi
mkdir -p .soak

if [ -z "${OPENV_TEST_DATABASE_URL:-}" ]; then
  test_pg="postgresql://postgres@127.0.0.1:${OPENV_TEST_PG_PORT:-54329}/postgres"
  if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -d "$test_pg"; then
    export OPENV_TEST_DATABASE_URL="$test_pg"
  fi
fi
echo "soak: ${runs} run(s) of pnpm test beside pnpm bench; PostgreSQL suites: ${OPENV_TEST_DATABASE_URL:-off (PGlite only)}"

if [ "${SOAK_SKIP_BUILD:-}" != 1 ]; then
  echo "soak: building once (pnpm db:generate, pnpm build)"
  if ! { pnpm db:generate && pnpm build; } >.soak/build.log 2>&1; then
    echo "soak: the build failed; see .soak/build.log" >&2
    exit 1
  fi
fi

# The bench, restarted whenever it ends, in its own process group so it can be stopped whole.
setsid bash -c 'while true; do pnpm bench; sleep 1; done' >.soak/bench.log 2>&1 &
bench_pgid=$!
stop_bench() {
  kill -TERM -- "-$bench_pgid" 2>/dev/null
  wait "$bench_pgid" 2>/dev/null
  # A bench stopped mid-run leaves its own PostgreSQL cluster (bench/README.md) running: stop it.
  local dir="${TMPDIR:-/tmp}/openv-bench-pg-54339" pg_ctl
  pg_ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1)
  if [ -n "$pg_ctl" ] && [ -f "$dir/postmaster.pid" ]; then
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1
    else "$pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1; fi
  fi
}
trap stop_bench EXIT
trap 'exit 130' INT TERM

passed=0
for ((run = 1; run <= runs; run++)); do
  log=".soak/run-${run}.log"
  started=$SECONDS
  if pnpm test >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "run ${run}/${runs}: PASS ($((SECONDS - started)) s)"
  else
    echo "run ${run}/${runs}: FAIL ($((SECONDS - started)) s) — ${log}"
    # The failed tests, as vitest names them (colours stripped).
    sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *(FAIL|×) ' | sort -u | head -20 | sed 's/^/    /'
  fi
done
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
echo "soak: ${passed}/${runs} runs passed (load average at the end: ${load}; bench output in .soak/bench.log)"
[ "$passed" -eq "$runs" ]
