"""Where the model lives (offload chosen from the GPU's memory) and the optional speed-ups.

Offload (``MOCHI_OFFLOAD``: ``auto`` (default), ``none``, ``model``, ``sequential``; the older
``MOCHI_CPU_OFFLOAD=1`` still means ``model``). bf16 weights are ~28.7 GiB (DiT 18.7, T5-XXL 9.1,
VAE 0.9), so ``auto`` picks by the GPU's total memory:

* >= 80 GB (H100, A100 80GB, H200): ``none`` - every sub-model resident, fastest.
* >= 40 GB (L40S, A6000, A100 40GB): ``model`` - one sub-model on the GPU at a time (T5, then the
  DiT, then the VAE); costs the transfers between them (estimate: seconds per job).
* below (24 GB cards): ``sequential`` - layer by layer from host memory; slow (estimate: several
  times slower) but it fits.

Speed-ups, each off unless switched on, each with the gain its source reports (not measured here:
no GPU was available to this project's sessions; ``scripts/gpu-check.sh`` measures them):

``MOCHI_SDPA_BACKEND``  ``cudnn`` / ``flash`` / ``efficient``: the attention kernel to prefer.
    PyTorch 2.5's release notes report the cuDNN SDPA backend up to 75% faster than
    FlashAttention-2 on H100.
``MOCHI_CACHE``         ``first_block`` (diffusers' FirstBlockCache, threshold
    ``MOCHI_CACHE_THRESHOLD``, default 0.05) or ``faster`` (FasterCache): skip transformer work
    between similar steps. ParaAttention's FBC reports ~1.5-2x on video DiTs at small quality cost;
    FasterCache's paper (arXiv 2410.19355) reports ~1.5x on video models.
``MOCHI_COMPILE``       ``1``: ``torch.compile`` the transformer (first job pays the compile).
    diffusers' docs report ~1.2-1.5x for DiT pipelines on H100.
``PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True`` (set in the Dockerfile): fewer OOMs from a
    fragmented allocator over long-lived workers (PyTorch's CUDA memory docs); not a speed-up.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import torch

log = logging.getLogger(__name__)

OFFLOAD_MODES = ("auto", "none", "model", "sequential")
CACHE_MODES = ("none", "first_block", "faster")
SDPA_BACKENDS = ("auto", "cudnn", "flash", "efficient", "math")

GB = 1_000_000_000
"""GPU classes are sold in decimal GB: an "80 GB" H100 reports ~85e9 bytes (79.1 GiB)."""


def offload_for_memory(total_bytes: int | None) -> str:
    """The offload mode for a GPU with ``total_bytes`` of memory (None: no GPU, nothing to do)."""
    if total_bytes is None or total_bytes >= 80 * GB:
        return "none"
    if total_bytes >= 40 * GB:
        return "model"
    return "sequential"


def gpu_memory_bytes(device: str) -> int | None:
    if not device.startswith("cuda") or not torch.cuda.is_available():
        return None
    return int(torch.cuda.get_device_properties(torch.device(device)).total_memory)


def offload_mode(env: Mapping[str, str]) -> str:
    value = env.get("MOCHI_OFFLOAD", "").strip().lower()
    if not value:
        legacy = env.get("MOCHI_CPU_OFFLOAD", "").strip().lower()
        value = "model" if legacy in {"1", "true", "yes", "on"} else "auto"
    if value not in OFFLOAD_MODES:
        raise ValueError(f"MOCHI_OFFLOAD must be one of {', '.join(OFFLOAD_MODES)}, got {value!r}")
    return value


def choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def place(pipe: Any, device: str, mode: str) -> str:
    """Puts ``pipe`` on ``device`` per ``mode`` (``auto`` resolved here); returns the mode used."""
    if mode == "auto":
        mode = offload_for_memory(gpu_memory_bytes(device))
    if mode == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif mode == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
    return mode


def enable_cache(pipe: Any, mode: str, threshold: float) -> None:
    if mode == "none":
        return
    from diffusers.hooks import FasterCacheConfig, FirstBlockCacheConfig

    if mode == "first_block":
        pipe.transformer.enable_cache(FirstBlockCacheConfig(threshold=threshold))
    else:
        pipe.transformer.enable_cache(
            FasterCacheConfig(
                spatial_attention_block_skip_range=2,
                spatial_attention_timestep_skip_range=(-1, 681),
                current_timestep_callback=lambda: pipe.current_timestep,
                attention_weight_callback=lambda _: 0.3,
                is_guidance_distilled=False,
            )
        )


def compile_transformer(pipe: Any) -> None:
    pipe.transformer = torch.compile(pipe.transformer, mode="max-autotune-no-cudagraphs")


@contextlib.contextmanager
def sdpa_backend(name: str) -> Iterator[None]:
    """Prefers one scaled-dot-product-attention kernel (falls back to the others where it cannot
    run) for the duration of a job."""
    if name == "auto":
        yield
        return
    from torch.nn.attention import SDPBackend, sdpa_kernel

    first = {
        "cudnn": SDPBackend.CUDNN_ATTENTION,
        "flash": SDPBackend.FLASH_ATTENTION,
        "efficient": SDPBackend.EFFICIENT_ATTENTION,
        "math": SDPBackend.MATH,
    }[name]
    order = [first] + [
        b
        for b in (SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH)
        if b != first
    ]
    with sdpa_kernel(order, set_priority=True):
        yield
