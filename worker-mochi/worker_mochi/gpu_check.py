"""GPU proof: ``scripts/gpu-check.sh [--dry-run] [--out FILE]`` writes JSON figures.

1. ``tiny_end_to_end``: the tiny random Mochi through the local runner on the device: render,
   encode, deliver (``PUT`` to an upload URL) and the completion webhook.
2. ``full_size``: Mochi 1 built from ``configs/mochi-1-preview`` (shipped, no download) with
   random weights in bf16. Always: parameters and resident bytes per sub-model. On CUDA: weights
   resident, per-step time and peak memory at 31 frames (8 steps + full decode) and 163 frames
   (2 steps + full decode), offload off and on, each scaled to 64 steps.
3. ``forced_oom`` (CUDA): a job under ``set_per_process_memory_fraction`` fails
   ``out_of_memory`` and the next job succeeds.

``--dry-run`` runs on CPU (CI): part 1 in full, part 2 on the meta device (sizes only), part 3
skipped. Needs nothing beyond the worker's own dependencies and no network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import torch

CONFIGS = Path(__file__).resolve().parent.parent / "configs" / "mochi-1-preview"
GIB = 2**30
EXPECTED_BF16_GIB = {"transformer": 18.7, "text_encoder": 9.1, "vae": 0.9}
"""The bf16 weight files' sizes (the issue's review); the configs must imply the same."""


class _Receiver:
    """The server's side on loopback: takes the PUT of the MP4 and the webhook."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.webhooks: list[dict[str, Any]] = []
        self.done = threading.Event()
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                data = self.rfile.read(int(self.headers.get("content-length", "0")))
                state.files[self.path] = data
                self._reply(201, {"url": f"{state.base}/files/video.mp4", "key": "video.mp4"})

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("content-length", "0")))
                state.webhooks.append(json.loads(data))
                state.done.set()
                self._reply(200, {"received": True})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def tiny_end_to_end(device: str) -> dict[str, Any]:
    import requests
    from aiohttp import web

    from .handler import Worker
    from .pipeline import MochiGenerator, PipelineSettings
    from .runner import Runner, RunnerSettings
    from .serve import build_app, webhook_poster

    env = {"MOCHI_TINY_RANDOM_MODEL": "1", "MOCHI_DEVICE": device, "MOCHI_DTYPE": "fp32"}
    started = time.monotonic()
    settings = PipelineSettings.from_env(env)
    worker = Worker(MochiGenerator.load(settings), None, settings.size_limits)
    load_s = time.monotonic() - started
    receiver = _Receiver()
    runner = Runner(worker, webhook_poster(), RunnerSettings(webhook_interval_s=1))
    worker.report_progress = runner.report_progress
    loop = asyncio.new_event_loop()
    app_runner = web.AppRunner(build_app(runner))
    loop.run_until_complete(app_runner.setup())
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = app_runner.addresses[0][1]
    threading.Thread(target=loop.run_forever, daemon=True).start()
    job_input = {
        "positive_prompt": "a lighthouse at dusk",
        "width": 64,
        "height": 64,
        "num_frames": 13,
        "steps": 4,
        "cfg": 4.5,
        "seed": 1,
        "upload": {"url": f"{receiver.base}/api/worker-uploads/v/0?token=t", "max_bytes": 10**8},
    }
    submitted = time.monotonic()
    answer = requests.post(
        f"http://127.0.0.1:{port}/v2/gpu-check/run",
        json={"input": job_input, "webhook": f"{receiver.base}/api/runpod/webhook"},
        timeout=10,
    ).json()
    delivered = receiver.done.wait(300)
    elapsed = time.monotonic() - submitted
    asyncio.run_coroutine_threadsafe(app_runner.cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    webhook = receiver.webhooks[0] if receiver.webhooks else {}
    mp4 = next(iter(receiver.files.values()), b"")
    return {
        "device": device,
        "ok": bool(delivered and webhook.get("status") == "COMPLETED" and mp4[4:8] == b"ftyp"),
        "job_id": answer.get("id"),
        "model_build_s": round(load_s, 2),
        "submit_to_webhook_s": round(elapsed, 2),
        "execution_ms": webhook.get("executionTime"),
        "mp4_bytes": len(mp4),
        "webhook_status": webhook.get("status"),
        "output": webhook.get("output"),
    }


def _build(name: str, device: torch.device) -> torch.nn.Module:
    config = json.loads((CONFIGS / name / "config.json").read_text())
    with torch.device(device):
        if name == "transformer":
            from diffusers import MochiTransformer3DModel

            return MochiTransformer3DModel.from_config(config)
        if name == "vae":
            from diffusers import AutoencoderKLMochi

            return AutoencoderKLMochi.from_config(config)
        from transformers import T5Config, T5EncoderModel

        return T5EncoderModel(T5Config(**config))


def full_size_sizes() -> dict[str, Any]:
    """Parameters and bf16 bytes per sub-model, built on the meta device (no memory)."""
    sizes: dict[str, Any] = {}
    for name, expected in EXPECTED_BF16_GIB.items():
        module = _build(name, torch.device("meta"))
        params = sum(p.numel() for p in module.parameters())
        gib = params * 2 / GIB
        sizes[name] = {
            "parameters": params,
            "bf16_gib": round(gib, 2),
            "expected_gib": expected,
            "matches": abs(gib - expected) / expected < 0.1,
        }
    return sizes


def _timed_run(pipe: Any, frames: int, steps: int) -> dict[str, Any]:
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    marks: list[float] = []
    started = time.perf_counter()

    def on_step(_pipe: Any, _step: int, _t: Any, _tensors: dict[str, Any]) -> dict[str, Any]:
        torch.cuda.synchronize()
        marks.append(time.perf_counter())
        return {}

    with torch.inference_mode():
        pipe(
            prompt="a lighthouse at dusk",
            width=848,
            height=480,
            num_frames=frames,
            num_inference_steps=steps,
            guidance_scale=4.5,
            output_type="np",
            max_sequence_length=256,
            callback_on_step_end=on_step,
            callback_on_step_end_tensor_inputs=[],
        )
    torch.cuda.synchronize()
    ended = time.perf_counter()
    step_times = [b - a for a, b in zip([started, *marks], marks, strict=False)][1:] or [
        marks[0] - started
    ]
    per_step = sum(step_times) / len(step_times)
    decode = ended - marks[-1]
    return {
        "frames": frames,
        "steps": steps,
        "per_step_s": round(per_step, 3),
        "decode_s": round(decode, 2),
        "total_s": round(ended - started, 2),
        "scaled_to_64_steps_s": round(per_step * 64 + decode + (marks[0] - started - per_step), 1),
        "peak_gib": round(torch.cuda.max_memory_allocated() / GIB, 2),
    }


def full_size_on_cuda(device: str) -> dict[str, Any]:
    from diffusers import FlowMatchEulerDiscreteScheduler, MochiPipeline

    from .pipeline import _allow_single_step_schedule
    from .tiny import build_tiny_tokenizer

    _allow_single_step_schedule()
    torch.cuda.reset_peak_memory_stats()
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        parts = {name: _build(name, torch.device(device)) for name in EXPECTED_BF16_GIB}
    finally:
        torch.set_default_dtype(previous)
    resident = torch.cuda.memory_allocated() / GIB
    for module in parts.values():
        module.eval()
    pipe = MochiPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=parts["vae"],
        text_encoder=parts["text_encoder"],
        tokenizer=build_tiny_tokenizer(),
        transformer=parts["transformer"],
    )
    pipe.vae.enable_tiling()
    figures: dict[str, Any] = {"weights_resident_gib": round(resident, 2), "runs": []}
    for offload in ("none", "model"):
        if offload == "model":
            pipe.enable_model_cpu_offload(device=device)
        for frames, steps in ((31, 8), (163, 2)):
            run = _timed_run(pipe, frames, steps)
            figures["runs"].append({"offload": offload, **run})
    return figures


def forced_oom(device: str) -> dict[str, Any]:
    from .handler import Worker
    from .pipeline import MochiGenerator, PipelineSettings

    receiver = _Receiver()
    settings = PipelineSettings.from_env(
        {"MOCHI_TINY_RANDOM_MODEL": "1", "MOCHI_DEVICE": device, "MOCHI_DTYPE": "fp32"}
    )
    worker = Worker(MochiGenerator.load(settings), None, settings.size_limits, lambda _j, _p: None)
    big = {
        "positive_prompt": "a storm",
        "width": 512,
        "height": 512,
        "num_frames": 163,
        "steps": 1,
        "cfg": 4.5,
        "upload": {"url": f"{receiver.base}/up", "max_bytes": 10**9},
    }
    total = torch.cuda.get_device_properties(torch.device(device)).total_memory
    allowed = torch.cuda.memory_allocated() + 64 * 2**20
    torch.cuda.set_per_process_memory_fraction(allowed / total)
    try:
        failed = worker({"id": "oom-1", "input": big})
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
    small = {**big, "width": 64, "height": 64, "num_frames": 7}
    after = worker({"id": "oom-2", "input": small})
    return {
        "ok": str(failed.get("error", "")).startswith("out_of_memory:") and "url" in after,
        "first_error": str(failed.get("error", ""))[:200],
        "refresh_worker": failed.get("refresh_worker", False),
        "next_job_completed": "url" in after,
    }


def run(dry_run: bool, log: Callable[[str], None]) -> dict[str, Any]:
    cuda = torch.cuda.is_available() and not dry_run
    device = "cuda" if cuda else "cpu"
    figures: dict[str, Any] = {
        "dry_run": dry_run,
        "device": device,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    log("tiny model end to end through the runner")
    figures["tiny_end_to_end"] = tiny_end_to_end(device)
    log("full-size Mochi from the shipped configs: sizes")
    figures["full_size_sizes"] = full_size_sizes()
    if cuda:
        log("full-size Mochi with random bf16 weights on the GPU: timings and memory")
        figures["full_size"] = full_size_on_cuda(device)
        log("forced out-of-memory, then a job that succeeds")
        figures["forced_oom"] = forced_oom(device)
    else:
        figures["full_size"] = {"skipped": "needs a CUDA GPU (this was a CPU dry run)"}
        figures["forced_oom"] = {"skipped": "needs a CUDA GPU (this was a CPU dry run)"}
    figures["ok"] = (
        bool(figures["tiny_end_to_end"]["ok"])
        and all(size["matches"] for size in figures["full_size_sizes"].values())
        and figures["forced_oom"].get("ok", True)
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpu-check")
    parser.add_argument("--dry-run", action="store_true", help="CPU only: what CI can run")
    parser.add_argument("--out", default="gpu-check.json")
    args = parser.parse_args(argv)
    started = time.monotonic()
    figures = run(args.dry_run, lambda line: print(f"[gpu-check] {line}", flush=True))
    figures["wall_s"] = round(time.monotonic() - started, 1)
    Path(args.out).write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
