"""``actorflow runs retry``: a failed run again, without redoing what succeeded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from actorflow.store import RunStore
from tests.cli.cli_helpers import assert_one_line_error
from tests.store.retry_agents import calls, workflow

AGENTS = "tests.store.retry_agents:register"

Invoke = Callable[..., Result]


@pytest.fixture
def failed(invoke: Invoke, tmp_path: Path, db: Path) -> str:
    """The id of a run whose stage c failed (a, b, e succeeded); the marker is gone."""
    path = tmp_path / "retried.json"
    path.write_text(json.dumps(workflow(tmp_path)), encoding="utf-8")
    (tmp_path / "fail").touch()
    result = invoke("run", str(path), "--input", '{"month": "2024-05"}', "--agents", AGENTS)
    assert result.exit_code == 1, result.output
    assert calls(tmp_path / "calls.txt") == ["a", "b", "e", "c"]
    (tmp_path / "fail").unlink()
    (tmp_path / "calls.txt").unlink()
    with RunStore(db) as store:
        (run,) = store.list_runs()
    return run.run_id


def _show(invoke: Invoke, run_id: str) -> dict[str, Any]:
    result = invoke("runs", "show", run_id, "--json")
    assert result.exit_code == 0, result.output
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def test_runs_retry_runs_the_failed_stages_and_reuses_the_others(
    invoke: Invoke, failed: str, tmp_path: Path, db: Path
) -> None:
    result = invoke("runs", "retry", failed[:12], "--agents", AGENTS)

    assert result.exit_code == 0, result.output
    assert calls(tmp_path / "calls.txt") == ["c", "d"]
    table = {line.split()[1]: line for line in result.stdout.splitlines() if "│" in line}
    assert {name for name, line in table.items() if "(reused)" in line} == {"a", "b", "e"}
    with RunStore(db) as store:
        (retry,) = store.list_runs(retries_of=failed)
        assert store.run_input(retry.run_id) == {"month": "2024-05"}
    shown = _show(invoke, retry.run_id)
    assert shown["run"]["retry_of"] == failed
    reused = {s["stage"] for s in shown["stages"] if s["reused"]}
    assert reused == {"a", "b", "e"}
    assert _show(invoke, failed)["retries"] == [retry.run_id]
    listed = json.loads(invoke("runs", "list", "--retries-of", failed[:12], "--json").stdout)
    assert [r["run_id"] for r in listed] == [retry.run_id]


def test_runs_retry_from_a_stage_reruns_exactly_it_and_its_downstream(
    invoke: Invoke, failed: str, tmp_path: Path, db: Path
) -> None:
    assert invoke("runs", "retry", failed, "--agents", AGENTS).exit_code == 0
    with RunStore(db) as store:
        (completed,) = store.list_runs(retries_of=failed)
    (tmp_path / "calls.txt").unlink()

    # Of the original, which failed at c: b's downstream and what did not succeed.
    assert invoke("runs", "retry", failed, "--from", "b", "--agents", AGENTS).exit_code == 0
    assert calls(tmp_path / "calls.txt") == ["b", "c", "d"]
    (tmp_path / "calls.txt").unlink()
    # Of the retry, which completed: e has nothing downstream of it.
    result = invoke("runs", "retry", completed.run_id, "--from", "e", "--agents", AGENTS)
    assert result.exit_code == 0, result.output
    assert calls(tmp_path / "calls.txt") == ["e"]


def test_runs_retry_takes_another_input(invoke: Invoke, failed: str, db: Path) -> None:
    result = invoke("runs", "retry", failed, "--input", '{"month": "2024-06"}', "--agents", AGENTS)

    assert result.exit_code == 0, result.output
    with RunStore(db) as store:
        (retry,) = store.list_runs(retries_of=failed)
        assert store.run_input(retry.run_id) == {"month": "2024-06"}


def test_runs_retry_of_an_unknown_run_exits_2(invoke: Invoke, failed: str) -> None:
    result = invoke("runs", "retry", "wf_nosuchrun", "--agents", AGENTS)

    assert_one_line_error(result, "cannot retry run 'wf_nosuchrun': no such run")


def test_runs_retry_from_an_unknown_stage_exits_2(invoke: Invoke, failed: str) -> None:
    result = invoke("runs", "retry", failed, "--from", "zz", "--agents", AGENTS)

    assert_one_line_error(result, "no such stage (its stages: a, b, e, c, d)")


def test_runs_retry_with_a_deleted_output_names_the_stage_and_exits_2(
    invoke: Invoke, failed: str, db: Path, tmp_path: Path
) -> None:
    with RunStore(db) as store:
        files = store.output_files(failed, "a")
        assert files
        for path in files:
            path.unlink()

    result = invoke("runs", "retry", failed, "--agents", AGENTS)

    assert_one_line_error(result, "the stored output of stage 'a' is missing", "--from a")
    assert calls(tmp_path / "calls.txt") == []
