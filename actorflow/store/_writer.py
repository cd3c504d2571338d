"""The writer thread: takes facts from a queue and records them in batched transactions.

Listeners on the event hub run in the emitting thread under the hub's lock, and the
coordinator must never wait, so all they do is ``SimpleQueue.put`` (lock-free, never
blocks). One thread owns the write connection: it takes whatever has queued up (up to
``batch_size``), records it in one transaction, and so pays one commit per batch
instead of one per event. Between batches it keeps the owner's heartbeat fresh.

A batch that cannot be written (disk full, say) is dropped, and the runs it concerned
are reported to ``on_lost`` (the store then stops them as failed: no run goes on
unrecorded). How such a run ended is kept and tried again after the next batch that is
written and at each heartbeat, so once the disk has room the store says how it ended.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from actorflow.bus import get_logger
from actorflow.contracts import RunFinished

from ._errors import StoreError, store_error
from ._journal import Fact, Journal, Step

_log = get_logger("store")


@dataclass(frozen=True, slots=True)
class _Flush:
    done: threading.Event


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


_Item = Fact | _Flush | _Stop
#: Times the end of a run from a dropped batch is tried again before it is given up.
_OWED_TRIES = 100


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
        on_lost: called (in the writer's thread) with the runs whose facts a dropped
            batch held, and why.
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
        on_lost: Callable[[frozenset[str], StoreError], None] | None = None,
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
        self._on_lost = on_lost
        #: how runs ended, from dropped batches: tried again until kept.
        self._owed: dict[str, RunFinished] = {}
        self._tries: dict[str, int] = {}
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
            recorded = bool(facts) and self._record(facts)
            beat = self._clock() >= next_beat
            if self._owed and (recorded or beat):
                self._settle_owed()
            if beat:
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

    def _settle_owed(self) -> None:
        """Try again to record how runs of dropped batches ended (when the disk works
        again, or at a heartbeat); give up on one after ``_OWED_TRIES``."""
        owed = list(self._owed.values())
        self._owed.clear()
        for fact in owed:
            self._tries[fact.run_id] = tries = self._tries.get(fact.run_id, 0) + 1
            if tries > _OWED_TRIES:
                _log.error("run store gave up recording a run's end", run_id=fact.run_id)
                self._tries.pop(fact.run_id)
                continue
            if self._record([fact]):
                self._tries.pop(fact.run_id)

    def _record(self, facts: list[Fact]) -> bool:
        """Record ``facts`` in one transaction; whether that worked."""
        steps: list[Step] = []
        prepared: list[Fact] = []
        for fact in facts:
            try:
                steps.append(self._journal.prepare(fact))
                prepared.append(fact)
            except Exception as exc:  # noqa: BLE001 - one bad value must not stop the others
                what = f"cannot record {type(fact).__name__} of run {fact.run_id}"
                self._fail(what, exc, [fact])
        for attempt in range(1, self._attempts + 1):
            try:
                self._journal.write(self._conn, steps)
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) and attempt < self._attempts:
                    continue  # each try already waited busy_timeout_s for the lock
                self._fail(f"cannot record {len(steps)} facts", exc, prepared)
                return False
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any one batch
                self._fail(f"cannot record {len(steps)} facts", exc, prepared)
                return False
            self.written += len(steps)
            return True
        return False

    def _beat(self) -> None:
        try:
            self._journal.heartbeat(self._conn, self._clock())
        except sqlite3.Error as exc:
            # A missed beat only matters if it lasts a whole lease; say so, go on.
            _log.warning("store heartbeat failed", path=str(self._path), error=str(exc))

    def _fail(self, what: str, exc: Exception, facts: Collection[Fact]) -> None:
        count = len(facts)
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
        for fact in facts:
            if type(fact) is RunFinished:
                self._owed[fact.run_id] = fact
        if self._on_lost is not None:
            try:
                self._on_lost(frozenset(f.run_id for f in facts), error)
            except Exception:  # noqa: BLE001 - the thread must outlive its listener
                _log.exception("run store: reporting lost facts failed", path=str(self._path))
