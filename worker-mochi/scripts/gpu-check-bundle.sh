#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs beyond a GPU machine's own torch into one folder of wheels
# (no torch, no CUDA libraries, no imageio-ffmpeg: the check falls back to ffmpeg on PATH):
#
#   scripts/gpu-check-bundle.sh OUT_DIR [PYTHON_VERSION]   # default: this machine's python3.11
#
# then, on the GPU machine (no internet): OPENV_GPU_CHECK_WHEELS=OUT_DIR OPENV_GPU_CHECK_PYTHON=python3 \
#   scripts/gpu-check.sh. The wheels are for the target's Python version (binary wheels for Linux
# x86_64); keep the folder under the device tool's 64 MiB.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: gpu-check-bundle.sh OUT_DIR [PYTHON_VERSION]}"
version="${2:-3.11}"
venv="$("$here/scripts/venv.sh" | tail -n 1)"
mkdir -p "$out"
# The pinned versions of everything the check imports, from constraints.txt (no torch, nvidia-*,
# triton, imageio-ffmpeg, numpy: the GPU machine's torch environment has numpy).
packages=(diffusers transformers tokenizers safetensors huggingface-hub hf-xet accelerate psutil
  aiohttp aiohappyeyeballs aiosignal attrs frozenlist multidict propcache yarl requests urllib3
  idna charset-normalizer certifi regex pyyaml tqdm filelock fsspec packaging pillow
  importlib-metadata zipp typing-extensions pydantic pydantic-core annotated-types
  typing-inspection httpx httpcore h11 anyio sniffio)
pins=()
for name in "${packages[@]}"; do
  pin="$(grep -iE "^${name//-/[-_]}==" "$here/constraints.txt" "$here/requirements.txt" | head -n 1 | cut -d: -f2 || true)"
  [[ -n "$pin" ]] && pins+=("$pin")
done
"$venv/bin/python" -m pip download --quiet --no-deps --only-binary=:all: \
  --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  --python-version "$version" -d "$out" "${pins[@]}"
du -sh "$out"
