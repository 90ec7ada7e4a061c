from __future__ import annotations

from typing import Any

import pytest

from worker_mochi.errors import ErrorCode, WorkerError
from worker_mochi.schema import PRODUCTION_LIMITS, TINY_TEST_LIMITS, parse_job_input

BASE: dict[str, Any] = {"positive_prompt": "a red fox running through snow"}


def test_defaults_match_the_contract() -> None:
    request = parse_job_input(BASE)
    assert (request.width, request.height) == (848, 480)
    assert request.num_frames == 31
    assert request.steps == 64
    assert request.cfg == 4.5
    assert request.seed is None
    assert request.negative_prompt is None
    assert request.seconds == pytest.approx(31 / 30)


@pytest.mark.parametrize(
    "changes",
    [
        {"positive_prompt": "x"},
        {"positive_prompt": "x" * 2000},
        {"negative_prompt": "blurry"},
        {"negative_prompt": None},
        {"num_frames": 7},
        {"num_frames": 163},
        {"num_frames": 85},
        {"width": 256, "height": 1280},
        {"width": 1280, "height": 256},
        {"steps": 1},
        {"steps": 200},
        {"cfg": 0},
        {"cfg": 20},
        {"cfg": 7},
        {"seed": 0},
        {"seed": 4294967295},
        {"seed": None},
    ],
)
def test_accepts_values_inside_the_limits(changes: dict[str, Any]) -> None:
    request = parse_job_input({**BASE, **changes})
    for name, value in changes.items():
        assert getattr(request, name) == value


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"positive_prompt": ""}, "positive_prompt: String should have at least 1 character"),
        ({"positive_prompt": "x" * 2001}, "positive_prompt: String should have at most 2000"),
        ({"positive_prompt": 5}, "positive_prompt: Input should be a valid string"),
        ({"negative_prompt": "x" * 2001}, "negative_prompt: String should have at most 2000"),
        ({"num_frames": 6}, "num_frames: Input should be greater than or equal to 7"),
        ({"num_frames": 169}, "num_frames: Input should be less than or equal to 163"),
        ({"num_frames": 30}, "num_frames: (num_frames - 1) must be divisible by 6"),
        ({"num_frames": 31.0}, "num_frames: Input should be a valid integer"),
        ({"num_frames": "31"}, "num_frames: Input should be a valid integer"),
        ({"width": 240}, "width: must be a multiple of 16 between 256 and 1280 (got 240)"),
        ({"width": 1296}, "width: must be a multiple of 16 between 256 and 1280 (got 1296)"),
        ({"height": 481}, "height: must be a multiple of 16 between 256 and 1280 (got 481)"),
        ({"height": 64}, "height: must be a multiple of 16 between 256 and 1280 (got 64)"),
        ({"width": True}, "width: Input should be a valid integer"),
        ({"steps": 0}, "steps: Input should be greater than or equal to 1"),
        ({"steps": 201}, "steps: Input should be less than or equal to 200"),
        ({"cfg": -0.1}, "cfg: Input should be greater than or equal to 0"),
        ({"cfg": 20.5}, "cfg: Input should be less than or equal to 20"),
        ({"cfg": float("nan")}, "cfg: Input should be a finite number"),
        ({"seed": -1}, "seed: Input should be greater than or equal to 0"),
        ({"seed": 2**32}, "seed: Input should be less than or equal to 4294967295"),
        ({"seed": 1.5}, "seed: Input should be a valid integer"),
        ({"model": "mochi-1"}, "model: is not an accepted field"),
    ],
)
def test_rejects_values_outside_the_limits(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(WorkerError) as caught:
        parse_job_input({**BASE, **changes})
    assert caught.value.code is ErrorCode.INVALID_INPUT
    assert str(caught.value).startswith("invalid_input: ")
    assert message in str(caught.value)


def test_missing_prompt_and_non_object_input() -> None:
    with pytest.raises(WorkerError, match=r"^invalid_input: positive_prompt: is required$"):
        parse_job_input({})
    with pytest.raises(WorkerError, match=r"^invalid_input: input must be a JSON object$"):
        parse_job_input(None)


def test_lists_every_problem_at_once() -> None:
    with pytest.raises(WorkerError) as caught:
        parse_job_input({**BASE, "steps": 0, "width": 100, "num_frames": 8})
    text = str(caught.value)
    assert "steps:" in text
    assert "width:" in text
    assert "num_frames:" in text


def test_tiny_limits_only_relax_the_minimum_size() -> None:
    assert parse_job_input({**BASE, "width": 64, "height": 64}, TINY_TEST_LIMITS).width == 64
    assert TINY_TEST_LIMITS.maximum == PRODUCTION_LIMITS.maximum
    with pytest.raises(WorkerError, match="num_frames"):
        parse_job_input({**BASE, "width": 64, "height": 64, "num_frames": 8}, TINY_TEST_LIMITS)
    with pytest.raises(WorkerError, match="width: must be a multiple of 16 between 256"):
        parse_job_input({**BASE, "width": 64, "height": 64})
