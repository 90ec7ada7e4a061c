"""Validation of the job input (API.md, "RunPod and worker-mochi" and the Mochi limits).

The limits are the server's. A second, looser set (:data:`TINY_TEST_LIMITS`) exists only so the
CPU test and the tiny local smoke mode can render 64x64 frames; it is selected in code (or by
``WORKER_MOCHI_TINY_MODEL=1``, see :mod:`worker_mochi.pipeline`), never by the job input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .errors import ErrorCode, WorkerError

FPS = 30
"""Frames per second of every Mochi video (the contract's fps)."""

UINT32_MAX = 2**32 - 1


@dataclass(frozen=True)
class SizeLimits:
    """Bounds for width and height: multiples of ``multiple`` in ``[minimum, maximum]``."""

    minimum: int
    maximum: int
    multiple: int = 16


PRODUCTION_LIMITS = SizeLimits(minimum=256, maximum=1280)
TINY_TEST_LIMITS = SizeLimits(minimum=32, maximum=1280)


class JobInput(BaseModel):
    """The worker input: ``{positive_prompt, negative_prompt?, width, height, num_frames, steps,
    cfg, seed?}``. Unknown fields are rejected, like the server rejects them."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    positive_prompt: str = Field(min_length=1, max_length=2000)
    negative_prompt: str | None = Field(default=None, max_length=2000)
    width: int = 848
    height: int = 480
    num_frames: int = Field(default=31, ge=7, le=163)
    steps: int = Field(default=64, ge=1, le=200)
    # strict=False so that a JSON integer such as 5 is accepted as 5.0.
    cfg: float = Field(default=4.5, ge=0, le=20, strict=False, allow_inf_nan=False)
    seed: int | None = Field(default=None, ge=0, le=UINT32_MAX)

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
