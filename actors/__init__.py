"""The actor machinery: agents, their pools and the coordinator (pykka actors).

What an agent's author needs is here: subclass :class:`Agent`, read the
:class:`StageRequest`. The pieces a runtime assembles (coordinator, pools, messages) are
in :mod:`actorflow.actors.machinery`; helpers for agents that read their dependencies'
records in :mod:`actorflow.actors.dependencies`.
"""

from ._agent import Agent, AgentInfo, StageRequest
from ._backend import Backend, PykkaBackend
from ._pool import RestartPolicy
from ._stats import PoolStats

__all__ = [
    "Agent",
    "AgentInfo",
    "Backend",
    "PoolStats",
    "PykkaBackend",
    "RestartPolicy",
    "StageRequest",
]
