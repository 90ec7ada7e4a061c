"""Offload chosen from GPU memory, the fp32 VAE option and the speed-up switches."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from worker_mochi import placement
from worker_mochi.pipeline import MochiGenerator, PipelineSettings
from worker_mochi.schema import parse_job_input

from .test_handler import TINY_INPUT

GB = 1_000_000_000


@pytest.mark.parametrize(
    ("memory", "mode"),
    [
        (141 * GB, "none"),  # H200
        (int(79.1 * 2**30), "none"),  # H100 80GB as torch reports it (79.1 GiB)
        (80 * GB, "none"),
        (48 * GB, "model"),  # L40S, A6000
        (40 * GB, "model"),  # A100 40GB
        (24 * GB, "sequential"),  # 4090, L4, A10
        (None, "none"),  # CPU: nothing to offload to
    ],
)
def test_offload_is_chosen_from_the_gpus_memory(memory: int | None, mode: str) -> None:
    assert placement.offload_for_memory(memory) == mode


def test_offload_settings() -> None:
    assert PipelineSettings.from_env({}).offload == "auto"
    assert PipelineSettings.from_env({"MOCHI_CPU_OFFLOAD": "1"}).offload == "model"
    assert PipelineSettings.from_env({"MOCHI_OFFLOAD": "sequential"}).offload == "sequential"
    with pytest.raises(ValueError, match="MOCHI_OFFLOAD"):
        PipelineSettings.from_env({"MOCHI_OFFLOAD": "half"})
    with pytest.raises(ValueError, match="MOCHI_CACHE"):
        PipelineSettings.from_env({"MOCHI_CACHE": "magic"})
    with pytest.raises(ValueError, match="MOCHI_SDPA_BACKEND"):
        PipelineSettings.from_env({"MOCHI_SDPA_BACKEND": "fast"})


def test_fp32_vae_decode_renders_the_same_video(
    tiny_generator: MochiGenerator, tiny_settings: PipelineSettings
) -> None:
    request = parse_job_input({**TINY_INPUT, "steps": 2}, tiny_settings.size_limits)
    fp32 = MochiGenerator(
        tiny_generator.pipe,
        dataclasses.replace(tiny_settings, vae_fp32=True),
        tiny_generator.max_sequence_length,
    )
    plain, _ = tiny_generator.generate(request)
    decoded, _ = fp32.generate(request)
    assert decoded.shape == plain.shape == (7, 64, 64, 3)
    assert np.abs(decoded.astype(int) - plain.astype(int)).max() <= 1


def test_the_speed_up_switches_load_and_render(tiny_settings: PipelineSettings) -> None:
    settings = dataclasses.replace(tiny_settings, sdpa_backend="math", cache="first_block")
    generator = MochiGenerator.load(settings)
    request = parse_job_input({**TINY_INPUT, "steps": 3}, settings.size_limits)
    frames, seed = generator.generate(request)
    assert frames.shape == (7, 64, 64, 3)
    assert seed == TINY_INPUT["seed"]
