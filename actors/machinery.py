"""The actor machinery a runtime assembles and an agent backend plugs into.

Not for workflow authors (they need :mod:`actorflow.actors`: ``Agent``, ``StageRequest``):
this is what :class:`actorflow.Runtime` builds, and what a backend that hosts pool
members elsewhere (``actorflow.backends.ray``) speaks. A member receives an
:class:`Assignment` and answers the coordinator with an :class:`AttemptDone` (or an
:class:`AgentCrashed` when it died).
"""

from ._agent_actor import AgentActor
from ._assignment import Assignment, ProgressFn
from ._backend import PoolRequest
from ._cache import CacheHit, StageCache
from ._coordinator import Coordinator, backoff_delay
from ._pool import AgentPool, MemberRef
from ._protocol import (
    AddPool,
    AgentCrashed,
    AttemptDone,
    CancelRun,
    GetPools,
    Shutdown,
    StartRun,
)

__all__ = [
    "AddPool",
    "AgentActor",
    "AgentCrashed",
    "AgentPool",
    "Assignment",
    "AttemptDone",
    "CacheHit",
    "CancelRun",
    "Coordinator",
    "GetPools",
    "MemberRef",
    "PoolRequest",
    "ProgressFn",
    "Shutdown",
    "StageCache",
    "StartRun",
    "backoff_delay",
]
