"""Finding the weights: MOCHI_MODEL_DIR, the baked folder, or a Hugging Face cache snapshot."""

from __future__ import annotations

import os
from pathlib import Path

from worker_mochi import weights


def snapshot(cache: Path, name: str, ref: bool = False) -> Path:
    repo = cache / "models--genmo--mochi-1-preview"
    folder = repo / "snapshots" / name
    folder.mkdir(parents=True)
    (folder / "model_index.json").write_text("{}")
    if ref:
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text(name)
    return folder


def test_model_dir_wins(tmp_path: Path) -> None:
    env = {"MOCHI_MODEL_DIR": str(tmp_path / "mine"), "HOME": str(tmp_path)}
    assert weights.resolve_model_dir(env) == tmp_path / "mine"


def test_a_cache_snapshot_is_found_refs_main_first(tmp_path: Path) -> None:
    cache = tmp_path / "hub"
    older = snapshot(cache, "aaa", ref=True)
    newer = snapshot(cache, "bbb")
    os.utime(newer, (2_000_000_000, 2_000_000_000))
    env = {"HF_HUB_CACHE": str(cache), "HOME": str(tmp_path)}
    assert weights.resolve_model_dir(env) == older
    (cache / "models--genmo--mochi-1-preview" / "refs" / "main").unlink()
    assert weights.resolve_model_dir(env) == newer


def test_runpods_cached_models_mount_is_searched_first(monkeypatch, tmp_path: Path) -> None:
    runpod = tmp_path / "runpod-volume" / "huggingface-cache" / "hub"
    found = snapshot(runpod, "ccc")
    snapshot(tmp_path / "hub", "ddd")
    monkeypatch.setattr(weights, "RUNPOD_CACHE", runpod)
    env = {"HF_HUB_CACHE": str(tmp_path / "hub"), "HOME": str(tmp_path)}
    assert weights.resolve_model_dir(env) == found


def test_nothing_found_names_the_default_folder(tmp_path: Path) -> None:
    assert weights.resolve_model_dir({"HOME": str(tmp_path)}) == weights.DEFAULT_MODEL_DIR
