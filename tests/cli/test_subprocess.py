"""The installed ``actorflow`` script, run for real in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from actorflow.store import RunStore
from tests.cli.cli_helpers import FAILING_WORKFLOW, HERE, SALES_WORKFLOW
from tests.processes import REPO

ACTORFLOW = Path(sys.executable).parent / "actorflow"

pytestmark = pytest.mark.skipif(
    not ACTORFLOW.exists(), reason="the console script is not installed"
)


def actorflow(
    *args: str, cwd: Path, pythonpath: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTORFLOW_")}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(ACTORFLOW), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_script_runs_a_workflow_prints_json_writes_files_and_logs_json(
    tmp_path: Path,
) -> None:
    workflow = tmp_path / "sales.toml"
    workflow.write_text(SALES_WORKFLOW)
    db, out = tmp_path / "runs.db", tmp_path / "out"

    done = actorflow(
        "--db", str(db), "--log-level", "info", "--log-format", "json",
        "run", str(workflow), "--agents", "tests.cli.cli_agents:register", "--json",
        "--output", str(out), "--set", "month=2024-05",
        cwd=tmp_path, pythonpath=REPO,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # stdout holds the document and nothing else
    assert document["status"] == "completed"
    assert document["stages"]["sales"]["output"]["total"] == "11.25"
    assert document["stages"]["sales"]["output"]["records"]["csv"] == "sales.records.csv"
    assert pl.read_parquet(out / "sales.records.parquet").height == 5
    assert (out / "report.md").exists()
    assert json.loads((out / "run.json").read_text())["run_id"] == document["run_id"]
    # stderr: JSON log lines; the agent's carry the run, stage and agent.
    logs = [json.loads(line) for line in done.stderr.splitlines()]
    (hello,) = [line for line in logs if line["event"] == "chatty says hello"]
    assert (hello["run_id"], hello["stage"], hello["agent"]) == (
        document["run_id"],
        "chat",
        "chatty",
    )
    with RunStore(db) as store:
        assert [r.run_id for r in store.list_runs()] == [document["run_id"]]


def test_the_script_prints_plain_progress_lines_when_stdout_is_not_a_terminal(
    tmp_path: Path,
) -> None:
    workflow = tmp_path / "doomed.toml"
    workflow.write_text(FAILING_WORKFLOW)

    done = actorflow(
        "--db", str(tmp_path / "runs.db"),
        "run", str(workflow), "--agents", f"{HERE / 'cli_agents.py'}:register",
        cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("[  0%] run ")
    assert "[ 33%] sales succeeded in" in done.stdout
    assert "explode failed after 1 attempt: ValueError: the data makes no sense" in done.stdout
    assert "\x1b[" not in done.stdout  # no terminal codes in a pipe
    assert "Traceback" not in done.stdout + done.stderr


def test_the_script_reports_bad_input_in_one_line_with_exit_code_2(tmp_path: Path) -> None:
    done = actorflow(
        "--db", str(tmp_path / "runs.db"), "run", str(tmp_path / "missing.toml"), cwd=tmp_path
    )

    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ") and "cannot read workflow file" in line


def test_a_run_that_failed_in_one_process_is_retried_in_another(tmp_path: Path) -> None:
    from tests.store.retry_agents import calls, workflow

    path = tmp_path / "retried.json"
    path.write_text(json.dumps(workflow(tmp_path)), encoding="utf-8")
    db = str(tmp_path / "runs.db")
    agents = ("--agents", "tests.store.retry_agents:register")
    (tmp_path / "fail").touch()
    first = actorflow("--db", db, "run", str(path), "--json", *agents, cwd=tmp_path,
                      pythonpath=REPO)  # fmt: skip
    assert first.returncode == 1, first.stderr
    failed = json.loads(first.stdout)["run_id"]
    (tmp_path / "fail").unlink()
    (tmp_path / "calls.txt").unlink()

    # A new process: the reused stages' outputs come from the store's Parquet files.
    second = actorflow("--db", db, "runs", "retry", failed, "--json", *agents, cwd=tmp_path,
                       pythonpath=REPO)  # fmt: skip

    assert second.returncode == 0, second.stderr
    assert calls(tmp_path / "calls.txt") == ["c", "d"]
    document = json.loads(second.stdout)
    assert document["status"] == "completed"
    with RunStore(db) as store:
        (retry,) = store.list_runs(retries_of=failed)
        output = store.stage_output(retry.run_id, "d")
        reused = [s.stage for s in store.get_run(retry.run_id).stages if s.reused]  # type: ignore[union-attr]
    assert retry.run_id == document["run_id"]
    assert reused == ["a", "b", "e"]
    assert [row["stage"] for row in output.to_dicts()] == ["a", "b", "c", "d"]
