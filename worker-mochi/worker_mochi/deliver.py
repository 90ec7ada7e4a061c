"""Delivery of the MP4 to an upload URL from the job input (no third-party account needed).

The OpenV server puts ``upload: {url, max_bytes}`` in the job input when its storage is its own
(local files, or S3 behind it): a single-use URL on the server's configured public origin, signed
for that video and attempt and capped at ``max_bytes``. The worker ``PUT``s the file there
(``content-type: video/mp4``) and the server answers ``{url, key}``: where it stored it, which
the worker returns as its output. Any HTTP endpoint with that answer works, so a self-hosted
receiver or an S3-compatible presigned ``PUT`` behind a small proxy fits the same mode.
UploadThing stays the default when the input names no upload URL.
"""

from __future__ import annotations

import json
from pathlib import Path

import requests

from .errors import ErrorCode, WorkerError
from .schema import UploadTarget
from .upload import RetryPolicy, UploadedFile, _redact, request_with_retries


class UploadUrlClient:
    """``PUT``s a file to an :class:`UploadTarget`, retrying network errors and 5xx."""

    def __init__(
        self,
        *,
        timeout_s: float = 300.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._retry = retry or RetryPolicy(attempts=4)
        self._session = session or requests.Session()

    def put(self, path: Path, target: UploadTarget) -> UploadedFile:
        data = path.read_bytes()
        if len(data) > target.max_bytes:
            raise WorkerError(
                ErrorCode.UPLOAD_FAILED,
                f"the video is {len(data)} bytes, over the upload URL's cap of "
                f"{target.max_bytes} bytes",
            )
        response = request_with_retries(
            self._session,
            self._retry,
            "PUT",
            target.url,
            what="uploading to the upload URL",
            data=data,
            headers={"content-type": "video/mp4"},
            timeout=self._timeout_s,
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        url = body.get("url") if isinstance(body, dict) else None
        key = body.get("key") if isinstance(body, dict) else None
        if not isinstance(url, str) or not isinstance(key, str) or not url or not key:
            raise WorkerError(
                ErrorCode.UPLOAD_FAILED,
                "uploading to the upload URL: expected {url, key}, got "
                f"{_redact(json.dumps(body) if body is not None else response.text[:200])[:300]}",
            )
        return UploadedFile(key=key, url=url, custom_id="")
