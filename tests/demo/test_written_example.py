"""The revenue example as the user's own files: ``actorflow demo --workflow DIR`` writes a
workflow ``actorflow run`` runs as documented, with ``actorflow demo --api`` serving the
API it reads; an unset ``${VARIABLE}`` is named with how to set it."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from actorflow.cli import cli
from actorflow.demo import WORKFLOW_FILE

ACTORFLOW = str(Path(sys.executable).parent / "actorflow")


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """The folder ``actorflow demo --workflow`` wrote."""
    folder = tmp_path / "revenue"
    result = invoke("demo", "--workflow", str(folder))
    assert result.exit_code == 0, result.output
    assert f"actorflow run {folder / 'revenue.toml'} --input @{folder / 'input.json'}" in (
        result.stdout
    )
    return folder


@pytest.fixture
def demo_api() -> Iterator[str]:
    """``actorflow demo --api`` in a process of its own; yields the URL it prints."""
    process = subprocess.Popen(
        [ACTORFLOW, "demo", "--api"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        line = process.stdout.readline() if ready else ""
        assert line.startswith("export MEGAPHONE_URL=http://127.0.0.1:"), line
        yield line.strip().split("=", 1)[1]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_the_written_workflow_runs_with_the_demo_api(
    written: Path, demo_api: str, tmp_path: Path
) -> None:
    result = invoke(
        "--db",
        str(tmp_path / "runs.db"),
        "run",
        str(written / "revenue.toml"),
        "--input",
        f"@{written / 'input.json'}",
        "--output",
        str(tmp_path / "out"),
        env={"MEGAPHONE_URL": demo_api},
    )
    assert result.exit_code == 0, result.output
    assert "completed" in result.stdout
    assert (tmp_path / "out" / "process.records.csv").exists()
    assert (written / "data" / "audiomax.csv").read_bytes() == (
        WORKFLOW_FILE.parent / "data" / "audiomax.csv"
    ).read_bytes()


@pytest.mark.parametrize("command", ["run", "validate"])
def test_an_unset_variable_is_named_with_how_to_set_it(
    written: Path, tmp_path: Path, command: str
) -> None:
    result = invoke(
        "--db",
        str(tmp_path / "runs.db"),
        command,
        str(written / "revenue.toml"),
        env={"MEGAPHONE_URL": None},
    )
    assert result.exit_code == 2
    out = result.output
    assert "stage 'extract', field 'params.sources[0].url'" in out
    assert "MEGAPHONE_URL is not set" in out and "export MEGAPHONE_URL=" in out
    assert "actorflow demo --api" in out
    assert "must start with http" not in out


def test_the_bundled_workflow_names_both_of_its_variables(tmp_path: Path) -> None:
    result = invoke(
        "--db",
        str(tmp_path / "runs.db"),
        "run",
        str(WORKFLOW_FILE),
        env={"MEGAPHONE_URL": None, "DATA_DIR": None},
    )
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert "${MEGAPHONE_URL}" in lines[0] and "actorflow demo --api" in lines[0]
    assert "${DATA_DIR}" in lines[1] and "actorflow demo --workflow" in lines[1]


def test_a_variable_set_in_the_environment_is_filled_in(tmp_path: Path) -> None:
    workflow = tmp_path / "wf.json"
    workflow.write_text(
        '{"name": "${WF_NAME}", "stages": [{"name": "s", "agent": "extractor",'
        ' "params": {"sources": [{"type": "inline", "name": "i", "records": [{"a": 1}]}]}}]}',
        encoding="utf-8",
    )
    result = invoke("validate", str(workflow), env={"WF_NAME": "filled"})
    assert result.exit_code == 0, result.output
    assert "valid workflow 'filled'" in result.stdout
