"""The extractor agent in a real Runtime: many sources, partial failure, cancellation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from actorflow import Runtime
from actorflow.agents.extraction import ExtractionAgent
from actorflow.contracts import Records, StageProgress, WorkflowValidationError
from tests.agents.extraction.extraction_helpers import PAGE_SIZE, PAGES, Server


def workflow(sources: list[dict[str, Any]], **stage: Any) -> dict[str, Any]:
    """A one-stage workflow extracting ``sources``."""
    params = {"sources": sources, **stage.pop("params", {})}
    return {
        "name": "extraction",
        "stages": [{"name": "extract", "agent": "extractor", "params": params, **stage}],
    }


def register(runtime: Runtime) -> None:
    runtime.register_agent("extractor", ExtractionAgent, concurrency=2)


async def test_a_stage_reads_file_api_database_and_input_sources_together(
    runtime: Runtime, server: Server, shop_db: Path, tmp_path: Path
) -> None:
    register(runtime)
    orders = tmp_path / "orders.csv"
    orders.write_text("id,amount\n1,N/A\n2,3.50\n")
    result = await runtime.arun(
        workflow(
            [
                {"type": "file", "path": str(orders)},
                {
                    "type": "api",
                    "name": "crm",
                    "url": f"{server.url}/linked/1",
                    "next_path": "links.next",
                },
                {
                    "type": "database",
                    "name": "shop",
                    "path": str(shop_db),
                    "query": "SELECT id, customer FROM orders",
                },
            ],
            params={"required_fields": ["id"]},
        ),
        input={"campaigns": [{"id": "c1"}]},
    )
    assert result.status == "completed", result.error
    out = result.output("extract")
    assert out["counts"] == {"orders": 2, "crm": PAGE_SIZE * PAGES, "shop": 4, "campaigns": 1}
    records = out["records"]
    assert isinstance(records, Records)
    assert len(records) == 2 + PAGE_SIZE * PAGES + 4 + 1
    assert set(records.schema.values()) == {records.schema["source"]}  # all strings
    assert records.to_dicts()[0] == {
        "source": "orders",
        "id": "1",
        "amount": "N/A",
        "name": None,
        "balance": None,
        "customer": None,
    }
    assert [s["status"] for s in out["sources"]] == ["succeeded"] * 4
    assert out["errors"] == ()

    progress = [e for e in runtime.history(result.run_id) if isinstance(e, StageProgress)]
    assert len(progress) >= 4
    assert [e.fraction for e in progress] == sorted(e.fraction for e in progress)
    assert all(e.fraction < 1 for e in progress)
    assert any(e.message.startswith("crm: 9 records") for e in progress)


async def test_one_failing_source_does_not_lose_the_others(
    runtime: Runtime, server: Server, shop_db: Path, tmp_path: Path
) -> None:
    register(runtime)
    good = tmp_path / "good.csv"
    good.write_text("id\n1\n2\n")
    result = await runtime.arun(
        workflow(
            [
                {"type": "file", "path": str(good)},
                {"type": "api", "name": "billing", "url": f"{server.url}/status/500"},
                {"type": "file", "path": str(tmp_path / "missing.csv")},
                {"type": "database", "path": str(shop_db), "query": "SELECT nope FROM orders"},
            ]
        )
    )
    assert result.status == "completed"
    out = result.output("extract")
    assert out["counts"] == {"good": 2}
    assert [r["id"] for r in out["records"]] == ["1", "2"]
    failed = {e["source"]: e for e in out["errors"]}
    assert set(failed) == {"billing", "missing", "shop"}
    assert failed["billing"]["type"] == "api"
    assert "HTTP 500" in failed["billing"]["message"]
    assert failed["billing"]["retryable"] is True
    assert failed["missing"]["type"] == "file"
    assert "file not found" in failed["missing"]["message"]
    assert failed["shop"]["type"] == "database"
    assert "no such column: nope" in failed["shop"]["message"]
    statuses = {s["name"]: s["status"] for s in out["sources"]}
    assert statuses == {
        "good": "succeeded",
        "billing": "failed",
        "missing": "failed",
        "shop": "failed",
    }


async def test_when_every_source_fails_the_stage_fails_and_retries_if_one_may_recover(
    runtime: Runtime, server: Server, tmp_path: Path
) -> None:
    register(runtime)
    result = await runtime.arun(
        workflow(
            [
                {"type": "api", "name": "billing", "url": f"{server.url}/status/502"},
                {"type": "file", "path": str(tmp_path / "missing.csv")},
            ],
            retries=1,
            retry_backoff_s=0.01,
        )
    )
    assert result.status == "failed"
    outcome = result.outcome("extract")
    assert outcome.error is not None
    assert outcome.error.type == "SourceError"
    assert outcome.error.message.startswith("billing, missing: all 2 sources failed:")
    assert "  - billing (api): GET" in outcome.error.message
    assert "  - missing (file): file" in outcome.error.message
    assert outcome.attempts == 2  # an HTTP 502 may go away: the stage was retried


async def test_an_empty_result_fails_the_stage_without_a_retry(
    runtime: Runtime, tmp_path: Path
) -> None:
    register(runtime)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = await runtime.arun(
        workflow([{"type": "file", "path": str(empty)}], retries=2, retry_backoff_s=0.01)
    )
    outcome = result.outcome("extract")
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert outcome.error.type == "DataValidationError"
    assert outcome.error.message == "no records: every source was empty (empty)"
    assert outcome.attempts == 1


def test_bad_params_are_refused_before_the_run_starts_naming_the_source_and_field(
    runtime: Runtime,
) -> None:
    register(runtime)
    with pytest.raises(WorkflowValidationError) as refused:
        runtime.submit(workflow([{"type": "api", "name": "crm", "url": "ftp://x"}], retries=2))
    assert (
        "source 'crm', stage 'extract', field 'params.sources[0]': "
        "url must start with http:// or https://, got 'ftp://x'"
    ) in str(refused.value)


async def test_every_kind_of_bad_input_is_reported_and_the_runtime_keeps_working(
    runtime: Runtime, server: Server, shop_db: Path, tmp_path: Path
) -> None:
    register(runtime)
    files = {
        "truncated.csv": b"id,name\n1,ann\n2",
        "ragged.csv": b"id,name\n1,ann,extra\n",
        "binary.csv": b"\x00\x01\x02\x03" * 64,
        "latin.csv": "id,name\n1,José\n".encode("latin-1"),
        "broken.json": b'[{"id": 1}, {"id": 2]',
        "cut.json": b'[{"id": 1}, {"id"',
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    sources = [{"type": "file", "path": str(tmp_path / name)} for name in files]
    sources += [
        {"type": "file", "path": str(tmp_path / "absent.csv")},
        {"type": "api", "name": "http500", "url": f"{server.url}/status/500"},
        {"type": "api", "name": "timeout", "url": f"{server.url}/slow", "timeout_s": 0.2},
        {"type": "api", "name": "notjson", "url": f"{server.url}/invalid"},
        {"type": "database", "name": "sql", "path": str(shop_db), "query": "SELEC 1"},
    ]
    result = await runtime.arun(workflow(sources), input={"records": [{"id": "ok"}]})
    assert result.status == "completed"
    out = result.output("extract")
    assert out["counts"] == {"records": 1}
    messages = {e["source"]: e["message"] for e in out["errors"]}
    assert "line 3: expected 2 fields" in messages["truncated"]
    assert "line 2: expected 2 fields (as in the header), found 3" in messages["ragged"]
    assert "binary file" in messages["binary"]
    assert "line 2, column 6: byte e9 is not valid UTF-8" in messages["latin"]
    assert "line 1, column 21: invalid JSON" in messages["broken"]
    assert "the JSON ends before the document is complete" in messages["cut"]
    assert "file not found" in messages["absent"]
    assert "HTTP 500" in messages["http500"]
    assert "timeout_s=0.2" in messages["timeout"]
    assert "not valid JSON: line 3, column 12" in messages["notjson"]
    assert 'SQL error: near "SELEC": syntax error' in messages["sql"]

    again = await runtime.arun(workflow([]), input={"records": [{"id": "still fine"}]})
    assert again.status == "completed"
    assert [r["id"] for r in again.output("extract")["records"]] == ["still fine"]


async def test_cancelling_the_run_stops_a_read_that_is_waiting(
    runtime: Runtime, server: Server
) -> None:
    register(runtime)
    handle = runtime.submit(
        workflow([{"type": "api", "name": "slow", "url": f"{server.url}/slow", "timeout_s": 60}])
    )
    await asyncio.wait_for(server.slow_entered.wait(), 10)
    handle.cancel("user changed their mind")
    result = await asyncio.wait_for(handle.wait(), 10)
    assert result.status == "cancelled"
    assert result.outcome("extract").status == "cancelled"


async def test_a_stage_timeout_cuts_a_slow_read_short(runtime: Runtime, server: Server) -> None:
    register(runtime)
    result = await asyncio.wait_for(
        runtime.arun(
            workflow(
                [{"type": "api", "name": "slow", "url": f"{server.url}/slow", "timeout_s": 60}],
                timeout_s=0.3,
            )
        ),
        10,
    )
    assert result.outcome("extract").status == "timed_out"


def test_the_agent_describes_itself(runtime: Runtime) -> None:
    register(runtime)
    (info,) = runtime.agents()
    assert info.role == "extractor"
    assert info.is_async
    assert {"csv", "json", "sqlite", "http apis"} <= set(info.expertise)
    assert "SQLite" in info.description
