"""Async agents, and the asyncio bridge on a real event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from actorflow import Runtime
from actorflow.contracts import RunFinished, RunStarted, StageFinished
from tests.scripted_agents import AsyncScripted, Gate, Scripted


def wf(*stages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "wf", "stages": list(stages), **extra}


def test_async_agents_run_on_a_loop_owned_by_their_actor_thread(runtime: Runtime) -> None:
    runtime.register_agent("a", AsyncScripted, concurrency=2)
    result = runtime.run(wf({"name": "x", "agent": "a"}, {"name": "y", "agent": "a"}), timeout=10)
    assert result.status == "completed"
    assert result.output("x")["loop_thread"].startswith("AgentActor")
    assert runtime.agents()[0].is_async


def test_an_async_agent_that_hangs_is_cancelled_by_its_timeout(runtime: Runtime) -> None:
    runtime.register_agent("a", AsyncScripted)
    result = runtime.run(
        wf({"name": "x", "agent": "a", "timeout_s": 0.05, "params": {"script": ["hang"]}}),
        timeout=10,
    )
    assert result.outcome("x").status == "timed_out"
    # The cancelled coroutine freed the actor: it serves the next run.
    assert runtime.run(wf({"name": "x", "agent": "a"}), timeout=10).status == "completed"


async def test_events_bridge_yields_every_event_without_blocking_the_loop(runtime: Runtime) -> None:
    runtime.register_agent("gate", Gate)
    runtime.register_agent("s", Scripted)
    Gate.gates["bridge"] = threading.Event()
    Gate.entered["bridge"] = threading.Event()
    handle = runtime.submit(
        wf(
            {"name": "g", "agent": "gate", "params": {"gate": "bridge"}},
            {"name": "s", "agent": "s"},
        )
    )

    async def open_gate_from_the_loop() -> None:
        # Runs only if the loop is free while the bridge waits for events.
        await asyncio.to_thread(Gate.entered["bridge"].wait, 10)
        Gate.gates["bridge"].set()

    opener = asyncio.create_task(open_gate_from_the_loop())
    seen = [event async for event in runtime.events(handle.run_id)]
    await opener
    assert isinstance(seen[0], RunStarted)
    assert isinstance(seen[-1], RunFinished)
    assert seen[-1].status == "completed"
    assert [e.seq for e in seen] == list(range(1, len(seen) + 1))
    assert [e.stage for e in seen if isinstance(e, StageFinished)] == ["g", "s"]


async def test_a_late_listener_gets_the_past_replayed(runtime: Runtime) -> None:
    runtime.register_agent("s", Scripted)
    result = await runtime.arun(wf({"name": "a", "agent": "s"}))
    seen = [event async for event in runtime.events(result.run_id)]
    assert [type(e).__name__ for e in seen] == [
        "RunStarted",
        "StageStarted",
        "StageFinished",
        "RunFinished",
    ]


async def test_async_context_manager_runs_and_stops(tmp_path: Any) -> None:
    async with Runtime() as rt:
        rt.register_agent("a", AsyncScripted)
        result = await rt.arun(wf({"name": "x", "agent": "a"}))
    assert result.status == "completed"
    assert not rt.running
