"""Opening connections to the store file, and write transactions.

Every connection is in autocommit mode (``isolation_level=None``) and writes go through
:func:`write_transaction`, which takes the write lock up front with ``BEGIN IMMEDIATE``:
a deferred transaction that starts as a reader and later tries to write can fail with
"database is locked" at once, whatever the busy timeout, whereas an immediate one waits
its turn. That is what lets several threads and processes share one file.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._errors import StoreError, store_error

ENV_VAR = "ACTORFLOW_DB"


def default_path() -> Path:
    """``$ACTORFLOW_DB``, else ``$XDG_DATA_HOME/actorflow/runs.db``, else ``~/.local/share/...``."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME")
    base = Path(data_home).expanduser() if data_home else Path.home() / ".local" / "share"
    return base / "actorflow" / "runs.db"


def connect(path: Path, *, busy_timeout_s: float) -> sqlite3.Connection:
    """A connection to ``path`` set up for sharing the file.

    Raises:
        StoreError: the file cannot be opened or is not a database.
    """
    try:
        # check_same_thread=False: each connection is still used by one thread at a time
        # (the writer's by the writer thread, the store's under the store's lock).
        conn = sqlite3.connect(
            path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise store_error(
            exc, path=path, doing="opening it", busy_timeout_s=busy_timeout_s
        ) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        # NORMAL is durable against a crash of the process (kill -9), which is what resume
        # needs; only a power cut may lose the last transactions. FULL would fsync on
        # every commit for no gain against the failures we recover from.
        conn.execute("PRAGMA synchronous = NORMAL")
        # Touching the schema reads the header: a corrupt file fails here, not later.
        # fetchall, so the statement is finished and holds no shared lock afterwards:
        # a lock kept here would deadlock two processes switching a new file to WAL.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except sqlite3.Error as exc:
        conn.close()
        raise store_error(
            exc, path=path, doing="opening it", busy_timeout_s=busy_timeout_s
        ) from exc
    return conn


def enable_wal(conn: sqlite3.Connection, *, path: Path, busy_timeout_s: float) -> None:
    """Put the file in WAL mode (persistent; a no-op when it already is).

    Raises:
        StoreError: the file is locked or cannot use WAL (e.g. a network file system).
    """
    deadline = time.monotonic() + busy_timeout_s
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchall()[0][0]
            break
        except sqlite3.OperationalError as exc:
            # Two processes switching a new file at once: SQLite answers "locked" at
            # once instead of waiting (its busy handler would deadlock), so wait here.
            if "locked" in str(exc) and time.monotonic() < deadline:
                time.sleep(0.01)
                continue
            raise store_error(
                exc, path=path, doing="switching it to WAL mode", busy_timeout_s=busy_timeout_s
            ) from exc
        except sqlite3.Error as exc:
            raise store_error(
                exc, path=path, doing="switching it to WAL mode", busy_timeout_s=busy_timeout_s
            ) from exc
    if str(mode).lower() != "wal":
        raise StoreError(
            f"run store {path} cannot use WAL mode (journal mode stayed {mode!r}); "
            "put it on a local file system",
            path=path,
        )


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back if the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        # SQLite rolls some failures back by itself (a full disk, an interrupt).
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
