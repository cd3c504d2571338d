"""Agent actors that die are replaced; past the restart intensity, the agent is given up."""

from __future__ import annotations

from typing import Any

from actorflow import Runtime
from tests.scripted_agents import Scripted


def wf(*stages: dict[str, Any]) -> dict[str, Any]:
    return {"name": "wf", "stages": list(stages)}


def test_a_dead_agent_actor_is_replaced_and_the_attempt_retried(runtime: Runtime) -> None:
    runtime.register_agent("s", Scripted, concurrency=1)
    result = runtime.run(
        wf(
            {
                "name": "a",
                "agent": "s",
                "retries": 1,
                "retry_backoff_s": 0,
                "params": {"script": ["crash", "ok"]},
            }
        ),
        timeout=10,
    )
    assert result.outcome("a").status == "succeeded"
    assert result.outcome("a").attempts == 2
    (info,) = runtime.agents()
    assert info.restarts == 1
    assert info.healthy


def test_a_crash_without_retries_is_reported_as_a_retryable_agent_crash(runtime: Runtime) -> None:
    runtime.register_agent("s", Scripted)
    result = runtime.run(
        wf({"name": "a", "agent": "s", "params": {"script": ["crash"]}}), timeout=10
    )
    error = result.outcome("a").error
    assert error is not None
    assert error.type == "AgentCrashedError"
    assert error.retryable
    # The replacement serves the next run.
    assert runtime.run(wf({"name": "a", "agent": "s"}), timeout=10).status == "completed"


def test_restart_intensity_limit_gives_the_agent_up(runtime: Runtime) -> None:
    runtime.register_agent("s", Scripted, concurrency=1, max_restarts=2, restart_window_s=60)
    crashing = wf(
        {
            "name": "a",
            "agent": "s",
            "retries": 5,
            "retry_backoff_s": 0,
            "params": {"script": ["crash"]},
        }
    )
    result = runtime.run(crashing, timeout=10)
    outcome = result.outcome("a")
    assert outcome.status == "failed"
    assert outcome.error is not None and outcome.error.type == "AgentUnavailableError"
    assert "restarted 3 times" in outcome.error.message
    assert outcome.attempts == 4  # three crashes, then a refusal
    (info,) = runtime.agents()
    assert not info.healthy
    assert info.problem and "given up" in info.problem
    # Later runs needing it fail fast with the same clear error; other agents are fine.
    runtime.register_agent("t", Scripted)
    again = runtime.run(wf({"name": "a", "agent": "s"}), timeout=10)
    assert again.outcome("a").error.type == "AgentUnavailableError"  # type: ignore[union-attr]
    assert runtime.run(wf({"name": "a", "agent": "t"}), timeout=10).status == "completed"
