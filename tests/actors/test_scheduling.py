"""The scheduling rules of DESIGN.md, one behaviour at a time, on a real runtime."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from actorflow import Runtime
from actorflow.contracts import (
    Event,
    RunFinished,
    StageFinished,
    StageProgress,
    StageRetrying,
    StageStarted,
)
from tests.event_recorder import EventRecorder
from tests.scripted_agents import Gate, Scripted


def stage(name: str, *script: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("agent", "s")
    fields.setdefault("retry_backoff_s", 0.001)
    return {
        "name": name,
        "params": {"script": list(script or ("ok",)), **fields.pop("params", {})},
        **fields,
    }


def wf(*stages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "wf", "stages": list(stages), **extra}


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    runtime.register_agent("s", Scripted, concurrency=4)
    runtime.register_agent("gate", Gate, concurrency=4)
    return runtime


def open_gates(*names: str) -> None:
    for name in names:
        Gate.gates.setdefault(name, threading.Event()).set()


def wait_entered(*names: str) -> None:
    for name in names:
        assert Gate.entered.setdefault(name, threading.Event()).wait(10), f"{name} never started"


def gate_stage(name: str, gate: str, **fields: Any) -> dict[str, Any]:
    Gate.gates[gate] = threading.Event()
    Gate.entered[gate] = threading.Event()
    return {"name": name, "agent": "gate", "params": {"gate": gate}, **fields}


def test_sequential_stages_run_one_at_a_time_in_declaration_order(rt: Runtime) -> None:
    rec = EventRecorder(rt)
    handle = rt.submit(wf(stage("a"), stage("b"), stage("c")))
    events = rec.events(handle.run_id)
    order = [
        (type(e).__name__, e.stage) for e in events if isinstance(e, (StageStarted, StageFinished))
    ]
    assert order == [
        ("StageStarted", "a"), ("StageFinished", "a"),
        ("StageStarted", "b"), ("StageFinished", "b"),
        ("StageStarted", "c"), ("StageFinished", "c"),
    ]  # fmt: skip
    assert handle.result(5).completed_stages == ("a", "b", "c")


def test_stages_of_a_parallel_group_run_together(rt: Runtime) -> None:
    handle = rt.submit(
        wf(
            stage("first"),
            gate_stage("x", "gx", parallel_group="g"),
            gate_stage("y", "gy", parallel_group="g"),
            stage("last"),
        )
    )
    wait_entered("gx", "gy")  # both are inside perform at the same time
    open_gates("gx", "gy")
    result = handle.result(10)
    assert result.status == "completed"
    assert result.completed_stages[0] == "first"
    assert result.completed_stages[-1] == "last"


def test_the_step_after_a_group_waits_for_every_member(rt: Runtime) -> None:
    fast_done = threading.Event()

    def on_event(event: Event) -> None:
        if isinstance(event, StageFinished) and event.stage == "fast":
            fast_done.set()

    rec = EventRecorder(rt)
    handle = rt.submit(
        wf(
            gate_stage("slow", "grp", parallel_group="g"),
            stage("fast", parallel_group="g"),
            stage("after"),
        ),
        run_id="group-wait",
    )
    _, close = rt.hub.subscribe("group-wait", on_event)
    assert fast_done.wait(10)
    wait_entered("grp")
    close()
    assert not any(
        isinstance(e, StageStarted) and e.stage == "after" for e in rt.history(handle.run_id)
    )
    open_gates("grp")
    assert handle.result(10).completed_stages == ("fast", "slow", "after")
    assert rec.events(handle.run_id)[-1].status == "completed"  # type: ignore[attr-defined]


def test_parallel_workflow_starts_every_ready_stage_at_once(rt: Runtime) -> None:
    handle = rt.submit(
        wf(
            gate_stage("a", "pa"),
            gate_stage("b", "pb"),
            stage("c", depends_on=["a", "b"]),
            parallel=True,
        )
    )
    wait_entered("pa", "pb")
    open_gates("pa", "pb")
    result = handle.result(10)
    assert result.status == "completed"
    assert result.output("c")["seen"] == ("a", "b")


def test_dependents_receive_the_outputs_of_their_dependencies(rt: Runtime) -> None:
    result = rt.run(wf(stage("a"), stage("b", depends_on=["a"])), timeout=10)
    assert result.output("b")["seen"] == ("a",)
    assert result.output("a") == {"stage": "a", "attempt": 1, "seen": ()}


def test_required_stage_failure_fails_the_run_and_skips_the_rest(rt: Runtime) -> None:
    result = rt.run(wf(stage("a"), stage("b", "value"), stage("c")), timeout=10)
    assert result.status == "failed"
    assert result.error is not None and result.error.stage == "b"
    assert [result.outcome(s).status for s in "abc"] == ["succeeded", "failed", "skipped"]
    assert result.outcome("b").error.type == "ValueError"  # type: ignore[union-attr]


def test_required_failure_cancels_stages_in_flight(rt: Runtime) -> None:
    handle = rt.submit(wf(gate_stage("slow", "inflight"), stage("bad", "value"), parallel=True))
    result = handle.result(10)
    open_gates("inflight")
    assert result.status == "failed"
    assert result.outcome("slow").status == "cancelled"
    assert result.outcome("bad").status == "failed"


def test_optional_stage_failure_lets_dependents_run(rt: Runtime) -> None:
    result = rt.run(
        wf(stage("a", "value", required=False), stage("b", depends_on=["a"])), timeout=10
    )
    assert result.status == "completed"
    assert result.outcome("a").status == "failed"
    assert result.output("b")["seen"] == ("a",)


def test_retryable_errors_are_retried_with_backoff(rt: Runtime) -> None:
    rec = EventRecorder(rt)
    handle = rt.submit(wf(stage("a", "io", "io", "ok", retries=2)))
    result = handle.result(10)
    assert result.outcome("a").status == "succeeded"
    assert result.outcome("a").attempts == 3
    retries = [e for e in rec.events(handle.run_id) if isinstance(e, StageRetrying)]
    assert [e.attempt for e in retries] == [1, 2]
    assert all(e.error.retryable and e.delay_s >= 0 for e in retries)


def test_validation_errors_are_never_retried(rt: Runtime) -> None:
    result = rt.run(wf(stage("a", "value", "ok", retries=3)), timeout=10)
    assert result.outcome("a").status == "failed"
    assert result.outcome("a").attempts == 1


def test_retries_run_out(rt: Runtime) -> None:
    result = rt.run(wf(stage("a", "io", retries=2)), timeout=10)
    assert result.outcome("a").status == "failed"
    assert result.outcome("a").attempts == 3


def test_an_attempt_that_times_out_is_retried_and_its_late_reply_ignored(rt: Runtime) -> None:
    result = rt.run(wf(stage("a", "hang", "ok", timeout_s=0.05, retries=1)), timeout=10)
    assert result.outcome("a").status == "succeeded"
    assert result.outcome("a").attempts == 2
    assert result.output("a")["attempt"] == 2


def test_a_stage_that_keeps_timing_out_ends_timed_out(rt: Runtime) -> None:
    result = rt.run(wf(stage("a", "hang", timeout_s=0.05)), timeout=10)
    assert result.status == "failed"
    assert result.outcome("a").status == "timed_out"
    assert result.outcome("a").error.type == "StageTimeoutError"  # type: ignore[union-attr]


def test_a_run_can_be_cancelled(rt: Runtime) -> None:
    handle = rt.submit(wf(gate_stage("a", "cancel-me"), stage("b")))
    wait_entered("cancel-me")
    handle.cancel("user changed their mind")
    result = handle.result(10)
    assert result.status == "cancelled"
    assert result.outcome("a").status == "cancelled"
    assert result.outcome("b").status == "skipped"
    assert "user changed their mind" in result.error.message  # type: ignore[union-attr]


def test_a_run_has_a_global_timeout(rt: Runtime) -> None:
    result = rt.run(wf(stage("a", "hang", timeout_s=None), timeout_s=0.1), timeout=10)
    assert result.status == "failed"
    assert result.error is not None and result.error.type == "RunTimeoutError"
    assert result.outcome("a").status == "cancelled"


def test_output_that_cannot_cross_an_actor_boundary_fails_the_stage(rt: Runtime) -> None:
    result = rt.run(wf(stage("a", "unfrozen")), timeout=10)
    error = result.outcome("a").error
    assert error is not None and error.type == "OutputNotFrozenError"
    assert "lock" in error.message


def test_a_failing_run_does_not_affect_another(rt: Runtime) -> None:
    bad = rt.submit(wf(stage("a", "value")))
    good = rt.submit(wf(stage("a"), stage("b")))
    assert bad.result(10).status == "failed"
    assert good.result(10).status == "completed"


def test_progress_is_monotonic_and_reaches_100_only_on_success(rt: Runtime) -> None:
    rec = EventRecorder(rt)
    ok = rt.submit(wf(gate_stage("a", "prog"), stage("b")))
    wait_entered("prog")
    open_gates("prog")
    bad = rt.submit(wf(stage("a"), stage("b", "value")))
    for handle, final in ((ok, 100), (bad, None)):
        events = rec.events(handle.run_id)
        progress = [e.progress for e in events]
        assert progress == sorted(progress)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        if final:
            assert progress[-1] == 100
        else:
            assert max(progress) < 100
    ok_events = rec.events(ok.run_id)
    assert any(isinstance(e, StageProgress) and e.message == "half way" for e in ok_events)
    assert sum(isinstance(e, RunFinished) for e in ok_events) == 1
