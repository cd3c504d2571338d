"""The ``database`` source: one SQL query against a SQLite file opened read-only.

The query runs in a worker thread (sqlite3 blocks), fetching ``batch_rows`` at a time;
cancelling the read interrupts the query instead of leaving it running. A result whose
batches pass ``spill_over_bytes`` in memory moves to disk as it is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import polars as pl

from actorflow.contracts import Records, spill_root

from ._batches import Batches
from ._result import ReadError, SourceData
from ._sources import DatabaseSource
from ._values import frame_from_rows

_QUERY_CHARS = 80


async def read_database(
    config: DatabaseSource,
    *,
    check_cancelled: Callable[[], None] = lambda: None,
    spill_over_bytes: int | None = None,
    spill_dir: Path | None = None,
) -> SourceData:
    """Run a database source's query.

    Its rows are held in memory until they pass ``spill_over_bytes``; then they, and
    the rest, are written to disk (a folder made under ``spill_dir``, by default
    :func:`spill_root`) and come as ``Records`` on disk.

    Raises:
        ReadError: a missing file, a file that is not a database, or a SQL error (a
            busy or locked database is retryable; anything else is not).
    """
    connections: list[sqlite3.Connection] = []
    batches = (
        Batches(None)
        if spill_over_bytes is None
        else Batches(spill_dir or spill_root(), over_bytes=spill_over_bytes)
    )
    with batches:
        try:
            frame, size = await asyncio.to_thread(
                _query, config, connections, check_cancelled, batches
            )
        except asyncio.CancelledError:
            # The thread cannot be cancelled, but its query can: it then ends at once.
            for connection in connections:
                with contextlib.suppress(sqlite3.Error):
                    connection.interrupt()
            raise
    return SourceData(frame, info={"path": config.path, "size_bytes": size})


def _query(
    config: DatabaseSource,
    connections: list[sqlite3.Connection],
    check_cancelled: Callable[[], None],
    batches: Batches,
) -> tuple[pl.DataFrame | Records, int]:
    path = Path(config.path)
    if not path.is_file():
        where = "" if path.is_absolute() else f" (looked in {Path.cwd()})"
        raise ReadError(f"database file not found{where}")
    size = path.stat().st_size
    # mode=ro: extraction never writes, and a typo in the path must not create an empty
    # database (plain sqlite3.connect would).
    uri = f"{path.resolve().as_uri()}?mode=ro"
    query = " ".join(config.query.split())
    shown = query if len(query) <= _QUERY_CHARS else query[: _QUERY_CHARS - 3] + "..."
    try:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise ReadError(f"cannot open the database: {exc}") from None
    connections.append(connection)
    try:
        cursor = connection.execute(config.query, config.parameters)
        if cursor.description is None:
            raise ReadError(f"the query returned no columns (is it a SELECT?): {shown!r}")
        columns = _unique([str(column[0]) for column in cursor.description])
        while rows := cursor.fetchmany(config.batch_rows):
            check_cancelled()
            batches.add(frame_from_rows(columns, rows))
    except sqlite3.Error as exc:
        message = str(exc)
        retryable = isinstance(exc, sqlite3.OperationalError) and (
            "locked" in message or "busy" in message
        )
        raise ReadError(f"SQL error: {message} (query: {shown!r})", retryable=retryable) from None
    finally:
        connection.close()
    return batches.finish(pl.DataFrame(schema=dict.fromkeys(columns, pl.String))), size


def _unique(names: list[str]) -> list[str]:
    """Column names made unique (a join may select two ``id`` columns)."""
    out: list[str] = []
    taken: set[str] = set()
    for name in names:
        candidate, suffix = name, 2
        while candidate in taken:
            candidate = f"{name}_{suffix}"
            suffix += 1
        taken.add(candidate)
        out.append(candidate)
    return out
