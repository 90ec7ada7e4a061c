"""Jobs that drive the worker into each outcome; shared by the handler and contract tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from worker_mochi.handler import Worker
from worker_mochi.pipeline import MochiGenerator, PipelineSettings
from worker_mochi.schema import JobInput
from worker_mochi.upload import UploadThingClient


@dataclass
class ProgressRecorder:
    events: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, job: dict[str, Any], progress: dict[str, Any]) -> None:
        self.events.append(progress)


class RaisingPipe:
    """Stands in for ``MochiPipeline.__call__`` failing the way torch fails."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __call__(self, **_kwargs: Any) -> Any:
        raise self.error


class FlatGenerator:
    """Returns grey frames of the requested shape (for contract runs at production sizes)."""

    def generate(
        self, request: JobInput, on_step: Callable[[int, int], None] | None = None
    ) -> tuple[np.ndarray, int]:
        for step in range(1, request.steps + 1):
            if on_step:
                on_step(step, request.steps)
        shape = (request.num_frames, request.height, request.width, 3)
        return np.full(shape, 128, dtype=np.uint8), request.seed or 0


def failing_generator(error: BaseException, settings: PipelineSettings) -> MochiGenerator:
    return MochiGenerator(RaisingPipe(error), settings)


OOM_MESSAGE = (
    "CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total capacity of 79.10 GiB "
    "of which 3.12 GiB is free."
)
CUDA_ERROR = "CUDA error: an illegal memory access was encountered"

CONTRACT_INPUT: dict[str, Any] = {
    "positive_prompt": "A lighthouse on a cliff at dusk, waves crashing, cinematic",
    "negative_prompt": "blurry, low quality",
    "width": 848,
    "height": 480,
    "num_frames": 31,
    "steps": 64,
    "cfg": 4.5,
    "seed": 1234,
}


def error_scenarios(
    uploader: UploadThingClient, settings: PipelineSettings, fail_uploads: Callable[[], None]
) -> dict[str, tuple[Worker, dict[str, Any]]]:
    """code -> (worker, job input) that makes the worker fail with that code."""
    record = ProgressRecorder()
    ok_input = {**CONTRACT_INPUT, "width": 64, "height": 64, "num_frames": 7, "steps": 2}

    def upload_failing_worker() -> Worker:
        fail_uploads()
        return Worker(FlatGenerator(), uploader, settings.size_limits, record)

    return {
        "invalid_input": (
            Worker(FlatGenerator(), uploader, report_progress=record),
            {"positive_prompt": "", "width": 100, "num_frames": 30},
        ),
        "out_of_memory": (
            Worker(
                failing_generator(torch.OutOfMemoryError(OOM_MESSAGE), settings),
                uploader,
                settings.size_limits,
                record,
            ),
            ok_input,
        ),
        "upload_failed": (upload_failing_worker(), ok_input),
        "model_error": (
            Worker(
                failing_generator(RuntimeError(CUDA_ERROR), settings),
                uploader,
                settings.size_limits,
                record,
            ),
            ok_input,
        ),
    }


def runpod_job_object(job_id: str, result: dict[str, Any]) -> dict[str, Any]:
    """The job object RunPod builds from a handler's return value (as its webhook delivers it).
    ``delayTime``/``executionTime`` are RunPod's own measurements; fixed values here."""
    timing = {"delayTime": 2315, "executionTime": 48211}
    if "error" in result:
        return {"id": job_id, "status": "FAILED", "error": result["error"], **timing}
    return {"id": job_id, "status": "COMPLETED", "output": result, **timing}
