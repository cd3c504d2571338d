"""``RayBackend``: what a runtime keeps to place agents on Ray."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import ray

from actorflow.actors import Agent
from actorflow.actors.machinery import AgentPool, PoolRequest
from actorflow.bus import get_logger

from ._driver import RayDriver
from ._members import RayMembers
from ._session import RaySession

_log = get_logger("ray.backend")


class RayBackend:
    """Agents as Ray actors, in other processes or on other machines.

    ``Runtime(backend=RayBackend(address="head:6379"))`` places every agent on that
    cluster; ``register_agent(..., backend="ray")`` places one. Connecting waits for
    :meth:`open` (the runtime calls it at start, or at the first agent placed here);
    :meth:`close` ends every Ray actor it made (and the local Ray, if it started one).

    Args:
        address: ``None`` starts a local Ray for this backend (stopped with it);
            ``"host:port"`` is an existing cluster's head (``"auto"``: the one running on
            this machine). A process already connected to Ray keeps that connection.
        connect_timeout_s: the longest connecting to Ray, or an agent's first Ray actor
            starting, may take.
        init_options: more keyword arguments for ``ray.init`` (``runtime_env``,
            ``namespace``, ``num_cpus`` of a local Ray, ...).
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        connect_timeout_s: float = 60.0,
        init_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.address = address
        self.connect_timeout_s = connect_timeout_s
        self.init_options = dict(init_options or {})
        self._session: RaySession | None = None
        self._driver: RayDriver | None = None
        self._groups: list[RayMembers] = []
        self._lock = threading.Lock()

    def open(self) -> None:
        """Connect to Ray (see :meth:`RaySession.open`) and start the driver thread.

        Raises:
            BackendUnavailableError: Ray cannot be reached or started.
        """
        with self._lock:
            if self._session is None:
                self._session = RaySession.open(
                    self.address,
                    connect_timeout_s=self.connect_timeout_s,
                    init_options=self.init_options,
                )
                self._driver = RayDriver()

    @property
    def driver(self) -> RayDriver:
        self.open()
        assert self._driver is not None
        return self._driver

    def pool(self, request: PoolRequest) -> AgentPool:
        """An agent pool whose members are Ray actors, its first agent already set up.

        Raises:
            ValueError: a negative ``num_cpus``.
            AgentUnavailableError: the agent could not start on Ray (its class cannot be
                imported by the workers, or its ``setup`` failed).
        """
        info = request.info
        num_cpus = request.num_cpus
        if num_cpus is not None and not num_cpus >= 0:
            raise ValueError(f"agent {info.name!r}: num_cpus must be >= 0, got {num_cpus}")
        self.open()
        if num_cpus:
            available = self.cluster_cpus()
            if info.concurrency * num_cpus > available:
                _log.warning(
                    "agent asks for more CPUs than the Ray cluster has; some of its actors "
                    "wait for room",
                    agent=info.name,
                    wanted=info.concurrency * num_cpus,
                    cluster_cpus=available,
                )
        members = self.members(
            info.name,
            request.factory,
            concurrency=info.concurrency,
            num_cpus=num_cpus,
            max_restarts=request.restart.max_restarts,
        )
        pool = AgentPool(
            info.name,
            members.spawn,
            concurrency=info.concurrency,
            restart=request.restart,
            info=info,
        )
        members.registered()
        try:
            members.wait_started(self.connect_timeout_s)
        except BaseException:
            pool.stop()
            raise
        return pool

    def members(
        self,
        name: str,
        factory: Callable[[], Agent],
        *,
        concurrency: int,
        num_cpus: float | None,
        max_restarts: int,
    ) -> RayMembers:
        """The Ray side of a new agent pool; its ``spawn`` is the pool's."""
        group = RayMembers(
            self.driver,
            name,
            factory,
            concurrency=concurrency,
            num_cpus=num_cpus,
            max_restarts=max_restarts,
        )
        with self._lock:
            self._groups.append(group)
        return group

    def cluster_cpus(self) -> float:
        """The CPUs of the whole cluster (Ray's ``cluster_resources``)."""
        resources: Any = ray.cluster_resources  # untyped in Ray
        return float(resources().get("CPU", 0.0))

    def close(self, timeout_s: float) -> None:
        """After the coordinator stopped its pools: let Ray actors close, kill the rest.

        Attempts still running were cancelled by the coordinator; each gets until the
        deadline to end, and each agent its ``teardown``.
        """
        deadline = time.monotonic() + timeout_s
        with self._lock:
            groups = list(self._groups)
            session, driver = self._session, self._driver
        if session is None or driver is None:
            return
        try:
            driver.call(lambda: _each(groups, RayMembers.shut_down), timeout=timeout_s)
            while time.monotonic() < deadline:
                busy = driver.call(lambda: any(g.busy for g in groups), timeout=max(0.1, timeout_s))
                if not busy:
                    break
                # Bounded polling: close replies arrive on Ray's threads, in tens of ms.
                threading.Event().wait(0.02)
            driver.call(lambda: _each(groups, RayMembers.kill_all), timeout=5.0)
            _each(groups, RayMembers.stop_waiters)
        except TimeoutError:
            _log.warning("Ray driver thread did not answer during shutdown")
        finally:
            driver.stop()
            session.close(max(1.0, deadline - time.monotonic()))


def _each(groups: list[RayMembers], method: Callable[[RayMembers], None]) -> None:
    for group in groups:
        method(group)
