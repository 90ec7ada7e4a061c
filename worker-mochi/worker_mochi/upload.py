"""Upload of the finished MP4 to UploadThing through its REST API (v7 upload flow).

The flow, per job:

1. ``POST {api}/v7/prepareUpload`` ``{fileName, fileSize, fileType, customId,
   contentDisposition}`` - answers ``{key, url}``: the file key and a presigned ingest URL.
2. ``PUT <url>`` with the file as ``multipart/form-data`` field ``file`` (what the official SDK
   sends); the ingest server answers ``{ufsUrl, ...}``.

Each upload has its own UploadThing *custom id* ``openv-<jobId>-<random>`` (file name the same
plus ``.mp4``): RunPod may run the same job id twice (a retried job), and UploadThing refuses (or
answers 500 to) a custom id that was used before, even after ``deleteFiles``
(pingdotgg/uploadthing#948, #888), so a deterministic id made a retried job render for minutes
and then fail ``upload_failed``. The file an earlier attempt stored is the server's to delete: it
knows which key it adopted and which it replaces. Each request is retried with exponential
backoff on network errors, 408, 429 and 5xx; other 4xx answers fail at once. Every failure
raises ``upload_failed``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import random
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from .errors import ErrorCode, WorkerError

DEFAULT_API_URL = "https://api.uploadthing.com"
DEFAULT_UFS_HOST = "ufs.sh"
UPLOADTHING_VERSION = "7.7.4"
"""The UploadThing SDK version whose wire format this client follows (sent as a header)."""

_RETRYABLE_STATUS = frozenset({408, 429})
_SECRET_QUERY = re.compile(r"(signature|token|x-ut-[a-z-]+)=[^&\s'\"]+", re.IGNORECASE)


@dataclass(frozen=True)
class UploadThingToken:
    """The decoded ``UPLOADTHING_TOKEN``: base64 JSON ``{apiKey, appId, regions}``."""

    api_key: str = field(repr=False)
    app_id: str
    regions: tuple[str, ...]

    @classmethod
    def parse(cls, raw: str) -> UploadThingToken:
        text = raw.strip().strip("'\"")
        try:
            decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
            data = json.loads(decoded)
        except (binascii.Error, ValueError) as error:
            raise ValueError("UPLOADTHING_TOKEN is not base64-encoded JSON") from error
        if not isinstance(data, dict):
            raise ValueError("UPLOADTHING_TOKEN must encode a JSON object")
        api_key, app_id, regions = data.get("apiKey"), data.get("appId"), data.get("regions")
        if not isinstance(api_key, str) or not api_key:
            raise ValueError("UPLOADTHING_TOKEN has no apiKey")
        if not isinstance(app_id, str) or not app_id:
            raise ValueError("UPLOADTHING_TOKEN has no appId")
        if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
            raise ValueError("UPLOADTHING_TOKEN has no regions list")
        return cls(api_key=api_key, app_id=app_id, regions=tuple(regions))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently each HTTP request is retried."""

    attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 20.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter before retry number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class UploadedFile:
    key: str
    url: str
    custom_id: str


def custom_id_for_job(job_id: str) -> str:
    """``openv-<jobId>-<random>``: a custom id used by this one upload attempt only."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", job_id)[:100]
    if not safe:
        raise WorkerError(ErrorCode.INVALID_INPUT, "the job has no id")
    return f"openv-{safe}-{secrets.token_hex(6)}"


def custom_id_for_output_key(output_key: str) -> str:
    """``<stem>-<random>.mp4`` for the server's ``<videoId>-<attempt>.mp4``: in the attempt's own
    namespace (the only one the server adopts from) and never reused, since UploadThing refuses a
    custom id that was deleted before (a job RunPod runs twice uploads twice)."""
    stem = output_key[: -len(".mp4")] if output_key.endswith(".mp4") else output_key
    return f"{stem}-{secrets.token_hex(6)}.mp4"


def _redact(text: str) -> str:
    return _SECRET_QUERY.sub(lambda match: f"{match.group(1)}=<redacted>", text)


class UploadThingClient:
    """Minimal UploadThing REST client: enough to store one video per job, idempotently."""

    def __init__(
        self,
        token: UploadThingToken,
        *,
        api_url: str = DEFAULT_API_URL,
        ufs_host: str = DEFAULT_UFS_HOST,
        timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self._token = token
        self._api_url = api_url.rstrip("/")
        self._ufs_host = ufs_host
        self._timeout_s = timeout_s
        self._retry = retry or RetryPolicy()
        self._session = session or requests.Session()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> UploadThingClient:
        """Build from ``UPLOADTHING_TOKEN`` (required), ``UPLOADTHING_API_URL`` (default
        ``https://api.uploadthing.com``) and ``UPLOADTHING_UFS_HOST`` (default ``ufs.sh``).
        Raises ``ValueError`` on a missing or malformed token: a deployment error the worker
        should refuse to start with, rather than fail every job."""
        env = os.environ if environ is None else environ
        raw = env.get("UPLOADTHING_TOKEN", "")
        if not raw:
            raise ValueError("UPLOADTHING_TOKEN is not set")
        return cls(
            UploadThingToken.parse(raw),
            api_url=env.get("UPLOADTHING_API_URL") or DEFAULT_API_URL,
            ufs_host=env.get("UPLOADTHING_UFS_HOST") or DEFAULT_UFS_HOST,
        )

    def public_url(self, key: str) -> str:
        return f"https://{self._token.app_id}.{self._ufs_host}/f/{key}"

    def upload_video(self, path: Path, job_id: str, output_key: str | None = None) -> UploadedFile:
        """Store ``path`` under a new custom id per upload: in the server's ``output_key``
        namespace when it names one (``<videoId>-<attempt>-<random>.mp4``), else
        ``openv-<jobId>-<random>.mp4``."""
        custom_id = (
            custom_id_for_output_key(output_key) if output_key else custom_id_for_job(job_id)
        )
        data = path.read_bytes()
        file_name = custom_id if custom_id.endswith(".mp4") else f"{custom_id}.mp4"

        prepared = self._call_api(
            "/v7/prepareUpload",
            {
                "fileName": file_name,
                "fileSize": len(data),
                "fileType": "video/mp4",
                "customId": custom_id,
                "contentDisposition": "inline",
            },
            what="preparing upload",
        )
        if isinstance(prepared.get("data"), list) and prepared["data"]:
            prepared = prepared["data"][0]
        key, presigned_url = prepared.get("key"), prepared.get("url")
        if not isinstance(key, str) or not isinstance(presigned_url, str):
            raise WorkerError(
                ErrorCode.UPLOAD_FAILED,
                f"preparing upload: unexpected answer {_redact(json.dumps(prepared))[:300]}",
            )

        response = self._request(
            "PUT",
            presigned_url,
            what="uploading file",
            files={"file": (file_name, data, "video/mp4")},
            headers={"Range": "bytes=0-", "x-uploadthing-version": UPLOADTHING_VERSION},
        )
        body = _json_object(response)
        if output_key:
            # The server knows its files by custom id: report the URL that names it.
            return UploadedFile(key=custom_id, url=self.public_url(custom_id), custom_id=custom_id)
        ufs_url = body.get("ufsUrl")
        url = ufs_url if isinstance(ufs_url, str) and ufs_url else self.public_url(key)
        return UploadedFile(key=key, url=url, custom_id=custom_id)

    def _call_api(self, route: str, payload: dict[str, Any], *, what: str) -> dict[str, Any]:
        response = self._request(
            "POST",
            f"{self._api_url}{route}",
            what=what,
            json=payload,
            headers={
                "x-uploadthing-api-key": self._token.api_key,
                "x-uploadthing-version": UPLOADTHING_VERSION,
            },
        )
        return _json_object(response, what=what)

    def _request(self, method: str, url: str, *, what: str, **kwargs: Any) -> requests.Response:
        return request_with_retries(
            self._session, self._retry, method, url, what=what, timeout=self._timeout_s, **kwargs
        )


def request_with_retries(
    session: requests.Session,
    retry: RetryPolicy,
    method: str,
    url: str,
    *,
    what: str,
    **kwargs: Any,
) -> requests.Response:
    """One HTTP call, retried with backoff on network errors, 408, 429 and 5xx; any failure is
    ``upload_failed`` with signed query parameters redacted."""
    attempts = max(1, retry.attempts)
    for attempt in range(1, attempts + 1):
        try:
            response = session.request(method, url, **kwargs)
        except requests.RequestException as error:
            failure = f"{what}: {type(error).__name__}: {error}"
        else:
            if response.status_code < 400:
                return response
            failure = f"{what}: HTTP {response.status_code}: {response.text[:300]}"
            if response.status_code < 500 and response.status_code not in _RETRYABLE_STATUS:
                raise WorkerError(ErrorCode.UPLOAD_FAILED, _redact(failure))
        if attempt == attempts:
            raise WorkerError(
                ErrorCode.UPLOAD_FAILED, _redact(f"{failure} (gave up after {attempts} tries)")
            )
        retry.sleep(retry.delay(attempt))
    raise AssertionError("unreachable")


def _json_object(response: requests.Response, *, what: str = "uploading file") -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise WorkerError(
            ErrorCode.UPLOAD_FAILED,
            f"{what}: expected a JSON object, got {_redact(response.text[:200])!r}",
        )
    return body
