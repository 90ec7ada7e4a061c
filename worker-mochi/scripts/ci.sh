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
