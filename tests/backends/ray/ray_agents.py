"""Agents of the Ray backend suite. Ray workers import this module by name (the suite
puts the repository root on their ``PYTHONPATH``), so everything here must be module-level."""

from __future__ import annotations

import enum
import os
import threading
from pathlib import Path
from typing import Any

import msgspec

from actorflow import Agent, Records, StageRequest


class WhereAmI(Agent):
    """Says which process performed the stage."""

    def perform(self, request: StageRequest) -> Any:
        return {"pid": os.getpid(), "attempt": request.attempt}


class Reporter(Agent):
    """Reports ``params.steps`` progress steps, pausing ``params.pause_s`` after each."""

    def perform(self, request: StageRequest) -> Any:
        steps = int(request.params.get("steps", 5))
        pause = float(request.params.get("pause_s", 0.02))
        for step in range(1, steps + 1):
            request.report_progress(step / steps, f"step {step} of {steps}")
            request.cancel.wait(pause)
        return {"steps": steps}


class Victim(Agent):
    """Says its process id in a progress report, then waits (for the test to kill its
    worker, or for cancellation, which it records in ``params.marker``). Waits on the
    first attempt only, unless ``params.wait`` says otherwise."""

    def perform(self, request: StageRequest) -> Any:
        if not request.params.get("wait", request.attempt == 1):
            return {"pid": os.getpid(), "attempt": request.attempt}
        request.report_progress(0.5, f"pid {os.getpid()}")
        cancelled = request.cancel.wait(60)
        marker = request.params.get("marker")
        if cancelled and marker:
            Path(marker).write_text(request.cancel.reason, encoding="utf-8")
        return {"pid": os.getpid(), "attempt": request.attempt, "cancelled": cancelled}


class Exits(Agent):
    """Ends its worker process abruptly on the first attempt (as the OOM killer would)."""

    def perform(self, request: StageRequest) -> Any:
        if request.attempt == 1:
            os._exit(17)
        return {"pid": os.getpid(), "attempt": request.attempt}


class Holder(msgspec.Struct, frozen=True):
    """A frozen Struct may hold anything, even what pickle refuses."""

    thing: Any


class Unpicklable(Agent):
    """Returns a value that freezes (a frozen Struct) but cannot be pickled."""

    def perform(self, request: StageRequest) -> Any:
        return {"holder": Holder(threading.Lock())}


class AddsColumn(Agent):
    """Returns the run input's ``records`` with a ``doubled`` column."""

    def perform(self, request: StageRequest) -> Any:
        records: Records = request.input["records"]
        frame = records.frame
        return Records(frame.with_columns(doubled=frame["amount"] * 2))


class FailsSetup(Agent):
    """Cannot start: its ``setup`` raises."""

    def setup(self) -> None:
        raise RuntimeError("no database at db.example:5432")


class Echo(Agent):
    """Returns the run input's ``value``."""

    def perform(self, request: StageRequest) -> Any:
        return {"value": request.input["value"]}


class Color(enum.Enum):
    """Stands for a class of the user's own script (``__main__``): the C pickler would
    send it by reference, which the other process cannot resolve."""

    RED = "red"
    GREEN = "green"


Color.__module__ = "__main__"
