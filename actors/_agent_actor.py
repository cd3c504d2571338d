"""The actor that hosts one agent instance and performs stage attempts with it."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import pykka

from actorflow.bus import get_logger
from actorflow.bus.machinery import context_vars, fast_inbox
from actorflow.contracts import (
    AgentCrashedError,
    ErrorInfo,
    OutputNotFrozenError,
    RunCancelledError,
    StageDone,
    UnfreezableError,
    freeze,
)

from ._agent import Agent, StageRequest
from ._assignment import Assignment
from ._protocol import AgentCrashed, AttemptDone

_log = get_logger("agent")
# structlog's variables: every log line of an attempt says whose it is.
_RUN_ID, _STAGE, _AGENT, _ATTEMPT = context_vars("run_id", "stage", "agent", "attempt")


class AgentActor(pykka.ThreadingActor):
    """Performs stage attempts with its own agent instance.

    Every failure of ``perform`` becomes a failed ``StageDone``; the actor lives on. A
    ``BaseException`` that is not an ``Exception`` (``SystemExit`` and the like) is
    treated as the actor's death: the coordinator is told, the pool replaces the actor.
    """

    # A hung agent must not keep the interpreter alive after the runtime stopped.
    use_daemon_thread = True
    _create_actor_inbox = staticmethod(fast_inbox)

    def __init__(
        self,
        *,
        pool: str,
        member: int,
        factory: Callable[[], Agent],
        coordinator: Any,
        threads: set[threading.Thread],
    ) -> None:
        super().__init__()
        self._pool = pool
        self._member = member
        self._factory = factory
        self._coordinator = coordinator
        self._threads = threads
        self._agent: Agent | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._current: Assignment | None = None

    def on_start(self) -> None:
        self._threads.add(threading.current_thread())
        self._agent = self._factory()
        if inspect.iscoroutinefunction(self._agent.perform) or inspect.iscoroutinefunction(
            self._agent.setup
        ):
            self._loop = asyncio.new_event_loop()
        self._run(self._agent.setup())

    def _run(self, result: Any) -> Any:
        if inspect.isawaitable(result):
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            return self._loop.run_until_complete(result)
        return result

    def on_stop(self) -> None:
        try:
            if self._agent is not None:
                self._run(self._agent.teardown())
        except Exception as exc:  # noqa: BLE001  # teardown must not hide the stop
            _log.warning("agent teardown failed", agent=self._pool, error=repr(exc))
        finally:
            self._close_loop()

    def _close_loop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def on_failure(
        self,
        _exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._report_crash(exception_value)
        self._close_loop()

    def on_receive(self, message: Any) -> Any:
        if not isinstance(message, Assignment):
            raise TypeError(f"agent actor got an unexpected {type(message).__name__}")
        self._current = message
        try:
            done = self._attempt(message)
        except BaseException as exc:
            if isinstance(exc, Exception):
                raise  # _attempt catches these; one escaping is our bug: pykka's on_failure
            self._report_crash(exc)
            # Stop without letting pykka see a BaseException: it would stop every actor
            # of the process, other runtimes' included.
            self.actor_stopped.set()
            pykka.ActorRegistry.unregister(self.actor_ref)
            self._close_loop()
            return None
        self._current = None
        # pykka's loop keeps the message it handled last until the next one arrives,
        # and it holds the dependencies' outputs: emptied now, so a run can let go of
        # outputs no stage needs any more (keep_outputs).
        message.spend()
        # Once the runtime stopped, the coordinator is gone and no one waits for this
        # reply: an attempt that outlived its run (it ignored its cancel token) just ends,
        # instead of pykka logging a traceback for it.
        with contextlib.suppress(pykka.ActorDeadError):
            self._coordinator.tell(AttemptDone(self._pool, self._member, done))
        return None

    def _report_crash(self, exc: BaseException | None) -> None:
        current, self._current = self._current, None
        error = AgentCrashedError(
            f"agent {self._pool!r} actor died: {type(exc).__name__}: {exc}"
            if exc is not None
            else f"agent {self._pool!r} actor died"
        )
        msg = current.message if current else None
        self._coordinator.tell(
            AgentCrashed(
                pool=self._pool,
                member=self._member,
                error=ErrorInfo.from_exception(error, stage=msg.stage.name if msg else None),
                run_id=msg.run_id if msg else None,
                stage=msg.stage.name if msg else None,
                attempt=msg.attempt if msg else 0,
            )
        )

    def _attempt(self, assignment: Assignment) -> StageDone:
        msg = assignment.message
        request = StageRequest(msg, assignment.cancel, assignment.progress)
        started = time.time()
        assert self._agent is not None
        try:
            if assignment.cancel.cancelled:
                raise RunCancelledError(assignment.cancel.reason)
            # In a copy of the thread's context, so the bindings end with the attempt.
            output = contextvars.copy_context().run(self._perform_bound, request)
            output = freeze(output, where=f"output of stage {msg.stage.name!r}")
        except UnfreezableError as exc:
            return self._failed(msg, OutputNotFrozenError(str(exc)), started)
        except Exception as exc:  # noqa: BLE001  # every agent failure becomes an outcome
            return self._failed(msg, exc, started)
        return StageDone(
            run_id=msg.run_id,
            stage=msg.stage.name,
            attempt=msg.attempt,
            status="succeeded",
            output=output,
            started_at=started,
            finished_at=time.time(),
        )

    def _perform_bound(self, request: StageRequest) -> Any:
        """``_perform`` with the attempt bound for every log line it makes, in this thread
        or in the tasks of the actor's event loop (which copy the context)."""
        _RUN_ID.set(request.run_id)
        _STAGE.set(request.stage.name)
        _AGENT.set(self._pool)
        _ATTEMPT.set(request.attempt)
        return self._perform(request)

    def _perform(self, request: StageRequest) -> Any:
        assert self._agent is not None
        result = self._agent.perform(request)
        if not inspect.isawaitable(result):
            return result
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        loop = self._loop
        task = loop.create_task(_as_coroutine(result))

        def cancel_task() -> None:
            loop.call_soon_threadsafe(task.cancel)

        remove = request.cancel.on_cancel(cancel_task)
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError as exc:
            raise RunCancelledError(request.cancel.reason or "cancelled") from exc
        finally:
            remove()

    def _failed(self, msg: Any, exc: BaseException, started: float) -> StageDone:
        return StageDone(
            run_id=msg.run_id,
            stage=msg.stage.name,
            attempt=msg.attempt,
            status="failed",
            error=ErrorInfo.from_exception(exc, stage=msg.stage.name, with_traceback=True),
            started_at=started,
            finished_at=time.time(),
        )


async def _as_coroutine(awaitable: Any) -> Any:
    return await awaitable
