"""The Ray actor's side of an attempt, exercised in this process (no Ray cluster needed):
progress polls and cancellations that overtake or outlive their attempt, and an agent
that dies."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

pytest.importorskip("ray")

from actorflow.backends.ray import AgentHost, HostReply
from actorflow.backends.ray._wire import pack, unpack
from actorflow.contracts import FrozenMap, RunStage, load_workflow
from tests.scripted_agents import Gate, Scripted

pytestmark = pytest.mark.ray


def message(params: dict[str, Any], attempt: int = 1) -> RunStage:
    spec = load_workflow({"name": "w", "stages": [{"name": "a", "agent": "x", "params": params}]})
    return RunStage(
        run_id="r",
        workflow="w",
        stage=spec.stages[0],
        attempt=attempt,
        input=FrozenMap(),
        dependencies=FrozenMap(),
        context=FrozenMap(),
    )


def attempt(host: AgentHost, msg: RunStage) -> HostReply:
    """One attempt as the driver sends it (packed) and reads its reply."""
    packed = pack(msg)
    assert packed is not None
    raw = host.attempt(*packed)
    reply = unpack(raw) if isinstance(raw, bytes) else unpack(*raw)
    assert isinstance(reply, HostReply)
    return reply


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as executor:
        yield executor


def test_a_poll_sent_before_its_attempt_starts_waits_for_it_and_gets_its_reports(
    pool: ThreadPoolExecutor,
) -> None:
    host = AgentHost("gate", Gate)
    gate = f"g-{uuid.uuid4().hex}"
    key = ("r", "a", 1)
    early = pool.submit(host.progress, key, 10.0)  # the attempt has not started
    running: Future[HostReply] = pool.submit(attempt, host, message({"gate": gate}))
    items, over = early.result(10)
    assert (items, over) == (((0.5, "half way"),), False)
    Gate.gates.setdefault(gate, threading.Event()).set()
    reply = running.result(10)
    assert reply.done is not None
    assert reply.done.status == "succeeded"
    assert reply.progress == ((1.0, "done"),)  # what no poll took comes with the reply
    assert host.progress(key, 0.0) == ((), True)


def test_a_poll_for_an_attempt_it_does_not_know_reports_nothing_rather_than_its_end() -> None:
    host = AgentHost("s", Scripted)
    assert host.progress(("r", "a", 7), 0.05) == ((), False)


def test_a_cancellation_that_overtakes_its_attempt_is_applied_when_it_starts() -> None:
    host = AgentHost("s", Scripted)
    host.cancel(("r", "a", 1), "cancelled early")
    reply = attempt(host, message({"script": ["hang"]}))
    assert reply.done is not None
    assert reply.done.status == "failed"
    assert reply.done.error is not None
    assert reply.done.error.type == "RunCancelledError"


def test_an_agent_that_dies_is_reported_and_a_fresh_one_serves_the_next_attempt() -> None:
    host = AgentHost("s", Scripted)
    died = attempt(host, message({"script": ["crash", "ok"]}))
    assert died.done is None
    assert died.crashed is not None
    assert (died.crashed.type, died.crashed.retryable) == ("AgentCrashedError", True)
    again = attempt(host, message({"script": ["crash", "ok"]}, attempt=2))
    assert again.done is not None
    assert again.done.status == "succeeded"
    host.close()


def test_an_output_that_cannot_travel_fails_its_stage_instead_of_the_call() -> None:
    from tests.backends.ray.ray_agents import Unpicklable

    host = AgentHost("bad", Unpicklable)
    reply = attempt(host, message({}))
    assert reply.done is not None
    assert reply.done.status == "failed"
    assert reply.done.error is not None
    assert reply.done.error.type == "UnfreezableError"
    assert "cannot be sent back from Ray" in reply.done.error.message
