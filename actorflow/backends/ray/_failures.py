"""What an attempt's fate on Ray means for its stage: failed ``StageDone``s and errors.

Ray's errors are long (a preamble, the remote traceback, ANSI colours); a stage's error
says what happened in one line, the way the pykka backend's would.
"""

from __future__ import annotations

import re
import time

from ray.exceptions import ActorDiedError, RayActorError

from actorflow.actors.machinery import Assignment
from actorflow.contracts import ErrorInfo, StageDone

__all__ = ["dead_for_good", "error_info", "failed", "first_line", "summary"]


def failed(assignment: Assignment, exc: BaseException) -> StageDone:
    """A failed result of ``assignment``'s attempt, for a failure on this side of Ray."""
    msg = assignment.message
    now = time.time()
    return StageDone(
        run_id=msg.run_id,
        stage=msg.stage.name,
        attempt=msg.attempt,
        status="failed",
        error=ErrorInfo.from_exception(exc, stage=msg.stage.name),
        started_at=now,
        finished_at=now,
    )


def error_info(exc: BaseException, assignment: Assignment) -> ErrorInfo:
    """``exc`` as the error of ``assignment``'s stage."""
    return ErrorInfo.from_exception(exc, stage=assignment.message.stage.name)


def dead_for_good(exc: RayActorError) -> bool:
    """Ray will not restart this actor (its restarts are spent, or it never started)."""
    return isinstance(exc, ActorDiedError) or bool(getattr(exc, "actor_init_failed", False))


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message (its type's name if it has none)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def summary(exc: RayActorError) -> str:
    """Ray's error in one line: for an actor that failed to start, the root cause (the
    last line of Ray's message, e.g. ``ModuleNotFoundError: No module named 'x'``)."""
    if getattr(exc, "actor_init_failed", False):
        lines = [
            line.strip()
            for line in _ANSI.sub("", str(exc)).splitlines()
            if line.strip() and not line.startswith((" ", "\t")) and "^" not in line
        ]
        if lines:
            return lines[-1]
    return f"{type(exc).__name__}: {first_line(exc)}"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
