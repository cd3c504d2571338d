"""Immutable contracts: workflow specs, stage messages, outcomes, events, errors and
table contracts.

Imports nothing else of actorflow, so any layer (and any process) can use it.
"""

from ._diagnose import every_problem
from ._errors import (
    ActorflowError,
    AgentCrashedError,
    AgentUnavailableError,
    BackendUnavailableError,
    ContractError,
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
from ._seed import SEED_AGENT_NAMES, translate_seed_vocabulary
from ._stored import SPILL_DIR_ENV, RecordsWriter, spill_root
from ._table import (
    DATE_ORDERS,
    DEFAULT_ROLES,
    FIELD_TYPES,
    ROLES,
    DateOrder,
    FieldSpec,
    FieldType,
    Role,
    TableContract,
)
from ._table_codec import contract_problems
from ._validate import find_cycle, validate_workflow, workflow_problems
from ._workflow import StageSpec, WorkflowSpec

__all__ = [
    "DATE_ORDERS",
    "DEFAULT_ROLES",
    "EVENT_TYPES",
    "FIELD_TYPES",
    "MAX_DEPTH",
    "ROLES",
    "RUN_TERMINAL",
    "SEED_AGENT_NAMES",
    "SPILL_DIR_ENV",
    "STAGE_TERMINAL",
    "ActorflowError",
    "AgentCrashedError",
    "AgentUnavailableError",
    "AnyEvent",
    "BackendUnavailableError",
    "ContractError",
    "DataValidationError",
    "DateOrder",
    "ErrorInfo",
    "Event",
    "FieldSpec",
    "FieldType",
    "FrozenMap",
    "LimitExceededError",
    "OutputNotFrozenError",
    "OutputReleasedError",
    "Problem",
    "Records",
    "RecordsWriter",
    "RetryableError",
    "Role",
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
    "TableContract",
    "UnfreezableError",
    "WorkflowSpec",
    "WorkflowValidationError",
    "contract_problems",
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
    "translate_seed_vocabulary",
    "validate_workflow",
    "workflow_problems",
]
