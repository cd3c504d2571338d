"""Immutable contracts: workflow specs, stage messages, outcomes, events and errors.

Imports nothing else of actorflow, so any layer (and any process) can use it.
"""

from ._diagnose import every_problem
from ._errors import (
    ActorflowError,
    AgentCrashedError,
    AgentUnavailableError,
    BackendUnavailableError,
    DataValidationError,
    LimitExceededError,
    OutputNotFrozenError,
    OutputReleasedError,
    Problem,
    RetryableError,
    RunCancelledError,
    RunTimeoutError,
    RuntimeStoppedError,
    SourceError,
    StageTimeoutError,
    UnfreezableError,
    WorkflowValidationError,
    is_retryable,
)
from ._events import (
    EVENT_TYPES,
    AnyEvent,
    Event,
    RunFinished,
    RunStarted,
    StageFinished,
    StageProgress,
    StageRetrying,
    StageStarted,
    decode_event,
    encode_event,
)
from ._freeze import FrozenMap, freeze, thaw
from ._load import load_workflow
from ._messages import RunStage, StageDone
from ._nesting import MAX_DEPTH, too_deep
from ._outcomes import (
    RUN_TERMINAL,
    STAGE_TERMINAL,
    ErrorInfo,
    RunResult,
    RunStatus,
    StageOutcome,
    StageStatus,
)
from ._quote import listing, quote, shorten
from ._records import Records, query_engine
from ._stored import SPILL_DIR_ENV, RecordsWriter, spill_root
from ._validate import find_cycle, validate_workflow, workflow_problems
from ._workflow import StageSpec, WorkflowSpec

__all__ = [
    "EVENT_TYPES",
    "MAX_DEPTH",
    "RUN_TERMINAL",
    "SPILL_DIR_ENV",
    "STAGE_TERMINAL",
    "ActorflowError",
    "AgentCrashedError",
    "AgentUnavailableError",
    "AnyEvent",
    "BackendUnavailableError",
    "DataValidationError",
    "ErrorInfo",
    "Event",
    "FrozenMap",
    "LimitExceededError",
    "OutputNotFrozenError",
    "OutputReleasedError",
    "Problem",
    "Records",
    "RecordsWriter",
    "RetryableError",
    "RunCancelledError",
    "RunFinished",
    "RunResult",
    "RunStage",
    "RunStarted",
    "RunStatus",
    "RunTimeoutError",
    "RuntimeStoppedError",
    "SourceError",
    "StageDone",
    "StageFinished",
    "StageOutcome",
    "StageProgress",
    "StageRetrying",
    "StageSpec",
    "StageStarted",
    "StageStatus",
    "StageTimeoutError",
    "UnfreezableError",
    "WorkflowSpec",
    "WorkflowValidationError",
    "decode_event",
    "encode_event",
    "every_problem",
    "find_cycle",
    "freeze",
    "is_retryable",
    "listing",
    "load_workflow",
    "query_engine",
    "quote",
    "shorten",
    "spill_root",
    "thaw",
    "too_deep",
    "validate_workflow",
    "workflow_problems",
]
