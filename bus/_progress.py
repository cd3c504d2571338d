"""In-stage progress reports, from an agent's thread straight to the event hub."""

from __future__ import annotations

import math
import threading

from ._hub import EventHub


class RunProgress:
    """Shared by a run's coordinator state and its agents' progress reporters.

    The run's progress is the share of terminal stages plus the fractions reported by
    running ones. Each stage's fraction only grows (a retry does not start it from 0
    again); the hub makes the run's figure monotonic whatever the interleaving.
    """

    __slots__ = ("_fractions", "_lock", "_partial", "done", "run_id", "total")

    def __init__(self, run_id: str, total: int) -> None:
        self.run_id = run_id
        self.total = max(total, 1)
        self.done = 0
        self._fractions: dict[str, float] = {}
        # The running sum of _fractions, so a report costs O(1) whatever the stage count.
        self._partial = 0.0
        self._lock = threading.Lock()

    def percent(self) -> int:
        if not self._fractions:  # most stages never report: skip the lock
            return 100 * self.done // self.total
        with self._lock:
            return int(100 * (self.done + self._partial) / self.total)

    def stage_done(self, stage: str) -> None:
        """Called by the coordinator when a stage reaches a terminal state."""
        with self._lock:
            self._partial -= self._fractions.pop(stage, 0.0)
            if not self._fractions:
                self._partial = 0.0  # no float drift left behind
            self.done += 1

    def report(self, stage: str, fraction: float) -> tuple[float, int]:
        """Record a stage's fraction.

        Returns:
            The fraction kept (never lower than before) and the run's percent.
        """
        with self._lock:
            old = self._fractions.get(stage, 0.0)
            if fraction > old:
                self._fractions[stage] = fraction
                self._partial += fraction - old
            else:
                self._fractions[stage] = old
            percent = int(100 * (self.done + self._partial) / self.total)
        return max(old, fraction), percent


class ProgressReporter:
    """``report(fraction, message)`` for one attempt; silent once the attempt is over."""

    __slots__ = ("_hub", "_run", "_stage", "active")

    def __init__(self, hub: EventHub, run: RunProgress, stage: str) -> None:
        self._hub = hub
        self._run = run
        self._stage = stage
        self.active = True

    def __call__(self, fraction: float, message: str = "") -> None:
        if not self.active:
            return
        if not (0.0 <= fraction <= 1.0):
            # Out-of-range reports are clamped rather than raised: a progress bar is not
            # worth failing a stage over.
            fraction = min(max(fraction, 0.0), 1.0) if not math.isnan(fraction) else 0.0
        kept, percent = self._run.report(self._stage, fraction)
        self._hub.emit_stage_progress(self._run.run_id, percent, self._stage, kept, message)
