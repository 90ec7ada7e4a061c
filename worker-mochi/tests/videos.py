"""Reading back MP4 files with PyAV (its own FFmpeg build), to prove they really decode."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True)
class VideoFacts:
    codec: str
    pix_fmt: str
    width: int
    height: int
    fps: float
    frames: int
    moov_before_mdat: bool


def probe(path: Path) -> VideoFacts:
    data = path.read_bytes()
    moov, mdat = data.find(b"moov"), data.find(b"mdat")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = sum(1 for _ in container.decode(stream))
        return VideoFacts(
            codec=stream.codec_context.name,
            pix_fmt=str(stream.codec_context.pix_fmt),
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=float(stream.average_rate or 0),
            frames=decoded,
            moov_before_mdat=0 <= moov < mdat,
        )
