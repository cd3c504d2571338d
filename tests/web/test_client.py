"""The Python clients, sync and async, against a real server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from actorflow import Runtime
from actorflow.client import AsyncClient, Client, ClientError
from actorflow.store import RunStore
from actorflow.web import Settings, create_app
from tests.web.web_agents import RECORDS, Gate, gated_workflow
from tests.web.web_server import Served, ThreadedServer

TOKEN = "client-token-1234"


@pytest.fixture
def threaded(agents_runtime: Runtime, store: RunStore, data_root: Path) -> Iterator[ThreadedServer]:
    """A server in a thread of its own: the sync client blocks its caller."""
    settings = Settings(api_token=TOKEN, data_roots=(data_root,))
    with ThreadedServer(lambda: create_app(agents_runtime, store, settings=settings)) as server:
        yield server


def test_sync_client_executes_and_follows_progress_to_the_end(threaded: ThreadedServer) -> None:
    client = Client(threaded.url, token=TOKEN)
    seen: list[str] = []
    final = client.execute(
        "clean the revenue", {"records": RECORDS}, on_progress=lambda e: seen.append(e.kind)
    )
    assert final.status == "completed"
    assert final.results is not None
    assert final.results["insights"]["totals"]["records"] == 2
    assert seen[0] == "run_started"
    assert seen[-1] == "run_finished"
    assert "stage_finished" in seen

    assert client.status(final.workflow_id).status == "completed"
    listing = client.list(status="completed", limit=5)
    assert final.workflow_id in [run.workflow_id for run in listing]
    assert "THE DAILY" in client.results(final.workflow_id, "csv")
    assert client.results(final.workflow_id)["workflow_id"] == final.workflow_id
    assert client.health().status == "healthy"
    assert set(client.agents().agents) >= {"extractor", "processor"}
    assert client.workflow_definitions().workflows[0].name == "default"


def test_the_client_names_runs_by_a_unique_prefix(threaded: ThreadedServer) -> None:
    client = Client(threaded.url, token=TOKEN)
    final = client.execute("clean the revenue", {"records": RECORDS})
    other = client.execute("clean the revenue", {"records": RECORDS})
    assert final.workflow_id.startswith("wf_")
    n = next(n for n in range(4, 35) if final.workflow_id[:n] != other.workflow_id[:n])
    short = final.workflow_id[:n]
    assert client.status(short).workflow_id == final.workflow_id
    assert client.wait(short).workflow_id == final.workflow_id
    assert client.results(short)["workflow_id"] == final.workflow_id
    with pytest.raises(ClientError) as caught:
        client.status("wf_")
    assert (caught.value.status, caught.value.code) == (400, "ambiguous_id")
    assert final.workflow_id in caught.value.message
    assert other.workflow_id in caught.value.message


def test_sync_client_cancels_and_reports_server_errors(threaded: ThreadedServer) -> None:
    client = Client(threaded.url, token=TOKEN)
    _gate, entered = Gate.make("sync-cancel")
    started = client.execute(
        "t", {"r": RECORDS}, workflow_config=gated_workflow("sync-cancel"), wait=False
    )
    assert started.status == "processing"
    assert entered.wait(10)
    assert client.cancel(started.workflow_id).message == "cancellation requested"
    final = client.wait(started.workflow_id, timeout=20)
    assert final.status == "cancelled"

    with pytest.raises(ClientError) as caught:
        client.status("missing-run")
    assert (caught.value.status, caught.value.code, caught.value.field) == (
        404,
        "not_found",
        "workflow_id",
    )
    with pytest.raises(ClientError) as caught:
        Client(threaded.url, token="wrong-token").list()
    assert caught.value.status == 401
    with pytest.raises(ClientError, match="Connection refused") as caught:
        Client("http://127.0.0.1:9", token=TOKEN, timeout_s=2).health()
    assert (caught.value.status, caught.value.code) == (0, "unreachable")
    with pytest.raises(ClientError, match="stages") as caught:
        client.execute("t", {"r": RECORDS}, workflow_config={"stages": "nope"})
    assert caught.value.code == "invalid_input"


def test_the_token_comes_from_the_environment(
    threaded: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTORFLOW_API_TOKEN", TOKEN)
    assert isinstance(Client(threaded.url).list(), list)


def test_sync_clients_in_threads_run_side_by_side(threaded: ThreadedServer) -> None:
    client = Client(threaded.url, token=TOKEN)
    results: list[str] = []

    def one() -> None:
        results.append(client.execute("t", {"r": RECORDS}, timeout=30).status)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == ["completed"] * 4


async def test_async_client_executes_lists_and_cancels(server: Served) -> None:
    events: list[str] = []
    async with AsyncClient(server.url) as client:
        final = await client.execute(
            "clean", {"records": RECORDS}, on_progress=lambda e: events.append(e.kind)
        )
        assert final.status == "completed"
        assert events[-1] == "run_finished"
        assert (await client.status(final.workflow_id)).results == final.results
        assert (await client.list(limit=1))[0].workflow_id == final.workflow_id
        assert "THE DAILY" in await client.results(final.workflow_id, "csv")

        _gate, entered = Gate.make("async-cancel")
        started = await client.execute(
            "t", {"r": RECORDS}, workflow_config=gated_workflow("async-cancel"), wait=False
        )
        assert await asyncio.to_thread(entered.wait, 10)
        await client.cancel(started.workflow_id)
        assert (await client.wait(started.workflow_id, timeout=20)).status == "cancelled"
        with pytest.raises(ClientError) as caught:
            await client.cancel(started.workflow_id)
        assert caught.value.code == "already_finished"
        assert (await client.health()).agents_total == 4
