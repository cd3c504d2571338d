"""The run store's disk fills up under a running server: clear errors, nothing lost.

The store's connections are real SQLite connections to a real file; while ``FULL`` is
set, every statement that writes fails the way SQLite fails on a full disk
(``SQLITE_FULL``: "database or disk is full"). A mount of a small tmpfs would be the
real thing, but needs root; this is portable and fails at exactly the chosen moment.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from actorflow import Runtime
from actorflow.store import RunStore, StoreError
from actorflow.web import Settings, create_app
from tests.web.web_agents import RECORDS, Gate, register_agents
from tests.web.web_server import Served, fake_lookup, start_site

FULL = threading.Event()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class DiskFullConnection(sqlite3.Connection):
    """A connection whose writes fail as on a full disk while ``FULL`` is set."""

    def _check(self, sql: str) -> None:
        if FULL.is_set() and sql.lstrip().upper().startswith(_WRITES):
            raise sqlite3.OperationalError("database or disk is full")

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self._check(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        self._check(sql)
        return super().executemany(sql, parameters)


@pytest.fixture
def faulty_store(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunStore]:
    """A store on a real file whose connections are ``DiskFullConnection``s."""
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return real_connect(*args, factory=DiskFullConnection, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(sqlite3, "connect", connect)
        store = RunStore(db_path, busy_timeout_s=2.0, heartbeat_s=0.2, lease_s=5.0)
    try:
        yield store
    finally:
        FULL.clear()
        store.close()


@pytest.fixture
async def server(runtime: Runtime, faulty_store: RunStore) -> AsyncIterator[Served]:
    register_agents(runtime)
    app = create_app(runtime, faulty_store, settings=Settings(), lookup=fake_lookup({}))
    runner, url = await start_site(app)
    served = Served(url, app, runner, aiohttp.ClientSession())
    yield served
    await served.http.close()
    await runner.cleanup()


def _two_gates(first: str, second: str) -> dict[str, Any]:
    stage = {"name": "extraction", "agent": "extractor"}
    return {
        "name": "two-gates",
        "stages": [
            stage,
            {
                "name": "hold",
                "agent": "gate",
                "params": {"gate": first},
                "depends_on": ["extraction"],
            },
            {"name": "stuck", "agent": "gate", "params": {"gate": second}, "depends_on": ["hold"]},
        ],
    }


async def test_a_full_disk_refuses_new_runs_fails_running_ones_and_loses_nothing_recorded(
    server: Served, faulty_store: RunStore
) -> None:
    quick = {"task": "before", "input_data": {"records": RECORDS}}
    before = await server.execute(quick)
    assert (await server.wait_done(before))["status"] == "completed"
    opened, entered = Gate.make("disk")
    never, _ = Gate.make("never")
    running = await server.execute(
        {
            "task": "running",
            "input_data": {"records": RECORDS},
            "workflow_config": _two_gates("disk", "never"),
        }
    )
    assert await asyncio.to_thread(entered.wait, 10)
    await asyncio.to_thread(faulty_store.flush)

    FULL.set()
    # A new run cannot be recorded: refused, with no id, saying why.
    status, body = await server.post("/v1/workflows/execute", quick)
    assert status == 503, body
    assert body["error"]["code"] == "not_accepted"
    assert "database or disk is full" in body["error"]["message"]
    assert "recording the submission of run" in body["error"]["message"]

    # A run under way whose progress cannot be recorded stops, failed, saying why.
    opened.set()
    ended = await server.wait_done(running)
    assert ended["status"] == "failed", ended
    assert "could not record run" in ended["error_detail"]["message"]
    assert "database or disk is full" in ended["error_detail"]["message"]

    # The server keeps answering, from memory and from the store.
    status, health = await server.get("/v1/health")
    assert status == 200, health
    status, answer = await server.get(f"/v1/workflows/{before}/status")
    assert (status, answer["status"]) == (200, "completed")
    status, listed = await server.get("/v1/workflows")
    assert status == 200
    assert {before, running} <= {w["workflow_id"] for w in listed}

    FULL.clear()
    after = await server.execute(quick)
    assert (await server.wait_done(after))["status"] == "completed"
    with pytest.raises(StoreError, match="database or disk is full"):
        await asyncio.to_thread(faulty_store.flush)  # the loss is reported, once
    await asyncio.to_thread(faulty_store.flush)

    # Nothing recorded before the fault is lost; the failed run's end was written once
    # the disk took it again; the refused run was never recorded.
    stored = {r.run_id: r for r in faulty_store.list_runs()}
    assert set(stored) == {before, running, after}
    assert stored[before].status == "completed"
    assert stored[after].status == "completed"
    assert stored[running].status == "failed"
    detail = faulty_store.get_run(running)
    assert detail is not None and detail.run.error is not None
    assert "database or disk is full" in detail.run.error.message
    status, results = await server.get(f"/v1/workflows/{before}/results")
    assert status == 200
    assert results["results"]["processing"]["records"]["count"] == 2
    never.set()
