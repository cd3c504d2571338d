"""One timer thread for every deadline of a runtime (attempt timeouts, retry backoff,
run timeouts), so that the coordinator never blocks and never needs a thread per timer.

Callbacks run on the timer thread and must be quick: in practice they ``tell`` an actor.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

from ._log import get_logger

_log = get_logger("bus.timers")


class TimerHandle:
    """A scheduled call; ``cancel()`` makes it a no-op."""

    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class TimerService:
    """Runs callbacks at monotonic deadlines on one daemon thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._counter = itertools.count()
        self._cancelled_hint = 0
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="actorflow-timers", daemon=True)
        self._thread.start()

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> TimerHandle:
        """Call ``callback`` after ``delay_s`` seconds."""
        handle = TimerHandle(time.monotonic() + max(0.0, delay_s), callback)
        with self._cond:
            if self._stopped:
                handle.cancelled = True
                return handle
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (handle.deadline, next(self._counter), handle))
            # Waking the thread costs a context switch; only an earlier deadline needs it.
            if earliest is None or handle.deadline < earliest:
                self._cond.notify()
            self._compact_if_needed()
        return handle

    def _compact_if_needed(self) -> None:
        # Most attempt timeouts are cancelled long before they fire; without compaction a
        # busy runtime would hold minutes' worth of dead entries.
        self._cancelled_hint += 1
        if self._cancelled_hint >= 4096 and len(self._heap) > 4096:
            self._cancelled_hint = 0
            live = [entry for entry in self._heap if not entry[2].cancelled]
            if len(live) < len(self._heap) // 2:
                heapq.heapify(live)
                self._heap = live

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if not self._heap:
                        self._cond.wait()
                        continue
                    deadline, _, handle = self._heap[0]
                    if handle.cancelled:
                        heapq.heappop(self._heap)
                        continue
                    delay = deadline - time.monotonic()
                    if delay <= 0:
                        heapq.heappop(self._heap)
                        break
                    self._cond.wait(delay)
                if self._stopped:
                    return
            try:
                handle.callback()
            except Exception as exc:  # noqa: BLE001  # the timer thread must outlive any callback
                _log.error("timer callback failed", error=f"{type(exc).__name__}: {exc}")

    def stop(self, timeout: float = 2.0) -> None:
        """Drop every pending timer and end the thread."""
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()
        self._thread.join(timeout)
