"""A process killed with SIGKILL mid-run: the next runtime resumes or interrupts its runs."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actorflow import Runtime
from actorflow.store import RunStore
from tests.processes import child_env
from tests.store.store_agents import WaitForFile, register_agents, sample_records

HERE = Path(__file__).parent

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")


def first_stages_recorded(db_path: Path) -> bool:
    """Whether both runs' first stage is recorded as finished (read-only peek)."""
    if not db_path.exists():
        return False
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        rows = conn.execute(
            "SELECT count(*) FROM stages WHERE stage = 'first' AND status = 'succeeded' "
            "AND output_json IS NOT NULL"
        ).fetchone()
    except sqlite3.OperationalError:  # not created or migrated yet
        return False
    finally:
        conn.close()
    return bool(rows[0] == 2)


def wait_until_recorded(child: subprocess.Popen[str], db_path: Path, timeout: float) -> None:
    """Poll the store until the condition holds; each wait is on the child itself, so a
    child that dies is noticed at once."""
    deadline = time.monotonic() + timeout
    while not first_stages_recorded(db_path):
        if time.monotonic() > deadline:
            raise AssertionError(f"the first stages were not recorded within {timeout}s")
        try:
            child.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"the worker died on its own: {child.communicate()[1]}")


def test_a_killed_process_runs_are_resumed_or_interrupted_by_the_next_runtime(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "runs.db"
    counter = tmp_path / "counter.txt"
    release = tmp_path / "release"
    worker = HERE / "store_crash_worker.py"
    child = subprocess.Popen(
        [sys.executable, str(worker), str(db_path), str(counter), str(release)],
        cwd=tmp_path,
        env=child_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_recorded(child, db_path, timeout=30)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert sorted(counter.read_text().split()) == ["crashy", "legacy"]
    release.touch()

    with RunStore(db_path) as store, Runtime(stop_timeout_s=5.0) as runtime:
        register_agents(runtime)
        runtime.register_agent("waiting", WaitForFile)  # "legacy" is gone in this version
        recoveries = {r.run_id: r for r in store.attach(runtime)}

        assert set(recoveries) == {"crashy", "legacy"}
        resumed = recoveries["crashy"]
        assert (resumed.action, resumed.reused) == ("resumed", ("first",))
        assert resumed.handle is not None
        result = resumed.handle.result(timeout=10)
        assert result.ok
        assert result.output("first") == sample_records(5)
        assert result.output("second")["rows_seen"] == 5

        interrupted = recoveries["legacy"]
        assert interrupted.action == "interrupted"
        assert "'legacy'" in interrupted.reason

        store.flush()
        assert {r.run_id: r.status for r in store.list_runs()} == {
            "crashy": "completed",
            "legacy": "interrupted",
        }
    # The first stage ran once per run, all before the kill: it was not run again.
    assert sorted(counter.read_text().split()) == ["crashy", "legacy"]
