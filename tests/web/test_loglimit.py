"""LogLimit: a few lines a window, the rest counted, and the count said."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from actorflow.web._loglimit import LogLimit


class Recorder:
    """A logger keeping what it is given."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str, dict[str, Any]]] = []
        self.second = threading.Event()  # set once a second line arrives

    def log(self, level: int, event: str, **fields: Any) -> None:
        self.lines.append((level, event, fields))
        if len(self.lines) >= 2:
            self.second.set()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_beyond_the_window_are_counted_and_the_count_rides_on_the_next_line() -> None:
    recorder, clock = Recorder(), Clock()
    limit = LogLimit(recorder, per_window=3, window_s=1.0, clock=clock)
    passed = [limit.log(logging.WARNING, "bad", n=n) for n in range(10)]
    assert passed == [True] * 3 + [False] * 7
    assert [fields["n"] for _, _, fields in recorder.lines] == [0, 1, 2]
    assert limit.suppressed == 7

    clock.now += 1.0  # a new window
    assert limit.log(logging.WARNING, "bad", n=10)
    assert recorder.lines[-1] == (logging.WARNING, "bad", {"n": 10, "suppressed_before": 7})
    assert limit.suppressed == 0


async def test_the_count_is_reported_on_its_own_when_the_window_ends() -> None:
    recorder = Recorder()
    limit = LogLimit(recorder, per_window=1, window_s=0.05)
    for _ in range(5):
        limit.log(logging.WARNING, "malformed request")
    assert len(recorder.lines) == 1
    # The report is a timer on this loop: wait for it without blocking the loop.
    assert await asyncio.to_thread(recorder.second.wait, 10)
    assert recorder.lines[1] == (
        logging.WARNING,
        "log lines suppressed",
        {"like": "malformed request", "count": 4},
    )
    assert limit.suppressed == 0


def test_nonsense_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="per_window"):
        LogLimit(Recorder(), per_window=0)
    with pytest.raises(ValueError, match="window_s"):
        LogLimit(Recorder(), window_s=0)


def test_lines_below_the_loggers_level_spend_nothing_of_the_window() -> None:
    recorder, clock = Recorder(), Clock()
    limit = LogLimit(
        recorder, per_window=2, window_s=1.0, clock=clock, enabled=lambda level: level >= 30
    )
    hidden = [limit.log(logging.INFO, "client left") for _ in range(5)]
    shown = [limit.log(logging.WARNING, "malformed request") for _ in range(3)]
    assert hidden == [False] * 5
    assert shown == [True, True, False]
    assert [event for _, event, _ in recorder.lines] == ["malformed request"] * 2
    assert limit.suppressed == 1
