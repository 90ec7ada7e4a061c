"""Where the Mochi 1 weights are: ``MOCHI_MODEL_DIR``, else a Hugging Face cache snapshot.

Search order (the first folder with a ``model_index.json`` wins):

1. ``MOCHI_MODEL_DIR`` when set (a diffusers-layout folder, e.g. baked into the image).
2. ``/models/mochi-1-preview`` (the Dockerfile's ``baked`` target puts the weights there).
3. The snapshot of ``MOCHI_MODEL_ID`` (default ``genmo/mochi-1-preview``) in a Hugging Face hub
   cache: RunPod's cached-models mount ``/runpod-volume/huggingface-cache/hub`` (set the endpoint's
   "Model" to ``genmo/mochi-1-preview``), then ``$HF_HUB_CACHE``, ``$HF_HOME/hub`` and
   ``~/.cache/huggingface/hub``. Inside a cache the snapshot ``refs/main`` names is preferred, else
   the newest one.

Nothing is downloaded: the worker runs with the hub offline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_MODEL_DIR = Path("/models/mochi-1-preview")
DEFAULT_MODEL_ID = "genmo/mochi-1-preview"
RUNPOD_CACHE = Path("/runpod-volume/huggingface-cache/hub")


def hub_caches(env: Mapping[str, str]) -> list[Path]:
    caches = [RUNPOD_CACHE]
    if env.get("HF_HUB_CACHE"):
        caches.append(Path(env["HF_HUB_CACHE"]))
    if env.get("HF_HOME"):
        caches.append(Path(env["HF_HOME"]) / "hub")
    caches.append(Path(env.get("HOME", str(Path.home()))) / ".cache" / "huggingface" / "hub")
    return caches


def snapshot_in(cache: Path, model_id: str) -> Path | None:
    repo = cache / f"models--{model_id.replace('/', '--')}"
    snapshots = repo / "snapshots"
    if not snapshots.is_dir():
        return None
    ref = repo / "refs" / "main"
    if ref.is_file():
        named = snapshots / ref.read_text("utf-8").strip()
        if (named / "model_index.json").is_file():
            return named
    candidates = [d for d in snapshots.iterdir() if (d / "model_index.json").is_file()]
    return max(candidates, key=lambda d: d.stat().st_mtime, default=None)


def resolve_model_dir(env: Mapping[str, str] | None = None) -> Path:
    """The folder to load; when none has weights, the path to name in the error message."""
    env = os.environ if env is None else env
    given = env.get("MOCHI_MODEL_DIR", "").strip()
    if given:
        return Path(given)
    if (DEFAULT_MODEL_DIR / "model_index.json").is_file():
        return DEFAULT_MODEL_DIR
    model_id = env.get("MOCHI_MODEL_ID", "").strip() or DEFAULT_MODEL_ID
    for cache in hub_caches(env):
        found = snapshot_in(cache, model_id)
        if found is not None:
            return found
    return DEFAULT_MODEL_DIR
