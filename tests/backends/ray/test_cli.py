"""``actorflow run --backend ray [--ray-address ADDR]``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ray")  # the Ray suite: skipped where Ray is not installed

from click.testing import CliRunner, Result

from actorflow.cli import cli
from actorflow.logging import reset_logging

pytestmark = pytest.mark.ray

WORKFLOW = """
name = "inline-on-ray"

[[stages]]
name = "extract"
agent = "extractor"

[[stages.params.sources]]
type = "inline"
name = "fixed"
records = [{ id = "1", revenue = "2.50" }, { id = "2", revenue = "3.00" }]
"""


@pytest.fixture(autouse=True)
def _unconfigure_logging() -> Iterator[None]:
    yield
    reset_logging()


def invoke(tmp_path: Path, *args: str) -> Result:
    workflow = tmp_path / "wf.toml"
    workflow.write_text(WORKFLOW, encoding="utf-8")
    return CliRunner().invoke(cli, ["--db", str(tmp_path / "runs.db"), "run", str(workflow), *args])


def test_run_with_backend_ray_runs_the_agents_on_ray(ray_cluster: Any, tmp_path: Path) -> None:
    result = invoke(tmp_path, "--backend", "ray", "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    document = json.loads(result.stdout)
    assert document["status"] == "completed"
    assert document["stages"]["extract"]["status"] == "succeeded"


def test_ray_address_without_the_ray_backend_is_refused(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--ray-address", "10.0.0.5:6379")
    assert result.exit_code == 2
    assert "error: --ray-address needs --backend ray" in result.stderr


def test_backend_ray_without_ray_installed_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    result = invoke(tmp_path, "--backend", "ray")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Runtime(backend='ray') needs Ray")
    assert "pip install 'actorflow[ray]'" in result.stderr
    assert "Traceback" not in result.output


def test_serve_ray_address_without_the_ray_backend_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "runs.db"), "serve", "--ray-address", "10.0.0.5:6379"]
    )
    assert result.exit_code == 2
    assert "error: --ray-address needs --backend ray" in result.stderr


def _post_json(url: str, body: object) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_serve_with_backend_ray_runs_api_submitted_workflows_on_the_cluster(
    ray_cluster: Any, tmp_path: Path
) -> None:
    """``actorflow serve --backend ray --ray-address`` in its own process, joining the
    suite's cluster as a second driver: its agents are Ray actors, and a run submitted
    over HTTP completes on them."""
    gcs = ray_cluster.get_runtime_context().gcs_address
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "actorflow"),
            "--db",
            str(tmp_path / "runs.db"),
            "serve",
            "--port",
            "0",
            "--backend",
            "ray",
            "--ray-address",
            gcs,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert process.stderr is not None
        assert "serving on http://127.0.0.1:" in line, process.stderr.read()
        url = line.split("serving on ")[1].split()[0]
        agents = _get_json(url + "v1/agents/capabilities")["agents"]
        assert {name: agent["backend"] for name, agent in agents.items()} == {
            "extractor": "ray",
            "processor": "ray",
            "insights": "ray",
        }
        accepted = _post_json(
            url + "v1/workflows/execute",
            {"task": "clean", "input_data": {"records": [{"id": "1", "revenue": "$2.50"}]}},
        )
        with urllib.request.urlopen(
            url + f"v1/workflows/{accepted['workflow_id']}/events", timeout=60
        ) as events:
            stream = events.read().decode()
        assert "event: run_finished" in stream
        status = _get_json(url + f"v1/workflows/{accepted['workflow_id']}/status")
        assert status["status"] == "completed", status
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.returncode == 0, err
