"""What the store's queries return: immutable values, JSON-encodable with msgspec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import msgspec

from actorflow.contracts import AnyEvent, ErrorInfo, FrozenMap, RunStatus, StageStatus

if TYPE_CHECKING:
    from actorflow._handle import RunHandle


class RunRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One run as stored.

    Attributes:
        run_id: the run's id.
        workflow: the workflow's name.
        status: ``pending``, ``running``, ``completed``, ``failed``, ``cancelled`` or
            ``interrupted`` (its process died and it could not be resumed).
        started_at: unix time it was submitted.
        finished_at: unix time it reached its terminal state.
        execution_time_s: the runtime's figure for the session that finished it.
        progress: the last progress seen, in percent.
        error: why it failed, was cancelled or interrupted.
        stages: each stage's final status, in declaration order (once finished).
        resumes: how many times it was resumed after a crash.
        retry_of: the run this one retries (``RunStore.retry``), if it is a retry.
    """

    run_id: str
    workflow: str
    status: RunStatus
    started_at: float
    finished_at: float | None = None
    execution_time_s: float | None = None
    progress: int = 0
    error: ErrorInfo | None = None
    stages: FrozenMap | None = None
    resumes: int = 0
    retry_of: str | None = None


class AttemptRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One attempt of one stage.

    Attributes:
        session: how many times the run had been resumed when the attempt ran.
        status: ``running``, a terminal stage status, or ``interrupted`` (its process
            died during the attempt).
    """

    attempt: int
    session: int
    agent: str
    status: str
    started_at: float | None = None
    finished_at: float | None = None
    error: ErrorInfo | None = None


class StageRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One stage of a run as stored; its output is loaded on demand (``stage_output``).

    ``reused`` is true when a retry took its outcome and output over from the run it
    retries instead of running it again; ``cached`` when its output came from the stage
    cache (no agent was asked).
    """

    stage: str
    agent: str
    status: StageStatus
    attempts: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    duration_s: float | None = None
    error: ErrorInfo | None = None
    has_output: bool = False
    output_summary: str | None = None
    output_files: tuple[str, ...] = ()
    attempt_history: tuple[AttemptRecord, ...] = ()
    reused: bool = False
    cached: bool = False


class RunDetail(msgspec.Struct, frozen=True, kw_only=True):
    """A run with its workflow spec, its stages and all its events, oldest first, and
    the ids of the runs retrying it, oldest first."""

    run: RunRecord
    spec: FrozenMap | None
    stages: tuple[StageRecord, ...]
    events: tuple[AnyEvent, ...]
    retries: tuple[str, ...] = ()


class AgentStats(msgspec.Struct, frozen=True, kw_only=True):
    """Attempts an agent finished, and how many succeeded."""

    agent: str
    executions: int
    succeeded: int
    success_rate: float | None
    mean_duration_s: float | None


class StoreStats(msgspec.Struct, frozen=True, kw_only=True):
    """Figures for a dashboard.

    Attributes:
        runs_total: runs started in the window.
        runs_today: runs started since local midnight.
        by_status: run counts by status, in the window.
        success_rate: completed runs over finished ones, in the window (None: none yet).
        mean_execution_time_s: over completed runs in the window.
        agents: per agent, over the attempts of runs in the window.
    """

    runs_total: int
    runs_today: int
    by_status: FrozenMap
    success_rate: float | None
    mean_execution_time_s: float | None
    agents: tuple[AgentStats, ...]


@dataclass(frozen=True, slots=True)
class Recovery:
    """What recovery did with one run left unfinished by a dead process.

    Attributes:
        run_id: the run.
        workflow: its workflow's name.
        action: ``resumed`` (it runs again, finished stages reused) or ``interrupted``.
        reason: why it could not be resumed (empty when resumed).
        reused: the stages whose stored outcomes it resumed from.
        handle: the resumed run's handle; ``None`` when interrupted.
    """

    run_id: str
    workflow: str
    action: Literal["resumed", "interrupted"]
    reason: str = ""
    reused: tuple[str, ...] = ()
    handle: RunHandle | None = None
