"""The coordinator: drives every run of a runtime through its stages.

It owns the runs and the agent pools and reacts to messages only (new runs, attempt
replies, timers, cancellations, crashes); it never waits. Timers are a ``tell`` from the
timer thread, so a timeout, a retry's backoff and a run's deadline are messages like any
other, handled one at a time in this actor's thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import time
from collections.abc import Callable
from typing import Any

import pykka

from actorflow.bus import CancelToken, EventHub, get_logger
from actorflow.bus.machinery import ProgressReporter, TimerService, context_vars, fast_inbox
from actorflow.contracts import (
    AgentUnavailableError,
    ErrorInfo,
    RunCancelledError,
    RunFinished,
    RunStage,
    RunStarted,
    RunStatus,
    RunTimeoutError,
    StageFinished,
    StageOutcome,
    StageRetrying,
    StageStarted,
    StageStatus,
    StageTimeoutError,
)

from ._agent import AgentInfo
from ._assignment import Assignment
from ._cache import StageCache
from ._pool import AgentPool
from ._protocol import (
    AddPool,
    AgentCrashed,
    AttemptDone,
    AttemptTimedOut,
    CancelRun,
    GetPools,
    RetryDue,
    RunDeadline,
    Shutdown,
    StartRun,
)
from ._run import Run, StageState

_log = get_logger("coordinator")
# structlog's run_id variable: log lines while a run's message is handled carry it.
(_RUN_ID,) = context_vars("run_id")


def backoff_delay(state_attempt: int, base_s: float, max_s: float) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random.

    The fixed half keeps retries from hammering a struggling service; the random half
    keeps many runs that failed together from retrying together.
    """
    ceiling = min(max_s, base_s * (2.0 ** (state_attempt - 1)))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class Coordinator(pykka.ThreadingActor):
    """Drives runs: dependencies, dispatch, timeouts, retries, cancellation, progress."""

    use_daemon_thread = True
    _create_actor_inbox = staticmethod(fast_inbox)

    def __init__(
        self,
        *,
        hub: EventHub,
        timers: TimerService,
        on_outcome: Callable[[str, StageOutcome], None] | None = None,
        cache: StageCache | None = None,
    ) -> None:
        super().__init__()
        # Asked before the first attempt of a stage with ``cache = true``.
        self._cache = cache
        self._hub = hub
        self._timers = timers
        # Told each stage's outcome (output included) as it becomes terminal, before its
        # StageFinished: events carry no outputs, and the run store needs them before
        # the run ends to resume it after a crash. Must only hand the outcome on.
        self._on_outcome = on_outcome
        self._runs: dict[str, Run] = {}
        self._pools: dict[str, AgentPool] = {}
        self._stopping = False
        self._handlers: dict[type, Callable[[Any], Any]] = {
            AttemptDone: self._on_attempt_done,
            StartRun: self._on_start_run,
            AttemptTimedOut: self._on_timeout,
            RetryDue: self._on_retry_due,
            RunDeadline: self._on_deadline,
            CancelRun: self._on_cancel,
            AgentCrashed: self._on_crash,
            AddPool: self._on_add_pool,
            GetPools: self._on_get_pools,
            Shutdown: self._on_shutdown,
        }

    def on_receive(self, message: Any) -> Any:
        handler = self._handlers.get(type(message))
        if handler is None:
            _log.warning("coordinator ignored a message", type=type(message).__name__)
            return None
        run_id = (
            message.done.run_id
            if type(message) is AttemptDone
            else getattr(message, "run_id", None)
        )
        if run_id is None:
            return handler(message)
        # Log lines of the handler (and of the hub's listeners and run observers it calls)
        # carry the run's id. Only the run: a message about one stage often starts others.
        token = _RUN_ID.set(run_id)
        try:
            return handler(message)
        finally:
            _RUN_ID.reset(token)

    def on_failure(self, *exc_info: Any) -> None:
        # The coordinator's own bug must not leave callers waiting forever.
        error = ErrorInfo(type="CoordinatorFailure", message=repr(exc_info[1]))
        for run in list(self._runs.values()):
            if not run.future.done():
                run.status = "failed"
                run.future.set_result(run.result(error))

    # -- timers ---------------------------------------------------------------------------

    def _later(self, delay_s: float, message: Any) -> Any:
        ref = self.actor_ref

        def fire() -> None:
            with contextlib.suppress(pykka.ActorDeadError):  # stopped: nothing left to time
                ref.tell(message)

        return self._timers.call_later(delay_s, fire)

    # -- pools ----------------------------------------------------------------------------

    def _on_add_pool(self, message: AddPool) -> None:
        old = self._pools.get(message.pool.name)
        if old is not None:
            old.stop()
        message.pool.bind(self._dispatched)
        self._pools[message.pool.name] = message.pool

    def _on_get_pools(self, _message: GetPools) -> dict[str, AgentInfo]:
        """Each pool's agent, with its live statistics and health."""
        return {
            name: dataclasses.replace(
                p.info, healthy=p.broken is None, problem=p.broken, stats=p.stats()
            )
            for name, p in self._pools.items()
            if p.info is not None
        }

    # -- runs -----------------------------------------------------------------------------

    def _on_start_run(self, message: StartRun) -> None:
        if self._stopping:
            return
        run = Run(
            message.run_id,
            message.spec,
            message.input,
            message.context,
            message.future,
            resume_from=message.resume_from,
            keep_outputs=message.keep_outputs,
            use_cache=message.use_cache,
        )
        self._runs[run.run_id] = run
        self._hub.emit(
            RunStarted,
            run.run_id,
            workflow=run.spec.name,
            stages=tuple(run.stages),
        )
        # Reused stages (a resumed run) were never started here: each gets its one
        # terminal event and no StageStarted.
        for state in run.reused:
            self._emit_finished(run, state, reused=True)
            run.release_after(state)
        if run.all_terminal:
            self._end_run(run, "completed", None)
            return
        if run.spec.timeout_s is not None:
            run.deadline = self._later(run.spec.timeout_s, RunDeadline(run.run_id))
        self._start_all(run, run.initially_ready())

    def _start_all(self, run: Run, states: list[StageState]) -> None:
        for state in states:
            if run.status != "running":
                return
            self._start_attempt(run, state)

    def _start_attempt(self, run: Run, state: StageState) -> None:
        if state.attempt == 0 and self._cached(run, state):
            return
        state.attempt += 1
        state.status = "running"
        pool = self._pools.get(state.spec.agent)
        if pool is None or pool.broken:
            reason = pool.broken if pool else f"agent {state.spec.agent!r} is not registered"
            self._attempt_failed(
                run,
                state,
                ErrorInfo.from_exception(AgentUnavailableError(reason), stage=state.spec.name),
            )
            return
        message = RunStage(
            run_id=run.run_id,
            workflow=run.spec.name,
            stage=state.spec,
            attempt=state.attempt,
            input=run.input,
            dependencies=run.dependencies_of(state),
            context=run.context,
        )
        state.cancel = CancelToken()
        state.reporter = ProgressReporter(self._hub, run.progress, state.spec.name)
        assignment = Assignment(
            message=message,
            reply_to=self.actor_ref,
            cancel=state.cancel,
            progress=state.reporter,
            pool=pool.name,
        )
        pool.submit(assignment)  # the pool calls _dispatched once a member takes it

    def _cached(self, run: Run, state: StageState) -> bool:
        """Finish ``state`` from the cache if it opted in and the cache has it."""
        if self._cache is None or not run.use_cache or not state.spec.cached:
            return False
        hit = self._cache.lookup(run.run_id, state.spec, run.input, run.dependencies_of(state))
        if hit is None:
            return False
        state.output = hit.output
        state.cached = True
        self._finish_stage(run, state, "succeeded")
        return True

    def _dispatched(self, assignment: Assignment) -> None:
        """An attempt was handed to a member actor: it starts now, and so does its clock."""
        msg = assignment.message
        run = self._runs.get(msg.run_id)
        if run is None:
            return
        state = run.stages[msg.stage.name]
        if state.attempt != msg.attempt or state.status != "running":
            return
        if state.started_at is None:
            state.started_at = time.time()
            state.t0 = time.monotonic()
        if state.spec.timeout_s is not None:
            state.timer = self._later(
                state.spec.timeout_s,
                AttemptTimedOut(run.run_id, state.spec.name, state.attempt, assignment.pool),
            )
        self._hub.emit(
            StageStarted,
            run.run_id,
            progress=run.progress.percent(),
            stage=state.spec.name,
            agent=state.spec.agent,
            attempt=state.attempt,
        )

    def _on_attempt_done(self, message: AttemptDone) -> None:
        done = message.done
        pool = self._pools.get(message.pool)
        if pool is not None:
            pool.record(
                succeeded=done.status == "succeeded",
                duration_s=max(0.0, done.finished_at - done.started_at),
            )
            pool.release(message.member)
        run = self._runs.get(done.run_id)
        if run is None:
            return
        state = run.stages.get(done.stage)
        if state is None or state.status != "running" or state.attempt != done.attempt:
            return  # a late reply: the attempt timed out or the run moved on
        self._end_attempt(state)
        if done.status == "succeeded":
            state.output = done.output
            self._finish_stage(run, state, "succeeded")
        else:
            assert done.error is not None
            self._attempt_failed(run, state, done.error)

    def _end_attempt(self, state: StageState) -> None:
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
        if state.reporter is not None:
            state.reporter.active = False

    def _attempt_failed(
        self, run: Run, state: StageState, error: ErrorInfo, *, timed_out: bool = False
    ) -> None:
        state.error = error
        if error.retryable and state.attempt <= state.spec.retries:
            state.status = "retrying"
            delay = backoff_delay(
                state.attempt, state.spec.retry_backoff_s, state.spec.retry_backoff_max_s
            )
            self._hub.emit(
                StageRetrying,
                run.run_id,
                stage=state.spec.name,
                attempt=state.attempt,
                delay_s=delay,
                error=error,
            )
            state.retry_timer = self._later(
                delay, RetryDue(run.run_id, state.spec.name, state.attempt)
            )
            return
        self._finish_stage(run, state, "timed_out" if timed_out else "failed")

    def _finish_stage(self, run: Run, state: StageState, status: StageStatus) -> None:
        state.status = status
        state.finished_at = time.time()
        if state.started_at is None:
            state.started_at = state.finished_at
        if status == "succeeded":
            state.error = None
            run.completed.append(state.spec.name)
        self._report(run, state.make_outcome())
        run.terminal_count += 1
        run.progress.stage_done(state.spec.name)
        self._emit_finished(run, state)
        run.release_after(state)
        if status != "succeeded" and state.spec.required:
            error = state.error or ErrorInfo(type="StageFailed", message=status)
            self._end_run(
                run, "failed", error, cause=f"required stage {state.spec.name!r} {status}"
            )
            return
        if run.all_terminal:
            self._end_run(run, "completed", None)
            return
        self._start_all(run, run.ready_after(state))

    def _report(self, run: Run, outcome: StageOutcome) -> None:
        if self._on_outcome is not None:
            self._on_outcome(run.run_id, outcome)

    def _emit_finished(self, run: Run, state: StageState, *, reused: bool = False) -> None:
        self._hub.emit(
            StageFinished,
            run.run_id,
            progress=run.progress.percent(),
            stage=state.spec.name,
            status=state.status,
            attempts=state.attempt,
            duration_s=(state.outcome.duration_s if state.outcome else 0.0),
            error=state.error,
            reused=reused,
            cached=state.cached,
        )

    def _on_timeout(self, message: AttemptTimedOut) -> None:
        run = self._runs.get(message.run_id)
        state = run.stages.get(message.stage) if run else None
        live = (
            run is not None
            and state is not None
            and state.status == "running"
            and state.attempt == message.attempt
        )
        pool = self._pools.get(message.pool)
        if pool is not None:
            self._abandon_stuck(pool, message)
        if not live:
            return
        assert run is not None
        assert state is not None
        self._end_attempt(state)
        if state.cancel is not None:
            state.cancel.cancel(f"attempt {state.attempt} timed out")
        error = StageTimeoutError(
            f"stage {state.spec.name!r} attempt {state.attempt} exceeded "
            f"timeout_s={state.spec.timeout_s:g}"
        )
        self._attempt_failed(
            run, state, ErrorInfo.from_exception(error, stage=state.spec.name), timed_out=True
        )

    def _abandon_stuck(self, pool: AgentPool, message: AttemptTimedOut) -> None:
        """Replace the member still busy with a timed-out attempt, so capacity stays."""
        member_id = pool.member_on(message.run_id, message.stage, message.attempt)
        if member_id is None:
            return
        busy = pool.busy_with(member_id)
        if busy is not None:
            busy.cancel.cancel("timed out")
        pool.abandon(member_id)

    def _on_retry_due(self, message: RetryDue) -> None:
        run = self._runs.get(message.run_id)
        if run is None or run.status != "running":
            return
        state = run.stages.get(message.stage)
        if state is None or state.status != "retrying" or state.attempt != message.attempt:
            return
        state.retry_timer = None
        self._start_attempt(run, state)

    def _on_deadline(self, message: RunDeadline) -> None:
        run = self._runs.get(message.run_id)
        if run is None or run.status != "running":
            return
        error = RunTimeoutError(f"run exceeded the workflow's timeout_s={run.spec.timeout_s:g}")
        self._end_run(run, "failed", ErrorInfo.from_exception(error), cause="run timed out")

    def _on_cancel(self, message: CancelRun) -> bool:
        run = self._runs.get(message.run_id)
        if run is None or run.status != "running":
            return False
        if message.error is not None:
            self._end_run(run, "failed", message.error, cause=message.reason)
            return True
        error = ErrorInfo.from_exception(RunCancelledError(message.reason))
        self._end_run(run, "cancelled", error, cause=message.reason)
        return True

    def _on_crash(self, message: AgentCrashed) -> None:
        pool = self._pools.get(message.pool)
        if pool is not None:
            for assignment in pool.crashed(message.member):
                self._fail_orphan(assignment, pool.broken or "agent unavailable")
        if message.run_id is None or message.stage is None:
            return
        run = self._runs.get(message.run_id)
        state = run.stages.get(message.stage) if run else None
        if run is None or state is None:
            return
        if state.status != "running" or state.attempt != message.attempt:
            return
        self._end_attempt(state)
        self._attempt_failed(run, state, message.error)

    def _fail_orphan(self, assignment: Assignment, reason: str) -> None:
        msg = assignment.message
        run = self._runs.get(msg.run_id)
        state = run.stages.get(msg.stage.name) if run else None
        if run is None or state is None or state.attempt != msg.attempt:
            return
        if state.status == "running":
            error = AgentUnavailableError(reason)
            self._attempt_failed(run, state, ErrorInfo.from_exception(error, stage=msg.stage.name))

    def _end_run(
        self, run: Run, status: RunStatus, error: ErrorInfo | None, *, cause: str = ""
    ) -> None:
        """Finish a run: stop what runs, skip what waits, emit the one terminal event."""
        run.status = status
        if run.deadline is not None:
            run.deadline.cancel()
        if status != "completed":
            for pool in self._pools.values():
                pool.withdraw(run.run_id)
            for state in run.stages.values():
                if state.terminal:
                    continue
                self._close_stage(run, state, cause)
        del self._runs[run.run_id]
        result = run.result(error)
        self._hub.emit(
            RunFinished,
            run.run_id,
            progress=run.progress.percent(),
            status=status,
            execution_time_s=result.execution_time_s,
            error=error,
        )
        run.future.set_result(result)

    def _close_stage(self, run: Run, state: StageState, cause: str) -> None:
        in_flight = state.status in ("running", "retrying")
        if state.status == "running":
            # The attempt's timer stays armed: if the agent ignores the cancellation, the
            # timeout still frees its pool slot.
            if state.reporter is not None:
                state.reporter.active = False
            if state.cancel is not None:
                state.cancel.cancel(cause)
        if state.retry_timer is not None:
            state.retry_timer.cancel()
        status: StageStatus = "cancelled" if in_flight else "skipped"
        state.status = status
        state.finished_at = time.time()
        if state.started_at is None:
            state.started_at = state.finished_at
        reason = f"{'cancelled' if in_flight else 'skipped'}: {cause}"
        state.error = ErrorInfo(
            type=RunCancelledError.__name__, message=reason, stage=state.spec.name
        )
        self._report(run, state.make_outcome())
        run.terminal_count += 1
        self._hub.emit(
            StageFinished,
            run.run_id,
            stage=state.spec.name,
            status=status,
            attempts=state.attempt,
            duration_s=state.outcome.duration_s if state.outcome else 0.0,
            error=state.error,
        )
        run.release_after(state)

    def _on_shutdown(self, message: Shutdown) -> None:
        self._stopping = True
        for run in list(self._runs.values()):
            error = ErrorInfo.from_exception(RunCancelledError(message.reason))
            self._end_run(run, "cancelled", error, cause=message.reason)
        for pool in self._pools.values():
            pool.stop()
        self._pools.clear()
