"""Frames to H.264 MP4 with the ffmpeg binary that ships inside the ``imageio-ffmpeg`` wheel.

Where that wheel is absent (a bare GPU machine running ``gpu-check.sh``), ``ffmpeg`` on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .errors import ErrorCode, WorkerError


def ffmpeg_executable() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        found = shutil.which("ffmpeg")
        if found is None:
            raise WorkerError(
                ErrorCode.MODEL_ERROR, "no ffmpeg: install imageio-ffmpeg or put ffmpeg on PATH"
            ) from None
        return found
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def encode_mp4(frames: npt.NDArray[np.uint8], path: Path, fps: int, crf: int = 17) -> None:
    """Write ``frames`` (``[frames, height, width, 3]`` RGB ``uint8``) to ``path`` as H.264
    (yuv420p, ``+faststart`` so browsers can start playing before the download ends).

    Raises :class:`WorkerError` ``model_error`` when ffmpeg fails: a frame batch that cannot be
    encoded is a defect of the rendering side, not of the input.
    """
    if frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8:
        raise WorkerError(
            ErrorCode.MODEL_ERROR,
            f"cannot encode frames of shape {frames.shape} and dtype {frames.dtype}",
        )
    count, height, width, _ = frames.shape
    if count == 0 or height % 2 or width % 2:
        raise WorkerError(
            ErrorCode.MODEL_ERROR, f"cannot encode {count} frames of {width}x{height}"
        )
    command = [
        ffmpeg_executable(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{width}x{height}",
        "-r",
        str(fps),
        "-i",
        "-",
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-crf",
        str(crf),
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        str(path),
    ]
    try:
        result = subprocess.run(
            command, input=np.ascontiguousarray(frames).tobytes(), capture_output=True, check=False
        )
    except OSError as error:
        raise WorkerError(ErrorCode.MODEL_ERROR, f"could not start ffmpeg: {error}") from error
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").strip()[-500:]
        raise WorkerError(
            ErrorCode.MODEL_ERROR, f"ffmpeg exited with {result.returncode}: {stderr}"
        )
