"""Runs the service knows in memory: state folded from events, results from handles.

Every mutation happens on the event loop's thread (events arrive through
``call_soon_threadsafe``), so handlers read the state without locks. A run submitted
through the API reports a terminal status only once its ``RunResult`` is in, so a client
that sees ``completed`` always finds the results in the same answer.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import msgspec

from actorflow.api_schema import (
    ApiStatus,
    Progress,
    RunError,
    StageSummary,
    WorkflowStatus,
    WorkflowSummary,
)
from actorflow.contracts import (
    Event,
    FrozenMap,
    RunFinished,
    RunResult,
    RunStarted,
    StageFinished,
    StageOutcome,
    StageProgress,
    StageRetrying,
    StageStarted,
    WorkflowSpec,
)

from ._convert import api_status, error_text, run_error, to_json

_encoder = msgspec.json.Encoder()


@dataclass(slots=True)
class _Stage:
    name: str
    agent: str
    status: str = "pending"
    attempts: int = 0
    duration_s: float | None = None
    error: object = None
    reused: bool = False
    cached: bool = False

    def summary(self) -> StageSummary:
        return StageSummary(
            name=self.name,
            agent=self.agent,
            status=self.status,
            attempts=self.attempts,
            duration_s=self.duration_s,
            error=self.error,  # type: ignore[arg-type]  # a RunError or None
            reused=self.reused,
            cached=self.cached,
        )


class Tracked:
    """One run as the service sees it."""

    __slots__ = (
        "_final",
        "callback_url",
        "completion",
        "current_stage",
        "finished",
        "message",
        "outputs_released",
        "result",
        "run_id",
        "settled",
        "stages",
        "started_at",
        "via_api",
        "workflow",
    )

    def __init__(
        self,
        run_id: str,
        workflow: str,
        stages: list[tuple[str, str]],
        *,
        started_at: float,
        via_api: bool,
        callback_url: str | None = None,
    ) -> None:
        self.run_id = run_id
        self.workflow = workflow
        self.stages = {name: _Stage(name, agent) for name, agent in stages}
        self.started_at = started_at
        self.via_api = via_api
        self.callback_url = callback_url
        self.current_stage: str | None = None
        self.completion = 0
        self.message = ""
        self.finished: RunFinished | None = None
        self.result: RunResult | None = None
        #: set once the result is in (API runs: a little after their RunFinished event).
        self.settled = asyncio.Event()
        self._final: bytes | None = None
        #: the result's stage outputs were let go: the store has them
        self.outputs_released = False

    @classmethod
    def submitted(cls, run_id: str, spec: WorkflowSpec, callback_url: str | None) -> Tracked:
        return cls(
            run_id,
            spec.name,
            [(s.name, s.agent) for s in spec.stages],
            started_at=time.time(),
            via_api=True,
            callback_url=callback_url,
        )

    # -- folding events ----------------------------------------------------------------

    def apply(self, event: Event) -> None:
        self.completion = max(self.completion, event.progress)
        if isinstance(event, RunStarted):
            self.started_at = min(self.started_at, event.at)
            for name in event.stages:
                self.stages.setdefault(name, _Stage(name, ""))
        elif isinstance(event, StageStarted):
            stage = self._stage(event.stage)
            stage.status, stage.attempts, stage.agent = "running", event.attempt, event.agent
            self.current_stage, self.message = event.stage, ""
        elif isinstance(event, StageProgress):
            self.current_stage = event.stage
            self.message = event.message
        elif isinstance(event, StageRetrying):
            self._stage(event.stage).status = "retrying"
            self.message = f"attempt {event.attempt} failed ({event.error}); retrying"
        elif isinstance(event, StageFinished):
            stage = self._stage(event.stage)
            stage.status, stage.attempts = event.status, event.attempts
            stage.duration_s, stage.error = event.duration_s, run_error(event.error)
            stage.reused, stage.cached = event.reused, event.cached
            self.current_stage = event.stage
        elif isinstance(event, RunFinished):
            self.finished = event
            if not self.via_api:
                self.settled.set()

    def _stage(self, name: str) -> _Stage:
        stage = self.stages.get(name)
        if stage is None:
            stage = self.stages[name] = _Stage(name, "")
        return stage

    def finish(self, result: RunResult) -> None:
        self.result = result
        self.settled.set()
        for name, outcome in result.stages.items():
            if not isinstance(outcome, StageOutcome):
                continue
            stage = self._stage(name)
            stage.status, stage.attempts = outcome.status, outcome.attempts
            stage.agent = stage.agent or outcome.agent
            stage.duration_s, stage.error = outcome.duration_s, run_error(outcome.error)
        if result.status == "completed":
            self.completion = 100

    # -- reading -------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Terminal as far as the API is concerned (for API runs: the result is in)."""
        return self.result is not None or (not self.via_api and self.finished is not None)

    @property
    def status(self) -> ApiStatus:
        if self.result is not None:
            return api_status(self.result.status)
        if self.finished is not None and not self.via_api:
            return api_status(self.finished.status)
        return "processing"

    def execution_time(self) -> float:
        if self.result is not None:
            return self.result.execution_time_s
        if self.finished is not None and not self.via_api:
            return self.finished.execution_time_s
        return max(0.0, time.time() - self.started_at)

    def progress(self) -> Progress:
        return Progress(
            current_stage=self.current_stage, completion=self.completion, message=self.message
        )

    def error(self) -> RunError | None:
        if self.result is not None:
            return run_error(self.result.error)
        if self.finished is not None and not self.via_api:
            return run_error(self.finished.error)
        return None

    def summary(self) -> WorkflowSummary:
        return WorkflowSummary(
            workflow_id=self.run_id,
            workflow=self.workflow,
            status=self.status,
            progress=self.progress(),
            error=error_text(self.error()),
            execution_time=self.execution_time(),
            error_detail=self.error(),
            started_at=self.started_at,
            finished_at=self.result.finished_at if self.result is not None else None,
        )

    def status_body(self, rows: int) -> bytes | None:
        """The encoded status; ``None`` when only the store has this run's results."""
        if self._final is not None:
            return self._final
        if self.done and self.result is None:
            return None  # finished by someone else's handle: its outputs are in the store
        results = None
        if self.result is not None:
            results = {
                name: to_json(outcome.output, rows)
                for name, outcome in self.result.stages.items()
                if isinstance(outcome, StageOutcome) and outcome.output is not None
            }
        body = _encoder.encode(
            WorkflowStatus(
                workflow_id=self.run_id,
                status=self.status,
                progress=self.progress(),
                results=results,
                error=error_text(self.error()),
                execution_time=self.execution_time(),
                error_detail=self.error(),
                workflow=self.workflow,
                stages=[stage.summary() for stage in self.stages.values()],
                started_at=self.started_at,
                finished_at=self.result.finished_at if self.result is not None else None,
            )
        )
        if self.result is not None:
            self._final = body  # nothing changes any more: encode once
        return body

    def release_outputs(self, rows: int) -> None:
        """Let go of the stage outputs (the store keeps them), the status body made first."""
        if self.result is None or self.outputs_released:
            return
        self.status_body(rows)
        self.result = msgspec.structs.replace(
            self.result,
            stages=FrozenMap(
                {
                    name: msgspec.structs.replace(outcome, output=None)
                    if isinstance(outcome, StageOutcome)
                    else outcome
                    for name, outcome in self.result.stages.items()
                }
            ),
        )
        self.outputs_released = True


class Tracker:
    """Unfinished runs, and the most recent finished ones (``keep`` of them), the newest
    ``keep_outputs`` with their stage outputs."""

    def __init__(self, keep: int, *, keep_outputs: int | None = None, rows: int = 100) -> None:
        self._keep = keep
        self._keep_outputs = keep if keep_outputs is None else keep_outputs
        self._rows = rows
        self._runs: dict[str, Tracked] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._with_outputs: OrderedDict[str, Tracked] = OrderedDict()

    def add(self, tracked: Tracked) -> Tracked:
        self._runs[tracked.run_id] = tracked
        return tracked

    def get(self, run_id: str) -> Tracked | None:
        return self._runs.get(run_id)

    def discard(self, run_id: str) -> None:
        """Forget a run that was tracked but could not be submitted."""
        self._runs.pop(run_id, None)

    def retire(self, tracked: Tracked) -> None:
        """Note that ``tracked`` finished; the oldest finished runs are forgotten."""
        self._finished[tracked.run_id] = None
        self._finished.move_to_end(tracked.run_id)
        while len(self._finished) > self._keep:
            old, _ = self._finished.popitem(last=False)
            self._runs.pop(old, None)
            self._with_outputs.pop(old, None)
        if tracked.result is not None:
            self._with_outputs[tracked.run_id] = tracked
            while len(self._with_outputs) > self._keep_outputs:
                _, oldest = self._with_outputs.popitem(last=False)
                oldest.release_outputs(self._rows)

    def __iter__(self) -> Iterator[Tracked]:
        return iter(list(self._runs.values()))

    def active_api_runs(self) -> int:
        return sum(1 for t in self._runs.values() if t.via_api and t.result is None)

    def active(self) -> int:
        return sum(1 for t in self._runs.values() if not t.done)
