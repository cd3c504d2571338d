"""``actorflow run``: progress lines, summary, insights, ``--json``, ``--output``, exit codes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import polars as pl
from click.testing import Result

from actorflow import Agent, Runtime, StageRequest
from actorflow.contracts import StageStarted
from actorflow.store import RunStore
from tests.cli import cli_agents
from tests.cli.cli_helpers import FAILING_WORKFLOW, SALES_WORKFLOW

AGENTS = "tests.cli.cli_agents:register"

Invoke = Callable[..., Result]
WriteWorkflow = Callable[..., Path]


def test_a_completed_run_prints_its_progress_summary_and_insights_and_exits_0(
    invoke: Invoke, write_workflow: WriteWorkflow, db: Path
) -> None:
    result = invoke("run", str(write_workflow(SALES_WORKFLOW)), "--agents", AGENTS)

    assert result.exit_code == 0, result.output
    out = result.stdout
    # Not a terminal: one plain line per event, in order, with the run's progress.
    assert "started: workflow 'sales', 4 stages (sales, flaky, report, chat)" in out
    assert "[ 12%] sales 50% half the rows" in out
    assert "flaky attempt 1 failed (RetryableError: attempt 1 hit a busy service)" in out
    assert "flaky succeeded in" in out
    assert "(2 attempts)" in out
    assert "[100%] run completed in" in out
    # The summary table, then the insights as Markdown.
    assert "records (5 records), total, month" in out
    assert "insights · report" in out
    assert "Total revenue was **11.25**." in out
    with RunStore(db) as store:
        (run,) = store.list_runs()
    assert run.status == "completed"
    assert f"run {run.run_id} completed" in out
    assert f"recorded in {db}" in out


def test_a_failed_run_exits_1_and_says_which_stage_failed_and_why(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    result = invoke("run", str(write_workflow(FAILING_WORKFLOW)), "--agents", AGENTS)

    assert result.exit_code == 1, result.output
    assert "explode failed after 1 attempt: ValueError: the data makes no sense" in result.stdout
    assert "report skipped" in result.stdout
    assert "run failed in" in result.stdout
    assert "Traceback" not in result.output


def test_json_prints_one_document_with_exact_money_and_nothing_else(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    result = invoke(
        "run", str(write_workflow(SALES_WORKFLOW)), "--agents", AGENTS, "--set", "month=2024-05"
    )
    assert result.exit_code == 0
    result = invoke(
        "run",
        str(write_workflow(SALES_WORKFLOW)),
        "--agents",
        AGENTS,
        "--json",
        "--input",
        '{"month": "2024-06", "min_revenue": 0.01}',
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert document["status"] == "completed"
    assert document["ok"] is True
    assert list(document["stages"]) == ["sales", "flaky", "report", "chat"]
    sales = document["stages"]["sales"]
    assert sales["output"]["total"] == "11.25"  # Decimal as a string, never a float
    assert sales["output"]["month"] == "2024-06"
    assert sales["output"]["records"] == {"records": 5, "columns": ["id", "customer", "amount"]}
    assert document["stages"]["flaky"]["attempts"] == 2
    assert document["files"] == []
    assert document["output_dir"] is None


def test_a_failed_run_in_json_is_still_one_document_with_the_error(
    invoke: Invoke, write_workflow: WriteWorkflow
) -> None:
    result = invoke("run", str(write_workflow(FAILING_WORKFLOW)), "--agents", AGENTS, "--json")

    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["status"] == "failed"
    explode = document["stages"]["explode"]
    assert explode["status"] == "failed"
    assert explode["error"]["type"] == "ValueError"
    assert explode["error"]["message"] == "the data makes no sense"
    assert document["stages"]["report"]["status"] == "skipped"


def test_output_writes_records_as_csv_and_parquet_other_outputs_as_json_and_insights(
    invoke: Invoke, write_workflow: WriteWorkflow, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    result = invoke(
        "run",
        str(write_workflow(SALES_WORKFLOW)),
        "--agents",
        AGENTS,
        "--output",
        str(out),
        "--set",
        "month=2024-05",
    )

    assert result.exit_code == 0, result.output
    assert f"results: 9 files in {out}" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "by_month.svg",
        "chat.json",
        "flaky.json",
        "report.json",
        "report.md",
        "run.json",
        "sales.json",
        "sales.records.csv",
        "sales.records.parquet",
    ]
    assert (out / "sales.records.csv").read_text().splitlines() == [
        "id,customer,amount",
        "0,c0,0.25",
        "1,c1,1.25",
        "2,c0,2.25",
        "3,c1,3.25",
        "4,c0,4.25",
    ]
    frame = pl.read_parquet(out / "sales.records.parquet")
    assert frame.height == 5
    assert str(frame["amount"][4]) == "4.25"
    sales = json.loads((out / "sales.json").read_text())
    assert sales == {
        "records": {
            "records": 5,
            "columns": ["id", "customer", "amount"],
            "csv": "sales.records.csv",
            "parquet": "sales.records.parquet",
        },
        "total": "11.25",
        "month": "2024-05",
    }
    assert (out / "report.md").read_text() == "# Sales\n\nTotal revenue was **11.25**.\n"
    assert (out / "by_month.svg").read_text().startswith("<svg")
    report = json.loads((out / "report.json").read_text())
    assert report["markdown"] == "report.md"
    assert report["charts"] == {"by_month": "by_month.svg"}
    assert report["insights"][0]["value"] == "11.25"
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "completed"
    assert run["output_dir"] == str(out)
    assert "sales.records.csv" in run["files"]


def test_input_from_a_file_and_set_reach_the_agents(
    invoke: Invoke, write_workflow: WriteWorkflow, tmp_path: Path
) -> None:
    payload = tmp_path / "input.json"
    payload.write_text('{"month": "2024-01", "rules": {"min": 1.50}}')

    result = invoke(
        "run",
        str(write_workflow(SALES_WORKFLOW)),
        "--agents",
        AGENTS,
        "--json",
        "--input",
        f"@{payload}",
        "--set",
        "month=2024-02",
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stages"]["sales"]["output"]["month"] == "2024-02"


class BlockingHold(Agent):
    """Blocks until the test lets it go: the run stays unfinished in its store."""

    entered = threading.Event()
    release = threading.Event()

    def perform(self, request: StageRequest) -> dict[str, bool]:
        self.entered.set()
        while not self.release.wait(0.01):
            request.raise_if_cancelled()
        return {"held": True}


HOLD_WORKFLOW = """
name = "held"

[[stages]]
name = "first"
agent = "table"

[[stages]]
name = "second"
agent = "hold"
depends_on = ["first"]
"""


def test_run_resumes_runs_a_dead_process_left_unfinished_and_says_so(
    invoke: Invoke, write_workflow: WriteWorkflow, db: Path
) -> None:
    # A first "process": its store is closed while its run waits in the second stage,
    # which is what a dead process leaves behind (an owner no longer registered).
    workflow = write_workflow(HOLD_WORKFLOW, "held.toml")
    runtime = Runtime(stop_timeout_s=5.0)
    store = RunStore(db)
    try:
        runtime.start()
        runtime.register_agent("table", cli_agents.Table)
        runtime.register_agent("hold", BlockingHold)
        store.attach(runtime)
        second_started = threading.Event()
        runtime.hub.subscribe(
            None,
            lambda e: (
                second_started.set()
                if isinstance(e, StageStarted) and e.stage == "second"
                else None
            ),
        )
        handle = runtime.submit(workflow)
        assert second_started.wait(10)
        store.close()

        result = invoke("run", str(write_workflow(SALES_WORKFLOW)), "--agents", AGENTS)
    finally:
        BlockingHold.release.set()
        runtime.stop()
        store.close()

    assert result.exit_code == 0, result.output
    assert (
        f"recovered run {handle.run_id} (held) left unfinished by a process that died: "
        "resumed, reusing stages: first"
    ) in result.stdout
    assert f"resumed run {handle.run_id} (held) completed" in result.stdout
    with RunStore(db) as reopened:
        statuses = {r.workflow: r.status for r in reopened.list_runs()}
    assert statuses == {"held": "completed", "sales": "completed"}
