"""RunPod entry point: ``python -m worker_mochi.handler`` (``--rp_serve_api``: local API).

One job: validate the input, render with the pipeline loaded at worker start, encode an MP4,
deliver it (``PUT`` to the input's ``upload`` URL when the server gave one, else UploadThing),
answer ``{url, key, frames, fps, width, height, seconds, seed}``.

Failures: everything inside raises :class:`WorkerError`. The RunPod entry (:meth:`Worker.__call__`)
turns it into ``{"error": "<code>: <message>"}``, which RunPod records as a FAILED job with exactly
that string. (Letting the exception escape would make the RunPod SDK report a JSON blob with a
traceback instead, whose first word is no code.) Unexpected exceptions become ``model_error``.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypedDict

from .deliver import UploadUrlClient
from .encode import encode_mp4
from .errors import ErrorCode, WorkerError
from .pipeline import MochiGenerator, PipelineSettings
from .schema import FPS, PRODUCTION_LIMITS, JobInput, SizeLimits, parse_job_input
from .upload import UploadedFile, UploadThingClient

log = logging.getLogger("worker_mochi")


class WorkerOutput(TypedDict):
    """The job output, per API.md "Worker output"."""

    url: str
    key: str
    frames: int
    fps: int
    width: int
    height: int
    seconds: float
    seed: int
    """The seed used: the request's, or the one drawn for it (so a render can be repeated)."""


class Generator(Protocol):
    def generate(
        self, request: JobInput, on_step: Callable[[int, int], None] | None = None
    ) -> tuple[Any, int]: ...


class Uploader(Protocol):
    def upload_video(
        self, path: Path, job_id: str, output_key: str | None = None
    ) -> UploadedFile: ...


ProgressReporter = Callable[[dict[str, Any], dict[str, Any]], None]
"""``(job, progress)``; in production ``runpod.serverless.progress_update``."""

DENOISING_SHARE = 0.9
"""Share of the reported progress that the denoising steps cover; decoding, encoding and
uploading make up the rest."""


def _runpod_progress(job: dict[str, Any], progress: dict[str, Any]) -> None:
    import runpod

    runpod.serverless.progress_update(job, progress)


@dataclass
class Worker:
    """Everything a job needs, built once per worker process."""

    generator: Generator | None
    uploader: Uploader | None
    limits: SizeLimits = PRODUCTION_LIMITS
    report_progress: ProgressReporter = _runpod_progress
    startup_error: WorkerError | None = None
    """Set when the model or the upload settings could not be loaded: every job then fails with
    it (after input validation) instead of the worker crash-looping with jobs stuck in queue."""
    work_dir: Path | None = field(default=None)
    upload_urls: UploadUrlClient = field(default_factory=UploadUrlClient)

    @classmethod
    def from_env(cls) -> Worker:
        settings = PipelineSettings.from_env()
        generator: MochiGenerator | None = None
        uploader: UploadThingClient | None = None
        startup_error: WorkerError | None = None
        if os.environ.get("UPLOADTHING_TOKEN"):
            try:
                uploader = UploadThingClient.from_env()
            except ValueError as error:
                startup_error = WorkerError(
                    ErrorCode.UPLOAD_FAILED, f"bad upload settings: {error}"
                )
        else:
            log.warning(
                "UPLOADTHING_TOKEN is not set: only jobs that carry an upload URL can deliver"
            )
        if startup_error is None:
            try:
                generator = MochiGenerator.load(settings)
            except WorkerError as error:
                startup_error = WorkerError(
                    error.code, f"the worker could not load the model: {error.message}"
                )
        if startup_error is not None:
            log.error("worker is unusable, every job will fail: %s", startup_error)
        return cls(
            generator=generator,
            uploader=uploader,
            limits=settings.size_limits,
            startup_error=startup_error,
        )

    def run(self, job: Mapping[str, Any]) -> WorkerOutput:
        """Process one RunPod job; raises :class:`WorkerError` on any failure."""
        job_id = str(job.get("id") or "")
        request = parse_job_input(job.get("input"), self.limits)
        if self.startup_error is not None:
            raise self.startup_error
        if self.generator is None:
            raise WorkerError(ErrorCode.MODEL_ERROR, "the worker is not initialised")
        if request.upload is None and self.uploader is None:
            raise WorkerError(
                ErrorCode.UPLOAD_FAILED,
                "nowhere to deliver the video: the job has no upload URL and UPLOADTHING_TOKEN "
                "is not set",
            )
        check_prompt = getattr(self.generator, "check_prompt", None)
        if check_prompt is not None:  # stand-in generators in tests have no tokenizer
            check_prompt(request)
        job_ref = dict(job)
        started = time.monotonic()
        log.info(
            "job %s: %d frames %dx%d, %d steps, cfg %s",
            job_id,
            request.num_frames,
            request.width,
            request.height,
            request.steps,
            request.cfg,
        )

        def on_step(done: int, total: int) -> None:
            self._progress(job_ref, "denoising", DENOISING_SHARE * done / total, done, total)

        frames, seed = self.generator.generate(request, on_step)
        log.info(
            "job %s: rendered with seed %d in %.1f s", job_id, seed, time.monotonic() - started
        )
        self._progress(job_ref, "encoding", 0.93, request.steps, request.steps)
        with tempfile.TemporaryDirectory(prefix="openv-", dir=self.work_dir) as folder:
            path = Path(folder) / "video.mp4"
            encode_mp4(frames, path, fps=FPS)
            self._progress(job_ref, "uploading", 0.96, request.steps, request.steps)
            if request.upload is not None:
                uploaded = self.upload_urls.put(path, request.upload)
            else:
                assert self.uploader is not None
                uploaded = self.uploader.upload_video(path, job_id, request.output_key)
        log.info("job %s: uploaded %s in %.1f s", job_id, uploaded.key, time.monotonic() - started)
        return WorkerOutput(
            url=uploaded.url,
            key=uploaded.key,
            frames=request.num_frames,
            fps=FPS,
            width=request.width,
            height=request.height,
            seconds=request.seconds,
            seed=seed,
        )

    def __call__(self, job: dict[str, Any]) -> dict[str, Any]:
        """The RunPod handler: the output, or ``{"error": "<code>: <message>"}``."""
        try:
            return dict(self.run(job))
        except WorkerError as error:
            failure = error
        except Exception as error:
            log.exception("job %s: unexpected failure", job.get("id"))
            failure = WorkerError(ErrorCode.MODEL_ERROR, f"{type(error).__name__}: {error}")
        log.error("job %s failed: %s", job.get("id"), failure)
        answer: dict[str, Any] = {"error": str(failure)}
        if failure.code in {ErrorCode.MODEL_ERROR, ErrorCode.OUT_OF_MEMORY}:
            # A CUDA error can leave the process unusable, and an OOM a fragmented allocator:
            # let RunPod start a fresh worker.
            answer["refresh_worker"] = True
        return answer

    def _progress(
        self, job: dict[str, Any], stage: str, progress: float, step: int, steps: int
    ) -> None:
        payload = {"stage": stage, "progress": round(progress, 4), "step": step, "steps": steps}
        try:
            self.report_progress(job, payload)
        except Exception:  # progress is best effort; it must never fail the job
            log.warning("job %s: could not report progress", job.get("id"), exc_info=True)


_worker: Worker | None = None


def handler(job: dict[str, Any]) -> dict[str, Any]:
    """Module-level handler for RunPod; the worker (and model) is built on first use."""
    global _worker
    if _worker is None:
        _worker = Worker.from_env()
    return _worker(job)


def main() -> None:
    import runpod

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    global _worker
    _worker = Worker.from_env()  # load the model before taking the first job
    runpod.serverless.start({"handler": handler})


if __name__ == "__main__":
    sys.exit(main())
