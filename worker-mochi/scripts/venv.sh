#!/usr/bin/env bash
# Creates (or reuses) worker-mochi's virtualenv and prints its path on the last line of stdout.
# Shared by scripts/ci.sh, scripts/serve.sh, scripts/gpu-check.sh and the repository's test-all.sh.
#
# Idempotent: the virtualenv lives outside the clone, in
#   ${OPENV_CACHE_DIR:-$HOME/.cache/openv}/worker-venv-<hash of the pinned requirements>
# and is reused while the pins do not change. Downloaded wheels are kept beside it in a wheelhouse
# ($OPENV_CACHE_DIR/wheels), so rebuilding the venv (new pins) never downloads torch twice. (pip's
# own HTTP cache is not relied on: some registry mirrors answer with uncacheable headers.)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${OPENV_CACHE_DIR:-$HOME/.cache/openv}"
wheelhouse="$cache_dir/wheels"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1

log() { printf '[worker-mochi venv] %s\n' "$*" >&2; }

python_bin="${PYTHON:-}"
if [[ -z "$python_bin" ]]; then
  if command -v python3.11 >/dev/null 2>&1; then python_bin=python3.11; else python_bin=python3; fi
fi
if ! command -v "$python_bin" >/dev/null 2>&1; then
  log "error: no Python found (set PYTHON=/path/to/python3.11)"
  exit 3
fi
py_version="$("$python_bin" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
if [[ "$py_version" != "3.11" ]]; then
  log "error: Python 3.11 is required, $python_bin is $py_version (set PYTHON=/path/to/python3.11)"
  exit 3
fi

req_hash="$(cat "$here/requirements.txt" "$here/requirements-dev.txt" "$here/constraints.txt" | sha256sum | cut -c1-16)"
venv="$cache_dir/worker-venv-py$py_version-$req_hash"
mkdir -p "$cache_dir"

if [[ -f "$venv/.openv-complete" ]]; then
  log "reusing virtualenv $venv"
else
  started=$SECONDS
  log "creating virtualenv $venv"
  rm -rf "$venv"
  "$python_bin" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip==26.3 >&2
  reqs=(-r "$here/requirements.txt" -r "$here/requirements-dev.txt" -c "$here/constraints.txt")
  mkdir -p "$wheelhouse"
  torch_pin="$(grep -E '^torch==' "$here/requirements.txt")"
  log "downloading $torch_pin (~3 GB with its CUDA libraries, first run only; kept in $wheelhouse)…"
  "$venv/bin/python" -m pip download --quiet --progress-bar off -d "$wheelhouse" \
    "$torch_pin" -c "$here/constraints.txt" >&2
  log "downloading the other pinned dependencies…"
  "$venv/bin/python" -m pip download --quiet --progress-bar off -d "$wheelhouse" "${reqs[@]}" >&2
  log "installing from the wheelhouse…"
  "$venv/bin/python" -m pip install --quiet --progress-bar off --no-index \
    --find-links "$wheelhouse" "${reqs[@]}" >&2
  touch "$venv/.openv-complete"
  log "virtualenv ready in $((SECONDS - started)) s"
  # Drop virtualenvs of older pins so the cache does not grow without bound.
  for old in "$cache_dir"/worker-venv-*; do
    [[ "$old" == "$venv" || ! -d "$old" ]] || { log "removing stale $old"; rm -rf "$old"; }
  done
fi
printf '%s\n' "$venv"
