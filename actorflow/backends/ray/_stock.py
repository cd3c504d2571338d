"""The Ray actors of one agent kind that no member holds: made, kept, revived, ended.

Restarts are Ray's: each Ray actor is created with the agent's ``max_restarts`` (and
``max_task_retries=0``: only the coordinator decides whether an attempt runs again). When
a member's worker dies, its Ray actor, which Ray is restarting, goes to the stock and
then to the member that replaces it, instead of a new one being started; so does the Ray
actor of a member given up on after a timeout, once its attempt has stopped. A new
member's first attempt waits up to ``REUSE_WAIT_S`` for such an actor (a warm actor in
milliseconds rather than a new worker process in seconds). A Ray actor is started anew
only when Ray gave up on one, or none is free.

Everything here runs on the driver thread.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

import ray
from ray.exceptions import RayActorError

from actorflow.actors import Agent
from actorflow.bus import get_logger

from ._driver import RayDriver
from ._failures import dead_for_good, summary
from ._host import RayAgentHost

_log = get_logger("ray.stock")

#: How long a new member's first attempt waits for a Ray actor being freed (a timed-out
#: attempt ending after its cancellation, or a worker Ray is restarting) before a new
#: Ray actor is started instead.
REUSE_WAIT_S = 3.0
#: A restarting Ray actor is asked whether it is back this often, for at most this long.
REVIVE_POLL_S = 0.05
REVIVE_LIMIT_S = 120.0

Waiter = tuple[Any, Any]
"""A first attempt waiting for a Ray actor: (member, assignment)."""


class ActorStock:
    """Spare, restarting and closing Ray actors of one agent kind.

    Args:
        driver: the runtime's driver thread.
        name: the agent's name.
        factory: makes the agent (pickled to the workers, so importable there).
        keep: how many idle Ray actors to keep (the pool's size).
        num_cpus: CPUs Ray reserves for each Ray actor (Ray's default if None).
        max_restarts: Ray restarts of one Ray actor before Ray gives up on it.
        grace_s: how long closing (the agent's teardown) may take before a kill.
        resume: starts a waiting attempt once :meth:`take` parked it and an actor freed.
    """

    def __init__(
        self,
        driver: RayDriver,
        name: str,
        factory: Callable[[], Agent],
        *,
        keep: int,
        num_cpus: float | None,
        max_restarts: int,
        grace_s: float,
        resume: Callable[[Any, Any, Any], None],
    ) -> None:
        self._driver = driver
        self._name = name
        self._factory = factory
        self._keep = keep
        self._grace_s = grace_s
        self._resume = resume
        options: dict[str, Any] = {"max_restarts": max_restarts, "max_task_retries": 0}
        if num_cpus is not None:
            options["num_cpus"] = num_cpus
        self._actor_class = RayAgentHost.options(**options)
        self._spares: collections.deque[Any] = collections.deque()
        self._parked: collections.deque[Waiter] = collections.deque()
        self._reviving: dict[int, Any] = {}  # id -> a Ray actor Ray is restarting
        self._closing: dict[Any, Any] = {}  # close() ref -> Ray actor
        #: Ray actors that will be freed when their attempt ends (kept by the caller).
        self.expected = 0
        self.shutting_down = False

    def new(self) -> Any:
        """A new Ray actor (its worker starts in the background)."""
        return self._actor_class.remote(self._name, self._factory)

    def take(self, member: Any, assignment: Any) -> Any | None:
        """A Ray actor for a new member's first attempt: a spare; else, if one is about
        to be freed, ``None`` (the attempt waits, and ``resume`` gets it); else a new one."""
        if self._spares:
            return self._spares.popleft()
        if self.expected + len(self._reviving) > len(self._parked):
            waiter = (member, assignment)
            self._parked.append(waiter)
            self._driver.later(REUSE_WAIT_S, functools.partial(self._unpark, waiter))
            return None
        return self.new()

    def _unpark(self, waiter: Waiter) -> None:
        """No Ray actor was freed in time: the waiting attempt gets a new one."""
        try:
            self._parked.remove(waiter)
        except ValueError:
            return  # it got a freed actor
        self._resume(*waiter, self.new())

    def give(self, handle: Any) -> None:
        """A healthy Ray actor no member holds: to a waiting attempt, a spare, or closed."""
        if self._parked and not self.shutting_down:
            self._resume(*self._parked.popleft(), handle)
        elif not self.shutting_down and len(self._spares) < self._keep:
            self._spares.append(handle)
        else:
            self.close(handle)

    # -- restarts --------------------------------------------------------------------------

    def revive(self, handle: Any) -> None:
        """A Ray actor whose worker died and that Ray is restarting: given on once it
        answers again. Calls to it fail at once while it restarts (``max_task_retries``
        is 0), so it is asked until it answers, Ray gives up on it, or the limit."""
        self._reviving[id(handle)] = handle
        self._ask_ready(handle, time.monotonic())

    def _ask_ready(self, handle: Any, since: float) -> None:
        post = self._driver.post
        handle.ready.remote().future().add_done_callback(
            lambda future: post(functools.partial(self._revived, handle, since, future))
        )

    def _revived(self, handle: Any, since: float, future: Future[Any]) -> None:
        try:
            future.result()
        except RayActorError as exc:
            if not dead_for_good(exc) and time.monotonic() - since < REVIVE_LIMIT_S:
                later = functools.partial(self._ask_ready, handle, since)
                self._driver.later(REVIVE_POLL_S, later)
                return  # still restarting
            self._reviving.pop(id(handle), None)
            _log.warning("Ray actor not restarted", agent=self._name, error=summary(exc))
            kill(handle)
            return
        except Exception as exc:  # noqa: BLE001  # restarted, but the agent's setup failed
            self._reviving.pop(id(handle), None)
            _log.warning("restarted agent could not start", agent=self._name, error=repr(exc))
            kill(handle)
            return
        if self._reviving.pop(id(handle), None) is not None:  # else killed at shutdown
            self.give(handle)

    # -- endings ---------------------------------------------------------------------------

    def close(self, handle: Any) -> None:
        """Tear the agent down (after its attempt, if one runs), then end the Ray actor."""
        ref = handle.close.remote()
        self._closing[ref] = handle
        post = self._driver.post
        ref.future().add_done_callback(
            lambda _f: post(functools.partial(self._kill_if_closing, ref))
        )
        self._driver.later(self._grace_s, functools.partial(self._kill_if_closing, ref))

    def _kill_if_closing(self, ref: Any) -> None:
        handle = self._closing.pop(ref, None)
        if handle is not None:
            kill(handle)

    def shut_down(self) -> list[Waiter]:
        """The runtime is stopping: close the spares (and every actor freed from now).

        Returns:
            The attempts still waiting for an actor: they will not get one.
        """
        self.shutting_down = True
        while self._spares:
            self.close(self._spares.popleft())
        waiting = list(self._parked)
        self._parked.clear()
        return waiting

    @property
    def busy(self) -> bool:
        """Ray actors still closing or restarting."""
        return bool(self._closing or self._reviving)

    def kill_all(self, held: Iterable[Any]) -> None:
        """Last resort at shutdown: end these and every Ray actor of the stock."""
        handles = [*self._closing.values(), *self._spares, *self._reviving.values(), *held]
        self._closing.clear()
        self._spares.clear()
        self._reviving.clear()
        for handle in handles:
            kill(handle)


def kill(handle: Any) -> None:
    """End a Ray actor for good (no restart)."""
    with contextlib.suppress(Exception):  # already dead: nothing to end
        ray.kill(handle, no_restart=True)
