"""Validation of the job input (API.md, "RunPod and worker-mochi" and the Mochi limits).

The limits are the server's. A second, looser set (:data:`TINY_TEST_LIMITS`) exists only so the
CPU test and the tiny local smoke mode can render 64x64 frames; it is selected in code (or by
``MOCHI_TINY_RANDOM_MODEL=1``, see :mod:`worker_mochi.pipeline`), never by the job input.

The compute budget (visual tokens and steps) comes from ``contract/compute-budget.json``, the one
file the server's ``@openv/protocol`` limits read too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import ErrorCode, WorkerError

FPS = 30
"""Frames per second of every Mochi video (the contract's fps)."""

UINT32_MAX = 2**32 - 1

CONTRACT_DIR = Path(__file__).resolve().parent.parent / "contract"


@dataclass(frozen=True)
class ComputeBudget:
    """What one job may cost: visual tokens (the DiT's sequence length) and denoising steps."""

    max_visual_tokens: int
    temporal_compression: int
    patch_pixels: int
    max_steps: int

    @classmethod
    def load(cls, path: Path | None = None) -> ComputeBudget:
        data = json.loads((path or CONTRACT_DIR / "compute-budget.json").read_text("utf-8"))
        return cls(
            max_visual_tokens=int(data["maxVisualTokens"]),
            temporal_compression=int(data["temporalCompression"]),
            patch_pixels=int(data["patchPixels"]),
            max_steps=int(data["maxSteps"]),
        )

    def visual_tokens(self, frames: int, width: int, height: int) -> int:
        latent_frames = (frames - 1) // self.temporal_compression + 1
        return latent_frames * (width // self.patch_pixels) * (height // self.patch_pixels)


COMPUTE_BUDGET = ComputeBudget.load()


@dataclass(frozen=True)
class SizeLimits:
    """Bounds for width and height: multiples of ``multiple`` in ``[minimum, maximum]``."""

    minimum: int
    maximum: int
    multiple: int = 16


PRODUCTION_LIMITS = SizeLimits(minimum=256, maximum=1280)
TINY_TEST_LIMITS = SizeLimits(minimum=32, maximum=1280)


class UploadTarget(BaseModel):
    """A single-use upload URL the server hands the worker (signed, bound to video and attempt)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    url: str = Field(min_length=8, max_length=4000, pattern=r"^https?://")
    max_bytes: int = Field(ge=1)


class JobInput(BaseModel):
    """The worker input: ``{positive_prompt, negative_prompt?, width, height, num_frames, steps,
    cfg, seed?}``. Unknown fields are rejected, like the server rejects them."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    positive_prompt: str = Field(min_length=1, max_length=2000)
    negative_prompt: str | None = Field(default=None, max_length=2000)
    width: int = 848
    height: int = 480
    num_frames: int = Field(default=31, ge=7, le=163)
    steps: int = Field(default=64, ge=1, le=COMPUTE_BUDGET.max_steps)
    # A JSON number only: 5 and 4.5 pass; "4.5" and true do not (strict, like every field).
    cfg: float = Field(default=4.5, ge=0, le=20, allow_inf_nan=False)
    seed: int | None = Field(default=None, ge=0, le=UINT32_MAX)
    upload: UploadTarget | None = None
    """Where to deliver the MP4 (``PUT``); absent: the worker's own storage (UploadThing)."""
    output_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
    """The name the server chose for this attempt's MP4; on UploadThing the custom id is made
    from it (the server adopts outputs only under that name)."""

    @model_validator(mode="after")
    def _check_budget(self) -> JobInput:
        tokens = COMPUTE_BUDGET.visual_tokens(self.num_frames, self.width, self.height)
        if tokens > COMPUTE_BUDGET.max_visual_tokens:
            raise ValueError(
                f"compute budget: {self.width}x{self.height} at {self.num_frames} frames is "
                f"{tokens:,} visual tokens, over the budget of "
                f"{COMPUTE_BUDGET.max_visual_tokens:,} (848x480 at 163 frames); "
                "ask for fewer frames or a smaller size"
            )
        return self

    @field_validator("width", "height")
    @classmethod
    def _check_size(cls, value: int, info: ValidationInfo) -> int:
        limits = PRODUCTION_LIMITS
        if isinstance(info.context, dict) and isinstance(info.context.get("limits"), SizeLimits):
            limits = info.context["limits"]
        if not (limits.minimum <= value <= limits.maximum) or value % limits.multiple:
            raise ValueError(
                f"must be a multiple of {limits.multiple} between {limits.minimum} "
                f"and {limits.maximum} (got {value})"
            )
        return value

    @field_validator("num_frames")
    @classmethod
    def _check_frames(cls, value: int) -> int:
        if (value - 1) % 6:
            raise ValueError(
                f"(num_frames - 1) must be divisible by 6, e.g. 7, 13, 19, 25, 31 (got {value})"
            )
        return value

    @property
    def seconds(self) -> float:
        """Length of the video: frames / fps, what the server's quota charges."""
        return self.num_frames / FPS


def _describe(error: Any) -> str:
    location = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "is required"
    elif error["type"] == "extra_forbidden":
        message = "is not an accepted field"
    return f"{location}: {message}" if location else message


def parse_job_input(raw: object, limits: SizeLimits = PRODUCTION_LIMITS) -> JobInput:
    """Validate a job's ``input``; raise :class:`WorkerError` ``invalid_input`` listing every
    problem (``"invalid_input: width: must be a multiple of 16 ...; steps: ..."``)."""
    if not isinstance(raw, dict):
        raise WorkerError(ErrorCode.INVALID_INPUT, "input must be a JSON object")
    try:
        return JobInput.model_validate(raw, context={"limits": limits})
    except ValidationError as error:
        details = "; ".join(_describe(item) for item in error.errors(include_url=False))
        raise WorkerError(ErrorCode.INVALID_INPUT, details) from None
