"""Blinker subscribers cannot break or stall the runtime; stopping leaves no thread behind."""

from __future__ import annotations

import threading
from typing import Any

from structlog.testing import capture_logs

from actorflow import Runtime, signals
from actorflow.contracts import Event, RunFinished
from tests.scripted_agents import Scripted
from tests.thread_check import actor_threads


def wf(n: int = 2) -> dict[str, Any]:
    return {"name": "wf", "stages": [{"name": f"s{i}", "agent": "s"} for i in range(n)]}


def test_a_raising_subscriber_breaks_nothing_and_is_logged(runtime: Runtime) -> None:
    runtime.register_agent("s", Scripted)
    received: list[Event] = []
    done = threading.Event()

    def bad(sender: str, *, event: Event) -> None:
        raise RuntimeError("subscriber bug")

    def good(sender: str, *, event: Event) -> None:
        received.append(event)
        if isinstance(event, RunFinished):
            done.set()

    signals.stage_started.connect(bad)
    signals.event.connect(good)
    try:
        with capture_logs() as logs:
            result = runtime.run(wf(), timeout=10)
            assert done.wait(10)
            runtime.stop()
    finally:
        signals.stage_started.disconnect(bad)
        signals.event.disconnect(good)
    assert result.status == "completed"
    assert [e.seq for e in received] == list(range(1, len(received) + 1))
    assert any(
        log["event"] == "subscriber raised" and "subscriber bug" in log["error"] for log in logs
    )


def test_a_slow_subscriber_stalls_neither_runs_nor_other_subscribers(runtime: Runtime) -> None:
    runtime.register_agent("s", Scripted)
    release = threading.Event()
    fast_done = threading.Event()

    def slow(sender: str, *, event: Event) -> None:
        release.wait(30)

    def fast(sender: str, *, event: Event) -> None:
        if isinstance(event, RunFinished):
            fast_done.set()

    signals.event.connect(slow)
    signals.run_finished.connect(fast)
    try:
        results = [runtime.run(wf(), timeout=10) for _ in range(5)]
        assert fast_done.wait(10)
    finally:
        release.set()
        signals.event.disconnect(slow)
        signals.run_finished.disconnect(fast)
    assert all(r.status == "completed" for r in results)


def test_subscribers_filtered_by_run_id_get_only_that_run(runtime: Runtime) -> None:
    runtime.register_agent("s", Scripted)
    got: list[str] = []
    done = threading.Event()

    def on_finish(sender: str, *, event: RunFinished) -> None:
        got.append(sender)
        done.set()

    signals.run_finished.connect(on_finish, sender="chosen-run")
    try:
        runtime.run(wf(1), timeout=10)
        runtime.submit(wf(1), run_id="chosen-run").result(10)
        assert done.wait(10)
    finally:
        signals.run_finished.disconnect(on_finish)
    assert got == ["chosen-run"]


def test_leaving_the_with_block_stops_every_actor_thread() -> None:
    with Runtime() as rt:
        rt.register_agent("s", Scripted, concurrency=3)
        rt.register_agent("t", Scripted, concurrency=2)
        assert rt.run(wf(3), timeout=10).status == "completed"
        assert len(actor_threads()) >= 6
    assert actor_threads() == []


def test_stopping_cancels_unfinished_runs() -> None:
    with Runtime() as rt:
        rt.register_agent("s", Scripted)
        handle = rt.submit(
            {"name": "wf", "stages": [{"name": "a", "agent": "s", "params": {"script": ["hang"]}}]}
        )
    result = handle.result(5)
    assert result.status == "cancelled"
    assert actor_threads() == []
