"""``actorflow runs list|show|export``: the run store's history from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from click.testing import Result

from actorflow.store import RunStore
from tests.cli.cli_helpers import FAILING_WORKFLOW, SALES_WORKFLOW

AGENTS = "tests.cli.cli_agents:register"

Invoke = Callable[..., Result]
WriteWorkflow = Callable[..., Path]


@pytest.fixture
def two_runs(invoke: Invoke, write_workflow: WriteWorkflow, db: Path) -> dict[str, str]:
    """One completed ``sales`` run and one failed ``doomed`` run: workflow -> run id."""
    assert invoke("run", str(write_workflow(SALES_WORKFLOW)), "--agents", AGENTS).exit_code == 0
    failing = write_workflow(FAILING_WORKFLOW, "failing.toml")
    assert invoke("run", str(failing), "--agents", AGENTS).exit_code == 1
    with RunStore(db) as store:
        return {run.workflow: run.run_id for run in store.list_runs()}


def test_runs_list_shows_runs_newest_first(invoke: Invoke, two_runs: dict[str, str]) -> None:
    result = invoke("runs", "list")

    assert result.exit_code == 0, result.output
    assert result.stdout.index(two_runs["doomed"]) < result.stdout.index(two_runs["sales"])
    assert "completed" in result.stdout
    assert "failed" in result.stdout


def test_runs_list_filters_by_status_and_workflow_and_limits(
    invoke: Invoke, two_runs: dict[str, str]
) -> None:
    failed = json.loads(invoke("runs", "list", "--status", "failed", "--json").stdout)
    assert [r["run_id"] for r in failed] == [two_runs["doomed"]]
    assert failed[0]["error"]["type"] == "ValueError"

    by_name = json.loads(invoke("runs", "list", "--workflow", "sales", "--json").stdout)
    assert [r["run_id"] for r in by_name] == [two_runs["sales"]]

    newest = json.loads(invoke("runs", "list", "--limit", "1", "--json").stdout)
    assert [r["run_id"] for r in newest] == [two_runs["doomed"]]


def test_runs_list_on_a_store_that_does_not_exist_says_so_and_creates_nothing(
    invoke: Invoke, db: Path
) -> None:
    result = invoke("runs", "list")

    assert result.exit_code == 0
    assert result.stdout.strip() == f"no runs recorded in {db}"
    assert not db.exists()
    assert json.loads(invoke("runs", "list", "--json").stdout) == []


def test_runs_show_gives_stages_attempts_and_errors(
    invoke: Invoke, two_runs: dict[str, str]
) -> None:
    sales = invoke("runs", "show", two_runs["sales"], "--events")
    doomed = invoke("runs", "show", two_runs["doomed"])

    assert sales.exit_code == 0, sales.output
    assert two_runs["sales"] in sales.stdout
    assert "attempt 1: failed" in sales.stdout  # the flaky stage's first attempt
    assert "RetryableError: attempt 1 hit a busy service" in sales.stdout
    assert "[100%] run completed in" in sales.stdout  # --events lists the events
    assert doomed.exit_code == 0
    assert "ValueError: the data makes no sense" in doomed.stdout
    assert "skipped" in doomed.stdout


def test_runs_show_json_is_the_stored_run_with_its_events(
    invoke: Invoke, two_runs: dict[str, str]
) -> None:
    document = json.loads(invoke("runs", "show", two_runs["sales"], "--json").stdout)

    assert document["run"]["status"] == "completed"
    assert [s["stage"] for s in document["stages"]] == ["sales", "flaky", "report", "chat"]
    assert document["events"][0]["type"] == "run_started"
    assert document["events"][-1]["type"] == "run_finished"


def test_runs_export_copies_the_stored_parquet_and_writes_csv_json_and_insights(
    invoke: Invoke, two_runs: dict[str, str], db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    run_id = two_runs["sales"]

    result = invoke("runs", "export", run_id, "--output", str(out))

    assert result.exit_code == 0, result.output
    assert f"exported run {run_id}: 9 files in {out}" in result.stdout
    with RunStore(db) as store:
        (stored,) = store.output_files(run_id, "sales")
    assert (out / "sales.records.parquet").read_bytes() == stored.read_bytes()
    assert pl.read_csv(out / "sales.records.csv", infer_schema=False)["amount"].to_list() == [
        "0.25",
        "1.25",
        "2.25",
        "3.25",
        "4.25",
    ]
    assert json.loads((out / "sales.json").read_text())["total"] == "11.25"
    assert (out / "report.md").read_text().startswith("# Sales")
    assert (out / "by_month.svg").exists()
    run = json.loads((out / "run.json").read_text())
    assert (run["run_id"], run["status"]) == (run_id, "completed")
    assert run["stages"]["flaky"]["attempts"] == 2


def test_runs_are_named_by_any_unique_prefix_of_their_id(
    invoke: Invoke, two_runs: dict[str, str], tmp_path: Path
) -> None:
    sales, doomed = two_runs["sales"], two_runs["doomed"]
    assert sales.startswith("wf_")
    shortest = next(n for n in range(4, 36) if not doomed.startswith(sales[:n]))

    shown = json.loads(invoke("runs", "show", sales[:shortest], "--json").stdout)
    assert shown["run"]["run_id"] == sales
    exported = invoke("runs", "export", sales[:shortest], "--output", str(tmp_path / "out"))
    assert exported.exit_code == 0, exported.output
    assert f"exported run {sales}:" in exported.stdout
    assert json.loads((tmp_path / "out" / "run.json").read_text())["run_id"] == sales
    listed = json.loads(invoke("runs", "list", sales[:shortest], "--json").stdout)
    assert [r["run_id"] for r in listed] == [sales]
    assert len(json.loads(invoke("runs", "list", "wf_", "--json").stdout)) == 2


def test_an_ambiguous_prefix_exits_2_listing_the_candidates(
    invoke: Invoke, two_runs: dict[str, str]
) -> None:
    for command in (("show", "wf_"), ("export", "wf_", "--output", "unused")):
        result = invoke("runs", *command)
        assert result.exit_code == 2, result.output
        assert "'wf_' is the start of several run ids" in result.stderr
        assert two_runs["sales"] in result.stderr
        assert two_runs["doomed"] in result.stderr
    unknown = invoke("runs", "show", "wf_nothing")
    assert unknown.exit_code == 2
    assert "unknown run id 'wf_nothing'" in unknown.stderr
