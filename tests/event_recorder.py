"""Collects a runtime's events in order, with a way to wait for a run's end."""

from __future__ import annotations

import threading
from collections import defaultdict

from actorflow import Runtime
from actorflow.contracts import Event, RunFinished


class EventRecorder:
    """Subscribes to every run's events through the hub (exactly once, in seq order)."""

    def __init__(self, runtime: Runtime) -> None:
        self._lock = threading.Lock()
        self.by_run: dict[str, list[Event]] = defaultdict(list)
        self._finished: dict[str, threading.Event] = defaultdict(threading.Event)
        _, self.close = runtime.hub.subscribe(None, self._on_event)

    def _on_event(self, event: Event) -> None:
        with self._lock:
            self.by_run[event.run_id].append(event)
            if isinstance(event, RunFinished):
                self._finished[event.run_id].set()

    def events(self, run_id: str, timeout: float = 10.0) -> list[Event]:
        """The run's events, once its ``RunFinished`` arrived."""
        if not self._finished[run_id].wait(timeout):
            raise AssertionError(f"run {run_id} did not finish within {timeout}s")
        with self._lock:
            return list(self.by_run[run_id])
