"""Outcomes of stages and runs, as immutable values."""

from __future__ import annotations

import traceback
from typing import Any, Literal

import msgspec

from ._errors import OutputReleasedError, is_retryable
from ._freeze import FrozenMap

RunStatus = Literal["pending", "running", "completed", "failed", "cancelled", "interrupted"]
StageStatus = Literal[
    "pending", "running", "retrying", "succeeded", "failed", "skipped", "timed_out", "cancelled"
]

RUN_TERMINAL: frozenset[str] = frozenset({"completed", "failed", "cancelled", "interrupted"})
STAGE_TERMINAL: frozenset[str] = frozenset(
    {"succeeded", "failed", "skipped", "timed_out", "cancelled"}
)


class ErrorInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What went wrong, as data: the exception's type name and message."""

    type: str
    message: str
    retryable: bool = False
    stage: str | None = None
    detail: str | None = None

    @classmethod
    def from_exception(
        cls, exc: BaseException, *, stage: str | None = None, with_traceback: bool = False
    ) -> ErrorInfo:
        """Describe ``exc``; the traceback is kept only when asked (it can be long)."""
        detail = "".join(traceback.format_exception(exc)) if with_traceback else None
        return cls(
            type=type(exc).__name__,
            message=str(exc) or type(exc).__name__,
            retryable=is_retryable(exc),
            stage=stage,
            detail=detail,
        )

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


class StageOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """The final state of one stage in one run.

    ``output_released`` is true when the run let go of the output once no stage needed
    it any more, because ``keep_outputs`` did not name it; observers (the run store) got
    it before that.
    """

    stage: str
    agent: str
    status: StageStatus
    output: Any = None
    error: ErrorInfo | None = None
    attempts: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    duration_s: float = 0.0
    output_released: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


class RunResult(msgspec.Struct, frozen=True, kw_only=True):
    """The final state of a run.

    Attributes:
        run_id: the run's id.
        workflow: the workflow's name.
        status: ``completed``, ``failed``, ``cancelled`` (or ``interrupted`` after a crash).
        stages: every stage's outcome, in declaration order.
        execution_time_s: from start to the terminal state.
        completed_stages: stages that succeeded, in the order they finished.
        error: why the run failed or was cancelled.
    """

    run_id: str
    workflow: str
    status: RunStatus
    stages: FrozenMap
    execution_time_s: float
    completed_stages: tuple[str, ...] = ()
    error: ErrorInfo | None = None
    started_at: float = 0.0
    finished_at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "completed"

    def outcome(self, stage: str) -> StageOutcome:
        """The outcome of ``stage``.

        Raises:
            KeyError: no such stage.
        """
        outcome: StageOutcome = self.stages[stage]
        return outcome

    def output(self, stage: str) -> Any:
        """The output of ``stage`` (``None`` if it produced none).

        Raises:
            KeyError: no such stage.
            OutputReleasedError: the run let it go (``keep_outputs`` did not name it).
        """
        outcome = self.outcome(stage)
        if outcome.output_released:
            raise OutputReleasedError(
                f"the output of stage {stage!r} was let go once no stage needed it; "
                "name it in keep_outputs to keep it in the result"
            )
        return outcome.output
