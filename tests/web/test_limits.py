"""What API runs may read and write: limits that stop a read as it passes them, files that
cannot pass for another type, and a spill folder that is the server's, not the request's."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from actorflow.contracts import SPILL_DIR_ENV
from tests.web.web_server import MakeServer

MiB = 1024 * 1024
ACTORFLOW = str(Path(sys.executable).parent / "actorflow")
#: Makes rows out of nothing (here, over an empty database): a million of them.
GENERATED = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) "
    "SELECT x, 'row number ' || x AS label FROM c"
)


def one_stage(*sources: dict[str, Any], **params: Any) -> dict[str, Any]:
    """A workflow of one extraction stage, as the reported reproduction used."""
    stage = {"name": "extraction", "agent": "extractor", "params": {"sources": list(sources)}}
    stage["params"].update(params)
    return {"task": "t", "workflow_config": {"stages": [stage]}}


# -- through `actorflow serve` ------------------------------------------------------------


def _memory_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _request(url: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """``actorflow serve`` on port 0 with a data root: its URL, pid and data root."""
    root = tmp_path / "data"
    root.mkdir()
    env = {**os.environ, "ACTORFLOW_DATA_ROOTS": str(root)}
    env.pop(SPILL_DIR_ENV, None)
    process = subprocess.Popen(
        [ACTORFLOW, "--db", str(tmp_path / "runs.db"), "serve", "--port", "0"],
        cwd=tmp_path,  # not the repository: its actorflow/ folder would shadow the package
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "server.log").open("w"),
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the server says it listens
        assert "serving on http://127.0.0.1:" in line, (tmp_path / "server.log").read_text()
        yield line.split("serving on ", 1)[1].split()[0].rstrip("/"), process.pid, root
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_a_query_generating_rows_stops_at_the_servers_record_limit(
    served: tuple[str, int, Path],
) -> None:
    url, pid, root = served
    sqlite3.connect(root / "empty.db").execute("CREATE TABLE t (x)").connection.close()
    before = _memory_mib(pid, "VmRSS")
    started = time.monotonic()
    source = {"type": "database", "name": "gen", "path": "empty.db", "query": GENERATED}
    status, answer = _request(f"{url}/v1/workflows/execute", one_stage(source))
    assert status == 200, answer
    run_id = answer["workflow_id"]
    deadline = time.monotonic() + 60
    while True:
        status, final = _request(f"{url}/v1/workflows/{run_id}/status")
        if final["status"] != "processing" or time.monotonic() > deadline:
            break
        time.sleep(0.05)  # a poll's interval, as clients of the status route do
    elapsed = time.monotonic() - started
    growth = _memory_mib(pid, "VmHWM") - before
    print(f"\nrecursive CTE: {final['status']} in {elapsed:.2f} s, peak RSS +{growth:.0f} MiB")
    assert final["status"] == "failed", final
    assert final["error_detail"]["type"] == "LimitExceededError"
    message = final["error_detail"]["message"]
    assert message.startswith("gen: database ")
    assert "more than 100,000 records in all" in message
    assert "max_rows=100,000" in message
    status, body = _request(f"{url}/v1/workflows/{run_id}/results")
    assert body.get("results", {}) == {}, "nothing of the cut-short read is downloadable"


# -- api sources -------------------------------------------------------------------------


@pytest.fixture
async def big_api() -> AsyncIterator[tuple[str, list[int]]]:
    """A server on 127.0.0.1 streaming a 20 MiB JSON body; and the bytes each response sent."""
    sent: list[int] = []
    chunk = b'{"id": "1", "podcast_name": "show", "revenue": "1.00"},' * 1024

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        written = 0
        try:
            await response.write(b"[")
            while written < 20 * MiB:
                await response.write(chunk)
                written += len(chunk)
            await response.write(b'{"id": "0"}]')
        except ConnectionError:
            pass  # the client hung up
        finally:
            sent.append(written)
        return response

    app = web.Application()
    app.router.add_get("/big.json", streamed)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/big.json", sent
    finally:
        await runner.cleanup()


async def test_an_api_body_past_the_servers_byte_limit_stops_the_run(
    make_server: MakeServer, big_api: tuple[str, list[int]]
) -> None:
    url, sent = big_api
    server = await make_server(allowed_hosts=("127.0.0.1",), max_source_bytes=MiB)
    run_id = await server.execute(one_stage({"type": "api", "name": "feed", "url": url}))
    final = await server.wait_done(run_id)
    assert final["status"] == "failed"
    assert final["error_detail"]["type"] == "LimitExceededError"
    assert final["error_detail"]["message"].startswith(
        f"feed: GET {url}: more than 1,048,576 bytes"
    )
    assert "max_bytes_per_source=1,048,576" in final["error_detail"]["message"]
    assert sent == [] or sent[0] < 10 * MiB


async def test_the_servers_record_limit_holds_across_sources(
    make_server: MakeServer, data_root: Path
) -> None:
    for name in ("one", "two"):
        (data_root / f"{name}.csv").write_text(
            "id,revenue\n" + "".join(f"{i},1\n" for i in range(4))
        )
    server = await make_server(max_records_per_run=5)
    sources = [{"type": "file", "path": "one.csv"}, {"type": "file", "path": "two.csv"}]
    # A request's own higher limit does not raise the server's.
    run_id = await server.execute(one_stage(*sources, max_rows=1000))
    final = await server.wait_done(run_id)
    assert final["status"] == "failed"
    assert "more than 5 records in all" in final["error_detail"]["message"]
    # Under the limit, both are read.
    server = await make_server(max_records_per_run=8)
    final = await server.wait_done(await server.execute(one_stage(*sources)))
    assert final["status"] == "completed"


# -- database sources open databases only ------------------------------------------------


async def test_a_csv_upload_is_never_opened_as_a_database(
    make_server: MakeServer, data_root: Path
) -> None:
    server = await make_server()
    form = aiohttp.FormData()
    form.add_field("file", b"", filename="empty.csv")
    status, uploaded = await server.post("/v1/uploads", data=form)
    assert status == 200, uploaded
    path = uploaded["source"]["path"]
    source = {"type": "database", "path": path, "query": GENERATED}
    status, body = await server.post("/v1/workflows/execute", one_stage(source))
    assert status == 422, body
    assert body["error"]["field"] == "workflow_config.stages[0].params.sources[0].path"
    assert "SQLite database file (.db, .sqlite, .sqlite3)" in body["error"]["message"]
    # Nor through a link named like a database.
    (data_root / "sneaky.db").symlink_to(path)
    source["path"] = "sneaky.db"
    status, body = await server.post("/v1/workflows/execute", one_stage(source))
    assert status == 422, body
    # A file named like one but empty is refused by the reader, naming the source.
    (data_root / "empty.db").write_bytes(b"")
    source = {"type": "database", "name": "blank", "path": "empty.db", "query": "SELECT 1 AS a"}
    final = await server.wait_done(await server.execute(one_stage(source)))
    assert final["status"] == "failed"
    assert final["error_detail"]["message"].startswith("blank: database ")
    assert final["error_detail"]["message"].endswith("the file is empty, not a SQLite database")


# -- where runs write --------------------------------------------------------------------


async def test_a_request_cannot_choose_where_a_run_writes(
    make_server: MakeServer, data_root: Path, tmp_path: Path
) -> None:
    (data_root / "shows.csv").write_text("id,podcast_name,revenue\n1,a,5.00\n2,b,6.00\n")
    server_spill = tmp_path / "server-spill"
    server = await make_server(spill_dir=server_spill)
    elsewhere = tmp_path / "elsewhere" / "deep"
    source = {"type": "file", "path": "shows.csv"}
    status, body = await server.post(
        "/v1/workflows/execute", one_stage(source, spill_over_mb=0, spill_dir=str(elsewhere))
    )
    assert status == 422, body
    assert body["error"]["field"] == "workflow_config.stages[0].params.spill_dir"
    assert "stage 'extraction': spill_dir cannot be set" in body["error"]["message"]
    status, body = await server.post(
        "/v1/workflows/execute",
        {
            "task": "t",
            "workflow_config": {
                "sources": [source],
                "params": {"extraction": {"spill_over_mb": 0, "spill_dir": str(elsewhere)}},
            },
        },
    )
    assert status == 422, body
    assert body["error"]["field"] == "workflow_config.params.extraction.spill_dir"
    assert not (tmp_path / "elsewhere").exists()
    # Spilling still works: under the server's own folder.
    run_id = await server.execute(one_stage(source, spill_over_mb=0))
    final = await server.wait_done(run_id)
    assert final["status"] == "completed", final
    assert any(server_spill.glob("actorflow-records-*")), "spilled under the server's folder"


async def test_the_server_spills_beside_its_store_by_default(
    make_server: MakeServer, monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    monkeypatch.delenv(SPILL_DIR_ENV, raising=False)
    server = await make_server()
    assert server.service.settings.spill_dir == db_path.parent / "spill"
    monkeypatch.setenv(SPILL_DIR_ENV, str(db_path.parent / "big-disk"))
    server = await make_server()
    assert server.service.settings.spill_dir == db_path.parent / "big-disk"
