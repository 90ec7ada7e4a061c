"""Delivery to an upload URL from the job input (self-hosting without UploadThing)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from worker_mochi.deliver import UploadUrlClient
from worker_mochi.errors import ErrorCode, WorkerError
from worker_mochi.handler import Worker
from worker_mochi.pipeline import MochiGenerator, PipelineSettings
from worker_mochi.schema import UploadTarget, parse_job_input
from worker_mochi.upload import RetryPolicy

from .conftest import SleepRecorder
from .scenarios import FlatGenerator, ProgressRecorder
from .test_handler import TINY_INPUT


@dataclass
class Receiver:
    """A server's upload route: answers ``answers`` first, then stores and answers {url, key}."""

    url: str = ""
    answers: list[int] = field(default_factory=list)
    bodies: list[tuple[str, str, bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = state.answers.pop(0) if state.answers else 201
            answer = b"{}"
            if status == 201:
                state.bodies.append((self.path, self.headers["content-type"], body))
                answer = json.dumps(
                    {"url": f"{state.url}/files/v1-0.mp4", "key": "v1-0.mp4"}
                ).encode()
            self.send_response(status)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def client(sleeps: SleepRecorder) -> UploadUrlClient:
    return UploadUrlClient(retry=RetryPolicy(attempts=3, base_delay_s=0.01, sleep=sleeps))


def target(receiver: Receiver, max_bytes: int = 10_000_000) -> dict[str, Any]:
    return {"url": f"{receiver.url}/api/worker-uploads/v1/0?token=secret", "max_bytes": max_bytes}


def test_a_job_with_an_upload_url_puts_the_mp4_there_without_uploadthing(
    receiver: Receiver, tiny_generator: MochiGenerator, tiny_settings: PipelineSettings
) -> None:
    worker = Worker(tiny_generator, None, tiny_settings.size_limits, ProgressRecorder())
    output = worker({"id": "job-put", "input": {**TINY_INPUT, "upload": target(receiver)}})
    assert output["url"] == f"{receiver.url}/files/v1-0.mp4"
    assert output["key"] == "v1-0.mp4"
    assert output["seed"] == TINY_INPUT["seed"]
    [(path, content_type, body)] = receiver.bodies
    assert path == "/api/worker-uploads/v1/0?token=secret"
    assert content_type == "video/mp4"
    assert body[4:8] == b"ftyp"


def test_5xx_is_retried_4xx_is_not_and_the_cap_holds(
    receiver: Receiver, tmp_path: Path, sleeps: SleepRecorder
) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00" * 100)
    receiver.answers = [503]
    assert client(sleeps).put(video, UploadTarget(**target(receiver))).key == "v1-0.mp4"
    assert len(sleeps.delays) == 1
    receiver.answers = [401]
    with pytest.raises(WorkerError, match=r"^upload_failed: uploading to the upload URL: HTTP 401"):
        client(sleeps).put(video, UploadTarget(**target(receiver)))
    with pytest.raises(WorkerError, match="over the upload URL's cap of 99 bytes"):
        client(sleeps).put(video, UploadTarget(**target(receiver, max_bytes=99)))
    assert len(receiver.bodies) == 1


def test_the_upload_field_is_strict() -> None:
    with pytest.raises(WorkerError, match=r"upload\.url"):
        parse_job_input({**TINY_INPUT, "upload": {"url": "file:///x", "max_bytes": 1}})
    with pytest.raises(WorkerError, match=r"upload\.max_bytes"):
        parse_job_input({**TINY_INPUT, "upload": {"url": "http://h/x", "max_bytes": "1"}})


def test_the_token_secret_never_reaches_the_error(receiver: Receiver, tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00")
    receiver.answers = [400]
    with pytest.raises(WorkerError) as caught:
        client(SleepRecorder()).put(video, UploadTarget(**target(receiver)))
    assert "secret" not in str(caught.value)
    assert caught.value.code is ErrorCode.UPLOAD_FAILED


def test_prompts_over_the_t5_window_are_refused_with_their_count(
    tiny_generator: MochiGenerator,
) -> None:
    limited = MochiGenerator(
        tiny_generator.pipe, tiny_generator.settings, 16, prompt_token_limit=16
    )
    request = parse_job_input(
        {**TINY_INPUT, "positive_prompt": "x" * 40}, limited.settings.size_limits
    )
    with pytest.raises(WorkerError) as caught:
        limited.check_prompt(request)
    assert str(caught.value) == (
        "invalid_input: positive_prompt: 41 T5 tokens, Mochi reads at most 16; shorten it"
    )
    short = parse_job_input(
        {**TINY_INPUT, "positive_prompt": "a cat"}, limited.settings.size_limits
    )
    limited.check_prompt(short)
    assert FlatGenerator is not None
