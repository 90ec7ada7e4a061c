"""RunPod-compatible local runner: ``python -m worker_mochi.serve --port N [--tiny]``.

Serves RunPod's serverless v2 API on ``http://HOST:PORT/v2/<any endpoint id>/`` over the real
handler (:class:`worker_mochi.handler.Worker`), so an OpenV server runs against a GPU box (or a
laptop, with the tiny random model) with nothing but ``RUNPOD_BASE_URL=http://HOST:PORT/v2``:

``POST /v2/{endpoint}/run``          ``{input, webhook?, policy?: {executionTimeout, ttl}}``
``GET|POST /v2/{endpoint}/status/{id}``  RunPod's job object; the progress as ``output``
``POST /v2/{endpoint}/cancel/{id}``
``GET /v2/{endpoint}/health``        ``{jobs: {...}, workers: {...}}``

Job semantics are in :mod:`worker_mochi.runner`. The HTTP server is aiohttp's (``aiohttp.web``):
the ``runpod`` package already depends on aiohttp, so the runner adds no dependency, and one
asyncio loop serves requests, runs the queue and delivers webhooks (with aiohttp's client) while
the model works on its own thread.

Auth: with ``OPENV_RUNNER_API_KEY`` set, every request needs ``Authorization: Bearer <key>``
(the value the OpenV server sends as ``RUNPOD_API_KEY``); without it the runner accepts any key
and refuses to listen anywhere but loopback unless ``--host`` is given explicitly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from .runner import PolicyError, QueueFullError, Runner, RunnerSettings

log = logging.getLogger("worker_mochi.serve")

RUNNER_KEY: web.AppKey[Runner] = web.AppKey("runner", Runner)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _authorized(request: web.Request, api_key: str | None) -> bool:
    if not api_key:
        return True
    given = request.headers.get("authorization", "")
    given = given.removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), api_key.encode())


def build_app(runner: Runner, api_key: str | None = None) -> web.Application:
    """The aiohttp application over ``runner`` (its loop is started with the app)."""

    @web.middleware
    async def auth(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if not _authorized(request, api_key):
            return _error(401, "Unauthorized: a wrong or missing API key")
        return await handler(request)

    app = web.Application(middlewares=[auth], client_max_size=4 * 1024 * 1024)
    app[RUNNER_KEY] = runner

    async def run(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body is not JSON")
        if not isinstance(body, dict) or "input" not in body:
            return _error(400, "the body must be an object with an input")
        webhook = body.get("webhook")
        if webhook is not None and (
            not isinstance(webhook, str) or not webhook.startswith(("http://", "https://"))
        ):
            return _error(400, "webhook must be an http(s) URL")
        try:
            job = runner.submit(body["input"], webhook, body.get("policy"))
        except PolicyError as error:
            return _error(400, str(error))
        except QueueFullError as error:
            return _error(429, f"Too many requests: {error}")
        return web.json_response({"id": job.id, "status": job.status})

    async def status(request: web.Request) -> web.Response:
        job = runner.get(request.match_info["job_id"])
        if job is None:
            return _error(404, "request does not exist")
        return web.json_response(job.view(runner.now()))

    async def cancel(request: web.Request) -> web.Response:
        job = runner.cancel(request.match_info["job_id"])
        if job is None:
            return _error(404, "request does not exist")
        return web.json_response({"id": job.id, "status": job.status})

    async def health(_request: web.Request) -> web.Response:
        busy = runner.current is not None
        return web.json_response(
            {
                "jobs": runner.counts(),
                "workers": {"idle": 0 if busy else 1, "running": 1 if busy else 0},
            }
        )

    prefix = "/v2/{endpoint:[A-Za-z0-9_-]+}"
    app.router.add_post(f"{prefix}/run", run)
    app.router.add_get(f"{prefix}/status/{{job_id}}", status)
    app.router.add_post(f"{prefix}/status/{{job_id}}", status)
    app.router.add_post(f"{prefix}/cancel/{{job_id}}", cancel)
    app.router.add_get(f"{prefix}/health", health)

    async def lifecycle(_app: web.Application) -> Any:
        task = asyncio.create_task(runner.run_forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await runner.close()

    app.cleanup_ctx.append(lifecycle)
    return app


def webhook_poster(timeout_s: float = 30.0) -> Callable[[str, dict[str, Any]], Any]:
    """POSTs a webhook body with aiohttp; answers the HTTP status. The URL carries the server's
    per-video token, so it is never logged."""
    session: ClientSession | None = None

    async def post(url: str, body: dict[str, Any]) -> int:
        nonlocal session
        if session is None or session.closed:
            session = ClientSession(timeout=ClientTimeout(total=timeout_s))
        async with session.post(url, json=body) as response:
            await response.read()
            return response.status

    return post


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="worker_mochi.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default=None, help="default 127.0.0.1")
    parser.add_argument("--tiny", action="store_true", help="the tiny random Mochi (renders noise)")
    parser.add_argument("--queue-size", type=int, default=16)
    parser.add_argument("--webhook-attempts", type=int, default=3)
    parser.add_argument("--webhook-interval", type=float, default=10.0, help="seconds")
    parser.add_argument("--result-retention", type=float, default=1800.0, help="seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if environ is None else environ)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    api_key = env.get("OPENV_RUNNER_API_KEY") or None
    host = args.host or "127.0.0.1"
    if args.tiny:
        os.environ["MOCHI_TINY_RANDOM_MODEL"] = "1"
        os.environ.setdefault("MOCHI_DTYPE", "fp32")
    from .handler import Worker

    worker = Worker.from_env()
    if worker.startup_error is not None:
        log.error("the worker cannot take jobs: %s", worker.startup_error)
    runner = Runner(
        worker,
        webhook_poster(),
        RunnerSettings(
            queue_size=args.queue_size,
            webhook_attempts=args.webhook_attempts,
            webhook_interval_s=args.webhook_interval,
            result_retention_s=args.result_retention,
        ),
    )
    worker.report_progress = runner.report_progress
    log.info(
        "RunPod-compatible runner on http://%s:%d/v2/<endpoint>/ (%s model, auth %s)",
        host,
        args.port,
        "tiny random" if args.tiny else "Mochi 1",
        "on" if api_key else "off",
    )
    web.run_app(build_app(runner, api_key), host=host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
