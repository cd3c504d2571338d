"""Callbacks to a real local receiver: delivered, retried after a failure, given up on a no."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from actorflow import Agent, Runtime, StageRequest
from tests.web.web_agents import RECORDS
from tests.web.web_server import MakeServer, Receiver, start_site


@pytest.fixture
async def receivers() -> AsyncIterator[Any]:
    runners: list[web.AppRunner] = []

    async def make(*answers: int) -> Receiver:
        receiver = Receiver(list(answers))
        app = web.Application()
        app.router.add_post("/hook", receiver.handle)
        runner, url = await start_site(app)
        runners.append(runner)
        receiver.url = url + "/hook"
        return receiver

    yield make
    for runner in runners:
        await runner.cleanup()


async def test_the_final_status_is_posted_with_an_idempotency_key(
    make_server: MakeServer, receivers: Any
) -> None:
    receiver = await receivers(200)
    server = await make_server(allowed_hosts=("127.0.0.1",))
    run_id = await server.execute(
        {"task": "t", "input_data": {"r": RECORDS}, "callback_url": receiver.url}
    )
    await asyncio.wait_for(receiver.settled.wait(), 20)
    ((headers, body),) = receiver.calls
    assert headers["Idempotency-Key"] == run_id
    assert headers["Content-Type"] == "application/json"
    assert body["workflow_id"] == run_id
    assert body["status"] == "completed"
    assert body["results"]["insights"]["totals"]["records"] == 2


async def test_a_receiver_that_fails_first_gets_the_same_delivery_again(
    make_server: MakeServer, receivers: Any
) -> None:
    receiver = await receivers(503, 500, 200)
    server = await make_server(allowed_hosts=("127.0.0.1",), webhook_backoff_s=0.01)
    run_id = await server.execute(
        {"task": "t", "input_data": {"r": RECORDS}, "callback_url": receiver.url}
    )
    await asyncio.wait_for(receiver.settled.wait(), 20)
    assert len(receiver.calls) == 3
    assert {headers["Idempotency-Key"] for headers, _ in receiver.calls} == {run_id}
    assert receiver.calls[0][1] == receiver.calls[2][1]


async def test_a_receiver_that_refuses_is_not_retried(
    make_server: MakeServer, receivers: Any
) -> None:
    receiver = await receivers(400, 200)
    server = await make_server(allowed_hosts=("127.0.0.1",), webhook_backoff_s=0.01)
    run_id = await server.execute(
        {"task": "t", "input_data": {"r": RECORDS}, "callback_url": receiver.url}
    )
    await server.wait_done(run_id)
    await _until_idle(server.service.webhooks)
    assert len(receiver.calls) == 1


async def test_retries_stop_after_the_time_bound(make_server: MakeServer, receivers: Any) -> None:
    receiver = await receivers(500)
    server = await make_server(
        allowed_hosts=("127.0.0.1",), webhook_backoff_s=0.05, webhook_max_elapsed_s=0.3
    )
    run_id = await server.execute(
        {"task": "t", "input_data": {"r": RECORDS}, "callback_url": receiver.url}
    )
    await server.wait_done(run_id)
    await _until_idle(server.service.webhooks)
    assert 2 <= len(receiver.calls) <= 6


async def test_an_unreachable_receiver_is_retried_then_given_up(
    make_server: MakeServer, receivers: Any
) -> None:
    receiver = await receivers(200)
    url = receiver.url
    server = await make_server(
        allowed_hosts=("127.0.0.1",), webhook_backoff_s=0.02, webhook_max_elapsed_s=0.2
    )
    # A port nothing listens on: connection refused on every attempt.
    dead = url.rsplit(":", 1)[0] + ":9/hook"
    run_id = await server.execute({"task": "t", "input_data": {"r": RECORDS}, "callback_url": dead})
    await server.wait_done(run_id)
    delivered = await _until_idle(server.service.webhooks)
    assert delivered == [False]


async def test_callbacks_to_private_addresses_are_refused_by_default(
    make_server: MakeServer,
) -> None:
    server = await make_server()
    for url, code in [
        ("http://127.0.0.1:9/hook", 403),
        ("http://10.0.0.1/hook", 403),
        ("http://169.254.169.254/latest", 403),
        ("http://[::1]/hook", 403),
        ("http://internal.example/hook", 403),
        ("http://sneaky.example/hook", 403),
        ("ftp://public.example/hook", 422),
        ("not a url", 422),
    ]:
        status, body = await server.post(
            "/v1/workflows/execute", {"task": "t", "callback_url": url}
        )
        assert (status, body["error"]["field"]) == (code, "callback_url"), (url, body)


async def _until_idle(webhooks: Any) -> list[bool]:
    """Wait for every delivery in flight; return their outcomes."""
    tasks = list(webhooks._tasks)
    return list(await asyncio.wait_for(asyncio.gather(*tasks), 20)) if tasks else []


class Picky(Agent):
    """Takes no params: refuses any before a run starts."""

    def check_params(self, params: Mapping[str, Any], *, stage: str) -> None:
        if params:
            raise ValueError(f"takes no params, got {sorted(params)}")

    def perform(self, request: StageRequest) -> Any:
        return None


async def test_the_callback_of_a_refused_run_is_closed_not_left_for_a_restart(
    make_server: MakeServer, receivers: Any, db_path: Path, agents_runtime: Runtime
) -> None:
    agents_runtime.register_agent("picky", Picky)
    receiver = await receivers(200)
    server = await make_server(allowed_hosts=("127.0.0.1",))
    bad_params = {
        "name": "refused",
        "stages": [{"name": "p", "agent": "picky", "params": {"colour": "red"}}],
    }
    status, body = await server.post(
        "/v1/workflows/execute",
        {"task": "t", "input_data": {"r": RECORDS}, "workflow_config": bad_params,
         "callback_url": receiver.url},
    )  # fmt: skip
    assert status == 422, body
    assert "stage 'p', field 'params': takes no params" in body["error"]["message"]
    assert body["error"]["field"] == "workflow_config.stages[0].params"
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT state, last_error FROM callbacks").fetchall()
    assert rows == [("failed", "the run was refused: WorkflowValidationError")]  # closed
    assert receiver.calls == []
