"""Callbacks kept in the store, so that a delivery outlives the process that began it.

A callback is registered with its run (``waiting``), gets the run's final status as its
body when the run ends (``sending``), and ends ``delivered`` or ``failed``. It belongs to
the store that registered it, like the run. When that store is gone (closed, or its
process dead) another one claims its open callbacks, with the same compare-and-set on the
owner as run recovery, and finishes them: each is delivered at least once, by one process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from ._connect import write_transaction
from ._resume import owner_alive

CallbackState = Literal["waiting", "sending", "delivered", "failed"]


@dataclass(frozen=True, slots=True)
class OpenCallback:
    """A callback not yet delivered or given up.

    Attributes:
        run_id: the run it reports (also its idempotency key).
        url: where it goes.
        state: ``waiting`` (the run had not ended) or ``sending`` (``body`` is final).
        body: the run's final status, once known.
        attempts: attempts made so far, by every process.
        ready_at: unix time the body was made.
    """

    run_id: str
    url: str
    state: CallbackState
    body: bytes | None
    attempts: int
    ready_at: float | None


def register(conn: sqlite3.Connection, run_id: str, url: str, *, me: str, now: float) -> None:
    with write_transaction(conn):
        conn.execute(
            "INSERT INTO callbacks (run_id, url, owner, state, created_at) "
            "VALUES (?, ?, ?, 'waiting', ?) "
            "ON CONFLICT (run_id) DO UPDATE SET url = excluded.url, owner = excluded.owner, "
            "state = 'waiting', body = NULL, settled_at = NULL",
            (run_id, url, me, now),
        )


def ready(conn: sqlite3.Connection, run_id: str, body: bytes, *, now: float) -> None:
    with write_transaction(conn):
        conn.execute(
            "UPDATE callbacks SET state = 'sending', body = ?, ready_at = ? "
            "WHERE run_id = ? AND state IN ('waiting', 'sending')",
            (body, now, run_id),
        )


def settle(
    conn: sqlite3.Connection,
    run_id: str,
    *,
    delivered: bool,
    attempts: int,
    error: str | None,
    now: float,
) -> None:
    with write_transaction(conn):
        conn.execute(
            "UPDATE callbacks SET state = ?, attempts = attempts + ?, last_error = ?, "
            "settled_at = ? WHERE run_id = ?",
            ("delivered" if delivered else "failed", attempts, error, now, run_id),
        )


def claim_open(
    conn: sqlite3.Connection,
    *,
    me: str,
    host: str,
    now: float,
    lease_s: float,
    resumed: Collection[str] = (),
) -> list[OpenCallback]:
    """Take over the open callbacks of stores that are gone, and return every open one
    this store now owns.

    A ``waiting`` callback is taken only with its run: when the run has ended, or when
    it is one of ``resumed`` (runs this store's recovery resumed, whose end the caller
    will see); one whose run is under way elsewhere is left to whoever runs it.
    """
    with write_transaction(conn):
        rows = conn.execute(
            """
            SELECT c.run_id, c.owner, c.state, r.status, o.host, o.pid, o.heartbeat_at
            FROM callbacks c LEFT JOIN owners o ON o.owner = c.owner
            JOIN runs r ON r.run_id = c.run_id
            WHERE c.state IN ('waiting', 'sending') AND c.owner IS NOT ?
            """,
            (me,),
        ).fetchall()
        for run_id, owner, state, run_status, owner_host, pid, heartbeat_at in rows:
            ended = run_status not in ("pending", "running")
            if state == "waiting" and not ended and run_id not in resumed:
                continue
            if not owner_alive(owner_host, pid, heartbeat_at, host=host, now=now, lease_s=lease_s):
                conn.execute(
                    "UPDATE callbacks SET owner = ? WHERE run_id = ? AND owner IS ?",
                    (me, run_id, owner),
                )
        found = conn.execute(
            "SELECT run_id, url, state, body, attempts, ready_at FROM callbacks "
            "WHERE owner = ? AND state IN ('waiting', 'sending') ORDER BY created_at",
            (me,),
        ).fetchall()
    return [OpenCallback(r[0], r[1], r[2], r[3], r[4], r[5]) for r in found]
