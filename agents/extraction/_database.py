"""The ``database`` source: one SQL query against a SQLite file opened read-only.

The file must start with the SQLite header: any other file (an empty one above all,
which SQLite would open as an empty database) is refused before it is opened. The query
runs in a worker thread (sqlite3 blocks), fetching ``batch_rows`` at a time (fewer near a
limit, so that a query generating rows without end stops as it passes it); cancelling the
read interrupts the query instead of leaving it running. A result whose batches pass
``spill_over_bytes`` in memory moves to disk as it is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from actorflow.contracts import Records, spill_root

from ._batches import Batches
from ._limits import LimitReached, Meter
from ._result import ReadError, SourceData
from ._sources import DatabaseSource
from ._values import frame_from_rows

_QUERY_CHARS = 80
#: What every SQLite database file starts with.
SQLITE_HEADER = b"SQLite format 3\x00"


async def read_database(
    config: DatabaseSource,
    *,
    check_cancelled: Callable[[], None] = lambda: None,
    spill_over_bytes: int | None = None,
    spill_dir: Path | None = None,
    meter: Meter | None = None,
) -> SourceData:
    """Run a database source's query.

    Its rows are held in memory until they pass ``spill_over_bytes``; then they, and
    the rest, are written to disk (a folder made under ``spill_dir``, by default
    :func:`spill_root`) and come as ``Records`` on disk.

    Raises:
        ReadError: a missing file, a file that is not a SQLite database, or a SQL error
            (a busy or locked database is retryable; anything else is not).
        LimitReached: the result passed the ``meter``'s records or bytes.
    """
    meter = meter if meter is not None else Meter()
    connections: list[sqlite3.Connection] = []
    batches = (
        Batches(None, meter=meter)
        if spill_over_bytes is None
        else Batches(spill_dir or spill_root(), over_bytes=spill_over_bytes, meter=meter)
    )
    with batches:
        try:
            frame, size = await asyncio.to_thread(
                _query, config, connections, check_cancelled, batches, meter
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
    meter: Meter,
) -> tuple[pl.DataFrame | Records, int]:
    path = Path(config.path)
    if not path.is_file():
        where = "" if path.is_absolute() else f" (looked in {Path.cwd()})"
        raise ReadError(f"database file not found{where}")
    size = path.stat().st_size
    check_header(path)
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
    if meter.max_bytes is not None:
        # No value (nor row) of the result may be bigger than the whole result may be:
        # SQLite refuses to build it, rather than this reader holding it first.
        limit = connection.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, min(limit, meter.max_bytes))
    try:
        cursor = connection.execute(config.query, config.parameters)
        if cursor.description is None:
            raise ReadError(f"the query returned no columns (is it a SELECT?): {shown!r}")
        columns = _unique([str(column[0]) for column in cursor.description])
        while rows := _fetch(cursor, _fetch_size(config.batch_rows, meter), meter):
            check_cancelled()
            batches.add(frame_from_rows(columns, rows))  # counts the records
    except sqlite3.Error as exc:
        message = str(exc)
        if meter.max_bytes is not None and "too big" in message:
            raise LimitReached(
                f"a value of the query's result is bigger than the {meter.max_bytes:,} bytes "
                f"one source may read ({meter.bytes_setting}={meter.max_bytes:,}); "
                "reading stopped there"
            ) from None
        retryable = isinstance(exc, sqlite3.OperationalError) and (
            "locked" in message or "busy" in message
        )
        raise ReadError(f"SQL error: {message} (query: {shown!r})", retryable=retryable) from None
    finally:
        connection.close()
    return batches.finish(pl.DataFrame(schema=dict.fromkeys(columns, pl.String))), size


def check_header(path: Path) -> None:
    """Refuse a file that is not a SQLite database before SQLite opens it.

    SQLite opens an empty file as an empty database, and any file as one until a query
    reads it: a CSV upload must never pass for a database.

    Raises:
        ReadError: the file is empty or does not start with the SQLite header.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise ReadError(f"cannot read the database file: {exc.strerror or exc}") from None
    if not head:
        raise ReadError("the file is empty, not a SQLite database")
    if head != SQLITE_HEADER:
        raise ReadError(
            "the file is not a SQLite database (it does not start with the SQLite header "
            "'SQLite format 3')"
        )


def _fetch_size(batch_rows: int, meter: Meter) -> int:
    """Rows to fetch next: a batch, but no more than one past what the row limits allow
    (the extra row proves the limit was passed)."""
    rows_left = meter.rows_left()
    if rows_left is None:
        return batch_rows
    return max(min(batch_rows, rows_left + 1), 1)


def _fetch(cursor: sqlite3.Cursor, size: int, meter: Meter) -> list[Any]:
    """Up to ``size`` rows. With a byte limit, rows are counted one by one as they come:
    a query is free to make its first rows small and the next ones big, so no earlier
    batch can tell how many rows the bytes left allow.

    Raises:
        LimitReached: the values passed the source's bytes (text counted in characters).
    """
    left = meter.bytes_left()
    if left is None:
        return cursor.fetchmany(size)
    rows: list[Any] = []
    held = 0
    for row in cursor:  # resumed by the next call
        rows.append(row)
        held += sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in row)
        if held > left or len(rows) >= size:
            break
    meter.add_bytes(held)  # raises past the limit
    return rows


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
