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
        {"steps": 100},
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
        ({"steps": 101}, "steps: Input should be less than or equal to 100"),
        ({"cfg": "4.5"}, "cfg: Input should be a valid number"),
        ({"cfg": True}, "cfg: Input should be a valid number"),
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


# frames x size -> inside the budget of 44,520 visual tokens ((frames-1)/6+1)*(w/16)*(h/16)?
BUDGET_TABLE = [
    (163, 848, 480, True),  # 28 * 53 * 30 = 44,520: exactly the budget
    (169, 848, 480, False),  # past the frame limit too
    (163, 864, 480, False),  # 28 * 54 * 30 = 45,360
    (31, 1280, 1280, True),  # 6 * 80 * 80 = 38,400
    (37, 1280, 1280, False),  # 7 * 80 * 80 = 44,800
    (163, 1280, 1280, False),  # ~179 k: the 16x case of the review
    (85, 1280, 720, False),  # 15 * 80 * 45 = 54,000
    (61, 1280, 720, True),  # 11 * 80 * 45 = 39,600
    (163, 480, 848, True),  # portrait, same count
    (7, 1280, 1280, True),
]


@pytest.mark.parametrize(("frames", "width", "height", "inside"), BUDGET_TABLE)
@pytest.mark.parametrize("steps", [1, 64, 100])
def test_the_compute_budget_table(
    frames: int, width: int, height: int, inside: bool, steps: int
) -> None:
    job = {**BASE, "num_frames": frames, "width": width, "height": height, "steps": steps}
    if inside:
        assert parse_job_input(job).num_frames == frames
        return
    with pytest.raises(WorkerError) as caught:
        parse_job_input(job)
    assert caught.value.code is ErrorCode.INVALID_INPUT
    if frames <= 163:
        assert "compute budget" in str(caught.value)
        assert "44,520" in str(caught.value)


def test_steps_over_the_budget_cap_are_refused() -> None:
    with pytest.raises(WorkerError, match="steps: Input should be less than or equal to 100"):
        parse_job_input({**BASE, "steps": 101})


def test_the_budget_comes_from_the_contract_file() -> None:
    import json

    from worker_mochi.schema import COMPUTE_BUDGET, CONTRACT_DIR

    data = json.loads((CONTRACT_DIR / "compute-budget.json").read_text())
    assert COMPUTE_BUDGET.max_visual_tokens == data["maxVisualTokens"] == 44_520
    assert COMPUTE_BUDGET.max_steps == data["maxSteps"]
    assert COMPUTE_BUDGET.visual_tokens(163, 848, 480) == 44_520
