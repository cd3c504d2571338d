"""``actorflow serve``: refuses to expose itself, serves for real, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from actorflow.cli import cli
from actorflow.client import Client
from tests.processes import child_env

ACTORFLOW = str(Path(sys.executable).parent / "actorflow")


def test_serving_beyond_loopback_without_a_token_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("ACTORFLOW_API_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "r.db"), "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "token" in result.stderr.lower()
    assert "Traceback" not in result.output


def test_serve_answers_on_its_port_with_the_demo_workflow_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    proc = subprocess.Popen(
        [ACTORFLOW, "--db", str(tmp_path / "r.db"), "serve", "--port", "0", "--demo"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the server says it listens
        assert "serving on http://127.0.0.1:" in line, line + proc.stderr.read()
        url = line.split("serving on ", 1)[1].split()[0].rstrip("/")
        with urllib.request.urlopen(f"{url}/v1/health", timeout=10) as response:
            assert json.loads(response.read())["status"]
        with urllib.request.urlopen(f"{url}/v1/workflow-definitions", timeout=10) as response:
            assert "revenue" in response.read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0


def test_a_short_token_is_refused_in_one_line_with_exit_code_2(tmp_path: Path) -> None:
    # Reported: ACTORFLOW_API_TOKEN=short crashed serve with a traceback.
    env = {**os.environ, "ACTORFLOW_API_TOKEN": "short"}
    done = subprocess.run(
        [ACTORFLOW, "--db", str(tmp_path / "r.db"), "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # were the token accepted, the server would serve: bounded anyway
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "error: ACTORFLOW_API_TOKEN must be at least 8 characters long (it has 5); "
        "use a long random value\n"
    )
    assert "short" not in done.stderr  # nor is the token itself repeated


def serve_command(folder: Path, workflow: Path) -> list[str]:
    """``actorflow serve --workflow`` on any free port, its run store in ``folder``."""
    return [
        ACTORFLOW,
        "--db",
        str(folder / "r.db"),
        "serve",
        "--port",
        "0",
        "--workflow",
        str(workflow),
    ]


TABLE_WORKFLOW = """
name = "own"
[[stages]]
name = "sales"
agent = "table"
"""


def test_serve_runs_your_own_agents_given_with_agents(tmp_path: Path) -> None:
    workflow = tmp_path / "own.toml"
    workflow.write_text(TABLE_WORKFLOW, encoding="utf-8")
    proc = subprocess.Popen(
        [*serve_command(tmp_path, workflow), "--agents", "tests.cli.cli_agents:register"],
        cwd=tmp_path,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving on http://127.0.0.1:" in line, line + proc.stderr.read()
        url = line.split("serving on ", 1)[1].split()[0].rstrip("/")
        client = Client(url)
        assert "table" in client.agents().agents  # keyed by agent name (the seed's shape)
        done = client.execute("sales", workflow="own", timeout=60)
        assert done.status == "completed", done
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_serve_refuses_to_start_with_a_workflow_whose_agents_it_lacks(tmp_path: Path) -> None:
    workflow = tmp_path / "wf.toml"
    workflow.write_text(
        TABLE_WORKFLOW + '\n[[stages]]\nname = "sum"\nagent = "totals"\ndepends_on = ["sales"]\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        serve_command(tmp_path, workflow),
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,  # were it accepted, the server would serve: bounded anyway
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    errors = done.stderr.splitlines()
    assert len(errors) == 2, errors
    assert "stage 'sales', field 'agent': unknown agent 'table'" in errors[0]
    assert "stage 'sum', field 'agent': unknown agent 'totals'" in errors[1]
    assert all("workflow 'own'" in line for line in errors)
    assert "serving on" not in done.stdout
