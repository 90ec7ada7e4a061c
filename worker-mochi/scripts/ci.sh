#!/usr/bin/env bash
# CI entry for worker-mochi: lint, format check, tests and the GPU check's CPU dry run, with no
# GPU and no model weights. The virtualenv comes from scripts/venv.sh (idempotent, cached).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[worker-mochi ci] %s\n' "$*"; }

# The virtualenv (created or reused; see scripts/venv.sh for the cache layout).
venv="$("$here/scripts/venv.sh" | tail -n 1)"

cd "$here"
log "ruff check"
"$venv/bin/ruff" check .
log "ruff format --check"
"$venv/bin/ruff" format --check .
log "pytest"
"$venv/bin/python" -m pytest -q
log "gpu-check --dry-run (CPU: tiny model through the runner, full-size sizes from the shipped configs)"
"$here/scripts/gpu-check.sh" --dry-run --out "${OPENV_GPU_CHECK_OUT:-${TMPDIR:-/tmp}/worker-mochi-gpu-check.json}" >/dev/null
log "gpu-check figures: ${OPENV_GPU_CHECK_OUT:-${TMPDIR:-/tmp}/worker-mochi-gpu-check.json}"
