from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from worker_mochi.errors import ErrorCode, WorkerError
from worker_mochi.upload import (
    RetryPolicy,
    UploadThingClient,
    UploadThingToken,
    custom_id_for_job,
)

from .conftest import SleepRecorder, make_token
from .standin import APP_ID, DROP, UploadThingStandIn


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "video.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 10)
    return path


def test_uploads_with_a_custom_id_derived_from_the_job_id(
    uploader: UploadThingClient, standin: UploadThingStandIn, video: Path
) -> None:
    uploaded = uploader.upload_video(video, "job-123-e1")
    assert re.fullmatch(r"openv-job-123-e1-[0-9a-f]{12}", uploaded.custom_id)
    assert uploaded.url == f"https://{APP_ID}.ufs.sh/f/{uploaded.key}"
    stored = standin.files[uploaded.key]
    assert stored.data == video.read_bytes()
    assert stored.name == f"{uploaded.custom_id}.mp4"
    assert stored.custom_id == uploaded.custom_id


def test_the_same_job_id_run_twice_delivers_twice(
    uploader: UploadThingClient, standin: UploadThingStandIn, video: Path
) -> None:
    """A RunPod-retried job: UploadThing never takes a custom id twice, so each attempt has its
    own; both uploads succeed (the server deletes the file it replaces)."""
    first = uploader.upload_video(video, "job-1")
    second = uploader.upload_video(video, "job-1")
    assert first.custom_id != second.custom_id
    assert {first.key, second.key} <= set(standin.files)


@pytest.mark.parametrize(
    ("route", "faults"),
    [
        ("/v7/prepareUpload", [500, 502]),
        ("/v7/prepareUpload", [429]),
        ("/ingest/", [503, DROP, 504]),
    ],
)
def test_retries_network_errors_and_5xx_with_backoff(
    uploader: UploadThingClient,
    standin: UploadThingStandIn,
    sleeps: SleepRecorder,
    video: Path,
    route: str,
    faults: list[int],
) -> None:
    standin.fail(route, *faults)
    uploaded = uploader.upload_video(video, "job-retry")
    assert uploaded.key in standin.files
    assert len(sleeps.delays) == len(faults)
    assert sleeps.delays == sorted(sleeps.delays) or len(faults) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413])
def test_does_not_retry_other_4xx(
    uploader: UploadThingClient, standin: UploadThingStandIn, video: Path, status: int
) -> None:
    standin.fail("/v7/prepareUpload", status)
    with pytest.raises(WorkerError) as caught:
        uploader.upload_video(video, "job-4xx")
    assert caught.value.code is ErrorCode.UPLOAD_FAILED
    assert f"preparing upload: HTTP {status}" in str(caught.value)
    assert standin.count("POST", "/v7/prepareUpload") == 1


def test_gives_up_after_the_last_attempt(
    uploader: UploadThingClient, standin: UploadThingStandIn, sleeps: SleepRecorder, video: Path
) -> None:
    standin.fail("/ingest/", 503, 503, 503, 503, 503)
    with pytest.raises(WorkerError) as caught:
        uploader.upload_video(video, "job-down")
    text = str(caught.value)
    assert text.startswith("upload_failed: uploading file: HTTP 503")
    assert "gave up after 4 tries" in text
    assert "secret" not in text
    assert standin.count("PUT", "/ingest/") == 4
    assert len(sleeps.delays) == 3


def test_unreachable_api_is_an_upload_failure(video: Path, sleeps: SleepRecorder) -> None:
    client = UploadThingClient(
        UploadThingToken.parse(make_token()),
        api_url="http://127.0.0.1:9",  # discard port: connection refused
        retry=RetryPolicy(attempts=2, base_delay_s=0.01, sleep=sleeps),
    )
    with pytest.raises(WorkerError, match=r"^upload_failed: preparing upload: Connection"):
        client.upload_video(video, "job-x")


def test_wrong_api_key_fails_without_retry(
    standin: UploadThingStandIn, sleeps: SleepRecorder, video: Path
) -> None:
    client = UploadThingClient(
        UploadThingToken.parse(make_token(api_key="sk_wrong")),
        api_url=standin.base_url,
        retry=RetryPolicy(sleep=sleeps),
    )
    with pytest.raises(WorkerError, match=r"^upload_failed: preparing upload: HTTP 401"):
        client.upload_video(video, "job-x")
    assert sleeps.delays == []


def test_token_parsing() -> None:
    token = UploadThingToken.parse(make_token())
    assert token.app_id == APP_ID
    assert token.regions == ("sea1",)
    assert "sk_" not in repr(token)
    unpadded = make_token().rstrip("=")
    assert UploadThingToken.parse(f"'{unpadded}'") == token
    for bad in [
        "not base64 !!",
        base64.b64encode(b"[1]").decode(),
        base64.b64encode(b"{}").decode(),
    ]:
        with pytest.raises(ValueError, match="UPLOADTHING_TOKEN"):
            UploadThingToken.parse(bad)


def test_from_env() -> None:
    with pytest.raises(ValueError, match="UPLOADTHING_TOKEN is not set"):
        UploadThingClient.from_env({})
    client = UploadThingClient.from_env(
        {"UPLOADTHING_TOKEN": make_token(), "UPLOADTHING_UFS_HOST": "ufs.example"}
    )
    assert client.public_url("abc") == f"https://{APP_ID}.ufs.example/f/abc"


def test_custom_id_is_per_attempt_and_safe() -> None:
    assert custom_id_for_job("abc-123").startswith("openv-abc-123-")
    assert custom_id_for_job("a/b c").startswith("openv-a_b_c-")
    assert custom_id_for_job("abc") != custom_id_for_job("abc")
    with pytest.raises(WorkerError, match="invalid_input"):
        custom_id_for_job("")


def test_an_output_key_names_the_custom_id_and_the_url_the_server_adopts(
    uploader: UploadThingClient, video: Path
) -> None:
    """With the server's ``output_key`` the custom id stays in that attempt's namespace, is new for
    every upload (a job run twice delivers twice), and the URL names it."""
    first = uploader.upload_video(video, "job-1", "vid_abc-0.mp4")
    second = uploader.upload_video(video, "job-1", "vid_abc-0.mp4")
    for uploaded in (first, second):
        assert re.fullmatch(r"vid_abc-0-[0-9a-f]{12}\.mp4", uploaded.custom_id)
        assert uploaded.key == uploaded.custom_id
        assert uploaded.url.endswith(f"/f/{uploaded.custom_id}")
    assert first.custom_id != second.custom_id
