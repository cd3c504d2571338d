"""Recovery of runs whose process died, simulated in one process.

A "crashed" process is a runtime whose store stops recording it and closes (its owner
row goes, as a dead pid or stale heartbeat would make it count as gone), and which
is then stopped unrecorded. The real thing, with SIGKILL, is in test_crash.py.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from actorflow import Runtime
from actorflow.contracts import RunFinished, RunStarted, RuntimeStoppedError, StageFinished
from actorflow.store import Recovery, RunStore
from actorflow.store._resume import find_orphans
from tests.store.store_agents import Counting, Gate, Returns, register_agents, sample_records

Orphan = Callable[[], str]


def gated_workflow(counter: Path, gate: str) -> dict[str, Any]:
    return {
        "name": "gated",
        "stages": [
            {"name": "first", "agent": "counting", "params": {"counter": str(counter)}},
            {"name": "second", "agent": "gate", "depends_on": ["first"], "params": {"gate": gate}},
            {"name": "report", "agent": "returns", "depends_on": ["first", "second"]},
        ],
    }


@pytest.fixture
def counter(tmp_path: Path) -> Path:
    return tmp_path / "counter.txt"


@pytest.fixture
def make_orphan(db_path: Path, counter: Path, request: pytest.FixtureRequest) -> Iterator[Orphan]:
    """Leaves a run whose first stage finished and whose second was running at a crash."""
    gate = request.node.name
    dead: list[Runtime] = []

    def make() -> str:
        Gate.reset(gate)
        runtime = Runtime(stop_timeout_s=5.0)
        dead.append(runtime)
        register_agents(runtime)
        store = RunStore(db_path)
        store.attach(runtime)
        handle = runtime.submit(gated_workflow(counter, gate))
        assert Gate.entered[gate].wait(10), "the second stage never started"
        store.flush()
        store.detach(runtime)
        store.close()
        return handle.run_id

    yield make
    Gate.gates[gate].set()
    for runtime in dead:
        runtime.stop()


@pytest.fixture
def survivor(db_path: Path) -> Iterator[tuple[Runtime, RunStore]]:
    """The next process: a runtime with every agent and a store on the same file."""
    with RunStore(db_path) as store, Runtime(stop_timeout_s=5.0) as runtime:
        register_agents(runtime)
        yield runtime, store


def counted(counter: Path) -> list[str]:
    return counter.read_text().split()


def test_a_run_left_by_a_dead_process_resumes_from_its_finished_stages(
    make_orphan: Orphan, survivor: tuple[Runtime, RunStore], counter: Path
) -> None:
    run_id = make_orphan()
    runtime, store = survivor
    Gate.gates[_gate_of(store, run_id)].set()

    (recovery,) = store.attach(runtime)

    assert (recovery.run_id, recovery.action, recovery.reused) == (run_id, "resumed", ("first",))
    assert recovery.handle is not None
    result = recovery.handle.result(timeout=10)
    assert result.ok
    assert counted(counter) == [run_id]  # the first stage ran once, before the crash
    assert result.output("first") == sample_records(5)
    assert result.output("report")["outputs"] == {"first": 5, "second": 1}
    store.flush()
    detail = store.get_run(run_id)
    assert detail is not None
    assert (detail.run.status, detail.run.resumes) == ("completed", 1)
    second = detail.stages[1]
    history = [(a.session, a.attempt, a.status) for a in second.attempt_history]
    assert history == [(0, 1, "interrupted"), (1, 1, "succeeded")]
    assert sum(isinstance(e, RunStarted) for e in detail.events) == 2


def test_a_run_that_needs_a_missing_agent_is_marked_interrupted_with_the_reason(
    make_orphan: Orphan, db_path: Path
) -> None:
    run_id = make_orphan()
    with RunStore(db_path) as store, Runtime() as runtime:
        runtime.register_agent("counting", Counting)  # but no "gate"
        runtime.register_agent("returns", Returns)
        (recovery,) = store.attach(runtime)

        assert recovery.action == "interrupted"
        assert recovery.handle is None
        assert "agent" in recovery.reason
        assert "'gate'" in recovery.reason
        detail = store.get_run(run_id)
        assert detail is not None
        assert detail.run.status == "interrupted"
        assert detail.run.error is not None
        assert recovery.reason in detail.run.error.message
        statuses = {s.stage: s.status for s in detail.stages}
        assert statuses == {"first": "succeeded", "second": "cancelled", "report": "skipped"}
        assert detail.run.stages == statuses
        last = detail.events[-1]
        assert isinstance(last, RunFinished)
        assert last.status == "interrupted"
        assert [e.stage for e in detail.events if isinstance(e, StageFinished)] == [
            "first",
            "second",
            "report",
        ]
        assert store.recover(runtime) == ()  # nothing is left to recover


def test_a_run_whose_output_file_is_gone_is_marked_interrupted(
    make_orphan: Orphan, survivor: tuple[Runtime, RunStore]
) -> None:
    run_id = make_orphan()
    runtime, store = survivor
    (parquet,) = store.output_files(run_id, "first")
    parquet.unlink()

    (recovery,) = store.attach(runtime)

    assert recovery.action == "interrupted"
    assert "output of stage 'first'" in recovery.reason
    assert "is missing" in recovery.reason
    assert str(parquet) in recovery.reason


def test_runs_of_a_live_store_are_left_alone(
    db_path: Path, survivor: tuple[Runtime, RunStore], request: pytest.FixtureRequest
) -> None:
    gate = request.node.name
    Gate.reset(gate)
    with RunStore(db_path) as alive, Runtime(stop_timeout_s=5.0) as busy:
        register_agents(busy)
        alive.attach(busy)
        gated = {"name": "g", "agent": "gate", "params": {"gate": gate}}
        workflow = {"name": "g", "stages": [gated]}
        handle = busy.submit(workflow)
        assert Gate.entered[gate].wait(10)
        alive.flush()
        runtime, store = survivor
        assert store.attach(runtime) == ()
        Gate.gates[gate].set()
        assert handle.result(timeout=10).ok


def test_each_orphan_is_recovered_by_exactly_one_of_several_stores(
    make_orphan: Orphan, db_path: Path
) -> None:
    run_id = make_orphan()
    Gate.gates[_gate_of_run(db_path, run_id)].set()
    start = threading.Barrier(3)
    found: list[Recovery] = []

    def recover() -> None:
        with RunStore(db_path) as store, Runtime(stop_timeout_s=5.0) as runtime:
            register_agents(runtime)
            store.attach(runtime, recover=False)
            start.wait()
            for recovery in store.recover(runtime):
                assert recovery.handle is not None
                assert recovery.handle.result(timeout=10).ok
                found.append(recovery)

    threads = [threading.Thread(target=recover) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.run_id for r in found] == [run_id]


def test_an_owner_on_another_host_is_dead_once_its_heartbeat_is_older_than_the_lease(
    store: RunStore, db_path: Path
) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    now = time.time()
    conn.execute("INSERT INTO owners VALUES ('far', 'elsewhere', 1, ?, ?)", (now - 100, now - 40))
    conn.execute(
        "INSERT INTO runs (run_id, workflow, status, started_at, owner) "
        "VALUES ('r', 'w', 'running', ?, 'far')",
        (now - 100,),
    )
    assert find_orphans(conn, me=store.owner, host=store.host, now=now, lease_s=60) == []
    (orphan,) = find_orphans(conn, me=store.owner, host=store.host, now=now, lease_s=30)
    assert (orphan.run_id, orphan.owner) == ("r", "far")
    conn.close()


def _gate_of(store: RunStore, run_id: str) -> str:
    detail = store.get_run(run_id)
    assert detail is not None
    assert detail.spec is not None
    gate: str = detail.spec["stages"][1]["params"]["gate"]
    return gate


def _gate_of_run(db_path: Path, run_id: str) -> str:
    with RunStore(db_path) as store:
        return _gate_of(store, run_id)


def test_recovering_on_a_stopped_runtime_raises_and_leaves_the_run_for_later(
    make_orphan: Orphan, survivor: tuple[Runtime, RunStore]
) -> None:
    run_id = make_orphan()
    runtime, store = survivor
    stopped = Runtime()
    stopped.start()
    stopped.stop()
    with pytest.raises(RuntimeStoppedError):
        store.recover(stopped)
    (run,) = store.list_runs()
    assert (run.run_id, run.status) == (run_id, "running")
    Gate.gates[_gate_of(store, run_id)].set()
    (recovery,) = store.attach(runtime)
    assert recovery.action == "resumed"


def test_a_run_that_died_while_ending_is_interrupted_not_finished_by_resume(
    make_orphan: Orphan, survivor: tuple[Runtime, RunStore], db_path: Path
) -> None:
    run_id = make_orphan()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("UPDATE stages SET status = 'skipped' WHERE stage = 'report'")
    conn.close()
    runtime, store = survivor
    (recovery,) = store.attach(runtime)
    assert recovery.action == "interrupted"
    assert "it was ending when its process died (stage 'report' skipped)" in recovery.reason
    detail = store.get_run(run_id)
    assert detail is not None
    assert detail.run.status == "interrupted"
