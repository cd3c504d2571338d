"""The Ray side: one ``AgentHost`` Ray actor per pool member, hosting one agent.

The agent is run by the pykka backend's own ``AgentActor`` code (setup and teardown, the
agent's event loop for ``async def perform``, frozen outputs, structlog bindings,
``SystemExit`` as the agent's death), called inline rather than started as a pykka
actor: Ray's default concurrency group already gives the agent one thread of its own
(one call at a time, always the same thread), and skipping pykka's inbox saves a thread
hand-off per attempt. Nothing of an attempt's behaviour is written twice.

Calls run in three Ray concurrency groups so that they never wait for each other (the
caller names the group of the last two, see ``PROGRESS`` and ``CONTROL``):

- default (one at a time, one thread): ``ready``, ``attempt``, ``close``, in order sent;
- ``progress``: the long poll for the in-stage progress of a long attempt;
- ``control``: ``cancel``, which must reach an attempt while it runs.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import ray

from actorflow.actors import Agent
from actorflow.actors.machinery import AgentActor, Assignment
from actorflow.bus import CancelToken, get_logger
from actorflow.contracts import (
    AgentCrashedError,
    ErrorInfo,
    Records,
    RunStage,
    StageDone,
    UnfreezableError,
)

from ._wire import Packed, pack, register_wire_types, unpack

_log = get_logger("ray.host")

#: The concurrency groups of ``progress`` and ``cancel`` calls:
#: ``handle.progress.options(concurrency_group=PROGRESS).remote(...)``.
PROGRESS = "progress"
CONTROL = "control"

AttemptKey = tuple[str, str, int]
"""An attempt's (run id, stage, attempt number)."""

ProgressItem = tuple[float, str]


class HostReply(NamedTuple):
    """What ``attempt`` returns: the attempt's result (or the agent's death) and the
    progress reports the driver has not fetched yet, to be delivered before it.

    A named tuple: it pickles several times faster than a dataclass.
    """

    progress: tuple[ProgressItem, ...] = ()
    done: StageDone | None = None
    crashed: ErrorInfo | None = None


@dataclass(slots=True)
class _Attempt:
    key: AttemptKey
    token: CancelToken
    items: list[ProgressItem] = field(default_factory=list)
    active: bool = True


class AgentHost:
    """One pool member on Ray. Made by the driver through ``ray.remote`` (see below).

    Args:
        pool: the agent's name (for log lines and errors).
        factory: makes the agent instance (the class or callable given to
            ``register_agent``); it must be importable in the worker.
    """

    def __init__(self, pool: str, factory: Callable[[], Agent]) -> None:
        register_wire_types()
        self._pool = pool
        self._factory = factory
        self._changed = threading.Condition(threading.Lock())
        self._current: _Attempt | None = None
        # A cancel or a progress poll can overtake its attempt (they travel in other
        # groups): they must tell "not started yet" from "over".
        self._early_cancels: collections.OrderedDict[AttemptKey, str] = collections.OrderedDict()
        self._ended: collections.deque[AttemptKey] = collections.deque(maxlen=16)
        # The agent, made and set up in the default group's thread (where it performs):
        # agents may keep thread-bound resources (a SQLite connection) from ``setup``.
        self._runner: AgentActor | None = None

    def _agent(self) -> AgentActor:
        if self._runner is None:
            runner = AgentActor(
                pool=self._pool,
                member=0,
                factory=self._factory,
                coordinator=None,  # never told: replies go back as return values
                threads=set(),
            )
            runner.on_start()  # the agent's factory and setup; raises what they raise
            self._runner = runner
        return self._runner

    def ready(self) -> int:
        """Set the agent up, then return the worker's process id."""
        self._agent()
        return os.getpid()

    def attempt(
        self, message: RunStage | bytes, records: tuple[Records, ...] = ()
    ) -> bytes | Packed | HostReply:
        """Perform one attempt with the hosted agent and return its result.

        ``message`` comes packed (bytes and the records it holds, see ``_wire``) unless
        the driver had to let Ray pickle it; the reply goes back the same way.
        """
        if isinstance(message, bytes):
            message = unpack(message, records)
        assert isinstance(message, RunStage)
        key = (message.run_id, message.stage.name, message.attempt)
        token = CancelToken()
        current = _Attempt(key, token)
        with self._changed:
            self._current = current
            early = self._early_cancels.pop(key, None)
        if early is not None:
            token.cancel(early)

        def report(fraction: float, text: str = "") -> None:
            with self._changed:
                if current.active:
                    current.items.append((fraction, text))
                    self._changed.notify_all()

        assignment = Assignment(message, None, token, report, self._pool, 0)
        try:
            done = self._agent()._attempt(assignment)  # the pykka backend's own code
        except BaseException as exc:  # noqa: BLE001  # the agent's death, as AgentActor sees it
            return _packed(self._end(current, crashed=self._died(exc, key)))
        return _packed(self._end(current, done=done))

    def _died(self, exc: BaseException, key: AttemptKey) -> ErrorInfo:
        """The agent died (``SystemExit``, or its setup failed): a fresh one replaces it at
        the next attempt, in this process, as the pool replaces a pykka actor; the driver
        counts the death against the agent's restart limits."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner._close_loop()  # as AgentActor does when it dies
        if isinstance(exc, KeyboardInterrupt):
            raise exc
        error = AgentCrashedError(f"agent {self._pool!r} actor died: {type(exc).__name__}: {exc}")
        return ErrorInfo.from_exception(error, stage=key[1])

    def _end(
        self, current: _Attempt, *, done: StageDone | None = None, crashed: ErrorInfo | None = None
    ) -> HostReply:
        with self._changed:
            current.active = False
            items, current.items = tuple(current.items), []
            self._current = None
            self._ended.append(current.key)
            self._changed.notify_all()
        return HostReply(progress=items, done=done, crashed=crashed)

    def progress(self, key: AttemptKey, wait_s: float) -> tuple[tuple[ProgressItem, ...], bool]:
        """Long poll: the progress reported since the last call, and whether the attempt
        ``key`` is over. Waits up to ``wait_s`` for something to report."""
        deadline = time.monotonic() + wait_s
        with self._changed:
            while True:
                if key in self._ended:
                    return (), True
                current = self._current
                if current is not None and current.key == key and current.items:
                    items, current.items = tuple(current.items), []
                    return items, False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return (), False
                self._changed.wait(remaining)

    def cancel(self, key: AttemptKey, reason: str) -> None:
        """Set the cancel token of attempt ``key`` (now, or when it arrives)."""
        with self._changed:
            current = self._current
            if current is None or current.key != key:
                self._early_cancels[key] = reason
                while len(self._early_cancels) > 64:
                    self._early_cancels.popitem(last=False)
                return
        current.token.cancel(reason)

    def close(self) -> None:
        """Stop the agent (its ``teardown`` runs); the driver then ends this Ray actor.

        Returning first, rather than ``exit_actor`` here, lets the driver know at once
        that the teardown ran: the worker process's own exit takes Ray a second more.
        """
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.on_stop()  # teardown; its failure is logged, not raised


# Through Any: Ray's annotations do not cover ``remote`` with ``concurrency_groups`` (and
# without Ray installed, type checking sees Ray as Any anyway).
_remote: Any = ray.remote

RayAgentHost: Any = _remote(concurrency_groups={PROGRESS: 1, CONTROL: 1})(AgentHost)
"""The Ray actor class; options (CPUs, restarts) are set per agent by the driver."""


def _packed(reply: HostReply) -> bytes | Packed | HostReply:
    """``reply`` packed for the way back; an output that cannot travel fails its stage."""
    try:
        packed = pack(reply)
    except TypeError as exc:
        done = reply.done
        assert done is not None  # a crash reply is plain data
        error = UnfreezableError(
            f"output of stage {done.stage!r} cannot be sent back from Ray: "
            f"{type(exc).__name__}: {exc}"
        )
        reply = HostReply(
            progress=reply.progress,
            done=StageDone(
                run_id=done.run_id,
                stage=done.stage,
                attempt=done.attempt,
                status="failed",
                error=ErrorInfo.from_exception(error, stage=done.stage),
                started_at=done.started_at,
                finished_at=done.finished_at,
            ),
        )
        packed = pack(reply)
    if packed is None:
        return reply
    return packed[0] if len(packed) == 1 else packed
