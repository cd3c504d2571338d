"""CSV downloads are streamed a slice of rows at a time, from memory or from disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from actorflow import Agent, RecordsWriter, Runtime, StageRequest
from actorflow.contracts import Records
from actorflow.web import _files
from tests.web.web_server import MakeServer

ROWS = 2_500


def table() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [f"r{n}" for n in range(ROWS)],
            "name": [f'Show "{n % 7}", live' if n % 5 else None for n in range(ROWS)],
            "amount": [n * 3 for n in range(ROWS)],
        }
    )


class DiskTable(Agent):
    """Outputs :func:`table` as records on disk, in parts, and a nested table."""

    def perform(self, request: StageRequest) -> dict[str, Any]:
        writer = RecordsWriter(request.params["folder"])
        for part in table().iter_slices(1_000):
            writer.write(part)
        nested = Records(pl.DataFrame({"id": ["a"], "tags": [["x", "y"]]}))
        return {"records": writer.finish(), "nested": nested}


@pytest.fixture
def disk_runtime(agents_runtime: Runtime) -> Runtime:
    agents_runtime.register_agent("disk_table", DiskTable)
    return agents_runtime


async def test_records_on_disk_download_as_csv_in_slices(
    disk_runtime: Runtime,
    make_server: MakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_files, "_CSV_ROWS", 300)  # many slices, none aligned with the parts
    server = await make_server()
    stages = [{"name": "make", "agent": "disk_table", "params": {"folder": str(tmp_path)}}]
    run_id = await server.execute({"task": "t", "workflow_config": {"stages": stages}})
    await server.wait_done(run_id)
    status, text = await server.get(f"/v1/workflows/{run_id}/results?format=csv")
    assert status == 200
    assert text == table().write_csv()

    status, body = await server.get(f"/v1/workflows/{run_id}/results?format=csv&table=nested")
    assert status == 422
    assert "nested columns" in body["error"]["message"]
    assert "tags" in body["error"]["message"]


async def test_json_downloads_cut_long_tables_and_say_so(
    disk_runtime: Runtime, make_server: MakeServer, tmp_path: Path
) -> None:
    server = await make_server(download_rows=1_000)
    stages = [{"name": "make", "agent": "disk_table", "params": {"folder": str(tmp_path)}}]
    run_id = await server.execute({"task": "t", "workflow_config": {"stages": stages}})
    await server.wait_done(run_id)
    status, document = await server.get(f"/v1/workflows/{run_id}/results?format=json")
    assert status == 200
    shown = document["results"]["make"]["records"]
    assert shown["count"] == ROWS
    assert shown["truncated"] is True
    assert [row["id"] for row in shown["rows"]] == [f"r{n}" for n in range(1_000)]
    nested = document["results"]["make"]["nested"]
    assert nested["truncated"] is False
    assert nested["rows"] == [{"id": "a", "tags": ["x", "y"]}]
