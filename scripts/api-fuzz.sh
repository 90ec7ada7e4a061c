#!/usr/bin/env bash
# Fuzzes the reference server's HTTP API against its own OpenAPI document with schemathesis: every
# check, positive and negative data, and the stateful phase, bounded in time. Exits non-zero on any
# finding that scripts/api-fuzz.toml does not list as a deliberate choice (with its reason).
#
# The server runs from source (tsx) on a free loopback port with the embedded defaults (PGlite,
# local files, the local preview provider) in a temporary data dir, with development header auth
# (X-OpenV-User). Idempotent: schemathesis lives in a virtualenv outside the clone,
#   ${OPENV_CACHE_DIR:-$HOME/.cache/openv}/schemathesis-venv-py<version>-<hash of the pins>
# reused while scripts/api-fuzz-requirements.txt does not change.
#
# Environment: OPENV_FUZZ_MAX_TIME (seconds of fuzzing, default 150), OPENV_FUZZ_MAX_EXAMPLES
# (per operation and phase, default 40), OPENV_FUZZ_SEED (reproduce a run), OPENV_FUZZ_REPORT_DIR
# (JUnit and NDJSON reports; default a temporary folder).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$root/scripts/api-fuzz-requirements.txt"
config="$root/scripts/api-fuzz.toml"
cache_dir="${OPENV_CACHE_DIR:-$HOME/.cache/openv}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

log() { printf '[api-fuzz] %s\n' "$*"; }

python_bin="${PYTHON:-python3}"
py_version="$("$python_bin" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
if ! "$python_bin" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  log "error: schemathesis needs Python >= 3.10, $python_bin is $py_version (set PYTHON=/path/to/python3)"
  exit 1
fi

pins_hash="$(sha256sum "$requirements" | cut -c1-16)"
venv="$cache_dir/schemathesis-venv-py$py_version-$pins_hash"
mkdir -p "$cache_dir"
if [[ -f "$venv/.openv-complete" ]]; then
  log "reusing virtualenv $venv"
else
  log "creating virtualenv $venv"
  rm -rf "$venv"
  "$python_bin" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --progress-bar off -r "$requirements"
  touch "$venv/.openv-complete"
  for old in "$cache_dir"/schemathesis-venv-*; do
    [[ "$old" == "$venv" || ! -d "$old" ]] || { log "removing stale $old"; rm -rf "$old"; }
  done
fi
log "$("$venv/bin/schemathesis" --version)"

data_dir="$(mktemp -d "${TMPDIR:-/tmp}/openv-fuzz-XXXXXX")"
report_dir="${OPENV_FUZZ_REPORT_DIR:-$data_dir/report}"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir/db" "$data_dir/files"
  [[ -n "${OPENV_FUZZ_REPORT_DIR:-}" ]] || rm -rf "$data_dir"
}
trap cleanup EXIT

port="$("$python_bin" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
origin="http://127.0.0.1:$port"
log "starting the reference server on $origin (data in $data_dir)"
# Generate rate limits off: with them on, most generated requests would be 429s and the logic
# behind them untested (429 is declared and covered by rate-limit.test.ts). Short preview steps so
# videos finish while the stateful phase follows them.
(
  cd "$root"
  exec env NODE_ENV=development HOST=127.0.0.1 PORT="$port" OPENV_DATA_DIR="$data_dir" \
    OPENV_PREVIEW_STEP_MS=20 OPENV_RATE_LIMIT_USER_PER_MINUTE=0 OPENV_RATE_LIMIT_IP_PER_MINUTE=0 \
    LOG_LEVEL="${LOG_LEVEL:-warn}" \
    node --conditions @openv/source --import tsx packages/server/src/cli.ts
) >"$data_dir/server.log" 2>&1 &
server_pid=$!
up() { "$python_bin" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$origin/api/health" >/dev/null 2>&1; }
for _ in $(seq 1 240); do
  if up; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    log "the server exited before it answered:"; cat "$data_dir/server.log"; exit 1
  fi
  sleep 0.5
done
up || { log "the server did not come up in 120 s:"; cat "$data_dir/server.log"; exit 1; }

log "fuzzing $origin/api/openapi.json (exceptions: scripts/api-fuzz.toml)"
status=0
# Every check runs (schemathesis's default; `--checks all` would override the exceptions file).
# The users (X-OpenV-User headers) come from scripts/api-fuzz-users.json, named in the config.
cd "$root"
"$venv/bin/schemathesis" --config-file "$config" --no-color run "$origin/api/openapi.json" \
  --mode all \
  --phases examples,coverage,fuzzing,stateful \
  --max-time "${OPENV_FUZZ_MAX_TIME:-150}" \
  --max-examples "${OPENV_FUZZ_MAX_EXAMPLES:-40}" \
  --workers 1 \
  --request-timeout 30 \
  --generation-database none \
  ${OPENV_FUZZ_SEED:+--seed "$OPENV_FUZZ_SEED"} \
  --report junit,ndjson --report-dir "$report_dir" || status=$?
if [[ "$status" != 0 ]]; then
  log "schemathesis found problems (exit $status); the server's log follows"
  tail -n 50 "$data_dir/server.log"
  exit "$status"
fi
log "clean: no finding outside scripts/api-fuzz.toml's exceptions"
