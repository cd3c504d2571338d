"""Driver side of one agent pool on Ray: its members and their attempts.

The core ``AgentPool`` sees ``RayMember`` objects (``tell``/``stop``) like pykka actor
refs. Behind them, ``RayMembers`` sends each attempt to the member's Ray actor and turns
what comes back into the messages a pykka ``AgentActor`` would send the coordinator:
``AttemptDone``, or ``AgentCrashed`` when the agent or its worker died (a retryable
failure). The Ray actors themselves come from, and go back to, an ``ActorStock``.

An attempt is one Ray call, sent and waited on by a thread of its own (see
``_waiters``): coordinator -> waiter thread -> Ray -> waiter thread -> coordinator, with
no other hand-off on the way. One still running after ``PROGRESS_DELAY_S`` also gets its
in-stage progress fetched, by long polls; the reports a poll did not fetch come back with
the reply. The waiter thread delivers them, then the result, in order.

The driver thread owns everything else (Ray actors given out and taken back, deaths,
retirements, timers). ``spawn``, ``dispatch`` and ``_launch`` run in the coordinator's
thread; the methods under "on an attempt's waiter thread" run there; the rest on the
driver thread.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pykka
import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from actorflow.actors import Agent
from actorflow.actors.machinery import AgentCrashed, Assignment, AttemptDone
from actorflow.bus import get_logger
from actorflow.contracts import (
    AgentCrashedError,
    AgentUnavailableError,
    ErrorInfo,
    RunCancelledError,
    StageDone,
    UnfreezableError,
)

from ._driver import RayDriver
from ._failures import dead_for_good, error_info, failed, first_line, summary
from ._host import CONTROL, PROGRESS, AttemptKey, HostReply, ProgressItem
from ._stock import ActorStock, kill
from ._waiters import Waiters
from ._wire import pack, unpack

_log = get_logger("ray.members")

#: An attempt still running after this long gets its progress fetched by a long poll;
#: shorter attempts (most of them) cost a single Ray call.
PROGRESS_DELAY_S = 0.05
#: How long one long poll waits on the worker for a progress report.
PROGRESS_WAIT_S = 1.0


@dataclass(slots=True)
class _Flight:
    """One attempt on its way to, or back from, a member's Ray actor."""

    member: RayMember
    assignment: Assignment
    key: AttemptKey
    handle: Any
    #: set by the waiter thread once the reply is in (no more cancellation to send).
    replied: bool = False
    remove_cancel: Callable[[], None] = field(default=lambda: None)


class RayMember:
    """A pool member hosted by a Ray actor; satisfies ``actorflow.bus.MemberRef``."""

    __slots__ = ("__weakref__", "_owner", "flight", "handle", "id", "retiring")

    def __init__(self, owner: RayMembers, member_id: int, handle: Any = None) -> None:
        self._owner = owner
        self.id = member_id
        #: the Ray actor; taken from the stock at the first attempt if None.
        self.handle = handle
        self.flight: _Flight | None = None
        self.retiring = False

    def tell(self, message: Any) -> None:
        if not isinstance(message, Assignment):
            raise TypeError(f"a Ray member got an unexpected {type(message).__name__}")
        self._owner.dispatch(self, message)

    def stop(self, block: bool = False, timeout: float | None = None) -> None:  # noqa: ARG002
        # MemberRef's signature; never blocks: the pool's owner (the coordinator) must
        # not wait on Ray.
        self._owner.driver.post(functools.partial(self._owner.retire, self))

    def __repr__(self) -> str:
        return f"RayMember({self._owner.name!r}, {self.id})"


class RayMembers:
    """The members of one agent kind on Ray, and the attempts sent to them.

    Args:
        driver: the runtime's driver thread.
        name: the agent's name.
        factory: makes the agent (pickled to the workers, so importable there).
        concurrency: the pool's size (also how many idle Ray actors are kept as spares).
        num_cpus: CPUs Ray reserves for each of the agent's actors (Ray's default if None).
        max_restarts: Ray restarts of one Ray actor before Ray gives up on it.
        grace_s: how long an attempt may ignore its cancel token, once its member is
            given up on, before its Ray actor is killed (and how long a teardown may take).
    """

    def __init__(
        self,
        driver: RayDriver,
        name: str,
        factory: Callable[[], Agent],
        *,
        concurrency: int,
        num_cpus: float | None,
        max_restarts: int,
        grace_s: float = 10.0,
    ) -> None:
        self.driver = driver
        self.name = name
        self._grace_s = grace_s
        self.stock = ActorStock(
            driver,
            name,
            factory,
            keep=concurrency,
            num_cpus=num_cpus,
            max_restarts=max_restarts,
            grace_s=grace_s,
            resume=self._resume,
        )
        self._waiters = Waiters(f"actorflow-ray-{name}")
        self._count_lock = threading.Lock()
        self._flights = 0  # attempts in flight (counted from two threads: see dispatch)
        self._eager = True
        # Members the pool still holds (or whose attempt is in flight); for shutdown.
        self._members: weakref.WeakSet[RayMember] = weakref.WeakSet()
        self.first: Any = None

    # -- called by the AgentPool (in register_agent's thread, then the coordinator's) ----

    def spawn(self, member_id: int) -> RayMember:
        """The pool's ``spawn``: members made while registering get their Ray actor at
        once (so that a bad agent fails the registration); replacements get one at their
        first attempt, on the driver thread."""
        if self._eager:
            member = RayMember(self, member_id, self.stock.new())
            if self.first is None:
                self.first = member.handle
        else:
            member = RayMember(self, member_id)
        self._members.add(member)
        return member

    def registered(self) -> None:
        """The pool is built: from now on ``spawn`` runs in the coordinator's thread."""
        self._eager = False

    def wait_started(self, timeout_s: float) -> None:
        """Wait for the first Ray actor's agent to be set up.

        Raises:
            AgentUnavailableError: the agent could not start on Ray (its class is not
                importable on the workers, its ``setup`` failed, ...).
        """
        try:
            ray.get(self.first.ready.remote(), timeout=timeout_s)
        except GetTimeoutError:
            _log.warning(
                "agent not started on Ray yet; its stages will wait for it",
                agent=self.name,
                timeout_s=timeout_s,
            )
        except RayActorError as exc:  # the worker could not even make the host
            raise AgentUnavailableError(
                f"agent {self.name!r} could not start on Ray: {summary(exc)}"
            ) from None
        except RayTaskError as exc:  # the agent's factory or setup raised
            cause = exc.cause if isinstance(exc.cause, BaseException) else exc
            raise AgentUnavailableError(
                f"agent {self.name!r} could not start on Ray: "
                f"{type(cause).__name__}: {first_line(cause)}"
            ) from None

    # -- attempts --------------------------------------------------------------------------

    def dispatch(self, member: RayMember, assignment: Assignment) -> None:
        """``member.tell``, in the coordinator's thread: an attempt goes straight to a
        waiter thread when its member has a Ray actor (the common case); a new member's
        first one goes through the driver, which hands out Ray actors.

        Safe without a lock: the pool tells a member one attempt at a time, each after
        the previous one's reply, and ``handle`` only changes between them.
        """
        if member.handle is None or self.stock.shutting_down:
            self.driver.post(functools.partial(self.start, member, assignment))
        else:
            self._launch(member, assignment)

    def start(self, member: RayMember, assignment: Assignment) -> None:
        """A new member's first attempt (or one during shutdown), on the driver thread."""
        if self.stock.shutting_down:  # no new Ray actor once the runtime stops
            self._answer(assignment, failed(assignment, RunCancelledError("the runtime stopped")))
            return
        if member.handle is None:
            member.handle = self.stock.take(member, assignment)
            if member.handle is None:
                return  # waits for a Ray actor being freed: ``_resume`` goes on
        self._launch(member, assignment)

    def _launch(self, member: RayMember, assignment: Assignment) -> None:
        """Hand the attempt to a waiter thread (``member.handle`` is set)."""
        if assignment.cancel.cancelled:
            self._answer(
                assignment, failed(assignment, RunCancelledError(assignment.cancel.reason))
            )
            return
        msg = assignment.message
        key = (msg.run_id, msg.stage.name, msg.attempt)
        flight = _Flight(member, assignment, key, member.handle)
        member.flight = flight
        with self._count_lock:
            self._flights += 1
        post = self.driver.post
        flight.remove_cancel = assignment.cancel.on_cancel(
            lambda: post(functools.partial(self._cancel, flight))
        )
        self._waiters.run(functools.partial(self._attempt, flight))

    def _resume(self, member: RayMember, assignment: Assignment, handle: Any) -> None:
        """A waiting first attempt got its Ray actor."""
        member.handle = handle
        self.start(member, assignment)

    def _cancel(self, flight: _Flight) -> None:
        if not flight.replied:
            reason = flight.assignment.cancel.reason or "cancelled"
            flight.handle.cancel.options(concurrency_group=CONTROL).remote(flight.key, reason)

    # -- on an attempt's waiter thread -----------------------------------------------------

    def _attempt(self, flight: _Flight) -> None:
        """Send the attempt to its Ray actor, then wait for it (see ``_await``).

        Serializing happens here, not in the coordinator's thread: a million-row
        ``Records`` takes tens of milliseconds to write into the object store.
        """
        msg = flight.assignment.message
        try:
            packed = pack(msg)
            ref = flight.handle.attempt.remote(*(packed or (msg,)))
        except Exception as exc:  # noqa: BLE001  # the message cannot be serialized
            flight.replied = True
            error = UnfreezableError(
                f"stage {msg.stage.name!r}: its message cannot be sent to agent "
                f"{self.name!r} on Ray: {type(exc).__name__}: {first_line(exc)}"
            )
            self._answer(flight.assignment, failed(flight.assignment, error))
            self.driver.post(functools.partial(self._settle, flight))
            return
        self._await(flight, ref)

    def _await(self, flight: _Flight, ref: Any) -> None:
        """Wait for the attempt (its progress first, if it runs long), then report it.

        Runs on a waiter thread. A plain result goes to the coordinator from here; a
        death or an error goes to the driver, which owns the Ray actors.
        """
        try:
            try:
                raw = ray.get(ref, timeout=PROGRESS_DELAY_S)
            except GetTimeoutError:
                self._follow_progress(flight, ref)
                raw = ray.get(ref)
            reply = _unpacked(raw)
        except Exception as exc:  # noqa: BLE001  # RayActorError and the like: the driver's
            flight.replied = True
            self.driver.post(functools.partial(self._call_failed, flight, exc))
            return
        flight.replied = True
        self._progress(flight, reply.progress)
        assignment = flight.assignment
        if reply.done is None:
            assert reply.crashed is not None
            self.driver.post(functools.partial(self._agent_died, flight, reply.crashed))
            return
        self._tell(assignment, AttemptDone(assignment.pool, assignment.member, reply.done))
        self.driver.post(functools.partial(self._settle, flight))

    def _follow_progress(self, flight: _Flight, ref: Any) -> None:
        """Long polls for the progress of a running attempt, until it is over."""
        while True:
            try:
                method = flight.handle.progress.options(concurrency_group=PROGRESS)
                poll = method.remote(flight.key, PROGRESS_WAIT_S)
                items, over = ray.get(poll)
            except Exception:  # noqa: BLE001  # the worker died: the reply will say so
                return
            self._progress(flight, items)
            # A restarted worker never heard of the attempt: its reply (an error) is in.
            if over or ray.wait([ref], timeout=0)[0]:
                return

    def _progress(self, flight: _Flight, items: tuple[ProgressItem, ...]) -> None:
        for fraction, message in items:
            flight.assignment.progress(fraction, message)

    # -- the attempt is over (driver thread) -----------------------------------------------

    def _settle(self, flight: _Flight) -> None:
        """An attempt whose result was told: its bookkeeping."""
        self._attempt_over(self._detach(flight))

    def _detach(self, flight: _Flight) -> RayMember:
        """The attempt is over: its member no longer waits on it."""
        flight.remove_cancel()
        member = flight.member
        if member.flight is flight:  # else the member's next attempt already started
            member.flight = None
        with self._count_lock:
            self._flights -= 1
        if member.retiring:
            self.stock.expected -= 1
        return member

    def _agent_died(self, flight: _Flight, error: ErrorInfo) -> None:
        """The agent died (``SystemExit``), its worker did not: the Ray actor goes to the
        member that replaces this one."""
        member = self._detach(flight)
        handle, member.handle = member.handle, None
        if handle is not None:
            self.stock.give(handle)
        self._crashed(flight.assignment, error)

    def _call_failed(self, flight: _Flight, exc: Exception) -> None:
        """The Ray call itself failed: the worker died, or the reply could not travel."""
        member, assignment = self._detach(flight), flight.assignment
        if isinstance(exc, RayActorError):
            # The worker process died (killed, out of memory, segfault): Ray restarts the
            # actor unless its restarts are spent (ActorDiedError).
            died = AgentCrashedError(f"agent {self.name!r}: its Ray worker died: {summary(exc)}")
            handle, member.handle = member.handle, None
            if handle is not None and not dead_for_good(exc):
                self.stock.revive(handle)
            self._crashed(assignment, error_info(died, assignment))
            return
        if isinstance(exc, RayTaskError):
            # The host failed around the agent: its output could not be sent back.
            cause = exc.cause if isinstance(exc.cause, Exception) else exc
            exc = UnfreezableError(
                f"output of stage {assignment.message.stage.name!r} cannot be sent back from "
                f"Ray: {type(cause).__name__}: {first_line(cause)}"
            )
        self._answer(assignment, failed(assignment, exc))
        self._attempt_over(member)

    def _crashed(self, assignment: Assignment, error: ErrorInfo) -> None:
        """Tell the coordinator; its pool replaces the member, whose Ray actor the caller
        handed on (or dropped) first, so that the replacement finds it."""
        msg = assignment.message
        self._tell(
            assignment,
            AgentCrashed(
                pool=assignment.pool,
                member=assignment.member,
                error=error,
                run_id=msg.run_id,
                stage=msg.stage.name,
                attempt=msg.attempt,
            ),
        )

    def _attempt_over(self, member: RayMember) -> None:
        if member.retiring and member.handle is not None:
            # Given up on after a timeout, but its attempt did stop: the Ray actor is
            # healthy, so the member that replaced it can have it.
            handle, member.handle = member.handle, None
            self.stock.give(handle)

    # -- lifecycle -------------------------------------------------------------------------

    def retire(self, member: RayMember) -> None:
        """The pool stopped ``member``: close its Ray actor, after its attempt if any."""
        if member.retiring:
            return
        member.retiring = True
        flight = member.flight
        if flight is None:
            handle, member.handle = member.handle, None
            if handle is not None:
                self.stock.close(handle)
            return
        self.stock.expected += 1
        self.driver.later(self._grace_s, functools.partial(self._kill_if_stuck, member, flight))

    def _kill_if_stuck(self, member: RayMember, flight: _Flight) -> None:
        if member.flight is flight and member.handle is not None:
            _log.warning(
                "attempt ignored its cancellation; killing its Ray actor",
                agent=self.name,
                stage=flight.key[1],
                grace_s=self._grace_s,
            )
            kill(member.handle)

    def shut_down(self) -> None:
        """The runtime is stopping: no new Ray actors; idle ones close."""
        for member, assignment in self.stock.shut_down():
            self.start(member, assignment)  # answered as cancelled

    def stop_waiters(self) -> None:
        """After shutdown: end the waiter threads (busy ones end with their attempt)."""
        self._waiters.stop()

    @property
    def busy(self) -> bool:
        """Attempts in flight, or Ray actors still closing or restarting."""
        return self._flights > 0 or self.stock.busy

    def kill_all(self) -> None:
        """Last resort at shutdown: end every Ray actor still there."""
        self.stock.kill_all(m.handle for m in list(self._members) if m.handle is not None)

    # -- replies ---------------------------------------------------------------------------

    def _answer(self, assignment: Assignment, done: StageDone) -> None:
        self._tell(assignment, AttemptDone(assignment.pool, assignment.member, done))

    @staticmethod
    def _tell(assignment: Assignment, message: Any) -> None:
        # Once the runtime stopped no one waits for the reply. The driver's assignments
        # always come from the coordinator (only a Ray worker's own have no reply_to).
        if assignment.reply_to is None:
            return
        with contextlib.suppress(pykka.ActorDeadError):
            assignment.reply_to.tell(message)


def _unpacked(raw: Any) -> HostReply:
    """A host's reply as it came back: packed (see ``_wire``), or as Ray pickled it."""
    if isinstance(raw, HostReply):  # (a named tuple: tested before the packed tuple)
        return raw
    reply = unpack(raw) if isinstance(raw, bytes) else unpack(*raw)
    assert isinstance(reply, HostReply)
    return reply
