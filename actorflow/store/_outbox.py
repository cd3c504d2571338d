"""The webhook outbox: callbacks kept in the run store until delivered or given up.

A callback is registered with its run (``waiting``), gets the run's final status as its
body when the run ends (``sending``), and ends ``delivered`` or ``failed``; the rows and
their compare-and-set claiming are in ``_callbacks``. The outbox belongs to one store
(``RunStore.callbacks``) and uses its connection and its owner id.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Collection
from typing import Any

from . import _callbacks
from ._callbacks import OpenCallback


class CallbackOutbox:
    """The callbacks of one run store.

    Args:
        use: runs a function on the store's connection, saying what it is doing (for
            its errors).
        owner: the store's owner id.
        host: the store's host name.
        lease_s: how long a store's heartbeat lasts before others may take over.
    """

    def __init__(
        self,
        use: Callable[[str, Callable[[sqlite3.Connection], Any]], Any],
        *,
        owner: str,
        host: str,
        lease_s: float,
    ) -> None:
        self._use = use
        self.owner = owner
        self.host = host
        self.lease_s = lease_s

    def register(self, run_id: str, url: str) -> None:
        """Remember that ``run_id``'s final status goes to ``url`` (before it can end)."""
        now = time.time()
        self._use(
            f"registering the callback of run {run_id}",
            lambda conn: _callbacks.register(conn, run_id, url, me=self.owner, now=now),
        )

    def ready(self, run_id: str, body: bytes) -> None:
        """Keep the body to deliver, now that the run ended."""
        now = time.time()
        self._use(
            f"keeping the callback of run {run_id}",
            lambda conn: _callbacks.ready(conn, run_id, body, now=now),
        )

    def settled(
        self, run_id: str, *, delivered: bool, attempts: int, error: str | None = None
    ) -> None:
        """Close a callback: delivered, or given up after ``attempts`` (with the reason)."""
        now = time.time()
        self._use(
            f"closing the callback of run {run_id}",
            lambda conn: _callbacks.settle(
                conn, run_id, delivered=delivered, attempts=attempts, error=error, now=now
            ),
        )

    def claim(self, resumed: Collection[str] = ()) -> tuple[OpenCallback, ...]:
        """Take over the open callbacks of stores that are gone (closed, or their process
        dead), and return every open callback this store owns, oldest first.

        Args:
            resumed: runs that ``RunStore.recover`` resumed here. A callback still waiting
                for its run is taken only if the run has ended or is one of these.
        """
        now = time.time()
        claimed = self._use(
            "claiming open callbacks",
            lambda conn: _callbacks.claim_open(
                conn,
                me=self.owner,
                host=self.host,
                now=now,
                lease_s=self.lease_s,
                resumed=frozenset(resumed),
            ),
        )
        return tuple(claimed)
