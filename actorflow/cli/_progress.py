"""Showing a run's progress as its events arrive: rich bars, plain lines, or nothing.

Displays are fed events one at a time by the thread that waits for the run (the CLI's
main thread), never by the emitting thread: the hub's listener only queues them.
"""

from __future__ import annotations

from typing import IO, Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

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

__all__ = ["LineProgress", "LiveProgress", "NoProgress", "ProgressDisplay", "describe_event"]


class ProgressDisplay(Protocol):
    """What the run command drives: a context manager that takes events and notes."""

    def __enter__(self) -> ProgressDisplay: ...

    def __exit__(self, *exc: object) -> None: ...

    def event(self, event: Event) -> None:
        """Show one event of the run."""

    def note(self, text: str) -> None:
        """Show a line that is not an event (a recovered run, an interruption)."""


def _error(error: ErrorInfo | None) -> str:
    return f"{error.type}: {error.message}" if error is not None else ""


def _attempts(n: int) -> str:
    return f"{n} attempt{'s' if n != 1 else ''}"


def describe_event(event: Event) -> str | None:  # noqa: PLR0911 - one sentence per kind
    """One plain sentence about ``event`` (``None`` for kinds not worth a line)."""
    if isinstance(event, RunStarted):
        count = len(event.stages)
        return (
            f"run {event.run_id} started: workflow {event.workflow!r}, "
            f"{count} stage{'s' if count != 1 else ''} ({', '.join(event.stages)})"
        )
    if isinstance(event, StageStarted):
        again = f", attempt {event.attempt}" if event.attempt > 1 else ""
        return f"{event.stage} started (agent {event.agent}{again})"
    if isinstance(event, StageProgress):
        message = f" {event.message}" if event.message else ""
        return f"{event.stage} {event.fraction:.0%}{message}"
    if isinstance(event, StageRetrying):
        return (
            f"{event.stage} attempt {event.attempt} failed ({_error(event.error)}); "
            f"retrying in {event.delay_s:.2f}s"
        )
    if isinstance(event, StageFinished):
        if event.reused:
            return f"{event.stage} {event.status} (reused: not run again)"
        if event.cached:
            return f"{event.stage} {event.status} (cached: not run again)"
        if event.status == "succeeded":
            more = f" ({_attempts(event.attempts)})" if event.attempts > 1 else ""
            return f"{event.stage} succeeded in {event.duration_s:.2f}s{more}"
        why = f": {_error(event.error)}" if event.error else ""
        if event.status in ("skipped", "cancelled"):
            return f"{event.stage} {event.status}{why}"
        return f"{event.stage} {event.status} after {_attempts(event.attempts)}{why}"
    if isinstance(event, RunFinished):
        why = f": {_error(event.error)}" if event.error else ""
        return f"run {event.status} in {event.execution_time_s:.2f}s{why}"
    return None


class NoProgress:
    """Shows nothing (``--json`` without a terminal to show bars on)."""

    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def event(self, event: Event) -> None:  # noqa: ARG002 - the protocol's signature
        return None

    def note(self, text: str) -> None:  # noqa: ARG002 - the protocol's signature
        return None


class LineProgress:
    """One plain line per event, for logs and pipes (``[ 42%] stage ...``).

    In-stage progress prints at most one line per tenth of the stage, so a stage that
    reports every batch does not flood a log file.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._shown: dict[str, int] = {}

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.flush()

    def event(self, event: Event) -> None:
        if isinstance(event, StageProgress):
            tenth = int(event.fraction * 10)
            if tenth <= self._shown.get(event.stage, -1):
                return
            self._shown[event.stage] = tenth
        elif isinstance(event, StageStarted):
            self._shown.pop(event.stage, None)
        text = describe_event(event)
        if text is not None:
            self._write(f"[{event.progress:3d}%] {text}")

    def note(self, text: str) -> None:
        self._write(text)

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()


_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "timed_out": "red",
    "cancelled": "yellow",
    "skipped": "dim",
}


class LiveProgress:
    """rich bars: the run's overall progress and one bar per stage, live.

    Each stage's bar follows its in-stage progress and its status column says what it
    is doing (waiting, running, which attempt, retrying, how it ended). Retries and
    failures are also printed as lines above the bars, so they stay on screen.
    """

    def __init__(self, console: Console) -> None:
        self._console = console
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
            transient=False,
            # Event-driven: the bars change when events come; the refresh only moves
            # the elapsed-time column.
            refresh_per_second=8,
        )
        self._overall: TaskID | None = None
        self._stages: dict[str, TaskID] = {}

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def note(self, text: str) -> None:
        self._progress.console.print(escape(text), highlight=False)

    def event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._started(event)
            return
        if self._overall is not None:
            self._progress.update(self._overall, completed=event.progress)
        if isinstance(event, StageStarted):
            task = self._stage(event.stage)
            self._progress.start_task(task)
            again = f" (attempt {event.attempt})" if event.attempt > 1 else ""
            self._progress.update(task, completed=0, status=f"[cyan]running{again}")
        elif isinstance(event, StageProgress):
            message = escape(event.message) if event.message else "running"
            self._progress.update(
                self._stage(event.stage), completed=event.fraction, status=message
            )
        elif isinstance(event, StageRetrying):
            self._progress.update(
                self._stage(event.stage), status=f"[yellow]retrying in {event.delay_s:.1f}s"
            )
            self._progress.console.print(f"[yellow]↻[/] {escape(describe_event(event) or '')}")
        elif isinstance(event, StageFinished):
            self._finished(event)
        elif isinstance(event, RunFinished):
            self._run_finished(event)

    def _started(self, event: RunStarted) -> None:
        self._overall = self._progress.add_task(
            f"[bold]{escape(event.workflow)}", total=100, status=f"[dim]{event.run_id}"
        )
        width = max((len(name) for name in event.stages), default=0)
        for name in event.stages:
            self._stages[name] = self._progress.add_task(
                f"  {escape(name.ljust(width))}", total=1.0, start=False, status="[dim]waiting"
            )

    def _stage(self, name: str) -> TaskID:
        task = self._stages.get(name)
        if task is None:  # an event of a stage RunStarted did not list: show it anyway
            task = self._stages[name] = self._progress.add_task(
                f"  {escape(name)}", total=1.0, status=""
            )
        return task

    def _finished(self, event: StageFinished) -> None:
        task = self._stage(event.stage)
        style = _STYLE.get(event.status, "")
        done = event.status == "succeeded"
        status = f"[{style}]{event.status}" if style else event.status
        if event.reused or event.cached:
            status += f" [dim]({'reused' if event.reused else 'cached'})"
        elif done and event.attempts > 1:
            status += f" [dim]({_attempts(event.attempts)})"
        if not done and event.error is not None:
            status += f" [dim]{escape(event.error.type)}"
        self._progress.update(task, completed=1.0 if done else None, status=status)
        self._progress.stop_task(task)
        if event.status in ("failed", "timed_out"):
            self._progress.console.print(f"[red]✗[/] {escape(describe_event(event) or '')}")

    def _run_finished(self, event: RunFinished) -> None:
        if self._overall is None:
            return
        style = "green" if event.status == "completed" else "red"
        self._progress.update(
            self._overall,
            completed=event.progress,
            status=f"[{style}]{event.status}[/] [dim]{event.execution_time_s:.2f}s",
        )
        self._progress.stop_task(self._overall)
