"""The API from the command line, the way its cURL examples use it."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from actorflow import Runtime
from actorflow.web import create_app
from tests.web.web_agents import RECORDS
from tests.web.web_server import ThreadedServer

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@pytest.fixture
def url(agents_runtime: Runtime) -> Iterator[str]:
    with ThreadedServer(lambda: create_app(agents_runtime, persist=False)) as server:
        yield server.url


def curl(*args: str) -> Any:
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "10", *args], capture_output=True, check=True, text=True
    )
    return json.loads(done.stdout)


def test_the_curl_examples_submit_poll_and_read_a_run(url: str) -> None:
    body = json.dumps({"task": "Clean and analyse revenue", "input_data": {"records": RECORDS}})
    started = curl(
        "-X", "POST", f"{url}/v1/workflows/execute",
        "-H", "Content-Type: application/json", "-d", body,
    )  # fmt: skip
    assert started["status"] == "processing"
    run_id = started["workflow_id"]

    deadline = time.monotonic() + 20
    status = curl(f"{url}/v1/workflows/{run_id}/status")
    while status["status"] == "processing":
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
        status = curl(f"{url}/v1/workflows/{run_id}/status")
    assert status["status"] == "completed"
    assert status["results"]["insights"]["totals"]["records"] == 2

    assert curl(f"{url}/v1/health")["status"] == "healthy"
    assert len(curl(f"{url}/v1/agents/capabilities")["agents"]) == 4
    assert len(curl(f"{url}/v1/workflows?status=completed&limit=10")) == 1
    events = subprocess.run(
        ["curl", "-sSN", "--max-time", "10", f"{url}/v1/workflows/{run_id}/events"],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    assert "event: run_finished" in events
