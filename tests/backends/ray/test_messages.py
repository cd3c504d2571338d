"""What crosses to Ray and back: records as Arrow, progress in order, cancellation, and
payloads Ray cannot carry (a stage error, never a hang)."""

from __future__ import annotations

import datetime as dt
import decimal
import threading
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest

pytest.importorskip("ray")  # the Ray suite: skipped where Ray is not installed

from actorflow import Records, Runtime
from actorflow.backends.ray import records_from_wire, records_to_wire
from actorflow.contracts import (
    Event,
    RunFinished,
    StageFinished,
    StageProgress,
    StageStarted,
)
from tests.backends.ray.ray_agents import (
    AddsColumn,
    Color,
    Echo,
    Holder,
    Reporter,
    Unpicklable,
    Victim,
)
from tests.scripted_agents import AsyncScripted, Scripted

pytestmark = pytest.mark.ray


def wf(*stages: dict[str, Any]) -> dict[str, Any]:
    return {"name": "wf", "stages": list(stages)}


def sample_records(rows: int) -> Records:
    return Records(
        pl.DataFrame(
            {
                "id": list(range(rows)),
                "name": [None if i % 7 == 0 else f"podcast {i % 13}" for i in range(rows)],
                "amount": pl.Series([decimal.Decimal(i) / 100 for i in range(rows)]).cast(
                    pl.Decimal(38, 2)
                ),
                "day": [dt.date(2024, 1, 1) + dt.timedelta(days=i % 400) for i in range(rows)],
            }
        )
    )


def test_records_cross_to_ray_as_arrow_and_come_back_equal(ray_runtime: Runtime) -> None:
    records = sample_records(50_000)
    wire = records_to_wire(records)
    assert type(wire).__module__.startswith("pyarrow")
    assert records_from_wire(wire) == records
    ray_runtime.register_agent("adds", AddsColumn)
    result = ray_runtime.run(wf({"name": "a", "agent": "adds"}), {"records": records}, timeout=60)
    out = result.output("a")
    assert result.status == "completed", result.error
    assert isinstance(out, Records)
    expected = records.frame.with_columns(doubled=records.frame["amount"] * 2)
    assert out.frame.equals(expected)
    assert out.schema == dict(expected.schema)


def test_progress_reports_arrive_in_order_before_the_stage_finishes(
    ray_runtime: Runtime,
) -> None:
    ray_runtime.register_agent("reporter", Reporter)
    run_id = "progress-order"
    handle = ray_runtime.submit(
        wf({"name": "a", "agent": "reporter", "params": {"steps": 6, "pause_s": 0.03}}),
        run_id=run_id,
    )
    assert handle.result(60).status == "completed"
    events = ray_runtime.history(run_id)
    kinds = [type(e).__name__ for e in events]  # in seq order
    assert kinds[:2] == ["RunStarted", "StageStarted"]
    assert kinds[-2:] == ["StageFinished", "RunFinished"]
    progress = [e for e in events if isinstance(e, StageProgress)]
    assert [e.message for e in progress] == [f"step {i} of 6" for i in range(1, 7)]
    assert [e.fraction for e in progress] == sorted(e.fraction for e in progress)
    # The first ones arrived while the stage still ran (through the long poll), not
    # all with its result: 6 steps of 30 ms leave the stage running well after them.
    finished = next(e for e in events if isinstance(e, StageFinished))
    assert finished.at - progress[0].at > 0.05


def test_a_cancelled_run_sets_the_cancel_token_the_remote_agent_polls(
    ray_runtime: Runtime, tmp_path: Path
) -> None:
    ray_runtime.register_agent("victim", Victim)
    marker = tmp_path / "cancelled.txt"
    reporting = threading.Event()
    run_id = "cancel-remote"

    def listen(event: Event) -> None:
        if isinstance(event, StageProgress):
            reporting.set()

    _, close = ray_runtime.hub.subscribe(run_id, listen)
    stage = {"name": "a", "agent": "victim", "params": {"marker": str(marker), "wait": True}}
    handle = ray_runtime.submit(wf(stage), run_id=run_id)
    assert reporting.wait(30)  # the agent is running on its worker
    handle.cancel("stop it")
    result = handle.result(30)
    close()
    assert result.status == "cancelled"
    assert result.outcome("a").status == "cancelled"
    for _ in range(500):  # bounded: the agent writes the marker once its token is set
        if marker.exists() and marker.read_text() == "stop it":
            break
        threading.Event().wait(0.01)
    assert marker.read_text() == "stop it"


def test_a_run_cancelled_before_its_attempt_reaches_the_worker_still_ends_cancelled(
    ray_runtime: Runtime,
) -> None:
    ray_runtime.register_agent("s", Scripted)
    run_id = "cancel-early"

    def listen(event: Event) -> None:
        if isinstance(event, StageStarted):
            ray_runtime.cancel(run_id, "at once")

    _, close = ray_runtime.hub.subscribe(run_id, listen)
    stage = {"name": "a", "agent": "s", "params": {"script": ["hang"]}}
    result = ray_runtime.submit(wf(stage), run_id=run_id).result(30)
    close()
    assert result.status == "cancelled"
    # The member is free again: its attempt saw the cancellation and ended.
    assert ray_runtime.run(wf({"name": "b", "agent": "s"}), timeout=30).status == "completed"


def test_async_agents_run_on_their_workers_own_event_loop(ray_runtime: Runtime) -> None:
    ray_runtime.register_agent("async", AsyncScripted)
    ok = ray_runtime.run(wf({"name": "a", "agent": "async"}), timeout=30)
    assert ok.status == "completed"
    assert ok.output("a")["stage"] == "a"
    hung = wf({"name": "a", "agent": "async", "timeout_s": 0.3, "params": {"script": ["hang"]}})
    assert ray_runtime.run(hung, timeout=30).outcome("a").status == "timed_out"
    assert ray_runtime.run(wf({"name": "b", "agent": "async"}), timeout=30).ok


def test_an_input_ray_cannot_serialize_fails_the_stage_with_a_clear_error(
    ray_runtime: Runtime,
) -> None:
    ray_runtime.register_agent("s", Scripted)
    # Frozen (a frozen Struct) so the runtime accepts it, but pickle refuses a lock.
    result = ray_runtime.run(
        wf({"name": "a", "agent": "s"}), {"holder": Holder(threading.Lock())}, timeout=30
    )
    error = result.outcome("a").error
    assert result.status == "failed"
    assert error is not None
    assert error.type == "UnfreezableError"
    assert "cannot be sent to agent 's' on Ray" in error.message
    assert "lock" in error.message.lower()
    assert not error.retryable
    assert ray_runtime.run(wf({"name": "a", "agent": "s"}), timeout=30).ok


def test_an_output_ray_cannot_serialize_fails_the_stage_with_a_clear_error(
    ray_runtime: Runtime,
) -> None:
    ray_runtime.register_agent("bad", Unpicklable)
    events: list[Event] = []
    run_id = "bad-output"
    _, close = ray_runtime.hub.subscribe(run_id, events.append)
    result = ray_runtime.submit(wf({"name": "a", "agent": "bad"}), run_id=run_id).result(30)
    close()
    error = result.outcome("a").error
    assert result.status == "failed"
    assert error is not None
    assert error.type == "UnfreezableError"
    assert "cannot be sent back from Ray" in error.message
    assert isinstance(events[-1], RunFinished)
    assert sum(isinstance(e, StageFinished) for e in events) == 1


def test_attempts_ending_while_their_progress_is_fetched_end_once_and_in_order(
    ray_cluster: Any,
) -> None:
    # Attempts of ~80 ms whose progress is being fetched (from 50 ms on) when they end:
    # the reply and the fetch's answer arrive together, and each attempt must end once.
    rt = Runtime(backend="ray", stop_timeout_s=30)
    with rt:
        rt.register_agent("reporter", Reporter, concurrency=2)
        stage = {"name": "a", "agent": "reporter", "params": {"steps": 2, "pause_s": 0.04}}
        handles = [rt.submit(wf(stage)) for _ in range(12)]
        results = [h.result(60) for h in handles]
        assert all(r.status == "completed" for r in results)
        for handle in handles:
            kinds = [type(e).__name__ for e in rt.history(handle.run_id)]
            assert kinds.count("StageFinished") == 1
            assert kinds.index("StageFinished") > max(
                i for i, k in enumerate(kinds) if k == "StageProgress"
            )
        (info,) = rt.agents()
        assert (info.executions, info.busy) == (12, 0)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 5  # nothing left waiting on a lost attempt


def test_values_of_classes_from_the_users_script_cross_both_ways(ray_runtime: Runtime) -> None:
    ray_runtime.register_agent("echo", Echo)
    result = ray_runtime.run(wf({"name": "a", "agent": "echo"}), {"value": Color.GREEN})
    assert result.status == "completed", result.error
    value = result.output("a")["value"]
    assert (type(value).__name__, value.value) == ("Color", "green")
