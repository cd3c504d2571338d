"""A real HTTP server and a real SQLite file for the extraction tests."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from actorflow.contracts import SPILL_DIR_ENV
from tests.agents.extraction.extraction_helpers import PAGE_SIZE, PAGES, Server, customer


def _page_body(page: int) -> dict[str, Any]:
    start = (page - 1) * PAGE_SIZE
    return {"data": [customer(n) for n in range(start + 1, start + PAGE_SIZE + 1)]}


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    """An aiohttp app on 127.0.0.1, port 0, serving pages, errors and a slow endpoint."""
    slow_entered = asyncio.Event()
    release = asyncio.Event()
    seen: list[web.Request] = []

    async def linked(request: web.Request) -> web.Response:
        seen.append(request)
        page = int(request.match_info["page"])
        body: dict[str, Any] = _page_body(page)
        if page < PAGES:
            # page 1 links relatively, page 2 absolutely: both must be followed
            body["links"] = {"next": f"{page + 1}" if page == 1 else f"{base}/linked/{page + 1}"}
        return web.json_response(body)

    async def numbered(request: web.Request) -> web.Response:
        seen.append(request)
        page = int(request.query.get("page", "1"))
        if page > PAGES:
            return web.json_response({"result": {"items": []}})
        return web.json_response({"result": {"items": _page_body(page)["data"]}})

    async def endless(request: web.Request) -> web.Response:
        seen.append(request)
        page = int(request.query.get("page", "1"))
        return web.json_response({"data": [customer(page)], "next": f"?page={page + 1}"})

    async def fail(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["status"]), text="something broke")

    async def invalid(request: web.Request) -> web.Response:
        return web.Response(text='{"data": [\n  {"id": 1},\n  {"id": 2,}\n]}')

    async def slow(request: web.Request) -> web.Response:
        slow_entered.set()
        await release.wait()
        return web.json_response([])

    async def second_page_fails(request: web.Request) -> web.Response:
        if request.query.get("page") == "2":
            return web.Response(status=503, text="try later")
        return web.json_response({"data": [customer(1)], "next": "?page=2"})

    app = web.Application()
    app.router.add_get("/linked/{page}", linked)
    app.router.add_get("/numbered", numbered)
    app.router.add_get("/endless", endless)
    app.router.add_get("/status/{status}", fail)
    app.router.add_get("/invalid", invalid)
    app.router.add_get("/slow", slow)
    app.router.add_get("/flaky", second_page_fails)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    try:
        yield Server(base, slow_entered, release, seen)
    finally:
        release.set()
        await runner.cleanup()


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    """A real SQLite file with an ``orders`` table."""
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE orders (id INTEGER, customer TEXT, amount REAL, note BLOB, paid INTEGER)"
        )
        connection.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
            [
                (1, "ann", 19.99, None, 1),
                (2, "bob", 5.0, b"gift", 0),
                (3, "ann", 120.5, None, 1),
                (4, None, 7.25, None, 0),
            ],
        )
    connection.close()
    return path


@pytest.fixture
def spill_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that spilled records go under by default ($ACTORFLOW_SPILL_DIR)."""
    root = tmp_path / "spill"
    root.mkdir()
    monkeypatch.setenv(SPILL_DIR_ENV, str(root))
    return root
