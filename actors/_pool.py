"""Agent pools: N actors of one agent kind, idle ones first, waiting work in order.

A pool is plain state owned by one actor (the coordinator): no locks, no threads of its
own. How a member actor is made is injected (``spawn``), which keeps the bus independent
of the actors layer and lets another backend host the members.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from actorflow.bus import get_logger

from ._agent import AgentInfo
from ._assignment import Assignment
from ._stats import PoolStats

_log = get_logger("actors.pool")


class MemberRef(Protocol):
    """What a pool needs of a member actor (a pykka ``ActorRef`` fits)."""

    def tell(self, message: Any) -> None: ...

    def stop(self, block: bool = ..., timeout: float | None = ...) -> Any: ...


@dataclass(slots=True)
class _Member:
    id: int
    ref: MemberRef
    busy: Assignment | None = None


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """OTP-style restart intensity: more than ``max_restarts`` in ``window_s`` gives up."""

    max_restarts: int = 5
    window_s: float = 60.0


class AgentPool:
    """The members of one agent kind and the stage attempts waiting for them."""

    def __init__(
        self,
        name: str,
        spawn: Callable[[int], MemberRef],
        *,
        concurrency: int = 1,
        restart: RestartPolicy | None = None,
        info: AgentInfo | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"agent {name!r}: concurrency must be at least 1, got {concurrency}")
        self.name = name
        self.concurrency = concurrency
        self.info = info
        self._spawn = spawn
        self._on_dispatch: Callable[[Assignment], None] = _unbound
        self._restart = restart or RestartPolicy()
        self._next_id = 0
        self._members: dict[int, _Member] = {}
        self._idle: deque[int] = deque()
        self._waiting: deque[Assignment] = deque()
        self._restart_times: deque[float] = deque()
        self.broken: str | None = None
        self._executions = self._successes = self._failures = self._restarts = 0
        self._total_duration = 0.0
        for _ in range(concurrency):
            self._add_member()

    def _add_member(self) -> None:
        member_id = self._next_id
        self._next_id += 1
        self._members[member_id] = _Member(member_id, self._spawn(member_id))
        self._idle.append(member_id)

    def bind(self, on_dispatch: Callable[[Assignment], None]) -> None:
        """Call ``on_dispatch(assignment)`` each time an attempt is handed to a member
        (with its member set): the coordinator starts the attempt's clock there."""
        self._on_dispatch = on_dispatch

    def submit(self, assignment: Assignment) -> None:
        """Hand ``assignment`` to an idle member, or queue it."""
        if self._idle:
            self._dispatch(self._idle.popleft(), assignment)
        else:
            self._waiting.append(assignment)

    def _dispatch(self, member_id: int, assignment: Assignment) -> None:
        member = self._members[member_id]
        # Built directly: dataclasses.replace costs several microseconds per dispatch.
        sent = Assignment(
            assignment.message,
            assignment.reply_to,
            assignment.cancel,
            assignment.progress,
            assignment.pool,
            member_id,
        )
        member.busy = sent
        member.ref.tell(sent)
        self._on_dispatch(sent)

    def release(self, member_id: int) -> None:
        """A member finished its attempt; give it the next waiting one, if any."""
        member = self._members.get(member_id)
        if member is None:  # an abandoned member answering late
            return
        member.busy = None
        self._take_next(member_id)

    def _take_next(self, member_id: int) -> None:
        """Dispatch the next waiting attempt to a free member, or let it idle."""
        if self._waiting:
            self._dispatch(member_id, self._waiting.popleft())
        else:
            self._idle.append(member_id)

    def busy_with(self, member_id: int) -> Assignment | None:
        member = self._members.get(member_id)
        return member.busy if member else None

    def member_on(self, run_id: str, stage: str, attempt: int) -> int | None:
        """The member busy with that attempt, if one still is."""
        for member in self._members.values():
            msg = member.busy.message if member.busy else None
            if msg and msg.run_id == run_id and msg.stage.name == stage and msg.attempt == attempt:
                return member.id
        return None

    def abandon(self, member_id: int) -> None:
        """Give up on a member stuck in an attempt (timed out); a fresh one takes its place
        (and the next waiting attempt, if any).

        The stuck actor is asked to stop once its attempt returns; its reply is ignored.
        """
        member = self._members.pop(member_id, None)
        if member is None:
            return
        member.ref.stop(block=False)
        self._take_next(self._replace())

    def _replace(self) -> int:
        """A new member, not yet idle; its id."""
        self._add_member()
        return self._idle.pop()

    def crashed(self, member_id: int) -> list[Assignment]:
        """A member died. Replace it unless restarts exceeded the intensity limit.

        Returns:
            When the pool gave up, every assignment that was waiting (their stages must
            fail); otherwise nothing (the replacement took the next waiting one).
        """
        member = self._members.pop(member_id, None)
        if member is None:
            return []
        if member_id in self._idle:
            self._idle.remove(member_id)
        now = time.monotonic()
        self._restarts += 1
        self._restart_times.append(now)
        while self._restart_times and now - self._restart_times[0] > self._restart.window_s:
            self._restart_times.popleft()
        if len(self._restart_times) > self._restart.max_restarts:
            self.broken = (
                f"agent {self.name!r} restarted {len(self._restart_times)} times within "
                f"{self._restart.window_s:g}s (limit {self._restart.max_restarts}); given up"
            )
            _log.error("agent pool given up", agent=self.name, reason=self.broken)
            for other in self._members.values():
                other.ref.stop(block=False)
            self._members.clear()
            self._idle.clear()
            waiting = list(self._waiting)
            self._waiting.clear()
            return waiting
        _log.warning("agent restarted", agent=self.name, member=member_id)
        self._take_next(self._replace())
        return []

    def withdraw(self, run_id: str) -> list[Assignment]:
        """Remove and return the waiting assignments of ``run_id``."""
        if not self._waiting:
            return []
        mine = [e for e in self._waiting if e.message.run_id == run_id]
        if mine:
            self._waiting = deque(e for e in self._waiting if e.message.run_id != run_id)
        return mine

    def record(self, *, succeeded: bool, duration_s: float) -> None:
        """Count one finished attempt in the live statistics."""
        self._executions += 1
        if succeeded:
            self._successes += 1
        else:
            self._failures += 1
        self._total_duration += duration_s

    def stats(self) -> PoolStats:
        return PoolStats(
            executions=self._executions,
            successes=self._successes,
            failures=self._failures,
            mean_duration_s=self._total_duration / self._executions if self._executions else 0.0,
            restarts=self._restarts,
            busy=sum(1 for m in self._members.values() if m.busy is not None),
            waiting=len(self._waiting),
        )

    def member_refs(self) -> Iterator[MemberRef]:
        for member in self._members.values():
            yield member.ref

    def stop(self) -> None:
        """Ask every member to stop (they finish their current attempt first)."""
        for member in self._members.values():
            member.ref.stop(block=False)
        self._members.clear()
        self._idle.clear()
        self._waiting.clear()


def _unbound(assignment: Assignment) -> None:
    raise RuntimeError(f"agent pool {assignment.pool!r} dispatched before a coordinator bound it")
