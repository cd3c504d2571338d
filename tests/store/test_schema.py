"""Schema versions and migrations, default location, and the errors a bad file gives."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from actorflow import Runtime
from actorflow.contracts import ActorflowError
from actorflow.store import SCHEMA_VERSION, RunStore, StoreError, default_path
from actorflow.store._connect import connect
from actorflow.store._schema import migrate, schema_version
from tests.store.store_agents import Gate, register_agents


def make_v1_file(path: Path) -> None:
    """A store as version 1 wrote it, with one finished run."""
    conn = connect(path, busy_timeout_s=1.0)
    migrate(conn, path=path, busy_timeout_s=1.0, target=1)
    conn.execute(
        "INSERT INTO runs (run_id, workflow, status, started_at, finished_at, "
        "execution_time_s, progress) VALUES ('old', 'legacy', 'completed', 1.0, 2.0, 1.0, 100)"
    )
    conn.execute(
        "INSERT INTO stages (run_id, stage, position, agent, status, attempts, output_json) "
        "VALUES ('old', 'a', 0, 'returns', 'succeeded', 1, '{\"n\": 1}')"
    )
    conn.close()


def test_a_new_file_gets_the_latest_schema_in_wal_mode(db_path: Path) -> None:
    with RunStore(db_path):
        pass
    conn = sqlite3.connect(db_path)
    assert schema_version(conn) == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_version_1_file_is_migrated_and_keeps_its_runs(db_path: Path) -> None:
    db_path.parent.mkdir()
    make_v1_file(db_path)
    with RunStore(db_path) as store:
        (old,) = store.list_runs()
        assert (old.run_id, old.workflow, old.status) == ("old", "legacy", "completed")
        assert store.stage_output("old", "a") == {"n": 1}
        detail = store.get_run("old")
        assert detail is not None
        assert detail.run.resumes == 0
        assert detail.stages[0].attempt_history == ()
        assert store.stats().agents == ()  # the v2 attempts table exists and is empty
    conn = sqlite3.connect(db_path)
    assert schema_version(conn) == SCHEMA_VERSION
    conn.close()


def test_an_interrupted_migration_leaves_the_file_at_its_old_version(db_path: Path) -> None:
    db_path.parent.mkdir()
    make_v1_file(db_path)
    conn = connect(db_path, busy_timeout_s=1.0)
    conn.execute("CREATE TABLE attempts (x)")  # makes migration 2 fail half way
    with pytest.raises(StoreError, match=f"migrating its schema to version {SCHEMA_VERSION}"):
        migrate(conn, path=db_path, busy_timeout_s=1.0)
    assert schema_version(conn) == 1
    assert "owner" not in {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    conn.close()


def test_a_file_from_a_newer_actorflow_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="upgrade actorflow") as info:
        RunStore(db_path)
    assert info.value.path == db_path
    assert isinstance(info.value, ActorflowError)


def test_another_programs_database_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir()
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.close()
    with pytest.raises(StoreError, match="not an actorflow run store"):
        RunStore(db_path)


def test_a_corrupt_file_gives_a_store_error_naming_it(db_path: Path) -> None:
    db_path.parent.mkdir()
    db_path.write_bytes(os.urandom(8192))
    with pytest.raises(StoreError, match="corrupt or not a SQLite database") as info:
        RunStore(db_path)
    assert str(db_path) in str(info.value)
    assert "Move the file aside" in str(info.value)


@pytest.fixture
def exclusive_lock(db_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding the write lock of an existing store."""
    RunStore(db_path).close()
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_opening_a_locked_store_gives_a_store_error_naming_it(
    db_path: Path, exclusive_lock: sqlite3.Connection
) -> None:
    with pytest.raises(StoreError, match="locked by another connection") as info:
        RunStore(db_path, busy_timeout_s=0.05)
    assert str(db_path) in str(info.value)
    assert "waited 0.05s" in str(info.value)


def test_runs_recorded_while_the_store_is_locked_make_flush_raise(
    runtime: Runtime, db_path: Path
) -> None:
    register_agents(runtime)
    Gate.reset("locked")
    gated = {"name": "w", "stages": [{"name": "a", "agent": "gate", "params": {"gate": "locked"}}]}
    with RunStore(db_path, busy_timeout_s=0.05) as store:
        store.attach(runtime)
        handle = runtime.submit(gated)  # recorded before the lock
        assert Gate.entered["locked"].wait(10)
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            Gate.gates["locked"].set()
            assert handle.result(10).status == "completed"
            with pytest.raises(StoreError, match="locked by another connection"):
                store.flush()
        finally:
            other.execute("ROLLBACK")
            other.close()
        store.flush()  # the error was reported once; the store works again


def test_a_run_the_store_cannot_record_is_refused_before_it_starts(
    runtime: Runtime, db_path: Path
) -> None:
    register_agents(runtime)
    seen: list[str] = []
    runtime.hub.subscribe(None, lambda event: seen.append(event.run_id))
    with RunStore(db_path, busy_timeout_s=0.05) as store:
        store.attach(runtime)
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(StoreError, match=r"locked by another connection.*submission"):
                runtime.submit({"name": "w", "stages": [{"name": "a", "agent": "returns"}]})
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert store.list_runs() == ()
        done = runtime.run({"name": "w", "stages": [{"name": "a", "agent": "returns"}]}, timeout=10)
        store.flush()
        assert [r.run_id for r in store.list_runs()] == [done.run_id]
    assert set(seen) == {done.run_id}  # the refused run never started


async def test_arun_waits_for_the_submission_commit_off_the_event_loop(
    runtime: Runtime, db_path: Path
) -> None:
    register_agents(runtime)
    with RunStore(db_path, busy_timeout_s=5.0) as store:
        store.attach(runtime)
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            task = asyncio.ensure_future(
                runtime.arun({"name": "w", "stages": [{"name": "a", "agent": "returns"}]})
            )
            await asyncio.sleep(0)  # the task starts; were it to block the loop, it would
            # hold it until the busy timeout and end with a StoreError before this line.
            assert not task.done()
        finally:
            other.execute("ROLLBACK")
            other.close()
        result = await asyncio.wait_for(task, 10)
        assert result.status == "completed"


def test_the_default_path_follows_actorflow_db_then_xdg_data_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ACTORFLOW_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "actorflow" / "runs.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / ".local" / "share" / "actorflow" / "runs.db"
    monkeypatch.setenv("ACTORFLOW_DB", str(tmp_path / "mine.db"))
    assert default_path() == tmp_path / "mine.db"
    with RunStore() as store:
        assert store.path == tmp_path / "mine.db"
    assert (tmp_path / "mine.db").exists()
