"""actorflow: multi-stage business data workflows as an event-driven actor system.

Embedding it takes a few lines::

    from actorflow import Agent, Runtime, load_workflow

    class Doubler(Agent):
        def perform(self, request):
            return {"x": request.input["x"] * 2}

    with Runtime() as rt:
        rt.register_agent("doubler", Doubler, concurrency=2)
        result = rt.run(load_workflow("wf.toml"), input={"x": 1})
"""

from actorflow.actors import Agent, AgentInfo, StageRequest
from actorflow.bus import CancelToken, signals
from actorflow.contracts import (
    ActorflowError,
    AgentCrashedError,
    AgentUnavailableError,
    BackendUnavailableError,
    DataValidationError,
    ErrorInfo,
    Event,
    FrozenMap,
    LimitExceededError,
    OutputNotFrozenError,
    OutputReleasedError,
    Problem,
    Records,
    RecordsWriter,
    RetryableError,
    RunCancelledError,
    RunFinished,
    RunResult,
    RunStarted,
    RunTimeoutError,
    RuntimeStoppedError,
    SourceError,
    StageFinished,
    StageOutcome,
    StageProgress,
    StageRetrying,
    StageSpec,
    StageStarted,
    StageTimeoutError,
    UnfreezableError,
    WorkflowSpec,
    WorkflowValidationError,
    load_workflow,
)

from ._builtin import register_builtin_agents
from ._handle import RunHandle
from ._runtime import Runtime

__version__ = "0.1.0"

__all__ = [
    "ActorflowError",
    "Agent",
    "AgentCrashedError",
    "AgentInfo",
    "AgentUnavailableError",
    "BackendUnavailableError",
    "CancelToken",
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
    "RunHandle",
    "RunResult",
    "RunStarted",
    "RunTimeoutError",
    "Runtime",
    "RuntimeStoppedError",
    "SourceError",
    "StageFinished",
    "StageOutcome",
    "StageProgress",
    "StageRequest",
    "StageRetrying",
    "StageSpec",
    "StageStarted",
    "StageTimeoutError",
    "UnfreezableError",
    "WorkflowSpec",
    "WorkflowValidationError",
    "__version__",
    "load_workflow",
    "register_builtin_agents",
    "signals",
]
