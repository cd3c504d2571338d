"""Supervision on Ray: a worker killed mid-stage is a retryable failure and Ray restarts
it; an agent that dies (SystemExit) is replaced; past the limits the agent is given up."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import pytest

pytest.importorskip("ray")  # the Ray suite: skipped where Ray is not installed

from actorflow import Runtime
from actorflow.contracts import Event, StageProgress, StageRetrying
from tests.backends.ray.ray_agents import Exits, Victim
from tests.scripted_agents import Scripted

pytestmark = pytest.mark.ray


def wf(*stages: dict[str, Any]) -> dict[str, Any]:
    return {"name": "wf", "stages": list(stages)}


def kill_on_first_report(runtime: Runtime, run_id: str, killed: list[int]) -> Any:
    """SIGKILL the worker process named in the first progress report of ``run_id``."""

    def listen(event: Event) -> None:
        if isinstance(event, StageProgress) and not killed:
            pid = int(event.message.removeprefix("pid "))
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)

    return runtime.hub.subscribe(run_id, listen)[1]


def test_a_worker_killed_mid_stage_is_retried_on_the_restarted_actor(
    ray_runtime: Runtime,
) -> None:
    ray_runtime.register_agent("victim", Victim, concurrency=1, max_restarts=3)
    killed: list[int] = []
    run_id = "killed-mid-stage"
    close = kill_on_first_report(ray_runtime, run_id, killed)
    stage = {"name": "a", "agent": "victim", "retries": 1, "retry_backoff_s": 0}
    result = ray_runtime.submit(wf(stage), run_id=run_id).result(60)
    close()
    outcome = result.outcome("a")
    assert result.status == "completed", result.error
    assert outcome.attempts == 2
    assert killed and outcome.output["pid"] != killed[0]
    retrying = [e for e in ray_runtime.history(run_id) if isinstance(e, StageRetrying)]
    assert [e.error.type for e in retrying if e.error] == ["AgentCrashedError"]
    assert "Ray worker died" in retrying[0].error.message  # type: ignore[union-attr]
    (info,) = ray_runtime.agents()
    assert info.restarts == 1
    assert info.healthy


def test_a_worker_that_exits_without_retries_fails_its_stage_as_a_retryable_crash(
    ray_runtime: Runtime,
) -> None:
    ray_runtime.register_agent("exits", Exits, concurrency=1)
    result = ray_runtime.run(wf({"name": "a", "agent": "exits"}), timeout=60)
    error = result.outcome("a").error
    assert result.status == "failed"
    assert error is not None
    assert (error.type, error.retryable) == ("AgentCrashedError", True)
    assert "its Ray worker died" in error.message


def test_an_agent_that_dies_on_ray_is_replaced_and_the_attempt_retried(
    ray_runtime: Runtime,
) -> None:
    ray_runtime.register_agent("s", Scripted, concurrency=1)
    stage = {"name": "a", "agent": "s", "retries": 1, "retry_backoff_s": 0}
    result = ray_runtime.run(wf(stage | {"params": {"script": ["crash", "ok"]}}), timeout=60)
    assert result.outcome("a").status == "succeeded"
    assert result.outcome("a").attempts == 2
    (info,) = ray_runtime.agents()
    assert (info.restarts, info.healthy) == (1, True)


def test_more_worker_deaths_than_max_restarts_give_the_agent_up(ray_runtime: Runtime) -> None:
    ray_runtime.register_agent("exits", Exits, concurrency=1, max_restarts=1)
    dying = wf({"name": "a", "agent": "exits"})
    first = ray_runtime.run(dying, timeout=60)
    assert first.outcome("a").error.type == "AgentCrashedError"  # type: ignore[union-attr]
    second = ray_runtime.run(dying | {"name": "again"}, timeout=60)
    assert second.status == "failed"
    (info,) = ray_runtime.agents()
    assert not info.healthy
    assert "given up" in (info.problem or "")
    third = ray_runtime.run(dying, timeout=60)
    assert third.outcome("a").error.type == "AgentUnavailableError"  # type: ignore[union-attr]


def test_a_timed_out_attempt_frees_its_slot_and_the_agent_sees_its_cancellation(
    ray_runtime: Runtime, tmp_path: Any
) -> None:
    ray_runtime.register_agent("victim", Victim, concurrency=1)
    marker = tmp_path / "cancelled.txt"
    stage = {
        "name": "a",
        "agent": "victim",
        "timeout_s": 0.5,
        "params": {"marker": str(marker), "wait": True},
    }
    result = ray_runtime.run(wf(stage), timeout=60)
    assert result.outcome("a").status == "timed_out"
    seen = threading.Event()
    for _ in range(500):  # the agent writes the marker when its token is set
        if marker.exists() and marker.read_text():
            seen.set()
            break
        threading.Event().wait(0.01)
    assert seen.is_set()
    assert "timed out" in marker.read_text()
    # The pool has a working member again (the same Ray actor, reused).
    quick = wf({"name": "b", "agent": "victim", "params": {"wait": False}})
    assert ray_runtime.run(quick, timeout=60).status == "completed"
