"""The job queue of the RunPod-compatible local runner (HTTP lives in :mod:`worker_mochi.serve`).

RunPod's serverless v2 semantics, as far as a client of ``/run``, ``/status`` and ``/cancel``
(and of the completion webhook) can observe them:

* ``/run`` answers ``{id, status: "IN_QUEUE"}`` at once; jobs run **one at a time** (one GPU, one
  loaded model) in submission order from a **bounded** queue (a full queue refuses with 429).
* While a job runs, ``/status`` shows ``IN_PROGRESS`` with the worker's latest progress object as
  ``output`` (what ``runpod.serverless.progress_update`` shows on RunPod).
* ``policy.executionTimeout`` (ms) stops a running job as ``TIMED_OUT``; ``policy.ttl`` (ms, from
  submission) drops the job: after it ``/status`` answers 404, and a job still queued never runs.
  A finished job's result is kept ``result_retention_s`` (RunPod: 30 minutes), then 404.
* ``/cancel`` marks the job ``CANCELLED`` at once. A running job is stopped at its next progress
  report (each denoising step, before encoding and before uploading): the handler's thread unwinds
  through :class:`JobStopped`, and the next job starts only once it has.
* A finished job (``COMPLETED``, ``FAILED``, ``TIMED_OUT``) with a ``webhook`` is POSTed there with
  the same body ``/status`` answers; a delivery that fails (no 2xx) is tried again, at most
  ``webhook_attempts`` deliveries ``webhook_interval_s`` apart (RunPod: 3 deliveries, 10 s apart).
  A cancelled job gets no webhook: whoever cancelled it knows.
* The handler's answer follows the RunPod SDK: a dict with ``error`` is a FAILED job with that
  error string (``refresh_worker`` is dropped), anything else is the output.

State lives in this process's memory only: a restart of the runner forgets every job, queued,
running or finished (a server that asks about one then gets 404 and treats it as lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("worker_mochi.runner")

TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"})
WEBHOOK_STATUSES = frozenset({"COMPLETED", "FAILED", "TIMED_OUT"})

# RunPod's policy bounds (ms): executionTimeout 5 s - 7 days, ttl 10 s - 7 days.
EXECUTION_TIMEOUT_MS = (5_000, 7 * 24 * 3_600_000)
TTL_MS = (10_000, 7 * 24 * 3_600_000)
DEFAULT_EXECUTION_TIMEOUT_MS = 600_000
DEFAULT_TTL_MS = 24 * 3_600_000

Handler = Callable[[dict[str, Any]], Mapping[str, Any]]
WebhookPoster = Callable[[str, dict[str, Any]], Awaitable[int]]
"""``(url, body) -> HTTP status``; raises on a network error."""


class JobStopped(BaseException):
    """Raised inside the handler's thread (from the progress reporter) to stop a cancelled or
    timed-out job. A ``BaseException`` so the handler's ``except Exception`` blocks let it pass."""


class QueueFullError(Exception):
    pass


class PolicyError(ValueError):
    pass


@dataclass
class Job:
    id: str
    input: Any
    webhook: str | None
    execution_timeout_s: float
    ttl_s: float
    submitted_at: float
    status: str = "IN_QUEUE"
    output: Any = None
    error: str | None = None
    progress: dict[str, Any] | None = None
    started_at: float | None = None
    finished_at: float | None = None
    stop: threading.Event = field(default_factory=threading.Event, repr=False)
    webhook_deliveries: list[int | str] = field(default_factory=list)
    """One entry per delivery try: the HTTP status, or the network error's name."""

    def view(self, now: float) -> dict[str, Any]:
        """The job as RunPod's ``/status`` (and webhook) body."""
        body: dict[str, Any] = {"id": self.id, "status": self.status}
        start = self.started_at if self.started_at is not None else now
        if self.status != "IN_QUEUE" or self.started_at is not None:
            body["delayTime"] = round((start - self.submitted_at) * 1000)
        if self.started_at is not None:
            end = self.finished_at if self.finished_at is not None else now
            body["executionTime"] = round((end - self.started_at) * 1000)
        if self.status == "IN_PROGRESS" and self.progress is not None:
            body["output"] = dict(self.progress)
        elif self.status == "COMPLETED":
            body["output"] = self.output
        if self.error is not None and self.status in {"FAILED", "TIMED_OUT"}:
            body["error"] = self.error
        body["workerId"] = "local-runner"
        return body


def _policy_seconds(
    policy: Mapping[str, Any], name: str, bounds: tuple[int, int], default: int
) -> float:
    value = policy.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PolicyError(f"policy.{name} must be a number of milliseconds")
    if not bounds[0] <= value <= bounds[1]:
        raise PolicyError(f"policy.{name} must be between {bounds[0]} and {bounds[1]} ms")
    return float(value) / 1000


@dataclass
class RunnerSettings:
    queue_size: int = 16
    webhook_attempts: int = 3
    webhook_interval_s: float = 10.0
    result_retention_s: float = 30 * 60.0
    min_execution_timeout_ms: int = EXECUTION_TIMEOUT_MS[0]
    """RunPod's floor (5 s); tests lower it to time a job out quickly."""


class Runner:
    """Jobs in memory, one at a time through ``handler`` on a worker thread."""

    def __init__(
        self,
        handler: Handler,
        post_webhook: WebhookPoster,
        settings: RunnerSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._handler = handler
        self._post_webhook = post_webhook
        self.settings = settings or RunnerSettings()
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._queue: deque[Job] = deque()
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mochi-job")
        self._deliveries: set[asyncio.Task[None]] = set()
        self.current: Job | None = None

    def now(self) -> float:
        return self._clock()

    # ── the API's operations ───────────────────────────────────────────────────────────────
    def submit(self, job_input: Any, webhook: str | None, policy: Mapping[str, Any] | None) -> Job:
        policy = policy or {}
        if not isinstance(policy, Mapping):
            raise PolicyError("policy must be an object")
        execution = _policy_seconds(
            policy,
            "executionTimeout",
            (self.settings.min_execution_timeout_ms, EXECUTION_TIMEOUT_MS[1]),
            DEFAULT_EXECUTION_TIMEOUT_MS,
        )
        ttl = _policy_seconds(policy, "ttl", TTL_MS, DEFAULT_TTL_MS)
        self._expire()
        if len(self._queue) >= self.settings.queue_size:
            raise QueueFullError(f"the queue holds {self.settings.queue_size} jobs already")
        job = Job(
            id=f"{uuid.uuid4()}-local",
            input=job_input,
            webhook=webhook,
            execution_timeout_s=execution,
            ttl_s=ttl,
            submitted_at=self._clock(),
        )
        self._jobs[job.id] = job
        self._queue.append(job)
        self._wake.set()
        log.info("job %s queued (%d waiting)", job.id, len(self._queue))
        return job

    def get(self, job_id: str) -> Job | None:
        self._expire()
        return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        job = self.get(job_id)
        if job is None or job.status in TERMINAL:
            return job
        job.stop.set()
        self._finish(job, "CANCELLED")
        if job in self._queue:
            self._queue.remove(job)
        log.info("job %s cancelled", job.id)
        return job

    def counts(self) -> dict[str, int]:
        self._expire()
        statuses = [job.status for job in self._jobs.values()]
        return {
            "completed": statuses.count("COMPLETED"),
            "failed": statuses.count("FAILED") + statuses.count("TIMED_OUT"),
            "inProgress": statuses.count("IN_PROGRESS"),
            "inQueue": statuses.count("IN_QUEUE"),
            "retried": 0,
        }

    # ── called from the handler's thread ──────────────────────────────────────────────────
    def report_progress(self, job: Mapping[str, Any], progress: dict[str, Any]) -> None:
        """The worker's progress reporter: records ``progress`` for ``/status`` and stops a job
        that was cancelled or ran past its execution timeout."""
        job_id = str(job.get("id"))
        state = self._jobs.get(job_id)
        current = self.current
        if state is None and current is not None and current.id == job_id:
            state = current  # dropped at its ttl while running: still stop it
        if state is None:
            return
        if state.stop.is_set():
            raise JobStopped(state.id)
        state.progress = dict(progress)

    # ── the loop ───────────────────────────────────────────────────────────────────────────
    async def run_forever(self) -> None:
        while True:
            job = self._next()
            if job is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            await self._run(job)

    async def close(self) -> None:
        for task in list(self._deliveries):
            task.cancel()
        for task in list(self._deliveries):
            with contextlib.suppress(BaseException):
                await task
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def idle(self) -> None:
        """Waits until webhook deliveries in flight are done (tests)."""
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    def _next(self) -> Job | None:
        self._expire()
        while self._queue:
            job = self._queue.popleft()
            if job.status == "IN_QUEUE":
                return job
        return None

    async def _run(self, job: Job) -> None:
        loop = asyncio.get_running_loop()
        job.status = "IN_PROGRESS"
        job.started_at = self._clock()
        self.current = job
        payload = {"id": job.id, "input": job.input}
        future = loop.run_in_executor(self._executor, self._call_handler, payload)
        try:
            try:
                answer = await asyncio.wait_for(asyncio.shield(future), job.execution_timeout_s)
            except TimeoutError:
                job.stop.set()
                job.error = f"execution timeout of {job.execution_timeout_s:g} s exceeded"
                self._finish(job, "TIMED_OUT")
                log.warning("job %s timed out", job.id)
                answer = await future  # one job at a time: wait until the thread has let go
            if job.status in TERMINAL:
                return  # cancelled or timed out meanwhile: the answer no longer counts
            if isinstance(answer, JobStopped):
                return
            if isinstance(answer, BaseException):
                job.error = f"model_error: the handler crashed: {type(answer).__name__}: {answer}"
                self._finish(job, "FAILED")
            elif isinstance(answer, Mapping) and answer.get("error"):
                job.error = str(answer["error"])
                self._finish(job, "FAILED")
            else:
                output = dict(answer) if isinstance(answer, Mapping) else answer
                if isinstance(output, dict):
                    output.pop("refresh_worker", None)
                job.output = output
                self._finish(job, "COMPLETED")
        finally:
            self.current = None

    def _call_handler(self, payload: dict[str, Any]) -> Any:
        try:
            return self._handler(payload)
        except JobStopped as stopped:
            return stopped
        except Exception as error:
            log.exception("job %s: the handler raised", payload["id"])
            return error

    def _finish(self, job: Job, status: str) -> None:
        if job.status in TERMINAL:
            return
        job.status = status
        job.finished_at = self._clock()
        log.info("job %s %s", job.id, status)
        if job.webhook and status in WEBHOOK_STATUSES:
            task = asyncio.get_running_loop().create_task(self._deliver(job))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, job: Job) -> None:
        assert job.webhook is not None
        body = job.view(self._clock())
        attempts = max(1, self.settings.webhook_attempts)
        for attempt in range(1, attempts + 1):
            try:
                status = await self._post_webhook(job.webhook, body)
            except Exception as error:
                job.webhook_deliveries.append(type(error).__name__)
                log.warning(
                    "job %s: webhook delivery %d failed: %s", job.id, attempt, type(error).__name__
                )
            else:
                job.webhook_deliveries.append(status)
                if 200 <= status < 300:
                    return
                log.warning("job %s: webhook delivery %d answered %d", job.id, attempt, status)
            if attempt < attempts:
                await asyncio.sleep(self.settings.webhook_interval_s)
        log.error("job %s: webhook not delivered after %d tries", job.id, attempts)

    def _expire(self) -> None:
        now = self._clock()
        for job_id, job in list(self._jobs.items()):
            past_ttl = now > job.submitted_at + job.ttl_s
            past_retention = (
                job.finished_at is not None
                and now > job.finished_at + self.settings.result_retention_s
            )
            if job is self.current and not past_ttl:
                continue
            if past_ttl or past_retention:
                if job.status not in TERMINAL:
                    job.stop.set()  # a running job past its ttl is stopped like a cancel
                del self._jobs[job_id]
                with contextlib.suppress(ValueError):
                    self._queue.remove(job)
