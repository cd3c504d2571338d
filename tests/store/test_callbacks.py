"""Callbacks kept in the store: taken over from a store that is gone, by one store only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from actorflow import Runtime
from actorflow.store import OpenCallback, RunStore
from tests.store.store_agents import Gate, register_agents


def finished_run(db_path: Path) -> str:
    """A completed run recorded in the store at ``db_path``."""
    with RunStore(db_path) as store, Runtime(stop_timeout_s=5.0) as runtime:
        register_agents(runtime)
        store.attach(runtime)
        result = runtime.run({"name": "one", "stages": [{"name": "a", "agent": "returns"}]})
        assert result.ok
        store.flush()
        return result.run_id


def test_a_body_kept_by_a_closed_store_is_taken_over_by_the_next(db_path: Path) -> None:
    run_id = finished_run(db_path)
    with RunStore(db_path) as first:
        first.callbacks.register(run_id, "http://127.0.0.1:9/hook")
        first.callbacks.ready(run_id, b'{"status": "completed"}')
        assert first.callbacks.claim()[0].state == "sending"  # its own: already open
    with RunStore(db_path) as second:
        (taken,) = second.callbacks.claim()
        assert taken == OpenCallback(
            run_id=run_id,
            url="http://127.0.0.1:9/hook",
            state="sending",
            body=b'{"status": "completed"}',
            attempts=0,
            ready_at=taken.ready_at,
        )
        assert taken.ready_at is not None
        second.callbacks.settled(run_id, delivered=True, attempts=2)
    with RunStore(db_path) as third:
        assert third.callbacks.claim() == ()  # delivered: closed for good


def test_a_callback_given_up_is_not_taken_over(db_path: Path) -> None:
    run_id = finished_run(db_path)
    with RunStore(db_path) as first:
        first.callbacks.register(run_id, "http://127.0.0.1:9/hook")
        first.callbacks.ready(run_id, b"{}")
        first.callbacks.settled(run_id, delivered=False, attempts=7, error="HTTP 410")
    with RunStore(db_path) as second:
        assert second.callbacks.claim() == ()


def test_the_callbacks_of_a_live_store_are_left_alone(db_path: Path) -> None:
    run_id = finished_run(db_path)
    with RunStore(db_path) as alive, RunStore(db_path) as other:
        alive.callbacks.register(run_id, "http://127.0.0.1:9/hook")
        alive.callbacks.ready(run_id, b"{}")
        assert other.callbacks.claim() == ()
        assert len(alive.callbacks.claim()) == 1


def test_a_waiting_callback_stays_with_the_store_that_runs_its_run(
    db_path: Path, request: pytest.FixtureRequest
) -> None:
    gate = request.node.name
    Gate.reset(gate)
    with RunStore(db_path) as alive, Runtime(stop_timeout_s=5.0) as busy:
        register_agents(busy)
        alive.attach(busy)
        handle = busy.submit({"name": "g", "stages": [{"name": "g", "agent": "gate",
                                                       "params": {"gate": gate}}]})  # fmt: skip
        alive.callbacks.register(handle.run_id, "http://127.0.0.1:9/hook")
        assert Gate.entered[gate].wait(10)
        alive.flush()
        with RunStore(db_path) as other:
            assert other.callbacks.claim() == ()  # its run is under way elsewhere
        Gate.gates[gate].set()
        assert handle.result(timeout=10).ok


def test_each_open_callback_is_taken_over_by_exactly_one_of_several_stores(
    db_path: Path,
) -> None:
    run_ids = [finished_run(db_path) for _ in range(3)]
    with RunStore(db_path) as first:
        for run_id in run_ids:
            first.callbacks.register(run_id, f"http://127.0.0.1:9/{run_id}")
            first.callbacks.ready(run_id, run_id.encode())
    start, end = threading.Barrier(3), threading.Barrier(3)
    taken: list[str] = []

    def claim() -> None:
        with RunStore(db_path) as store:
            start.wait()
            taken.extend(c.run_id for c in store.callbacks.claim())
            end.wait()  # open until all have claimed: a closed store's callbacks are free

    threads = [threading.Thread(target=claim) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(run_ids)


KEEPER = textwrap.dedent(
    """
    import sys
    from actorflow.store import RunStore
    store = RunStore(sys.argv[1])
    store.callbacks.register(sys.argv[2], "http://127.0.0.1:9/hook")
    store.callbacks.ready(sys.argv[2], b"kept")
    print("kept", flush=True)
    sys.stdin.read()  # until killed
    """
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_callback_of_a_process_killed_with_sigkill_is_taken_over_at_once(
    db_path: Path, tmp_path: Path
) -> None:
    run_id = finished_run(db_path)
    process = subprocess.Popen(
        [sys.executable, "-c", KEEPER, str(db_path), run_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,  # not the repository: what the process writes stays in tmp_path
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "kept"
        with RunStore(db_path) as other:
            assert other.callbacks.claim() == ()  # alive: not taken
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        with RunStore(db_path) as other:
            (taken,) = other.callbacks.claim()  # a dead pid on this host: no lease to wait
        assert (taken.run_id, taken.body) == (run_id, b"kept")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
