"""The server-sent event stream: replay of the past, live events, resumption, the store."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import aiohttp

from actorflow import Runtime
from actorflow.client._common import SseParser
from actorflow.web import create_app
from tests.web.web_agents import RECORDS, Gate, gated_workflow
from tests.web.web_server import Served, start_site


async def _read_events(
    http: aiohttp.ClientSession, url: str, *, headers: dict[str, str] | None = None, stop: int = 0
) -> list[Any]:
    """Every event of a stream until it ends (or ``stop`` events were read)."""
    parser = SseParser()
    events: list[Any] = []
    async with http.get(url, headers=headers) as response:
        assert response.status == 200
        assert response.content_type == "text/event-stream"
        async for line in response.content:
            events.extend(parser.feed(line.decode()))
            if stop and len(events) >= stop:
                break
    return events


async def test_stream_replays_the_past_then_follows_live_until_the_run_ends(
    server: Served,
) -> None:
    gate, entered = Gate.make("live")
    run_id = await server.execute(
        {"task": "t", "input_data": {"r": RECORDS}, "workflow_config": gated_workflow("live")}
    )
    assert await asyncio.to_thread(entered.wait, 10)
    url = f"{server.url}/v1/workflows/{run_id}/events"

    parser = SseParser()
    events: list[Any] = []
    async with server.http.get(url) as response:
        assert response.status == 200
        assert response.content_type == "text/event-stream"
        async for line in response.content:
            for event in parser.feed(line.decode()):
                events.append(event)
                if event.kind == "stage_progress" and event.stage == "hold":
                    # All of this was replayed; what follows can only come live.
                    replayed = len(events)
                    gate.set()
    assert 0 < replayed < len(events)

    kinds = [e.kind for e in events]
    assert kinds[0] == "run_started"
    assert kinds[-1] == "run_finished"
    assert kinds.count("run_finished") == 1
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert any(e.kind == "stage_progress" and e.stage == "hold" for e in events)
    finished = [e.stage for e in events if e.kind == "stage_finished"]
    assert finished == ["extraction", "hold", "processing"]
    assert events[-1].status == "completed"
    assert events[-1].progress == 100
    assert all(a.progress <= b.progress for a, b in itertools.pairwise(events))


async def test_stream_of_a_finished_run_replays_everything_and_ends(server: Served) -> None:
    run_id = await server.execute({"task": "t", "input_data": {"r": RECORDS}})
    await server.wait_done(run_id)
    events = await _read_events(server.http, f"{server.url}/v1/workflows/{run_id}/events")
    assert events[0].kind == "run_started"
    assert events[-1].kind == "run_finished"
    assert len({e.seq for e in events}) == len(events)


async def test_last_event_id_resumes_after_what_the_client_saw(server: Served) -> None:
    run_id = await server.execute({"task": "t", "input_data": {"r": RECORDS}})
    await server.wait_done(run_id)
    url = f"{server.url}/v1/workflows/{run_id}/events"
    everything = await _read_events(server.http, url)
    rest = await _read_events(server.http, url, headers={"Last-Event-ID": "3"})
    assert [e.seq for e in rest] == [e.seq for e in everything if e.seq > 3]
    by_query = await _read_events(server.http, url + "?after=3")
    assert [e.seq for e in by_query] == [e.seq for e in rest]


async def test_stream_of_an_unknown_run_is_a_404(server: Served) -> None:
    status, body = await server.get("/v1/workflows/ghost/events")
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = await server.get("/v1/workflows/ghost/events?after=x")
    assert status in (404, 422)


async def test_a_client_that_leaves_mid_run_does_not_stall_the_run(server: Served) -> None:
    gate, entered = Gate.make("leave")
    run_id = await server.execute(
        {"task": "t", "input_data": {"r": RECORDS}, "workflow_config": gated_workflow("leave")}
    )
    url = f"{server.url}/v1/workflows/{run_id}/events"
    first = await _read_events(server.http, url, stop=1)  # reads one event, then hangs up
    assert first[0].kind == "run_started"
    assert await asyncio.to_thread(entered.wait, 10)
    gate.set()
    final = await server.wait_done(run_id)
    assert final["status"] == "completed"


async def test_shutting_down_ends_open_streams_at_once(agents_runtime: Runtime) -> None:
    gate, entered = Gate.make("shutdown")
    app = create_app(agents_runtime, persist=False)
    runner, url = await start_site(app)
    async with aiohttp.ClientSession() as http:
        served = Served(url, app, runner, http)
        run_id = await served.execute(
            {
                "task": "t",
                "input_data": {"r": RECORDS},
                "workflow_config": gated_workflow("shutdown"),
            }
        )
        assert await asyncio.to_thread(entered.wait, 10)
        reader = asyncio.create_task(_read_events(http, f"{url}/v1/workflows/{run_id}/events"))
        await asyncio.sleep(0)  # let it connect; the run is held, so the stream stays open
        started = time.monotonic()
        await asyncio.wait_for(runner.cleanup(), 10)
        assert time.monotonic() - started < 1.5  # well within the 2 s shutdown timeout
        await asyncio.wait_for(asyncio.gather(reader, return_exceptions=True), 10)
    gate.set()


async def test_the_stream_of_a_failed_run_carries_no_traceback(server: Served) -> None:
    # Reported: /events sent error.detail (a Python traceback with install paths) that
    # /status hides.
    run_id = await server.execute({"task": "t", "input_data": {"records": []}})
    status = await server.wait_done(run_id)
    assert status["status"] == "failed"
    history = server.service.runtime.hub.history(run_id)
    assert any(getattr(e, "error", None) and e.error.detail for e in history)  # it is there

    async with server.http.get(f"{server.url}/v1/workflows/{run_id}/events") as response:
        raw = await response.read()
    assert b"Traceback" not in raw
    assert b"site-packages" not in raw
    events = await _read_events(server.http, f"{server.url}/v1/workflows/{run_id}/events")
    failures = [e for e in events if getattr(e, "error", None) is not None]
    assert failures
    assert failures[-1].error.type == status["error_detail"]["type"]
    assert all(e.error.detail is None for e in failures)
