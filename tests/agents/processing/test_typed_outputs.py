"""Typed records of the contract-driven path survive the run store and the result files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from actorflow import Runtime
from actorflow.agents.processing import ProcessingAgent
from actorflow.cli._results import ResultWriter
from actorflow.store import RunStore
from tests.agents.processing.processing_helpers import TableAgent

ROWS = [
    {"order_id": "A1", "order_date": "2024-03-01", "amount": "$1,234.50", "paid": "yes",
     "quantity": "2", "weight": "1.5", "category": "toys"},
    {"order_id": "A2", "order_date": "2024-03-02", "amount": "0.10", "paid": "no",
     "quantity": "1", "weight": "2.25", "category": "Toys "},
    {"order_id": "A3", "order_date": "2024-03-03", "amount": "99999999999.99", "paid": "",
     "quantity": "", "weight": "", "category": "books"},
]  # fmt: skip
CONTRACT = {
    "fields": [
        {"name": "order_id", "type": "id"},
        {"name": "order_date", "type": "date"},
        {"name": "amount", "type": "money", "scale": 2},
        {"name": "paid", "type": "boolean"},
        {"name": "quantity", "type": "integer"},
        {"name": "weight", "type": "number"},
        {"name": "category", "type": "category"},
    ]
}
WORKFLOW = {
    "name": "typed",
    "stages": [
        {"name": "load", "agent": "table", "params": {"rows": ROWS}},
        {"name": "process", "agent": "processor", "depends_on": ["load"],
         "task": "clean", "params": {"contract": CONTRACT}},
    ],
}  # fmt: skip
EXPECTED_SCHEMA = {
    "order_id": pl.String,
    "order_date": pl.Date,
    "amount": pl.Decimal(38, 2),
    "paid": pl.Boolean,
    "quantity": pl.Int64,
    "weight": pl.Float64,
    "category": pl.String,
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    with RunStore(tmp_path / "runs.db", busy_timeout_s=2.0) as opened:
        yield opened


def test_typed_records_round_trip_through_the_store_and_result_files(
    runtime: Runtime, store: RunStore, tmp_path: Path
) -> None:
    runtime.register_agent("table", TableAgent)
    runtime.register_agent("processor", ProcessingAgent)
    store.attach(runtime)
    result = runtime.run(WORKFLOW, timeout=30)
    assert result.status == "completed", result.error
    store.flush()
    records = result.output("process")["records"].frame
    assert dict(records.schema) == EXPECTED_SCHEMA
    assert records["amount"].to_list() == [
        Decimal("1234.50"), Decimal("0.10"), Decimal("99999999999.99")
    ]  # fmt: skip

    stored = store.stage_output(result.run_id, "process")
    assert stored["records"].frame.equals(records)
    assert dict(stored["records"].schema) == EXPECTED_SCHEMA
    assert stored["contract"] == result.output("process")["contract"]

    folder = tmp_path / "results"
    data = ResultWriter(folder).write_stage("process", result.output("process"))
    parquet = pl.read_parquet(folder / data["records"]["parquet"])
    assert parquet.equals(records)
    assert dict(parquet.schema) == EXPECTED_SCHEMA
    csv = pl.read_csv(folder / data["records"]["csv"], schema=EXPECTED_SCHEMA)
    assert csv.equals(records)
    text = (folder / data["records"]["csv"]).read_text(encoding="utf-8")
    assert "1234.50" in text and "0.10" in text and "99999999999.99" in text
    saved = json.loads((folder / "process.json").read_text(encoding="utf-8"))
    assert saved["contract_source"] == "declared"
    assert saved["field_quality"]["quantity"]["missing"] == 1
