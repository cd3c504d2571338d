"""The state of one run inside the coordinator: stages, steps, outcomes.

Plain objects owned by the coordinator's thread; the scheduling decisions that depend
only on this state (which stages may start now) live here, the side effects (pools,
timers, events) in the coordinator.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from actorflow.bus import CancelToken
from actorflow.bus.machinery import ProgressReporter, RunProgress, TimerHandle
from actorflow.contracts import (
    STAGE_TERMINAL,
    ErrorInfo,
    FrozenMap,
    RunResult,
    RunStatus,
    StageOutcome,
    StageSpec,
    StageStatus,
    WorkflowSpec,
)


@dataclass(slots=True)
class StageState:
    spec: StageSpec
    status: StageStatus = "pending"
    attempt: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    t0: float = 0.0
    output: Any = None
    error: ErrorInfo | None = None
    cancel: CancelToken | None = None
    reporter: ProgressReporter | None = None
    timer: TimerHandle | None = None
    retry_timer: TimerHandle | None = None
    outcome: StageOutcome | None = None
    blocked_by: int = 0
    dependents: list[str] = field(default_factory=list)
    #: its output came from the stage cache: no agent was asked.
    cached: bool = False

    @property
    def terminal(self) -> bool:
        return self.status in STAGE_TERMINAL

    def make_outcome(self) -> StageOutcome:
        duration = 0.0
        if self.started_at is not None and self.finished_at is not None:
            duration = max(0.0, self.finished_at - self.started_at)
        self.outcome = StageOutcome(
            stage=self.spec.name,
            agent=self.spec.agent,
            status=self.status,
            output=self.output,
            error=self.error,
            attempts=self.attempt,
            started_at=self.started_at,
            finished_at=self.finished_at,
            duration_s=duration,
        )
        return self.outcome


def plan_steps(spec: WorkflowSpec) -> list[tuple[str, ...]]:
    """Sequential plan: one stage per step in declaration order, a group as one step."""
    steps: list[list[str]] = []
    group_step: dict[str, int] = {}
    for stage in spec.stages:
        group = stage.parallel_group
        if group is not None and group in group_step:
            steps[group_step[group]].append(stage.name)
            continue
        if group is not None:
            group_step[group] = len(steps)
        steps.append([stage.name])
    return [tuple(step) for step in steps]


class Run:
    """One run in flight."""

    __slots__ = (
        "completed",
        "context",
        "deadline",
        "future",
        "input",
        "keep",
        "progress",
        "reused",
        "run_id",
        "spec",
        "stages",
        "started_at",
        "status",
        "step",
        "steps",
        "t0",
        "terminal_count",
        "use_cache",
    )

    def __init__(
        self,
        run_id: str,
        spec: WorkflowSpec,
        input: FrozenMap,
        context: FrozenMap,
        future: concurrent.futures.Future[RunResult],
        *,
        resume_from: Mapping[str, StageOutcome] | None = None,
        keep_outputs: frozenset[str] | None = None,
        use_cache: bool = True,
    ) -> None:
        self.run_id = run_id
        self.use_cache = use_cache
        self.keep = keep_outputs
        self.spec = spec
        self.input = input
        self.context = context
        self.future = future
        self.started_at = time.time()
        self.t0 = time.monotonic()
        self.status: RunStatus = "running"
        self.stages: dict[str, StageState] = {s.name: StageState(s) for s in spec.stages}
        for stage in spec.stages:
            self.stages[stage.name].blocked_by = len(stage.depends_on)
            for dep in stage.depends_on:
                self.stages[dep].dependents.append(stage.name)
        self.steps = [] if spec.parallel else plan_steps(spec)
        self.step = -1
        self.completed: list[str] = []
        self.terminal_count = 0
        self.progress = RunProgress(run_id, len(spec.stages))
        self.deadline: TimerHandle | None = None
        self.reused: list[StageState] = []
        for stage in spec.stages:  # declaration order, so ``completed`` keeps it
            if resume_from and stage.name in resume_from:
                self._reuse(self.stages[stage.name], resume_from[stage.name])

    def _reuse(self, state: StageState, outcome: StageOutcome) -> None:
        """Take the outcome of a stage that finished before the run was resumed."""
        state.status = outcome.status
        state.output = outcome.output
        state.error = outcome.error
        state.attempt = outcome.attempts
        state.started_at = outcome.started_at
        state.finished_at = outcome.finished_at
        state.outcome = outcome
        self.terminal_count += 1
        self.progress.stage_done(state.spec.name)
        if outcome.succeeded:
            self.completed.append(state.spec.name)
        for name in state.dependents:
            self.stages[name].blocked_by -= 1
        self.reused.append(state)

    @property
    def all_terminal(self) -> bool:
        return self.terminal_count == len(self.stages)

    def initially_ready(self) -> list[StageState]:
        """Stages that may start when the run starts."""
        if self.spec.parallel:
            return [s for s in self.stages.values() if s.blocked_by == 0 and not s.terminal]
        return self.next_step()

    def ready_after(self, finished: StageState) -> list[StageState]:
        """Stages that may start now that ``finished`` reached a terminal state."""
        if self.spec.parallel:
            ready = []
            for name in finished.dependents:
                dependent = self.stages[name]
                dependent.blocked_by -= 1
                if dependent.blocked_by == 0 and dependent.status == "pending":
                    ready.append(dependent)
            return ready
        if all(self.stages[name].terminal for name in self.steps[self.step]):
            return self.next_step()
        return []

    def next_step(self) -> list[StageState]:
        """The next step's stages, passing over those already terminal (reused ones)."""
        while True:
            self.step += 1
            if self.step >= len(self.steps):
                return []
            ready = [self.stages[n] for n in self.steps[self.step] if not self.stages[n].terminal]
            if ready:
                return ready

    def dependencies_of(self, state: StageState) -> FrozenMap:
        outcomes = {}
        for dep in state.spec.depends_on:
            outcome = self.stages[dep].outcome
            assert outcome is not None  # rule 1: dependencies are terminal before we start
            outcomes[dep] = outcome
        return FrozenMap(outcomes)

    def release_after(self, state: StageState) -> None:
        """Let go of the outputs that ``state`` reaching its end leaves unneeded.

        An output is needed until every stage depending on it is terminal (a retry reads
        it again), and always when ``keep_outputs`` names it or is ``None``. Observers
        got each outcome, output included, when its stage finished.
        """
        if self.keep is None:
            return
        for name in (*state.spec.depends_on, state.spec.name):
            done = self.stages[name]
            outcome = done.outcome
            if name in self.keep or outcome is None or outcome.output is None:
                continue
            if all(self.stages[d].terminal for d in done.dependents):
                done.output = None
                done.outcome = msgspec.structs.replace(outcome, output=None, output_released=True)

    def result(self, error: ErrorInfo | None) -> RunResult:
        finished = time.time()
        return RunResult(
            run_id=self.run_id,
            workflow=self.spec.name,
            status=self.status,
            stages=FrozenMap(
                {name: s.outcome or s.make_outcome() for name, s in self.stages.items()}
            ),
            execution_time_s=time.monotonic() - self.t0,
            completed_stages=tuple(self.completed),
            error=error,
            started_at=self.started_at,
            finished_at=finished,
        )
