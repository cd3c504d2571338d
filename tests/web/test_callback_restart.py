"""Callbacks survive the server: a restart, or a kill -9, does not lose a delivery."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

from actorflow import Runtime
from actorflow.client._common import SseParser
from actorflow.store import RunStore
from actorflow.web import Settings, create_app
from tests.web.web_agents import RECORDS, Gate, gated_workflow, register_agents
from tests.web.web_process import ENV, SERVER
from tests.web.web_server import Receiver, Served, start_site

SETTINGS = {"allowed_hosts": ("127.0.0.1",), "webhook_backoff_s": 0.05}


@pytest.fixture
async def receiver() -> Any:
    receiver = Receiver([503])  # says no until told otherwise
    app = aiohttp.web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner, url = await start_site(app)
    receiver.url = url + "/hook"
    yield receiver
    await runner.cleanup()


async def _serve(runtime: Runtime, store: RunStore | None, db_path: Path) -> Served:
    app = create_app(runtime, store, settings=Settings(**SETTINGS), db=str(db_path))
    runner, url = await start_site(app)
    return Served(url, app, runner, aiohttp.ClientSession())


async def _close(served: Served) -> None:
    await served.http.close()
    await served.runner.cleanup()


def _accept(receiver: Receiver) -> int:
    """From now on the receiver says yes; returns the calls it got so far."""
    receiver.answers = [200]
    receiver.settled.clear()
    return len(receiver.calls)


async def test_a_callback_still_retrying_at_shutdown_is_delivered_after_a_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    db_path = tmp_path / "runs.db"
    with Runtime(stop_timeout_s=5.0) as runtime:
        register_agents(runtime)
        with RunStore(db_path) as store:
            first = await _serve(runtime, store, db_path)
            try:
                run_id = await first.execute(
                    {"task": "t", "input_data": {"r": RECORDS}, "callback_url": receiver.url}
                )
                await asyncio.wait_for(receiver.settled.wait(), 20)  # refused once at least
            finally:
                await _close(first)  # abandons the delivery, still retrying
    refused = _accept(receiver)

    with Runtime(stop_timeout_s=5.0) as runtime:
        register_agents(runtime)
        second = await _serve(runtime, None, db_path)  # its own store on the same file
        try:
            await asyncio.wait_for(receiver.settled.wait(), 20)
        finally:
            await _close(second)
    headers, body = receiver.calls[-1]
    assert len(receiver.calls) == refused + 1
    assert headers["Idempotency-Key"] == run_id
    assert body == receiver.calls[0][1]  # the body kept at the run's end, byte for byte
    assert (body["workflow_id"], body["status"]) == (run_id, "completed")
    with RunStore(db_path) as store:
        assert store.callbacks.claim() == ()  # delivered: nothing left open


async def _until_held(http: aiohttp.ClientSession, url: str, run_id: str) -> None:
    """Read the run's events until its gate stage reports that it waits."""
    parser = SseParser()
    async with http.get(f"{url}/v1/workflows/{run_id}/events") as response:
        async for line in response.content:
            for event in parser.feed(line.decode()):
                if event.kind == "stage_progress" and getattr(event, "stage", "") == "hold":
                    return
    raise AssertionError("the event stream ended before the gate stage waited")


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
async def test_a_run_resumed_after_a_kill_9_still_calls_back_when_it_ends(
    tmp_path: Path, receiver: Receiver, request: pytest.FixtureRequest
) -> None:
    db_path = tmp_path / "runs.db"
    gate = request.node.name
    opened, _ = Gate.make(gate)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVER,
        str(db_path),
        msgspec.json.encode({"allowed_hosts": ["127.0.0.1"]}).decode(),
        gate,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,  # not the repository: what the process writes stays in tmp_path
        env=ENV,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        assert url.startswith("http://127.0.0.1:"), await process.stderr.read()
        async with aiohttp.ClientSession() as http:
            body = {
                "task": "t",
                "input_data": {"r": RECORDS},
                "workflow_config": gated_workflow(gate),
                "callback_url": receiver.url,
            }
            async with http.post(f"{url}/v1/workflows/execute", json=body) as response:
                assert response.status == 200, await response.text()
                run_id = (await response.json())["workflow_id"]
            await asyncio.wait_for(_until_held(http, url, run_id), 30)
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    _accept(receiver)

    with Runtime(stop_timeout_s=5.0) as runtime:
        register_agents(runtime)
        second = await _serve(runtime, None, db_path)  # owns its store: recovers the run
        try:
            opened.set()
            await asyncio.wait_for(receiver.settled.wait(), 20)
        finally:
            await _close(second)
    headers, delivered = receiver.calls[-1]
    assert headers["Idempotency-Key"] == run_id
    assert (delivered["workflow_id"], delivered["status"]) == (run_id, "completed")
    assert [s["status"] for s in delivered["stages"]] == ["succeeded"] * 3
