"""Agents and the coordinator (pykka actors)."""

from ._agent import Agent, AgentInfo, StageRequest
from ._agent_actor import AgentActor
from ._coordinator import Coordinator, backoff_delay
from ._pool import AgentPool, MemberRef, PoolStats, RestartPolicy
from ._protocol import AddPool, CancelRun, GetPools, Shutdown, StartRun

__all__ = [
    "AddPool",
    "Agent",
    "AgentActor",
    "AgentInfo",
    "AgentPool",
    "CancelRun",
    "Coordinator",
    "GetPools",
    "MemberRef",
    "PoolStats",
    "RestartPolicy",
    "Shutdown",
    "StageRequest",
    "StartRun",
    "backoff_delay",
]
