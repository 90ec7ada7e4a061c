"""The one error type of the worker.

RunPod marks a job FAILED with the error string the handler returns. That string always starts
with a stable code followed by a colon (``"out_of_memory: CUDA out of memory while ..."``), so the
OpenV server can decide from the first word whether resubmitting the job can help.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable error codes; the first word of every error the worker reports."""

    INVALID_INPUT = "invalid_input"
    """The job input breaks the contract. Never retryable: the same input fails the same way."""

    OUT_OF_MEMORY = "out_of_memory"
    """The GPU (or host) ran out of memory. Retryable, the same rule as the server's
    (``packages/server/src/core/failure.ts``): every request is inside the compute budget and the
    worker picks its offload mode from the GPU's memory, so an OOM means a fragmented allocator, a
    neighbour on the GPU or a smaller card of the endpoint's list; the worker asks RunPod for a
    fresh process (``refresh_worker``) and the retry usually lands elsewhere."""

    UPLOAD_FAILED = "upload_failed"
    """The video was rendered but could not be stored (after the worker's own retries).
    Retryable: UploadThing outages are transient."""

    MODEL_ERROR = "model_error"
    """Loading or running the model (or encoding its frames) failed for any other reason,
    e.g. a CUDA error on a bad host. Retryable: another worker may well succeed."""


RETRYABLE_CODES: frozenset[ErrorCode] = frozenset(
    {ErrorCode.OUT_OF_MEMORY, ErrorCode.UPLOAD_FAILED, ErrorCode.MODEL_ERROR}
)
"""Codes for which the server may resubmit the job (see API.md, RunPod webhook)."""


class WorkerError(Exception):
    """An expected failure with a stable :class:`ErrorCode`; ``str()`` is ``"<code>: <msg>"``."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE_CODES
