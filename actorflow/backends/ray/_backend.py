"""``RayBackend``: what a runtime keeps to place agents on Ray."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import ray

from actorflow.actors import Agent
from actorflow.bus import get_logger

from ._driver import RayDriver
from ._members import RayMembers
from ._session import RaySession

_log = get_logger("ray.backend")


class RayBackend:
    """A runtime's connection to Ray, its driver thread and its agents' Ray actors.

    Made by :meth:`connect`; :meth:`close` ends every Ray actor it made (and the local
    Ray, if it started one).
    """

    def __init__(self, session: RaySession) -> None:
        self.session = session
        self.driver = RayDriver()
        self._groups: list[RayMembers] = []
        self._lock = threading.Lock()

    @classmethod
    def connect(
        cls,
        address: str | None,
        *,
        connect_timeout_s: float = 60.0,
        init_options: Mapping[str, Any] | None = None,
    ) -> RayBackend:
        """Connect to Ray (see :meth:`RaySession.open`) and start the driver thread.

        Raises:
            BackendUnavailableError: Ray cannot be reached or started.
        """
        session = RaySession.open(
            address, connect_timeout_s=connect_timeout_s, init_options=init_options
        )
        return cls(session)

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
        try:
            self.driver.call(lambda: _each(groups, RayMembers.shut_down), timeout=timeout_s)
            while time.monotonic() < deadline:
                busy = self.driver.call(
                    lambda: any(g.busy for g in groups), timeout=max(0.1, timeout_s)
                )
                if not busy:
                    break
                # Bounded polling: close replies arrive on Ray's threads, in tens of ms.
                threading.Event().wait(0.02)
            self.driver.call(lambda: _each(groups, RayMembers.kill_all), timeout=5.0)
            _each(groups, RayMembers.stop_waiters)
        except TimeoutError:
            _log.warning("Ray driver thread did not answer during shutdown")
        finally:
            self.driver.stop()
            self.session.close(max(1.0, deadline - time.monotonic()))


def _each(groups: list[RayMembers], method: Callable[[RayMembers], None]) -> None:
    for group in groups:
        method(group)
