"""The writer thread: takes facts from a queue and records them in batched transactions.

Listeners on the event hub run in the emitting thread under the hub's lock, and the
coordinator must never wait, so all they do is ``SimpleQueue.put`` (lock-free, never
blocks). One thread owns the write connection: it takes whatever has queued up (up to
``batch_size``), records it in one transaction, and so pays one commit per batch
instead of one per event. Between batches it keeps the owner's heartbeat fresh.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from actorflow.bus import get_logger

from ._errors import StoreError, store_error
from ._journal import Fact, Journal

_log = get_logger("store")


@dataclass(frozen=True, slots=True)
class _Flush:
    done: threading.Event


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


_Item = Fact | _Flush | _Stop


class Writer:
    """Records facts off the caller's thread.

    Args:
        conn: the writer's own connection (used only by its thread).
        journal: turns facts into SQL.
        path: the database, for error messages.
        busy_timeout_s: how long one transaction waits for the lock.
        heartbeat_s: how often the owner's heartbeat is renewed.
        batch_size: most facts in one transaction.
        attempts: tries of a batch that finds the database locked before it is dropped.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        journal: Journal,
        *,
        path: Path,
        busy_timeout_s: float,
        heartbeat_s: float,
        batch_size: int = 1000,
        attempts: int = 3,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._conn = conn
        self._journal = journal
        self._path = path
        self._busy_timeout_s = busy_timeout_s
        self._heartbeat_s = heartbeat_s
        self._batch_size = batch_size
        self._attempts = attempts
        self._clock = clock
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._error: StoreError | None = None
        self._error_lock = threading.Lock()
        self.written = 0
        self.dropped = 0
        self._thread = threading.Thread(
            target=self._loop, name="actorflow-store-writer", daemon=True
        )
        self._thread.start()

    # -- callers --------------------------------------------------------------------------

    def put(self, fact: Fact) -> None:
        """Queue a fact; never blocks."""
        self._queue.put(fact)

    def flush(self, timeout: float | None = 10.0) -> None:
        """Wait until everything queued so far is recorded.

        Raises:
            StoreError: something could not be recorded since the last flush, or the
                writer did not catch up within ``timeout``.
        """
        if self._thread.is_alive():
            done = threading.Event()
            self._queue.put(_Flush(done))
            if not done.wait(timeout):
                raise StoreError(
                    f"run store {self._path}: the writer did not catch up within {timeout}s",
                    path=self._path,
                )
        self._raise_pending()

    def close(self, timeout: float | None = 10.0) -> None:
        """Record what is queued, then stop the thread and close its connection."""
        if self._thread.is_alive():
            self._queue.put(_Stop())
            self._thread.join(timeout)
        if self._thread.is_alive():
            _log.warning("store writer still busy after close", path=str(self._path))
            return
        self._conn.close()
        self._raise_pending()

    def _raise_pending(self) -> None:
        with self._error_lock:
            error, self._error = self._error, None
        if error is not None:
            raise error

    # -- the thread -----------------------------------------------------------------------

    def _loop(self) -> None:
        next_beat = self._clock() + self._heartbeat_s
        while True:
            try:
                first = self._queue.get(timeout=max(0.0, next_beat - self._clock()))
            except queue.Empty:
                first = None
            items = [] if first is None else [first, *self._drain()]
            facts = [i for i in items if not isinstance(i, (_Flush, _Stop))]
            if facts:
                self._record(facts)
            if self._clock() >= next_beat:
                self._beat()
                next_beat = self._clock() + self._heartbeat_s
            for item in items:
                if isinstance(item, _Flush):
                    item.done.set()
            if any(isinstance(item, _Stop) for item in items):
                return

    def _drain(self) -> list[_Item]:
        out: list[_Item] = []
        while len(out) < self._batch_size:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return out

    def _record(self, facts: list[Fact]) -> None:
        steps = []
        for fact in facts:
            try:
                steps.append(self._journal.prepare(fact))
            except Exception as exc:  # noqa: BLE001 - one bad value must not stop the others
                self._fail(f"cannot record {type(fact).__name__} of run {fact.run_id}", exc, 1)
        for attempt in range(1, self._attempts + 1):
            try:
                self._journal.write(self._conn, steps)
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) and attempt < self._attempts:
                    continue  # each try already waited busy_timeout_s for the lock
                self._fail(f"cannot record {len(steps)} facts", exc, len(steps))
                return
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any one batch
                self._fail(f"cannot record {len(steps)} facts", exc, len(steps))
                return
            self.written += len(steps)
            return

    def _beat(self) -> None:
        try:
            self._journal.heartbeat(self._conn, self._clock())
        except sqlite3.Error as exc:
            # A missed beat only matters if it lasts a whole lease; say so, go on.
            _log.warning("store heartbeat failed", path=str(self._path), error=str(exc))

    def _fail(self, what: str, exc: Exception, count: int) -> None:
        self.dropped += count
        if isinstance(exc, sqlite3.Error):
            error = store_error(
                exc, path=self._path, doing=what, busy_timeout_s=self._busy_timeout_s
            )
        else:
            error = StoreError(f"run store {self._path}: {what}: {exc!r}", path=self._path)
            error.__cause__ = exc
        _log.error("run store dropped facts", path=str(self._path), count=count, error=str(error))
        with self._error_lock:
            if self._error is None:
                self._error = error
