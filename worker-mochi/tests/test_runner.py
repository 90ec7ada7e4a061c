"""The RunPod-compatible local runner: RunPod's v2 API semantics over a handler."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from worker_mochi.handler import Worker
from worker_mochi.pipeline import MochiGenerator, PipelineSettings
from worker_mochi.runner import RunnerSettings
from worker_mochi.upload import UploadThingClient

from .runner_harness import FakeClock, RunningReceiver, RunningRunner, WebhookReceiver

FAST = RunnerSettings(queue_size=4, webhook_interval_s=0.01, min_execution_timeout_ms=50)


class SteppingHandler:
    """Reports progress like the real worker; each step waits for ``gate`` (set: run freely)."""

    def __init__(self, steps: int = 3) -> None:
        self.steps = steps
        self.gate = threading.Event()
        self.report: Callable[[dict[str, Any], dict[str, Any]], None] = lambda _j, _p: None
        self.started: list[str] = []
        self.unwound: list[str] = []
        self.forever = False

    def __call__(self, job: dict[str, Any]) -> dict[str, Any]:
        self.started.append(job["id"])
        step = 0
        try:
            while self.forever or step < self.steps:
                step += 1
                progress = round(0.9 * min(step, self.steps) / self.steps, 4)
                self.report(
                    job, {"stage": "denoising", "progress": progress, "step": step, "steps": 3}
                )
                self.gate.wait(30)
            if job["input"].get("fail"):
                return {
                    "error": "model_error: generation failed: a test fault",
                    "refresh_worker": True,
                }
            return {"url": f"https://files.example/{job['id']}.mp4", "frames": 7}
        except BaseException:
            self.unwound.append(job["id"])
            raise


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with RunningReceiver(WebhookReceiver()) as state:
        yield state


def serve(
    handler: SteppingHandler, settings: RunnerSettings = FAST, **kwargs: Any
) -> RunningRunner:
    running = RunningRunner(handler, settings, **kwargs)
    handler.report = running.runner.report_progress
    return running


def test_status_shows_progress_while_in_progress_then_the_output_and_a_webhook(
    receiver: WebhookReceiver,
) -> None:
    handler = SteppingHandler()
    with serve(handler) as api:
        job_id = api.run({"prompt": "x"}, webhook=receiver.url)
        running = api.wait_for(job_id, lambda job: job.get("output", {}).get("step") == 1)
        assert running["status"] == "IN_PROGRESS"
        assert running["output"] == {"stage": "denoising", "progress": 0.3, "step": 1, "steps": 3}
        handler.gate.set()
        done = api.wait_for(job_id, lambda job: job["status"] == "COMPLETED")
        assert done["output"] == {"url": f"https://files.example/{job_id}.mp4", "frames": 7}
        assert isinstance(done["delayTime"], int)
        assert isinstance(done["executionTime"], int)
        [body] = receiver.wait(1)
        assert body["id"] == job_id
        assert body["status"] == "COMPLETED"
        assert body["output"] == done["output"]
        assert receiver.paths == ["/api/runpod/webhook?token=t"]


def test_a_worker_failure_is_a_failed_job_with_the_error_string(receiver: WebhookReceiver) -> None:
    handler = SteppingHandler()
    handler.gate.set()
    with serve(handler) as api:
        job_id = api.run({"fail": True}, webhook=receiver.url)
        failed = api.wait_for(job_id, lambda job: job["status"] == "FAILED")
        assert failed["error"] == "model_error: generation failed: a test fault"
        assert "output" not in failed
        [body] = receiver.wait(1)
        assert (body["status"], body["error"]) == ("FAILED", failed["error"])


def test_one_job_at_a_time_from_a_bounded_queue() -> None:
    handler = SteppingHandler()
    with serve(handler, RunnerSettings(queue_size=1, webhook_interval_s=0.01)) as api:
        first = api.run({"n": 1})
        api.wait_for(first, lambda job: job["status"] == "IN_PROGRESS")
        second = api.run({"n": 2})
        refused = requests.post(f"{api.base_url}/run", json={"input": {"n": 3}}, timeout=5)
        assert refused.status_code == 429
        assert api.status(second).json()["status"] == "IN_QUEUE"
        assert handler.started == [first]
        handler.gate.set()
        api.wait_for(second, lambda job: job["status"] == "COMPLETED")
        assert handler.started == [first, second]


def test_cancel_stops_the_running_job_at_its_next_step_and_sends_no_webhook(
    receiver: WebhookReceiver,
) -> None:
    handler = SteppingHandler()
    handler.forever = True
    with serve(handler) as api:
        running = api.run({"n": 1}, webhook=receiver.url)
        queued = api.run({"n": 2}, webhook=receiver.url)
        api.wait_for(running, lambda job: job.get("output", {}).get("step") == 1)
        answer = requests.post(f"{api.base_url}/cancel/{running}", timeout=5)
        assert answer.json() == {"id": running, "status": "CANCELLED"}
        assert api.status(running).json()["status"] == "CANCELLED"
        handler.gate.set()  # the next progress report unwinds the handler
        handler.forever = False
        api.wait_for(queued, lambda job: job["status"] == "COMPLETED")
        assert handler.unwound == [running]
        assert api.status(running).json()["status"] == "CANCELLED"
        bodies = receiver.wait(1)
        assert [body["id"] for body in bodies] == [queued]


def test_a_cancelled_queued_job_never_runs() -> None:
    handler = SteppingHandler()
    with serve(handler) as api:
        first = api.run({"n": 1})
        api.wait_for(first, lambda job: job["status"] == "IN_PROGRESS")
        second = api.run({"n": 2})
        requests.post(f"{api.base_url}/cancel/{second}", timeout=5)
        third = api.run({"n": 3})
        handler.gate.set()
        api.wait_for(third, lambda job: job["status"] == "COMPLETED")
        assert handler.started == [first, third]
        assert requests.post(f"{api.base_url}/cancel/unknown", timeout=5).status_code == 404


def test_execution_timeout_stops_the_job_as_timed_out(receiver: WebhookReceiver) -> None:
    handler = SteppingHandler()
    handler.forever = True
    with serve(handler) as api:
        job_id = api.run({"n": 1}, webhook=receiver.url, policy={"executionTimeout": 200})
        timed_out = api.wait_for(job_id, lambda job: job["status"] == "TIMED_OUT")
        assert "execution timeout" in timed_out["error"]
        [body] = receiver.wait(1)
        assert body["status"] == "TIMED_OUT"
        handler.gate.set()
        handler.forever = False
        follower = api.run({"n": 2})
        api.wait_for(follower, lambda job: job["status"] == "COMPLETED")
        assert handler.unwound == [job_id]


def test_ttl_forgets_a_job_and_a_queued_job_past_it_never_runs() -> None:
    clock = FakeClock()
    handler = SteppingHandler()
    with serve(handler, clock=clock) as api:
        first = api.run({"n": 1}, policy={"ttl": 60_000})
        api.wait_for(first, lambda job: job["status"] == "IN_PROGRESS")
        late = api.run({"n": 2}, policy={"ttl": 10_000})
        kept = api.run({"n": 3}, policy={"ttl": 60_000})
        clock.advance(11)
        assert api.status(late).status_code == 404
        handler.gate.set()
        api.wait_for(kept, lambda job: job["status"] == "COMPLETED")
        assert late not in handler.started
        assert api.status(first).json()["status"] == "COMPLETED"
        clock.advance(60)
        assert api.status(first).status_code == 404
        assert api.status(first).json() == {"error": "request does not exist"}


def test_policy_and_body_are_checked() -> None:
    handler = SteppingHandler()
    with serve(handler, RunnerSettings()) as api:
        url = f"{api.base_url}/run"
        bad = requests.post(url, json={"input": {}, "policy": {"ttl": 5}}, timeout=5)
        assert (bad.status_code, "ttl" in bad.json()["error"]) == (400, True)
        assert requests.post(url, json={"nope": 1}, timeout=5).status_code == 400
        assert requests.post(url, data=b"{", timeout=5).status_code == 400
        webhook = {"input": {}, "webhook": "file:///etc/passwd"}
        assert requests.post(url, json=webhook, timeout=5).status_code == 400


@pytest.mark.parametrize(
    ("answers", "deliveries"),
    [([500, 500, 500, 500], 3), ([503], 2), ([], 1)],
    ids=["gives-up-after-3", "retries-until-2xx", "once-when-accepted"],
)
def test_webhook_retries(answers: list[int], deliveries: int) -> None:
    receiver = WebhookReceiver(answers=list(answers))
    handler = SteppingHandler()
    handler.gate.set()
    with RunningReceiver(receiver), serve(handler) as api:
        job_id = api.run({"n": 1}, webhook=receiver.url)
        api.wait_for(job_id, lambda job: job["status"] == "COMPLETED")
        bodies = receiver.wait(deliveries)
        future = api.runner.idle()
        import asyncio

        asyncio.run_coroutine_threadsafe(future, api.loop).result(30)
        assert len(receiver.bodies) == deliveries
        assert all(body == bodies[0] for body in bodies)
        assert api.runner.get(job_id).webhook_deliveries == [*answers, 200][:deliveries]


def test_an_api_key_guards_every_route() -> None:
    handler = SteppingHandler()
    with serve(handler, api_key="k3y") as api:
        assert (
            requests.post(f"{api.base_url}/run", json={"input": {}}, timeout=5).status_code == 401
        )
        ok = requests.post(
            f"{api.base_url}/run",
            json={"input": {}},
            headers={"authorization": "Bearer k3y"},
            timeout=5,
        )
        assert ok.status_code == 200
        assert requests.get(f"{api.base_url}/health", timeout=5).status_code == 401


def test_the_real_worker_behind_the_runner(
    tiny_generator: MochiGenerator,
    tiny_settings: PipelineSettings,
    uploader: UploadThingClient,
    receiver: WebhookReceiver,
) -> None:
    worker = Worker(tiny_generator, uploader, tiny_settings.size_limits)
    seen: list[dict[str, Any]] = []
    with RunningRunner(worker, FAST) as api:
        report = api.runner.report_progress

        def recording(job: dict[str, Any], progress: dict[str, Any]) -> None:
            seen.append(dict(api.status(job["id"]).json()))
            report(job, progress)

        worker.report_progress = recording
        job_input = {
            "positive_prompt": "a tiny test video",
            "width": 64,
            "height": 64,
            "num_frames": 7,
            "steps": 2,
            "cfg": 4.5,
            "seed": 3,
        }
        job_id = api.run(job_input, webhook=receiver.url)
        done = api.wait_for(job_id, lambda job: job["status"] == "COMPLETED")
        assert done["output"]["frames"] == 7
        assert done["output"]["seed"] == 3
        [body] = receiver.wait(1)
        assert body["output"] == done["output"]
    in_progress = [view for view in seen if view["status"] == "IN_PROGRESS" and "output" in view]
    assert [view["output"]["stage"] for view in in_progress][:1] == ["denoising"]
