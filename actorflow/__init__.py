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

import importlib
from typing import TYPE_CHECKING, Any

from actorflow.contracts import (
    ActorflowError,
    AgentCrashedError,
    AgentUnavailableError,
    BackendUnavailableError,
    ContractError,
    DataValidationError,
    ErrorInfo,
    Event,
    FieldSpec,
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
    TableContract,
    UnfreezableError,
    WorkflowSpec,
    WorkflowValidationError,
    load_workflow,
)

# The runtime and the actor machinery load on first use, so that a light import (the
# HTTP client, a script that only reads workflows) does not start pulling in pykka.
_LAZY = {
    "Agent": "actorflow.actors",
    "AgentInfo": "actorflow.actors",
    "StageRequest": "actorflow.actors",
    "CancelToken": "actorflow.bus",
    "signals": "actorflow.bus",
    "register_builtin_agents": "actorflow._builtin",
    "RunHandle": "actorflow._handle",
    "Runtime": "actorflow._runtime",
}

if TYPE_CHECKING:
    from actorflow.actors import Agent, AgentInfo, StageRequest
    from actorflow.bus import CancelToken, signals

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
    "ContractError",
    "DataValidationError",
    "ErrorInfo",
    "Event",
    "FieldSpec",
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
    "TableContract",
    "UnfreezableError",
    "WorkflowSpec",
    "WorkflowValidationError",
    "__version__",
    "load_workflow",
    "register_builtin_agents",
    "signals",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'actorflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
