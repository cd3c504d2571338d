"""A workflow over a file read to disk: extract -> process -> insights in a real Runtime.

Every figure must equal the same workflow run in memory, whatever the slices; the files
must go when nothing needs them any more.
"""

from __future__ import annotations

import gc
import math
import os
from pathlib import Path
from typing import Any

import pytest

from actorflow import Runtime
from actorflow.agents.insights import InsightsAgent
from actorflow.contracts import (
    SPILL_DIR_ENV,
    RunResult,
    StageProgress,
    WorkflowValidationError,
    thaw,
)
from actorflow.store import RunStore, _outputs
from tests.agents.processing.processing_helpers import REVENUE_INPUT, messy_csv, register, workflow

ROWS, SLICE = 3_000, 450
TASK = "Clean, standardize and validate the records, filter them and calculate metrics"


@pytest.fixture
def spill_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "spill"
    monkeypatch.setenv(SPILL_DIR_ENV, str(root))
    return root


def revenue_workflow(csv: Path, *, on_disk: bool, slice_rows: int | None = None) -> dict[str, Any]:
    params = {} if slice_rows is None else {"slice_rows": slice_rows}
    spec = workflow([csv], task=TASK, params=params)
    spec["stages"][0]["params"]["spill_over_mb"] = 0 if on_disk else None
    spec["stages"].append({"name": "insights", "agent": "insights", "depends_on": ["process"]})
    return spec


def run(runtime: Runtime, spec: dict[str, Any], **options: Any) -> RunResult:
    result = runtime.run(spec, input=REVENUE_INPUT, timeout=120, **options)
    assert result.status == "completed", result.error
    return result


def without_timings(stats: dict[str, Any]) -> dict[str, Any]:
    quality = {k: v for k, v in stats["quality"].items() if k != "processing_efficiency"}
    return {**{k: v for k, v in stats.items() if k != "duration_s"}, "quality": quality}


def folders(root: Path) -> list[str]:
    return sorted(os.listdir(root)) if root.exists() else []


@pytest.fixture
def revenue_runtime(runtime: Runtime) -> Runtime:
    register(runtime)
    runtime.register_agent("insights", InsightsAgent)
    return runtime


def test_on_disk_in_slices_gives_exactly_what_memory_gives(
    revenue_runtime: Runtime, tmp_path: Path, spill_root: Path
) -> None:
    csv = messy_csv(tmp_path, rows=ROWS)
    in_memory = run(revenue_runtime, revenue_workflow(csv, on_disk=False))
    on_disk = run(revenue_runtime, revenue_workflow(csv, on_disk=True, slice_rows=SLICE))

    extracted = on_disk.output("extract")["records"]
    assert extracted.on_disk
    assert extracted == in_memory.output("extract")["records"]
    mine, theirs = thaw(on_disk.output("process")), thaw(in_memory.output("process"))
    assert mine["records"].on_disk
    assert mine["rejects"].on_disk
    assert mine["records"].frame.equals(theirs["records"].frame)
    assert mine["rejects"].frame.equals(theirs["rejects"].frame)
    assert without_timings(mine["stats"]) == without_timings(theirs["stats"])
    # Duplicates across slice boundaries were found over the whole table.
    assert mine["stats"]["rejected"]["duplicate"] > 0
    summary = thaw(on_disk.output("insights"))["summary"]
    assert summary == thaw(in_memory.output("insights"))["summary"]

    reports = [
        e.message
        for e in revenue_runtime.history(on_disk.run_id)
        if isinstance(e, StageProgress) and e.stage == "process" and "processed" in e.message
    ]
    assert len(reports) == math.ceil(ROWS / SLICE)
    assert reports[-1] == f"{ROWS:,} of {ROWS:,} records processed"


def test_files_go_once_no_stage_and_no_result_needs_them(
    revenue_runtime: Runtime, tmp_path: Path, spill_root: Path
) -> None:
    csv = messy_csv(tmp_path, rows=500)
    spec = revenue_workflow(csv, on_disk=True, slice_rows=200)
    result = run(revenue_runtime, spec, keep_outputs=["process"])
    gc.collect()
    # The extracted table was let go when the processor was done with it: only the
    # processed records and rejects are left.
    assert len(folders(spill_root)) == 2
    assert len(result.output("process")["records"]) > 0
    del result
    gc.collect()
    assert folders(spill_root) == []


def test_a_missing_money_column_on_disk_names_the_field(
    revenue_runtime: Runtime, tmp_path: Path, spill_root: Path
) -> None:
    csv = tmp_path / "no_money.csv"
    csv.write_text("id,podcast_name,date\n" + "".join(f"{n},Show,2024-03-01\n" for n in range(50)))
    result = revenue_runtime.run(revenue_workflow(csv, on_disk=True, slice_rows=20), timeout=60)
    assert result.status == "failed"
    assert "money field 'revenue' is missing" in str(result.stages["process"].error)


@pytest.mark.parametrize("long_table", [False, True])
def test_the_run_store_keeps_outputs_on_disk_as_parquet(
    revenue_runtime: Runtime,
    tmp_path: Path,
    spill_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    long_table: bool,
) -> None:
    # Read back, a table longer than ON_DISK_ROWS is records on disk again.
    monkeypatch.setattr(_outputs, "ON_DISK_ROWS", 10 if long_table else 1_000_000)
    csv = messy_csv(tmp_path, rows=300)
    with RunStore(tmp_path / "runs.db") as store:
        store.attach(revenue_runtime)
        result = run(revenue_runtime, revenue_workflow(csv, on_disk=True, slice_rows=100))
        kept = result.output("process")["records"]
        assert kept.on_disk
        stored = store.stage_output(result.run_id, "process")["records"]
        assert stored.on_disk == long_table
        assert stored.frame.equals(kept.frame)


@pytest.mark.parametrize("bad", [0, -5, 1.5, "many", True])
def test_a_bad_slice_size_is_refused_before_the_run(
    revenue_runtime: Runtime, tmp_path: Path, bad: object
) -> None:
    spec = revenue_workflow(tmp_path / "any.csv", on_disk=True)
    spec["stages"][1]["params"]["slice_rows"] = bad
    with pytest.raises(WorkflowValidationError, match=r"params\.slice_rows"):
        revenue_runtime.submit(spec)


def test_processed_records_go_beside_their_input(
    revenue_runtime: Runtime, tmp_path: Path, spill_root: Path
) -> None:
    chosen = tmp_path / "big-disk"
    spec = revenue_workflow(messy_csv(tmp_path, rows=300), on_disk=True, slice_rows=100)
    spec["stages"][0]["params"]["spill_dir"] = str(chosen)
    result = run(revenue_runtime, spec)
    processed = result.output("process")
    for records in (result.output("extract")["records"], processed["records"]):
        assert records.location is not None
        assert records.location.parent == chosen
    assert folders(spill_root) == []
