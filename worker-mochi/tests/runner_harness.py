"""The local runner on a loopback port in a background thread, and a webhook receiver (tests)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from aiohttp import web

from worker_mochi.runner import Handler, Runner, RunnerSettings
from worker_mochi.serve import build_app, webhook_poster


class FakeClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class RunningRunner:
    """``build_app`` served on 127.0.0.1:<free port> by its own event loop thread."""

    def __init__(
        self,
        handler: Handler,
        settings: RunnerSettings,
        api_key: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.loop = asyncio.new_event_loop()
        self.runner = Runner(handler, webhook_poster(timeout_s=5), settings, clock=clock)
        self._app = build_app(self.runner, api_key)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.base_url = ""

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._site_runner = web.AppRunner(self._app)
        self.loop.run_until_complete(self._site_runner.setup())
        site = web.TCPSite(self._site_runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        port = self._site_runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/v2/test-endpoint"
        self._ready.set()
        self.loop.run_forever()

    def __enter__(self) -> RunningRunner:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._site_runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def run(self, job_input: Any, **extra: Any) -> str:
        answer = requests.post(
            f"{self.base_url}/run", json={"input": job_input, **extra}, timeout=5
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "IN_QUEUE"
        return str(body["id"])

    def status(self, job_id: str) -> requests.Response:
        return requests.get(f"{self.base_url}/status/{job_id}", timeout=5)

    def wait_for(self, job_id: str, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Polls ``/status`` until ``predicate`` holds (gives up after 60 s)."""
        deadline = time.monotonic() + 60
        last: Any = None
        while time.monotonic() < deadline:
            answer = self.status(job_id)
            last = answer.json() if answer.status_code == 200 else answer.status_code
            if answer.status_code == 200 and predicate(last):
                return last
            time.sleep(0.02)
        raise AssertionError(f"job {job_id} never reached the expected state; last {last}")


@dataclass
class WebhookReceiver:
    """Answers each POST with the next status of ``answers`` (then 200) and records the bodies."""

    answers: list[int] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    url: str = ""
    received: threading.Condition = field(default_factory=threading.Condition)

    def wait(self, count: int) -> list[dict[str, Any]]:
        with self.received:
            assert self.received.wait_for(lambda: len(self.bodies) >= count, timeout=60), (
                f"{len(self.bodies)} webhook deliveries, expected {count}"
            )
            return list(self.bodies)


class RunningReceiver:
    def __init__(self, receiver: WebhookReceiver) -> None:
        state = receiver

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status = state.answers.pop(0) if state.answers else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
                with state.received:
                    state.bodies.append(json.loads(body))
                    state.paths.append(self.path)
                    state.received.notify_all()

        self.state = receiver
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        receiver.url = (
            f"http://127.0.0.1:{self._server.server_address[1]}/api/runpod/webhook?token=t"
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self.state

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
