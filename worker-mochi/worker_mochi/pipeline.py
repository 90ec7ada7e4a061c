"""Model loading and generation with diffusers' ``MochiPipeline``.

The pipeline is loaded once per worker (:meth:`MochiGenerator.load`) and reused by every job.
Settings come from the environment (:meth:`PipelineSettings.from_env`):

``MOCHI_MODEL_DIR``      directory with the Mochi 1 preview weights in diffusers layout; default:
                         ``/models/mochi-1-preview`` or a Hugging Face cache snapshot of
                         ``MOCHI_MODEL_ID`` (RunPod cached models), see :mod:`worker_mochi.weights`
``MOCHI_VARIANT``        weight file variant to load, default ``bf16``; empty for the fp32 files
``MOCHI_DTYPE``          ``bf16`` (default), ``fp16`` or ``fp32``
``MOCHI_DEVICE``         ``cuda`` (default when available) or ``cpu``
``MOCHI_OFFLOAD``        ``auto`` (default: from the GPU's memory), ``none``, ``model`` or
                         ``sequential`` (see :mod:`worker_mochi.placement`); ``MOCHI_CPU_OFFLOAD=1``
                         is the older spelling of ``model``
``MOCHI_VAE_TILING``     ``1`` (default) to decode the video in tiles; ``0`` is faster on big GPUs
``MOCHI_VAE_FP32``       ``1`` to decode in fp32 as Genmo does (diffusers notes a quality drop in
                         bf16); costs ~0.9 GiB more weights and about twice the decoder's
                         activation memory (estimate)
``MOCHI_SDPA_BACKEND``, ``MOCHI_CACHE``, ``MOCHI_CACHE_THRESHOLD``, ``MOCHI_COMPILE``
                         speed-ups, off by default (see :mod:`worker_mochi.placement`)
``MOCHI_TINY_RANDOM_MODEL``  ``1`` to build a tiny randomly initialised model instead of loading
                         weights (tests and local smoke runs only: it renders noise). It also
                         lowers the minimum width/height to 32 so 64x64 videos are accepted.
"""

from __future__ import annotations

import gc
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from . import placement
from .errors import ErrorCode, WorkerError
from .schema import PRODUCTION_LIMITS, TINY_TEST_LIMITS, JobInput, SizeLimits
from .weights import resolve_model_dir

log = logging.getLogger(__name__)

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}

StepCallback = Callable[[int, int], None]
"""Called after each denoising step with ``(steps_done, steps_total)``."""


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be 1 or 0, got {value!r}")


@dataclass(frozen=True)
class PipelineSettings:
    model_dir: Path
    device: str
    dtype: torch.dtype
    variant: str | None = "bf16"
    offload: str = "auto"
    vae_tiling: bool = True
    tiny_random_model: bool = False
    vae_fp32: bool = False
    sdpa_backend: str = "auto"
    cache: str = "none"
    cache_threshold: float = 0.05
    compile: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PipelineSettings:
        env = os.environ if environ is None else environ
        dtype_name = env.get("MOCHI_DTYPE", "bf16").strip().lower() or "bf16"
        if dtype_name not in _DTYPES:
            raise ValueError(f"MOCHI_DTYPE must be one of {sorted(_DTYPES)}, got {dtype_name!r}")
        device = env.get("MOCHI_DEVICE", "").strip() or (
            "cuda" if torch.cuda.is_available() else "cpu"
        )
        return cls(
            model_dir=resolve_model_dir(env),
            device=device,
            dtype=_DTYPES[dtype_name],
            variant=env.get("MOCHI_VARIANT", "bf16").strip() or None,
            offload=placement.offload_mode(env),
            vae_tiling=_flag(env, "MOCHI_VAE_TILING", default=True),
            tiny_random_model=_flag(env, "MOCHI_TINY_RANDOM_MODEL", default=False),
            vae_fp32=_flag(env, "MOCHI_VAE_FP32", default=False),
            sdpa_backend=placement.choice(
                env, "MOCHI_SDPA_BACKEND", placement.SDPA_BACKENDS, "auto"
            ),
            cache=placement.choice(env, "MOCHI_CACHE", placement.CACHE_MODES, "none"),
            cache_threshold=float(env.get("MOCHI_CACHE_THRESHOLD", "").strip() or 0.05),
            compile=_flag(env, "MOCHI_COMPILE", default=False),
        )

    @property
    def size_limits(self) -> SizeLimits:
        """Width/height limits for jobs: the contract's, except for the tiny test model."""
        return TINY_TEST_LIMITS if self.tiny_random_model else PRODUCTION_LIMITS


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA OOM, or an allocator failure on the host (CPU offload, CPU runs)."""
    if isinstance(error, torch.OutOfMemoryError):
        return True
    text = str(error).lower()
    return "out of memory" in text or "can't allocate memory" in text


class MochiGenerator:
    """A loaded ``MochiPipeline`` that turns a :class:`JobInput` into RGB frames."""

    def __init__(
        self,
        pipe: Any,
        settings: PipelineSettings,
        max_sequence_length: int = 256,
        prompt_token_limit: int | None = None,
    ) -> None:
        self.pipe = pipe
        self.settings = settings
        self.max_sequence_length = max_sequence_length
        self.prompt_token_limit = prompt_token_limit
        """Prompts longer than this many T5 tokens are refused (``None``: no check). The tiny
        model's character tokenizer reads 64, so its prompts are short: the rule is testable."""

    def check_prompt(self, request: JobInput) -> None:
        """Refuses a prompt Mochi would silently truncate: T5 reads ``max_sequence_length``
        (256) tokens, end-of-sequence included, and diffusers drops the rest with a log line.
        ``invalid_input`` names the count, so the user shortens the prompt instead of paying for
        a video of half of it."""
        if self.prompt_token_limit is None:
            return
        for field_name in ("positive_prompt", "negative_prompt"):
            text = getattr(request, field_name) or ""
            count = len(self.pipe.tokenizer(text, add_special_tokens=True).input_ids)
            if count > self.prompt_token_limit:
                raise WorkerError(
                    ErrorCode.INVALID_INPUT,
                    f"{field_name}: {count} T5 tokens, Mochi reads at most "
                    f"{self.prompt_token_limit}; shorten it",
                )

    @classmethod
    def load(cls, settings: PipelineSettings) -> MochiGenerator:
        """Load the weights (or build the tiny model) and place them per the settings.

        Raises :class:`WorkerError` ``model_error`` (or ``out_of_memory``) when that fails.
        """
        try:
            _allow_single_step_schedule()
            if settings.tiny_random_model:
                from .tiny import TINY_MAX_SEQUENCE_LENGTH, build_tiny_pipeline

                pipe = build_tiny_pipeline(dtype=settings.dtype)
                max_sequence_length = TINY_MAX_SEQUENCE_LENGTH
            else:
                pipe = _load_pretrained(settings)
                max_sequence_length = 256
            if settings.vae_fp32:
                pipe.vae.to(dtype=torch.float32)
            offload = placement.place(pipe, settings.device, settings.offload)
            if settings.vae_tiling:
                pipe.vae.enable_tiling()
            placement.enable_cache(pipe, settings.cache, settings.cache_threshold)
            if settings.compile:
                placement.compile_transformer(pipe)
        except WorkerError:
            raise
        except Exception as error:
            code = ErrorCode.OUT_OF_MEMORY if is_out_of_memory(error) else ErrorCode.MODEL_ERROR
            raise WorkerError(code, f"loading the model failed: {error}") from error
        log.info(
            "Mochi pipeline ready on %s (%s, offload=%s, vae_tiling=%s, vae_fp32=%s, tiny=%s)",
            settings.device,
            settings.dtype,
            offload,
            settings.vae_tiling,
            settings.vae_fp32,
            settings.tiny_random_model,
        )
        return cls(
            pipe,
            settings,
            max_sequence_length=max_sequence_length,
            prompt_token_limit=max_sequence_length,
        )

    def generate(
        self, request: JobInput, on_step: StepCallback | None = None
    ) -> tuple[npt.NDArray[np.uint8], int]:
        """Render the video. Returns ``(frames, seed)`` with frames as ``[F, H, W, 3]`` uint8.

        A missing seed is drawn at random (and returned, so it can be logged)."""
        seed = request.seed if request.seed is not None else secrets.randbelow(2**32)
        # A CPU generator gives the same initial noise for a seed on any device.
        generator = torch.Generator(device="cpu").manual_seed(seed)

        def on_step_end(
            _pipe: Any, step: int, _timestep: Any, _tensors: dict[str, Any]
        ) -> dict[str, Any]:
            if on_step is not None:
                on_step(step + 1, request.steps)
            return {}

        try:
            with torch.inference_mode(), placement.sdpa_backend(self.settings.sdpa_backend):
                result = self.pipe(
                    prompt=request.positive_prompt,
                    negative_prompt=request.negative_prompt or "",
                    width=request.width,
                    height=request.height,
                    num_frames=request.num_frames,
                    num_inference_steps=request.steps,
                    guidance_scale=request.cfg,
                    generator=generator,
                    output_type="latent" if self.settings.vae_fp32 else "np",
                    max_sequence_length=self.max_sequence_length,
                    callback_on_step_end=on_step_end,
                    callback_on_step_end_tensor_inputs=[],
                )
                frames = _decode_fp32(self.pipe, result.frames) if self.settings.vae_fp32 else None
        except WorkerError:
            raise
        except Exception as error:
            if is_out_of_memory(error):
                _release_memory()
                raise WorkerError(
                    ErrorCode.OUT_OF_MEMORY,
                    f"out of memory rendering {request.num_frames} frames at "
                    f"{request.width}x{request.height}: {error}",
                ) from error
            raise WorkerError(ErrorCode.MODEL_ERROR, f"generation failed: {error}") from error
        return _to_uint8(result.frames if frames is None else frames, request), seed


def _allow_single_step_schedule() -> None:
    """The contract allows ``steps`` = 1, but diffusers' Mochi sigma schedule divides by
    ``num_steps // 2`` and fails for one step. One step from pure noise is the schedule ``[1.0]``
    (the scheduler appends the final 0); every other step count keeps diffusers' schedule."""
    from diffusers.pipelines.mochi import pipeline_mochi

    original = pipeline_mochi.linear_quadratic_schedule
    if getattr(original, "openv_single_step", False):
        return

    def schedule(num_steps: int, threshold_noise: float, linear_steps: int | None = None) -> Any:
        if num_steps == 1 and linear_steps is None:
            return [1.0]
        return original(num_steps, threshold_noise, linear_steps)

    schedule.openv_single_step = True  # type: ignore[attr-defined]
    pipeline_mochi.linear_quadratic_schedule = schedule


def _decode_fp32(pipe: Any, latents: Any) -> Any:
    """The pipeline's own decode (denormalise, VAE, post-process) with latents and VAE in fp32."""
    vae = pipe.vae
    latents = latents.to(torch.float32)
    mean, std = getattr(vae.config, "latents_mean", None), getattr(vae.config, "latents_std", None)
    if mean is not None and std is not None:
        shape = (1, latents.shape[1], 1, 1, 1)
        mean_t = torch.tensor(mean).view(shape).to(latents.device, latents.dtype)
        std_t = torch.tensor(std).view(shape).to(latents.device, latents.dtype)
        latents = latents * std_t / vae.config.scaling_factor + mean_t
    else:
        latents = latents / vae.config.scaling_factor
    video = vae.decode(latents.to(next(vae.parameters()).device), return_dict=False)[0]
    return pipe.video_processor.postprocess_video(video, output_type="np")


def _load_pretrained(settings: PipelineSettings) -> Any:
    from diffusers import MochiPipeline

    if not (settings.model_dir / "model_index.json").is_file():
        raise WorkerError(
            ErrorCode.MODEL_ERROR,
            f"no Mochi weights in {settings.model_dir} (model_index.json missing); "
            "set MOCHI_MODEL_DIR, or enable RunPod's cached model genmo/mochi-1-preview",
        )
    return MochiPipeline.from_pretrained(
        str(settings.model_dir),
        dtype=settings.dtype,  # diffusers 0.42: torch_dtype= is deprecated
        variant=settings.variant,
        local_files_only=True,
    )


def _to_uint8(frames: Any, request: JobInput) -> npt.NDArray[np.uint8]:
    video = np.asarray(frames)
    if video.ndim == 5:  # [batch, frames, height, width, channels]
        video = video[0]
    expected = (request.num_frames, request.height, request.width, 3)
    if video.shape != expected:
        raise WorkerError(
            ErrorCode.MODEL_ERROR,
            f"the model returned frames of shape {video.shape}, not {expected}",
        )
    if not np.isfinite(video).all():
        raise WorkerError(ErrorCode.MODEL_ERROR, "the model returned NaN or infinite pixels")
    return (np.clip(video, 0.0, 1.0) * 255.0).round().astype(np.uint8)


def _release_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
