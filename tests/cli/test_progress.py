"""The progress displays: rich bars on a terminal, plain lines elsewhere, fed by events."""

from __future__ import annotations

import io
import re

from rich.console import Console

from actorflow.cli import LineProgress, LiveProgress, describe_event
from actorflow.contracts import (
    ErrorInfo,
    Event,
    RunFinished,
    RunStarted,
    StageFinished,
    StageProgress,
    StageRetrying,
    StageStarted,
)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_events() -> list[Event]:
    """A run whose first stage reports progress, whose second retries and fails."""
    busy = ErrorInfo(type="ConnectionError", message="busy", retryable=True)
    boom = ErrorInfo(type="ValueError", message="bad rows")
    seq = iter(range(1, 100))

    def at(progress: int) -> dict[str, object]:
        return {"run_id": "r1", "seq": next(seq), "at": 0.0, "progress": progress}

    return [
        RunStarted(**at(0), workflow="sales", stages=("load", "check")),
        StageStarted(**at(0), stage="load", agent="extractor", attempt=1),
        StageProgress(**at(10), stage="load", fraction=0.25, message="batch 1"),
        StageProgress(**at(12), stage="load", fraction=0.27, message="batch 2"),
        StageProgress(**at(30), stage="load", fraction=0.6, message="batch 3"),
        StageFinished(**at(50), stage="load", status="succeeded", attempts=1, duration_s=1.5),
        StageStarted(**at(50), stage="check", agent="processor", attempt=1),
        StageRetrying(**at(50), stage="check", attempt=1, delay_s=0.5, error=busy),
        StageStarted(**at(50), stage="check", agent="processor", attempt=2),
        StageFinished(
            **at(50), stage="check", status="failed", attempts=2, duration_s=0.2, error=boom
        ),
        RunFinished(**at(50), status="failed", execution_time_s=2.0, error=boom),
    ]


def test_describe_event_says_each_kind_in_one_sentence() -> None:
    lines = [describe_event(event) for event in run_events()]

    assert lines == [
        "run r1 started: workflow 'sales', 2 stages (load, check)",
        "load started (agent extractor)",
        "load 25% batch 1",
        "load 27% batch 2",
        "load 60% batch 3",
        "load succeeded in 1.50s",
        "check started (agent processor)",
        "check attempt 1 failed (ConnectionError: busy); retrying in 0.50s",
        "check started (agent processor, attempt 2)",
        "check failed after 2 attempts: ValueError: bad rows",
        "run failed in 2.00s: ValueError: bad rows",
    ]


def test_plain_lines_carry_the_run_progress_and_thin_out_in_stage_progress() -> None:
    stream = io.StringIO()

    with LineProgress(stream) as display:
        for event in run_events():
            display.event(event)
        display.note("a note")

    lines = stream.getvalue().splitlines()
    assert lines[2] == "[ 10%] load 25% batch 1"
    # 27% is in the same tenth as 25%: not worth another line.
    assert lines[3] == "[ 30%] load 60% batch 3"
    assert lines[-2] == "[ 50%] run failed in 2.00s: ValueError: bad rows"
    assert lines[-1] == "a note"
    assert len(lines) == 11


def test_live_bars_show_every_stage_its_status_retries_and_failures() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)

    with LiveProgress(console) as display:
        for event in run_events():
            display.event(event)

    screen = ANSI.sub("", buffer.getvalue())
    final = screen[screen.rindex("sales") :]  # the last frame, drawn when the display stopped
    assert "failed" in final
    assert re.search(r"load\s+━+\s+100%.*succeeded", final)
    assert re.search(r"check\s+.*failed ValueError", final)
    # Retries and failures were also printed above the bars, where they stay.
    assert "↻ check attempt 1 failed (ConnectionError: busy); retrying in 0.50s" in screen
    assert "✗ check failed after 2 attempts: ValueError: bad rows" in screen


def test_live_bars_follow_in_stage_progress_as_it_comes() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    events = run_events()

    with LiveProgress(console) as display:
        for event in events[:5]:
            display.event(event)
        display._progress.refresh()  # draw the frame now rather than at the next tick
        frame = ANSI.sub("", buffer.getvalue())

    assert re.search(r"load\s+━+\S*\s+60%.*batch 3", frame)
    assert re.search(r"check\s+.*waiting", frame)
