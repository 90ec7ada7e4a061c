#!/usr/bin/env bash
# GPU proof for worker-mochi (no internet needed): writes JSON figures to --out (gpu-check.json).
#
#   scripts/gpu-check.sh            # on a CUDA machine: tiny model through the runner, full-size
#                                   # Mochi (random bf16 weights) timings and memory, forced OOM
#   scripts/gpu-check.sh --dry-run  # CPU only (CI): tiny end to end, full-size sizes on meta
#
# With OPENV_GPU_CHECK_PYTHON set (a Python that already has torch, e.g. a GPU machine's own), it
# runs there with worker-mochi's folder on PYTHONPATH and creates no virtualenv; with
# OPENV_GPU_CHECK_WHEELS=DIR (from scripts/gpu-check-bundle.sh) it first installs the other
# packages it needs from that folder into a temporary directory, with no network.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -n "${OPENV_GPU_CHECK_PYTHON:-}" ]]; then
  python="$OPENV_GPU_CHECK_PYTHON"
else
  python="$("$here/scripts/venv.sh" | tail -n 1)/bin/python"
fi
cd "$here"
extra=""
if [[ -n "${OPENV_GPU_CHECK_WHEELS:-}" ]]; then
  # The bundle from scripts/gpu-check-bundle.sh, installed beside (not into) the machine's Python.
  extra="$(mktemp -d)/site"
  "$python" -m pip install --quiet --no-index --no-deps --target "$extra" "$OPENV_GPU_CHECK_WHEELS"/*.whl
fi
PYTHONPATH="$here${extra:+:$extra}${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m worker_mochi.gpu_check "$@"
