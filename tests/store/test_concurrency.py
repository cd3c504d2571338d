"""Several threads and processes writing one store file."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from actorflow import Runtime
from actorflow.store import RunStore
from tests.processes import child_env
from tests.store.store_agents import register_agents

WORKFLOW = {
    "name": "pair",
    "stages": [
        {"name": "load", "agent": "returns", "params": {"records": 2}},
        {"name": "sum", "agent": "returns", "depends_on": ["load"]},
    ],
}
HERE = Path(__file__).parent


def test_runs_submitted_from_many_threads_are_all_recorded(
    recorded: Runtime, store: RunStore
) -> None:
    start = threading.Barrier(8)
    handles = []
    lock = threading.Lock()

    def submit_some() -> None:
        start.wait()
        for _ in range(10):
            handle = recorded.submit(WORKFLOW)
            with lock:
                handles.append(handle)

    threads = [threading.Thread(target=submit_some) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results = [h.result(timeout=30) for h in handles]
    store.flush()

    runs = store.list_runs(limit=1000)
    assert len(runs) == 80
    assert {r.status for r in runs} == {"completed"}
    for result in results[:5]:
        detail = store.get_run(result.run_id)
        assert detail is not None
        assert len(detail.events) == len(recorded.history(result.run_id))


def test_stores_in_several_threads_share_one_file(db_path: Path) -> None:
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def record_runs(n: int) -> None:
        try:
            with Runtime() as runtime, RunStore(db_path, busy_timeout_s=10.0) as store:
                register_agents(runtime)
                start.wait(timeout=60)
                store.attach(runtime, recover=False)
                for i in range(10):
                    runtime.submit(WORKFLOW, run_id=f"t{n}-{i}").result(timeout=10)
        except BaseException as exc:
            start.abort()  # the others must not wait for a thread that failed
            errors.append(exc)

    db_path.parent.mkdir(parents=True)
    RunStore(db_path).close()  # created once, so the threads race on writes, not creation
    threads = [threading.Thread(target=record_runs, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with RunStore(db_path) as store:
        runs = store.list_runs(limit=1000)
        assert len(runs) == 40
        assert {r.status for r in runs} == {"completed"}
        assert sum(a.executions for a in store.stats().agents) == 80


def test_two_processes_write_the_same_file(db_path: Path, tmp_path: Path) -> None:
    # The file does not exist yet: both processes race to create and migrate it too.
    db_path.parent.mkdir(parents=True)
    workers = [
        subprocess.Popen(
            [sys.executable, str(HERE / "store_writer_worker.py"), str(db_path), "50", tag],
            cwd=tmp_path,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("left", "right")
    ]
    for worker in workers:  # both have their store open ...
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready", worker.communicate(timeout=60)
    for worker in workers:  # ... then both write at once
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        _, stderr = worker.communicate(timeout=60)
        assert worker.returncode == 0, stderr

    with RunStore(db_path) as store:
        for tag in ("left", "right"):
            runs = store.list_runs(workflow=f"from-{tag}", limit=1000)
            assert len(runs) == 50
            assert {r.status for r in runs} == {"completed"}
        detail = store.get_run("left-7")
        assert detail is not None
        assert [s.status for s in detail.stages] == ["succeeded", "succeeded"]
        assert store.stage_output("right-3", "load") == store.stage_output("left-3", "load")
