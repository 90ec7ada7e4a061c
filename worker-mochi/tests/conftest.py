from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import torch

from worker_mochi.pipeline import MochiGenerator, PipelineSettings
from worker_mochi.upload import RetryPolicy, UploadThingClient, UploadThingToken

from .standin import API_KEY, APP_ID, RunningStandIn, UploadThingStandIn


def make_token(api_key: str = API_KEY, app_id: str = APP_ID) -> str:
    raw = json.dumps({"apiKey": api_key, "appId": app_id, "regions": ["sea1"]})
    return base64.b64encode(raw.encode()).decode()


class SleepRecorder:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def standin() -> Iterator[UploadThingStandIn]:
    with RunningStandIn() as state:
        yield state


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def uploader(standin: UploadThingStandIn, sleeps: SleepRecorder) -> UploadThingClient:
    return UploadThingClient(
        UploadThingToken.parse(make_token()),
        api_url=standin.base_url,
        timeout_s=5,
        retry=RetryPolicy(attempts=4, base_delay_s=0.01, sleep=sleeps),
    )


@pytest.fixture(scope="session")
def tiny_settings() -> PipelineSettings:
    return PipelineSettings.from_env(
        {"MOCHI_TINY_RANDOM_MODEL": "1", "MOCHI_DTYPE": "fp32", "MOCHI_DEVICE": "cpu"}
    )


@pytest.fixture(scope="session")
def tiny_generator(tiny_settings: PipelineSettings) -> MochiGenerator:
    torch.set_num_threads(2)
    return MochiGenerator.load(tiny_settings)
