from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from worker_mochi import handler as handler_module
from worker_mochi.handler import Worker
from worker_mochi.pipeline import MochiGenerator, PipelineSettings
from worker_mochi.schema import parse_job_input
from worker_mochi.upload import UploadThingClient

from .conftest import make_token
from .scenarios import CUDA_ERROR, OOM_MESSAGE, ProgressRecorder, error_scenarios
from .standin import APP_ID, UploadThingStandIn
from .videos import probe

TINY_INPUT: dict[str, Any] = {
    "positive_prompt": "a tiny test video",
    "negative_prompt": "blurry",
    "width": 64,
    "height": 64,
    "num_frames": 7,
    "steps": 4,
    "cfg": 4.5,
    "seed": 7,
}


def test_renders_encodes_and_uploads_end_to_end(
    tiny_generator: MochiGenerator,
    tiny_settings: PipelineSettings,
    uploader: UploadThingClient,
    standin: UploadThingStandIn,
    tmp_path: Path,
) -> None:
    progress = ProgressRecorder()
    worker = Worker(tiny_generator, uploader, tiny_settings.size_limits, progress)

    output = worker({"id": "job-e2e-1", "input": TINY_INPUT})

    assert set(output) == {"url", "key", "frames", "fps", "width", "height", "seconds", "seed"}
    assert output["url"] == f"https://{APP_ID}.ufs.sh/f/{output['key']}"
    assert (output["frames"], output["fps"], output["width"], output["height"]) == (7, 30, 64, 64)
    assert output["seconds"] == pytest.approx(7 / 30)

    stored = standin.files[output["key"]]
    assert stored.custom_id.startswith("openv-job-e2e-1-")
    video = tmp_path / "downloaded.mp4"
    video.write_bytes(stored.data)
    facts = probe(video)
    assert (facts.codec, facts.pix_fmt) == ("h264", "yuv420p")
    assert (facts.width, facts.height, facts.frames) == (64, 64, 7)
    assert facts.fps == pytest.approx(30)
    assert facts.moov_before_mdat

    denoising = [event for event in progress.events if event["stage"] == "denoising"]
    assert [event["step"] for event in denoising] == [1, 2, 3, 4]
    assert all(event["steps"] == 4 for event in denoising)
    fractions = [event["progress"] for event in progress.events]
    assert fractions == sorted(fractions)
    assert fractions[0] > 0
    assert fractions[-1] < 1
    assert [event["stage"] for event in progress.events[-2:]] == ["encoding", "uploading"]


def test_the_seed_is_applied(tiny_generator: MochiGenerator, tiny_settings: PipelineSettings):
    request = parse_job_input(TINY_INPUT, tiny_settings.size_limits)
    first, seed = tiny_generator.generate(request)
    again, _ = tiny_generator.generate(request)
    other, _ = tiny_generator.generate(request.model_copy(update={"seed": 8}))
    assert seed == 7
    assert first.shape == (7, 64, 64, 3)
    assert first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_a_missing_seed_is_drawn_at_random(
    tiny_generator: MochiGenerator, tiny_settings: PipelineSettings
) -> None:
    request = parse_job_input({**TINY_INPUT, "seed": None, "steps": 1}, tiny_settings.size_limits)
    _, seed = tiny_generator.generate(request)
    assert 0 <= seed < 2**32


def test_the_same_runpod_job_run_twice_delivers_twice(
    tiny_settings: PipelineSettings, uploader: UploadThingClient, standin: UploadThingStandIn
) -> None:
    """RunPod retries a job under the same id; UploadThing never takes a custom id twice (even
    after deleteFiles), so each attempt uploads under its own and both succeed."""
    from .scenarios import FlatGenerator

    worker = Worker(FlatGenerator(), uploader, tiny_settings.size_limits, ProgressRecorder())
    first = worker({"id": "job-again", "input": TINY_INPUT})
    second = worker({"id": "job-again", "input": TINY_INPUT})
    assert "error" not in first
    assert "error" not in second
    assert first["key"] != second["key"]
    assert {first["key"], second["key"]} <= set(standin.files)


@pytest.mark.parametrize("code", ["invalid_input", "out_of_memory", "upload_failed", "model_error"])
def test_every_failure_reports_its_code(
    code: str,
    tiny_settings: PipelineSettings,
    uploader: UploadThingClient,
    standin: UploadThingStandIn,
) -> None:
    scenarios = error_scenarios(
        uploader, tiny_settings, lambda: standin.fail("/ingest/", *[503] * 10)
    )
    worker, job_input = scenarios[code]
    result = worker({"id": f"job-{code}", "input": job_input})
    assert result["error"].startswith(f"{code}: ")
    assert result.get("refresh_worker", False) is (code in {"model_error", "out_of_memory"})
    assert set(result) <= {"error", "refresh_worker"}
    if code == "out_of_memory":
        assert OOM_MESSAGE in result["error"]
        assert "7 frames at 64x64" in result["error"]
    if code == "model_error":
        assert CUDA_ERROR in result["error"]
    if code != "upload_failed":
        assert standin.files == {}


def test_an_unexpected_exception_is_a_model_error(uploader: UploadThingClient) -> None:
    class Broken:
        def generate(self, *_args: Any, **_kwargs: Any) -> Any:
            raise KeyError("latents")

    result = Worker(Broken(), uploader, report_progress=ProgressRecorder())(
        {"id": "job-broken", "input": {"positive_prompt": "x"}}
    )
    assert result == {"error": "model_error: KeyError: 'latents'", "refresh_worker": True}


def test_a_failing_progress_report_does_not_fail_the_job(
    tiny_settings: PipelineSettings, uploader: UploadThingClient
) -> None:
    from .scenarios import FlatGenerator

    def broken_reporter(_job: dict[str, Any], _progress: dict[str, Any]) -> None:
        raise ConnectionError("progress endpoint down")

    worker = Worker(FlatGenerator(), uploader, tiny_settings.size_limits, broken_reporter)
    assert "url" in worker({"id": "job-p", "input": TINY_INPUT})


def test_startup_without_weights_fails_every_job_with_model_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, standin: UploadThingStandIn
) -> None:
    monkeypatch.setenv("UPLOADTHING_TOKEN", make_token())
    monkeypatch.setenv("UPLOADTHING_API_URL", standin.base_url)
    monkeypatch.setenv("MOCHI_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("MOCHI_DEVICE", "cpu")
    monkeypatch.delenv("MOCHI_TINY_RANDOM_MODEL", raising=False)
    worker = Worker.from_env()
    assert worker.generator is None
    # input is still validated first
    bad = worker({"id": "j1", "input": {"positive_prompt": ""}})
    assert bad["error"].startswith("invalid_input: ")
    result = worker({"id": "j2", "input": {"positive_prompt": "a cat"}})
    assert result["error"].startswith(
        f"model_error: the worker could not load the model: no Mochi weights in {tmp_path}"
    )
    assert result["refresh_worker"] is True


def test_without_upload_token_or_upload_url_a_job_fails_before_rendering(
    tiny_settings: PipelineSettings,
) -> None:
    from .scenarios import FlatGenerator

    generator = FlatGenerator()
    rendered: list[object] = []
    generator.generate = lambda request, on_step=None: rendered.append(request)  # type: ignore[method-assign]
    worker = Worker(generator, None, tiny_settings.size_limits, ProgressRecorder())
    result = worker({"id": "j", "input": TINY_INPUT})
    assert result["error"].startswith("upload_failed: nowhere to deliver the video")
    assert rendered == []


def test_module_handler_builds_the_worker_once(
    monkeypatch: pytest.MonkeyPatch, standin: UploadThingStandIn
) -> None:
    monkeypatch.setenv("UPLOADTHING_TOKEN", make_token())
    monkeypatch.setenv("UPLOADTHING_API_URL", standin.base_url)
    monkeypatch.setenv("MOCHI_TINY_RANDOM_MODEL", "1")
    monkeypatch.setenv("MOCHI_DTYPE", "fp32")
    monkeypatch.setenv("MOCHI_DEVICE", "cpu")
    monkeypatch.setattr(handler_module, "_worker", None)
    loads: list[PipelineSettings] = []
    real_load = MochiGenerator.load

    def counting_load(settings: PipelineSettings) -> MochiGenerator:
        loads.append(settings)
        return real_load(settings)

    monkeypatch.setattr(MochiGenerator, "load", staticmethod(counting_load))
    assert handler_module._worker is None
    first = handler_module.handler({"id": "a", "input": {**TINY_INPUT, "steps": 1}})
    assert handler_module._worker is not None
    handler_module._worker.report_progress = ProgressRecorder()
    second = handler_module.handler({"id": "b", "input": {**TINY_INPUT, "steps": 1}})
    assert "url" in first
    assert "url" in second
    assert len(loads) == 1
