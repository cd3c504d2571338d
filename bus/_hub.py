"""The event hub: numbers, records and fans out every progress event of a runtime.

Events of a run come from the coordinator's thread and from agent threads (in-stage
progress). The hub serialises them under one lock, which is what makes the guarantees
hold across threads: per-run sequence numbers strictly increase, progress never goes
down (and reaches 100 only with a completed run), and a listener that subscribes while a
run is under way gets everything exactly once, the past as a replay and the rest live.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from actorflow.contracts import EVENT_TYPES, Event, RunFinished, StageProgress

from . import signals
from ._delivery import Delivery

Listener = Callable[[Event], None]

_SIGNALS = {cls: signals.BY_KIND[cls.kind] for cls in EVENT_TYPES}
_ALL = signals.event
_PROGRESS = _SIGNALS[StageProgress]


class _RunLog:
    __slots__ = ("events", "finished", "progress", "seq")

    def __init__(self) -> None:
        self.seq = 0
        self.progress = 0
        self.events: list[Event] = []
        self.finished = False

    def advance(self, progress: int | None) -> int:
        """Number the next event; the run's progress keeps the highest value it was
        given, below 100 (which only a completed run reaches)."""
        if progress is not None and progress > self.progress:
            self.progress = min(progress, 99)
        self.seq += 1
        return self.seq


class EventHub:
    """Numbers, records and delivers events.

    Args:
        keep_finished: how many finished runs keep their events in memory for replay
            (the run store keeps everything; this only serves late in-process listeners).
    """

    def __init__(self, *, keep_finished: int = 1024) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, _RunLog] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._keep_finished = keep_finished
        self._listeners: dict[str | None, list[Listener]] = {}
        self._delivery = Delivery()

    def emit(
        self, cls: type[Event], run_id: str, progress: int | None = None, **fields: Any
    ) -> Event | None:
        """Build, record and deliver one event; ``None`` if the run already finished.

        Args:
            cls: the event type.
            run_id: the run it belongs to.
            progress: the run's progress in percent as the emitter sees it; the hub keeps
                the highest value seen (capped at 99 until the run completes).
            fields: the event's own fields.
        """
        with self._lock:
            log = self._open_log(run_id)
            if log is None:
                return None
            seq = log.advance(progress)
            if cls is RunFinished and fields.get("status") == "completed":
                log.progress = 100
            event = cls(run_id=run_id, seq=seq, at=time.time(), progress=log.progress, **fields)
            log.events.append(event)
            if cls is RunFinished:
                self._finish(run_id, log)
            self._hand_on(run_id, event, _SIGNALS[cls])
        return event

    def emit_stage_progress(
        self, run_id: str, progress: int, stage: str, fraction: float, message: str
    ) -> None:
        """``emit(StageProgress, ...)``, without the generic path's costs: agents may
        report thousands of times a second, and each report is one event."""
        with self._lock:
            log = self._open_log(run_id)
            if log is None:
                return
            event = StageProgress(
                run_id=run_id,
                seq=log.advance(progress),
                at=time.time(),
                progress=log.progress,
                stage=stage,
                fraction=fraction,
                message=message,
            )
            log.events.append(event)
            self._hand_on(run_id, event, _PROGRESS)

    def _open_log(self, run_id: str) -> _RunLog | None:
        """The run's log; ``None`` once the run finished (under the lock)."""
        log = self._runs.get(run_id)
        if log is None:
            log = self._runs[run_id] = _RunLog()
        elif log.finished:
            # A late report from an agent thread racing the run's end: dropping it
            # is what keeps "one terminal event per run, nothing after it".
            return None
        return log

    def _hand_on(self, run_id: str, event: Event, kind_signal: Any) -> None:
        """To listeners and signal receivers (under the lock, so in emission order)."""
        if self._listeners:
            for key in (run_id, None):
                for listener in self._listeners.get(key, ()):
                    listener(event)
        if kind_signal.receivers or _ALL.receivers:
            self._delivery.dispatch((kind_signal, _ALL), run_id, event)

    def _finish(self, run_id: str, log: _RunLog) -> None:
        log.finished = True
        self._finished[run_id] = None
        while len(self._finished) > self._keep_finished:
            old, _ = self._finished.popitem(last=False)
            self._runs.pop(old, None)

    def subscribe(
        self, run_id: str | None, listener: Listener
    ) -> tuple[list[Event], Callable[[], None]]:
        """Listen to one run's events (or all runs' with ``None``).

        The listener is called in the emitting thread while the hub's lock is held, so it
        must only hand the event on (``loop.call_soon_threadsafe``, ``queue.put``).

        Returns:
            The events recorded so far (for ``run_id``; nothing for ``None``) and a
            function that ends the subscription.
        """
        with self._lock:
            past = list(self._runs[run_id].events) if run_id in self._runs else []
            self._listeners.setdefault(run_id, []).append(listener)

        def unsubscribe() -> None:
            with self._lock:
                listeners = self._listeners.get(run_id, [])
                if listener in listeners:
                    listeners.remove(listener)
                if not listeners:
                    self._listeners.pop(run_id, None)

        return past, unsubscribe

    def history(self, run_id: str) -> list[Event]:
        """The events of ``run_id`` still held in memory."""
        with self._lock:
            log = self._runs.get(run_id)
            return list(log.events) if log else []

    def progress(self, run_id: str) -> int:
        """The run's progress as last emitted (0 if unknown)."""
        with self._lock:
            log = self._runs.get(run_id)
            return log.progress if log else 0

    def close(self, timeout: float = 5.0) -> None:
        """Deliver queued events to blinker receivers, then stop their threads."""
        self._delivery.close(timeout)
