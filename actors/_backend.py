"""Agent backends: where the members of an agent's pool run.

A backend is the smallest surface a runtime needs to host a pool elsewhere: open once,
make pools, close. :class:`PykkaBackend` (the default) runs members as threads of this
process; ``actorflow.backends.ray.RayBackend`` runs them as Ray actors. The coordinator,
the signals and the run store always stay in the runtime's process: only members move.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pykka

from ._agent import Agent, AgentInfo
from ._agent_actor import AgentActor
from ._pool import AgentPool, RestartPolicy


@dataclass(frozen=True, slots=True)
class PoolRequest:
    """What a backend needs to make one agent's pool.

    Attributes:
        info: the agent kind (its ``name``, ``concurrency`` and ``backend`` among others).
        factory: makes one agent instance per member.
        restart: the pool's restart intensity limit.
        coordinator: the actor members answer (``AttemptDone``, ``AgentCrashed``).
        num_cpus: CPUs reserved for each member, where the backend has such a notion.
    """

    info: AgentInfo
    factory: Callable[[], Agent]
    restart: RestartPolicy
    coordinator: pykka.ActorRef[Any]
    num_cpus: float | None = None


@runtime_checkable
class Backend(Protocol):
    """Where an agent's pool members run.

    ``name`` is what ``AgentInfo.backend`` shows (``"pykka"``, ``"ray"``). ``open`` is
    called before the first pool (and at ``Runtime.start`` for the runtime's default
    backend) and must be idempotent; it raises ``BackendUnavailableError`` when the
    backend cannot be reached. ``close`` runs once, after the coordinator has stopped
    every pool.
    """

    @property
    def name(self) -> str: ...

    def open(self) -> None: ...

    def pool(self, request: PoolRequest) -> AgentPool: ...

    def close(self, timeout_s: float) -> None: ...


class PykkaBackend:
    """Members as pykka actors: threads of this process (the default backend)."""

    name = "pykka"

    def __init__(self) -> None:
        # Agent threads, joined at close (a member adds its own when it starts).
        self._threads: set[threading.Thread] = set()

    def open(self) -> None:
        return None

    def pool(self, request: PoolRequest) -> AgentPool:
        if request.num_cpus is not None:
            raise ValueError(
                f"agent {request.info.name!r}: num_cpus applies to agents on Ray "
                f"(backend='ray'); this one runs on {self.name}"
            )
        info = request.info

        # Any: pykka's ActorRef fits MemberRef at run time, but its overloaded stop() does
        # not match the protocol's signature for mypy.
        def spawn(member: int) -> Any:
            return AgentActor.start(
                pool=info.name,
                member=member,
                factory=request.factory,
                coordinator=request.coordinator,
                threads=self._threads,
            )

        return AgentPool(
            info.name, spawn, concurrency=info.concurrency, restart=request.restart, info=info
        )

    def close(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    def stuck_threads(self) -> list[str]:
        """Names of agent threads still running (after :meth:`close`)."""
        return [t.name for t in self._threads if t.is_alive()]
