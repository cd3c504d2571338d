"""Log lines that a client can cause at will, at most a few per second.

A malformed request costs its sender a few bytes and the server a log line; a flood of
them must not become a flood of lines, nor of rendering work on the event loop (200
over-long request lines once cost a server 8 s of rich tracebacks). A :class:`LogLimit`
lets ``per_window`` lines through each window, counts the others without rendering
them, and says how many it held back: with the next line let through, or on its own
when the window ends. The decision is a few comparisons; nothing is formatted for a
line that is dropped.

Each server has its own budgets (:class:`LogLimits`, in the app under
``LOG_LIMITS_KEY``). Used from the event loop only (aiohttp's handlers run there), so
they need no lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from actorflow.bus import get_logger


class LogLimit:
    """At most ``per_window`` lines per ``window_s`` through ``logger``.

    Args:
        logger: a structlog logger (``.log(level, event, **fields)``).
        per_window: lines let through per window.
        window_s: the window's length.
        clock: the time source (monotonic seconds).
        enabled: whether a line of a level would be written at all (by default: the
            stdlib logger ``actorflow.web``'s level). A line that would not is dropped
            without spending the window's budget, so hidden debug lines never hold
            back the warnings after them.
    """

    def __init__(
        self,
        logger: Any,
        *,
        per_window: int = 10,
        window_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        enabled: Callable[[int], bool] | None = None,
    ) -> None:
        if per_window < 1 or window_s <= 0:
            raise ValueError("LogLimit needs per_window >= 1 and window_s > 0")
        self._logger = logger
        self._enabled = enabled or logging.getLogger("actorflow.web").isEnabledFor
        self._per_window = per_window
        self._window_s = window_s
        self._clock = clock
        self._window_start = -window_s
        self._used = 0
        self._suppressed = 0
        self._last: tuple[int, str] | None = None
        self._report: asyncio.TimerHandle | None = None

    @property
    def suppressed(self) -> int:
        """Lines held back and not yet reported."""
        return self._suppressed

    def log(self, level: int, event: str, **fields: Any) -> bool:
        """Log ``event`` unless this window's lines are spent; whether it was logged."""
        if not self._enabled(level):
            return False
        now = self._clock()
        if now - self._window_start >= self._window_s:
            self._window_start = now
            self._used = 0
        if self._used >= self._per_window:
            self._suppressed += 1
            self._last = (level, event)
            self._schedule_report(self._window_start + self._window_s - now)
            return False
        self._used += 1
        if self._suppressed:
            fields["suppressed_before"] = self._suppressed
            self._suppressed = 0
        self._logger.log(level, event, **fields)
        return True

    def _schedule_report(self, delay: float) -> None:
        if self._report is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: the count rides on the next line let through
            return
        self._report = loop.call_later(max(delay, 0.0), self.flush)

    def flush(self) -> None:
        """Report the lines held back so far (if any) in one line."""
        self._report = None
        if not self._suppressed or self._last is None:
            return
        level, event = self._last
        count, self._suppressed = self._suppressed, 0
        self._logger.log(level, "log lines suppressed", like=event, count=count)


@dataclass(frozen=True)
class LogLimits:
    """A server's budgets: for what clients get wrong, and for its own failures (so a
    flood of the first cannot hide the second)."""

    protocol: LogLimit = field(default_factory=lambda: LogLimit(get_logger("web")))
    failure: LogLimit = field(default_factory=lambda: LogLimit(get_logger("web")))
