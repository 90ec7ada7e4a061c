#!/usr/bin/env bash
# RunPod-compatible local runner over the real worker: serves RunPod's serverless v2 API on
# http://127.0.0.1:PORT/v2/<any endpoint id>/ (run, status, cancel, health, completion webhooks).
#
#   scripts/serve.sh --tiny --port 8188      # tiny random Mochi on CPU (or CUDA): renders noise, fast
#   scripts/serve.sh --port 8188             # Mochi 1 weights from MOCHI_MODEL_DIR
#
# Point an OpenV server at it with RUNPOD_BASE_URL=http://127.0.0.1:8188/v2 (any RUNPOD_ENDPOINT_ID
# and RUNPOD_API_KEY; set OPENV_RUNNER_API_KEY here to require that key). The virtualenv is the one
# scripts/ci.sh uses (created on first use). Every other flag: python -m worker_mochi.serve --help.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$("$here/scripts/venv.sh" | tail -n 1)"
cd "$here"
exec "$venv/bin/python" -m worker_mochi.serve "$@"
