"""The store's schema and its migrations.

``PRAGMA user_version`` holds the schema version; ``MIGRATIONS[i]`` takes a file from
version ``i`` to ``i + 1``. Migrations only ever append: a shipped migration is never
edited, a change is a new function at the end. They run in one ``BEGIN IMMEDIATE``
transaction (DDL is transactional in SQLite), so two processes opening a new file at
the same time cannot both migrate it, and a crash mid-migration leaves the old version.

Version 1 recorded history: runs, stage outcomes and outputs, events.
Version 2 added what resume and the dashboard need: attempts, run ownership (which
process is running a run, so another one can tell a crashed run from a live one) and
the indexes behind the stats queries.
Version 3 added callbacks: a run's callback URL and, once the run ended, the body still
to deliver, so a restart (or another process) finishes what a stopped one began.
Version 4 added retries: the run a run retries (``runs.retry_of``) and which of its
stages were taken over from that run instead of being run again (``stages.reused``);
and the stage cache: its entries (``cache``) and the stages a hit stood for
(``stages.cached``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from ._connect import write_transaction
from ._errors import StoreError, store_error

Migration = Callable[[sqlite3.Connection], None]


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run each statement of ``script`` inside the caller's transaction.

    Not ``executescript``: it commits any open transaction first, which would let half
    a migration land.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {statement.strip()!r}")


def _v1_history(conn: sqlite3.Connection) -> None:
    _execute_script(
        conn,
        """
        CREATE TABLE runs (
            run_id           TEXT PRIMARY KEY,
            workflow         TEXT NOT NULL,
            spec_json        TEXT,            -- tagged JSON of the WorkflowSpec; NULL: unknown
            input_json       TEXT,            -- tagged JSON of the run's input
            context_json     TEXT,
            status           TEXT NOT NULL,   -- RunStatus
            started_at       REAL NOT NULL,   -- unix time the run was submitted
            finished_at      REAL,
            execution_time_s REAL,
            progress         INTEGER NOT NULL DEFAULT 0,
            error_json       TEXT,            -- ErrorInfo
            summary_json     TEXT             -- {"stages": {name: status}, ...} at the end
        );
        CREATE INDEX runs_by_start ON runs (started_at);
        CREATE INDEX runs_by_status ON runs (status, started_at);
        CREATE INDEX runs_by_workflow ON runs (workflow, started_at);

        CREATE TABLE stages (
            run_id         TEXT NOT NULL,
            stage          TEXT NOT NULL,
            position       INTEGER,          -- declaration order
            agent          TEXT NOT NULL DEFAULT '',
            status         TEXT NOT NULL,    -- StageStatus
            attempts       INTEGER NOT NULL DEFAULT 0,
            started_at     REAL,
            finished_at    REAL,
            duration_s     REAL,
            error_json     TEXT,
            output_json    TEXT,             -- tagged JSON; NULL: no output recorded
            output_files   TEXT,             -- JSON list of Parquet files, relative to the db
            output_summary TEXT,             -- "Records: 120 rows x 4 columns", for people
            output_inexact TEXT,             -- why the output cannot be rebuilt exactly
            PRIMARY KEY (run_id, stage)
        ) WITHOUT ROWID;

        CREATE TABLE events (
            id       INTEGER PRIMARY KEY,    -- insertion order: seq restarts when a run resumes
            run_id   TEXT NOT NULL,
            seq      INTEGER NOT NULL,
            type     TEXT NOT NULL,
            at       REAL NOT NULL,
            stage    TEXT,
            body     TEXT NOT NULL           -- encode_event JSON
        );
        CREATE INDEX events_by_run ON events (run_id, id);
        """,
    )


def _v2_attempts_and_ownership(conn: sqlite3.Connection) -> None:
    _execute_script(
        conn,
        """
        CREATE TABLE attempts (
            run_id      TEXT NOT NULL,
            stage       TEXT NOT NULL,
            session     INTEGER NOT NULL,    -- runs.resumes when the attempt ran
            attempt     INTEGER NOT NULL,
            agent       TEXT NOT NULL DEFAULT '',
            status      TEXT NOT NULL,       -- running, a terminal StageStatus, or interrupted
            started_at  REAL,
            finished_at REAL,
            error_json  TEXT,
            PRIMARY KEY (run_id, stage, session, attempt)
        ) WITHOUT ROWID;
        CREATE INDEX attempts_by_agent ON attempts (agent, status);

        -- The process (one RunStore) running a run, and how many times it was resumed.
        ALTER TABLE runs ADD COLUMN owner TEXT;
        ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX runs_unfinished ON runs (status) WHERE status IN ('pending', 'running');

        -- One row per open RunStore; a crashed process leaves its row behind, with a
        -- dead pid or a stale heartbeat.
        CREATE TABLE owners (
            owner        TEXT PRIMARY KEY,
            host         TEXT NOT NULL,
            pid          INTEGER NOT NULL,
            started_at   REAL NOT NULL,
            heartbeat_at REAL NOT NULL
        );
        """,
    )


def _v3_callbacks(conn: sqlite3.Connection) -> None:
    _execute_script(
        conn,
        """
        CREATE TABLE callbacks (
            run_id      TEXT PRIMARY KEY,
            url         TEXT NOT NULL,
            owner       TEXT,                -- the store delivering it (see owners)
            state       TEXT NOT NULL,       -- waiting (for the run), sending, delivered, failed
            body        BLOB,                -- the run's final status, once it ended
            attempts    INTEGER NOT NULL DEFAULT 0,
            created_at  REAL NOT NULL,
            ready_at    REAL,                -- when the body was made
            settled_at  REAL,                -- when it was delivered or given up
            last_error  TEXT
        ) WITHOUT ROWID;
        CREATE INDEX callbacks_open ON callbacks (state) WHERE state IN ('waiting', 'sending');
        """,
    )


def _v4_retries_and_cache(conn: sqlite3.Connection) -> None:
    _execute_script(
        conn,
        """
        ALTER TABLE runs ADD COLUMN retry_of TEXT;          -- the run this one retries
        CREATE INDEX runs_by_retry_of ON runs (retry_of) WHERE retry_of IS NOT NULL;
        ALTER TABLE stages ADD COLUMN reused INTEGER NOT NULL DEFAULT 0;  -- 1: output taken over
        ALTER TABLE stages ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;  -- 1: a cache hit

        -- A stage's output by the digest of what it depends on (see store/_cache.py).
        CREATE TABLE cache (
            key        TEXT PRIMARY KEY,
            run_id     TEXT NOT NULL,        -- the run and stage whose output it is
            stage      TEXT NOT NULL,
            agent      TEXT NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL                  -- NULL: kept while the output is
        ) WITHOUT ROWID;
        """,
    )


MIGRATIONS: Sequence[Migration] = (
    _v1_history,
    _v2_attempts_and_ownership,
    _v3_callbacks,
    _v4_retries_and_cache,
)
LATEST = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def migrate(
    conn: sqlite3.Connection, *, path: Path, busy_timeout_s: float, target: int = LATEST
) -> int:
    """Bring the file at ``path`` to schema version ``target``; return the version found.

    Raises:
        StoreError: the file was made by a newer actorflow, is some other database, is
            locked or corrupt.
    """
    doing = "checking its schema"
    try:
        found = schema_version(conn)
        if found > LATEST:
            _check(conn, found, path=path)
        if found >= target:
            return found
        doing = f"migrating its schema to version {target}"
        with write_transaction(conn):
            # Read again under the write lock: another process may have migrated meanwhile
            # (and only here are the version and the tables read from one snapshot).
            current = schema_version(conn)
            _check(conn, current, path=path)
            for migration in MIGRATIONS[current:target]:
                migration(conn)
            if current < target:
                conn.execute(f"PRAGMA user_version = {target}")
    except sqlite3.Error as exc:
        raise store_error(exc, path=path, doing=doing, busy_timeout_s=busy_timeout_s) from exc
    return found


def _check(conn: sqlite3.Connection, version: int, *, path: Path) -> None:
    if version > LATEST:
        raise StoreError(
            f"run store {path} has schema version {version}, but this actorflow knows "
            f"versions up to {LATEST}: upgrade actorflow, or pass another path",
            path=path,
        )
    if version == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        if tables.fetchone()[0]:
            raise StoreError(
                f"{path} is a SQLite database but not an actorflow run store "
                "(it has tables but no actorflow schema version); pass another path",
                path=path,
            )
