"""Agents and the coordinator (pykka actors)."""

from ._agent import Agent, AgentInfo, StageRequest
from ._agent_actor import AgentActor
from ._coordinator import Coordinator, backoff_delay
from ._protocol import AddPool, CancelRun, GetPools, Shutdown, StartRun

__all__ = [
    "AddPool",
    "Agent",
    "AgentActor",
    "AgentInfo",
    "CancelRun",
    "Coordinator",
    "GetPools",
    "Shutdown",
    "StageRequest",
    "StartRun",
    "backoff_delay",
]
