"""Limits on what sources may read: they stop the read as it crosses them, and fail the
stage with an error naming the source and the limit. Real files, a real SQLite file and a
real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from actorflow.agents.extraction import extract
from actorflow.contracts import LimitExceededError, is_retryable

MiB = 1024 * 1024
#: One record of the streamed body, about 64 bytes.
ROW = b'{"id": "123456", "name": "some podcast", "revenue": "100.50"},\n'


@dataclass
class BigBody:
    url: str
    #: bytes each streamed response managed to send before its client stopped reading
    sent: list[int]
    #: set when a streamed response has ended
    ended: asyncio.Event


@pytest.fixture
async def big_body() -> AsyncIterator[BigBody]:
    """A server streaming a 20 MiB JSON list of records (chunked, no Content-Length), and
    the same body with its Content-Length at ``/declared``."""
    sent: list[int] = []
    ended = asyncio.Event()
    body_bytes = 20 * MiB
    chunk = ROW * 1024

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        written = 0
        try:
            await response.write(b"[")
            while written < body_bytes:
                await response.write(chunk)
                written += len(chunk)
            await response.write(b'{"id": "0"}]')
        except (ConnectionResetError, ConnectionError):
            pass  # the client stopped reading: what it was sent is the figure
        finally:
            sent.append(written)
            ended.set()
        return response

    async def paged(request: web.Request) -> web.Response:
        # Page 1: 10 MiB of records (streamed by the reader), linking to a small page 2.
        page = int(request.match_info["page"])
        count = (10 * MiB) // len(ROW) if page == 1 else 3
        records = [
            {"id": str(page * 1_000_000 + i), "name": "é" if i == 7 else "x", "n": i + 0.5}
            for i in range(count)
        ]
        body: dict[str, Any] = {"data": records, "links": {"next": "2" if page == 1 else None}}
        return web.json_response(body)

    async def declared(request: web.Request) -> web.Response:
        document = b"[" + ROW * (body_bytes // len(ROW)) + b'{"id": "0"}]'
        return web.Response(body=document, content_type="application/json")

    app = web.Application()
    app.router.add_get("/streamed", streamed)
    app.router.add_get("/declared", declared)
    app.router.add_get("/paged/{page}", paged)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield BigBody(f"http://127.0.0.1:{port}", sent, ended)
    finally:
        await runner.cleanup()


async def limit_error(params: dict[str, Any]) -> LimitExceededError:
    with pytest.raises(LimitExceededError) as caught:
        await extract(params, stage="extraction")
    error = caught.value
    assert not error.retryable
    assert not is_retryable(error)
    return error


def write_csv(path: Path, rows: int) -> Path:
    path.write_text(
        "id,podcast_name,revenue\n" + "".join(f"{i},show number {i},{i}.50\n" for i in range(rows))
    )
    return path


# -- api ----------------------------------------------------------------------------------


async def test_an_api_body_past_max_bytes_is_not_read_further(big_body: BigBody) -> None:
    source = {"type": "api", "name": "feed", "url": f"{big_body.url}/streamed", "max_bytes": MiB}
    error = await limit_error({"sources": [source]})
    message = str(error)
    assert message.startswith("feed: GET ")
    assert "more than 1,048,576 bytes" in message
    assert "max_bytes=1,048,576" in message
    assert error.source == "feed"
    # The client hung up near the limit: what the server sent is at most the limit plus
    # what the sockets' buffers hold, far from the 20 MiB body.
    async with asyncio.timeout(10):
        await big_body.ended.wait()
    assert big_body.sent[0] < 10 * MiB


async def test_a_declared_content_length_past_the_stage_limit_is_refused_unread(
    big_body: BigBody,
) -> None:
    source = {"type": "api", "name": "feed", "url": f"{big_body.url}/declared"}
    error = await limit_error({"sources": [source], "max_bytes_per_source": MiB})
    assert "Content-Length" in str(error)
    assert "max_bytes_per_source=1,048,576" in str(error)


@pytest.mark.parametrize("page", ["paged/2", "declared"], ids=["decoded_whole", "streamed"])
async def test_the_records_of_an_api_page_stop_at_the_row_limit(
    big_body: BigBody, page: str
) -> None:
    url = f"{big_body.url}/{page}"
    source = {"type": "api", "name": "feed", "url": url, "max_rows": 2}
    error = await limit_error({"sources": [source]})
    assert str(error).startswith(f"feed: GET {url}: more than 2 records")
    assert "(max_rows=2)" in str(error)


async def test_a_big_page_is_read_as_a_stream_with_the_same_records(big_body: BigBody) -> None:
    source = {
        "type": "api",
        "name": "feed",
        "url": f"{big_body.url}/paged/1",
        "records_path": "data",
        "next_path": "links.next",
    }
    out = await extract({"sources": [source]}, stage="extraction")
    records = out["records"]
    first = (10 * MiB) // len(ROW)
    assert len(records) == first + 3
    assert out["sources"][0]["pages"] == 2
    assert records.frame.row(7) == ("feed", "1000007", "é", "7.5")
    assert records.frame.row(first) == ("feed", "2000000", "x", "0.5")


# -- files --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "text"])
@pytest.mark.parametrize("spill", [False, True], ids=["in_memory", "on_disk"])
async def test_a_file_past_its_row_limit_fails_the_stage(
    tmp_path: Path, spill_root: Path, fmt: str, spill: bool
) -> None:
    path = tmp_path / f"shows.{fmt}"
    if fmt == "csv":
        write_csv(path, 5000)  # big enough for the direct (polars) read
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps({"id": i}) + "\n" for i in range(5000)))
    else:
        path.write_text("".join(f"line {i}\n" for i in range(5000)))
    # Small batches: reading stops at the batch that passes the limit, not at the end.
    source = {"type": "file", "path": str(path), "max_rows": 1000, "batch_bytes": 4096}
    params: dict[str, Any] = {"sources": [source], "spill_over_mb": 0 if spill else None}
    error = await limit_error(params)
    assert str(error).startswith(f"shows: file {path}: more than 1,000 records")
    assert "(max_rows=1,000)" in str(error)
    assert not any(spill_root.iterdir())  # noqa: ASYNC240 - nothing left on disk
    # At the limit exactly, the file is read whole.
    source["max_rows"] = 5000
    out = await extract(params)
    assert out["counts"] == {"shows": 5000}


async def test_a_file_past_max_bytes_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "shows.csv", 100)
    size = path.stat().st_size
    params = {"sources": [{"type": "file", "path": str(path)}], "max_bytes_per_source": size - 1}
    error = await limit_error(params)
    assert f"the file is {size:,} bytes" in str(error)
    assert "it was not read" in str(error)


# -- the stage's records in all ----------------------------------------------------------


async def test_the_stage_limit_holds_across_its_sources(tmp_path: Path) -> None:
    one = write_csv(tmp_path / "one.csv", 600)
    two = write_csv(tmp_path / "two.csv", 600)
    sources = [{"type": "file", "path": str(one)}, {"type": "file", "path": str(two)}]
    error = await limit_error({"sources": sources, "max_rows": 1000})
    assert "more than 1,000 records in all" in str(error)
    assert "(max_rows=1,000)" in str(error)
    assert error.source in {"one", "two"}
    # Each source alone is within the limit, and so are both under a higher one.
    for source in sources:
        assert len((await extract({"sources": [source], "max_rows": 1000}))["records"]) == 600
    assert len((await extract({"sources": sources, "max_rows": 1200}))["records"]) == 1200


async def test_inline_records_count_in_the_stage_limit(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "one.csv", 8)
    run_input = {"records": [{"id": str(i)} for i in range(5)]}
    params = {"sources": [{"type": "file", "path": str(path)}], "max_rows": 10}
    with pytest.raises(LimitExceededError, match="in all"):
        await extract(params, run_input)


# -- databases ----------------------------------------------------------------------------


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    return path


#: A query that makes rows out of nothing: 300,000 of them.
GENERATED = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) "
    "SELECT x, 'row ' || x AS label FROM c"
)


async def test_a_query_generating_rows_stops_at_the_row_limit(empty_db: Path) -> None:
    source = {"type": "database", "name": "gen", "path": str(empty_db), "query": GENERATED}
    error = await limit_error({"sources": [source], "max_rows_per_source": 1000})
    assert str(error).startswith(f"gen: database {empty_db}: more than 1,000 records")
    assert "(max_rows_per_source=1,000)" in str(error)
    error = await limit_error({"sources": [source], "max_rows": 1000})
    assert "more than 1,000 records in all" in str(error)


async def test_a_query_result_past_max_bytes_stops(empty_db: Path) -> None:
    source = {"type": "database", "name": "gen", "path": str(empty_db), "query": GENERATED}
    error = await limit_error({"sources": [{**source, "max_bytes": MiB}]})
    assert "more than 1,048,576 bytes" in str(error)
    # One value bigger than the limit is refused by SQLite itself, never built here.
    huge = {**source, "query": "SELECT hex(zeroblob(900000)) AS v", "max_bytes": MiB}
    error = await limit_error({"sources": [huge]})
    assert "a value of the query's result is bigger than the 1,048,576 bytes" in str(error)


async def test_rows_that_grow_are_counted_one_by_one_against_max_bytes(empty_db: Path) -> None:
    # 1,000 tiny rows, then 2,000 of 20,000 characters (40 MB in all): a fetch sized by
    # the first rows would hold them all at once.
    growing = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) "
        "SELECT CASE WHEN x <= 1000 THEN 'a' ELSE hex(zeroblob(10000)) END AS v FROM c"
    )
    source = {"type": "database", "name": "gen", "path": str(empty_db), "query": growing}
    tracemalloc.start()
    try:
        error = await limit_error({"sources": [{**source, "max_bytes": MiB}]})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "more than 1,048,576 bytes" in str(error)
    # Python's share of the read (the rows fetched): near the limit, not the 40 MB.
    assert peak < 8 * MiB, f"{peak / MiB:.1f} MiB held"


async def test_an_empty_file_is_not_opened_as_a_database(tmp_path: Path) -> None:
    empty = tmp_path / "upload.db"
    empty.write_bytes(b"")
    csv = tmp_path / "upload.sqlite"
    csv.write_text("id,revenue\n1,5\n")
    sources = [
        {"type": "database", "name": "empty", "path": str(empty), "query": "SELECT 1 AS one"},
        {"type": "database", "name": "csv", "path": str(csv), "query": "SELECT 1 AS one"},
    ]
    out = await extract({"sources": [*sources, {"type": "inline", "records": [{"a": 1}]}]})
    errors = {e["source"]: e["message"] for e in out["errors"]}
    assert errors["empty"].endswith("the file is empty, not a SQLite database")
    assert "csv" in errors
    assert "not a SQLite database" in errors["csv"]
