"""Messages the coordinator receives. Internal: users see contracts, not these."""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass, field
from typing import Any

from actorflow.contracts import ErrorInfo, FrozenMap, RunResult, StageDone, WorkflowSpec

from ._pool import AgentPool


@dataclass(frozen=True, slots=True)
class StartRun:
    run_id: str
    spec: WorkflowSpec
    input: FrozenMap
    context: FrozenMap
    future: concurrent.futures.Future[RunResult]
    #: outcomes (``StageOutcome``) of stages that finished before the run was resumed.
    resume_from: FrozenMap = field(default_factory=FrozenMap)
    #: stages whose outputs stay in the result; ``None``: every stage's.
    keep_outputs: frozenset[str] | None = None
    #: look cached stages up in the coordinator's cache (``False``: run every stage).
    use_cache: bool = True


@dataclass(frozen=True, slots=True)
class CancelRun:
    run_id: str
    reason: str = "cancelled by request"
    #: set: the run ends ``failed`` with this error rather than ``cancelled``.
    error: ErrorInfo | None = None


@dataclass(frozen=True, slots=True)
class AttemptDone:
    pool: str
    member: int
    done: StageDone


@dataclass(frozen=True, slots=True)
class AgentCrashed:
    """A member actor died; ``run_id``/``stage``/``attempt`` name what it was doing."""

    pool: str
    member: int
    error: ErrorInfo
    run_id: str | None = None
    stage: str | None = None
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class AttemptTimedOut:
    run_id: str
    stage: str
    attempt: int
    pool: str


@dataclass(frozen=True, slots=True)
class RetryDue:
    run_id: str
    stage: str
    attempt: int


@dataclass(frozen=True, slots=True)
class RunDeadline:
    run_id: str


@dataclass(frozen=True, slots=True)
class AddPool:
    pool: AgentPool


@dataclass(frozen=True, slots=True)
class GetPools:
    """Ask: returns ``{name: (pool.info, stats, broken)}``."""


@dataclass(frozen=True, slots=True)
class Shutdown:
    reason: str = "runtime stopped"


Message = Any
