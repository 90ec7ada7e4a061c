from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from worker_mochi.encode import encode_mp4
from worker_mochi.errors import ErrorCode, WorkerError

from .videos import probe


def test_writes_a_decodable_h264_yuv420p_faststart_mp4(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(13, 48, 80, 3), dtype=np.uint8)
    path = tmp_path / "out.mp4"
    encode_mp4(frames, path, fps=30)
    facts = probe(path)
    assert facts.codec == "h264"
    assert facts.pix_fmt == "yuv420p"
    assert (facts.width, facts.height) == (80, 48)
    assert facts.frames == 13
    assert facts.fps == pytest.approx(30)
    assert facts.moov_before_mdat  # +faststart


@pytest.mark.parametrize(
    "frames",
    [
        np.zeros((3, 16, 16), dtype=np.uint8),
        np.zeros((3, 16, 16, 3), dtype=np.float32),
        np.zeros((0, 16, 16, 3), dtype=np.uint8),
        np.zeros((3, 15, 16, 3), dtype=np.uint8),
    ],
)
def test_rejects_frames_it_cannot_encode(tmp_path: Path, frames: np.ndarray) -> None:
    with pytest.raises(WorkerError) as caught:
        encode_mp4(frames, tmp_path / "out.mp4", fps=30)
    assert caught.value.code is ErrorCode.MODEL_ERROR


def test_ffmpeg_failure_is_a_model_error(tmp_path: Path) -> None:
    frames = np.zeros((3, 16, 16, 3), dtype=np.uint8)
    with pytest.raises(WorkerError, match=r"^model_error: ffmpeg exited with"):
        encode_mp4(frames, tmp_path / "missing-dir" / "out.mp4", fps=30)


def test_ffmpeg_falls_back_to_path_without_the_wheel(monkeypatch, tmp_path) -> None:
    import builtins

    from worker_mochi import encode
    from worker_mochi.errors import WorkerError

    real_import = builtins.__import__

    def no_wheel(name: str, *args, **kwargs):
        if name == "imageio_ffmpeg":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_wheel)
    monkeypatch.setattr(encode.shutil, "which", lambda _name: "/usr/bin/ffmpeg")
    assert encode.ffmpeg_executable() == "/usr/bin/ffmpeg"
    monkeypatch.setattr(encode.shutil, "which", lambda _name: None)
    with pytest.raises(WorkerError, match="model_error: no ffmpeg"):
        encode.ffmpeg_executable()
