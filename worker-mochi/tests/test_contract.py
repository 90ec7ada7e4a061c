"""The worker's output and error objects, pinned in contract/*.json.

The TypeScript side (@openv/protocol) parses the same files with its zod schemas, so a change
of shape on either side fails a test. Regenerate after an intended change with
``OPENV_UPDATE_CONTRACT=1 pytest tests/test_contract.py`` and update the TypeScript schemas.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from worker_mochi.errors import RETRYABLE_CODES, ErrorCode
from worker_mochi.handler import Worker
from worker_mochi.pipeline import PipelineSettings
from worker_mochi.upload import UploadThingClient

from .scenarios import CONTRACT_INPUT, FlatGenerator, ProgressRecorder, error_scenarios
from .scenarios import runpod_job_object as job_object
from .standin import UploadThingStandIn

CONTRACT_DIR = Path(__file__).resolve().parent.parent / "contract"
UPDATE = os.environ.get("OPENV_UPDATE_CONTRACT") == "1"


def check_fixture(name: str, actual: Any) -> None:
    path = CONTRACT_DIR / name
    if UPDATE:
        path.write_text(json.dumps(actual, indent=2) + "\n")
    assert json.loads(path.read_text()) == actual, f"{path} drifted from the worker's real output"


def test_worker_output_fixture(uploader: UploadThingClient) -> None:
    progress = ProgressRecorder()
    worker = Worker(FlatGenerator(), uploader, report_progress=progress)
    output = worker({"id": "contract-job-1", "input": CONTRACT_INPUT})
    assert list(output) == ["url", "key", "frames", "fps", "width", "height", "seconds", "seed"]
    assert isinstance(output["seconds"], float)
    check_fixture("worker-output.json", output)
    check_fixture(
        "worker-progress.json",
        {"id": "contract-job-1", "status": "IN_PROGRESS", "output": progress.events[31]},
    )


def test_worker_errors_fixture(
    uploader: UploadThingClient, standin: UploadThingStandIn, tiny_settings: PipelineSettings
) -> None:
    jobs = []
    scenarios = error_scenarios(
        uploader, tiny_settings, lambda: standin.fail("/ingest/", *[503] * 10)
    )
    for code in ErrorCode:
        worker, job_input = scenarios[code.value]
        job_id = f"contract-{code.value.replace('_', '-')}"
        jobs.append(job_object(job_id, worker({"id": job_id, "input": job_input})))
    assert [job["error"].split(":")[0] for job in jobs] == [code.value for code in ErrorCode]
    check_fixture("worker-errors.json", jobs)


def test_error_codes_fixture() -> None:
    check_fixture(
        "error-codes.json",
        [{"code": code.value, "retryable": code in RETRYABLE_CODES} for code in ErrorCode],
    )


@pytest.mark.parametrize(
    "name", ["worker-output.json", "worker-errors.json", "worker-progress.json", "error-codes.json"]
)
def test_fixtures_are_plain_json(name: str) -> None:
    json.loads((CONTRACT_DIR / name).read_text())
