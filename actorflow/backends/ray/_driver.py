"""The driver thread: one per runtime, the only thread that talks to Ray for its agents.

The coordinator must never block, and handing a stage to Ray serializes its message
(a million-row ``Records`` takes tens of milliseconds to write into the object store). So
the coordinator's ``tell`` only queues a call here; this thread sends it, and Ray's
completion callbacks queue the replies back here, where they become coordinator
messages. Every piece of driver-side Ray state is touched by this thread alone: no locks.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time
from collections.abc import Callable

from actorflow.bus import get_logger

_log = get_logger("ray.driver")

Job = Callable[[], None]


class RayDriver:
    """Runs queued jobs and timed jobs, one at a time, on its own daemon thread."""

    def __init__(self, name: str = "actorflow-ray") -> None:
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Job]] = []
        self._counter = itertools.count()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def post(self, job: Job) -> None:
        """Run ``job`` on the driver thread (from any thread)."""
        self._jobs.put(job)

    def later(self, delay_s: float, job: Job) -> None:
        """Run ``job`` after ``delay_s`` seconds; call it on the driver thread only."""
        heapq.heappush(self._timers, (time.monotonic() + delay_s, next(self._counter), job))

    def call(self, job: Callable[[], object], timeout: float | None = None) -> object:
        """Run ``job`` on the driver thread and wait for what it returns."""
        done = threading.Event()
        box: list[object] = []

        def run() -> None:
            try:
                box.append(job())
            finally:
                done.set()

        self.post(run)
        if not done.wait(timeout):
            raise TimeoutError("the Ray driver thread did not answer in time")
        return box[0] if box else None

    def stop(self, timeout: float = 5.0) -> None:
        """Drop pending timers and end the thread once queued jobs ran."""
        self._jobs.put(None)
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            timeout = None
            if self._timers:
                timeout = max(0.0, self._timers[0][0] - time.monotonic())
            try:
                job = self._jobs.get(timeout=timeout)
            except queue.Empty:
                job = _nothing
            if job is None:
                return
            self._run(job)
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now:
                self._run(heapq.heappop(self._timers)[2])

    @staticmethod
    def _run(job: Job) -> None:
        try:
            job()
        except Exception as exc:  # noqa: BLE001  # the thread must outlive a bug in one job
            _log.exception("Ray driver job failed", error=repr(exc))


def _nothing() -> None:
    return None
