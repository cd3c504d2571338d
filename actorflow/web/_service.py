"""The service behind the routes: submits runs, follows them, answers for them.

It owns no thread of its own. Events reach it on the loop through
``call_soon_threadsafe``; everything that blocks (submitting a large input, asking the
coordinator for its agents, reading the store) goes through ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import msgspec

from actorflow import Runtime
from actorflow._ids import new_run_id
from actorflow.api_schema import (
    ApiStatus,
    CancelResponse,
    ExecuteRequest,
    ExecuteResponse,
    WorkflowSummary,
)
from actorflow.bus import get_logger
from actorflow.contracts import (
    Event,
    Records,
    RunFinished,
    RunResult,
    RunStarted,
    RuntimeStoppedError,
    StageOutcome,
    UnfreezableError,
    WorkflowSpec,
    WorkflowValidationError,
)
from actorflow.store import OpenCallback, RunStore, StoreError

from . import _history, _retries
from ._convert import STORE_STATUSES, api_status
from ._errors import ApiError, not_found
from ._guard import HostPolicy, Lookup, system_lookup
from ._settings import Settings
from ._tracker import Tracked, Tracker
from ._uploads import remove_leftovers
from ._webhooks import Webhooks
from ._workflows import EXTRACTOR, Catalog, Planner

_log = get_logger("web")
_encoder = msgspec.json.Encoder()
_CACHE = 64
_SETTLE_S = 10.0


class _RecordLimit:
    """A run observer that cancels an API run whose extraction yields too many records.

    A backstop only: inline records are counted before a run starts, and the Planner
    gives every extraction stage ``max_rows``, which stops its read as it passes the
    limit and fails the stage. This catches an extractor that ignores it, once read.
    Called in the coordinator's thread: it only tells (never waits).
    """

    def __init__(self, runtime: Runtime, limit: int) -> None:
        self.runtime = runtime
        self.limit = limit
        self.runs: set[str] = set()  # API runs under way; set operations are atomic

    def run_submitted(self, *_args: object) -> None:
        return None

    def stage_finished(self, run_id: str, outcome: StageOutcome) -> None:
        if run_id not in self.runs or outcome.agent != EXTRACTOR:
            return
        output = outcome.output
        records = output.get("records") if isinstance(output, Mapping) else None
        if isinstance(records, Records) and len(records) > self.limit:
            self.runtime.cancel(
                run_id,
                f"the extraction yielded {len(records):,} records; this server takes at most "
                f"{self.limit:,} per run",
            )


class WebService:
    """What the routes call.

    Args:
        runtime: the runtime that runs the workflows.
        store: the run store (history across restarts); ``None`` keeps history in memory.
        settings: limits and security rules.
        owns_runtime: stop the runtime when the service closes.
        owns_store: close the store when the service closes.
        lookup: the host resolver (the system's by default).
    """

    def __init__(
        self,
        runtime: Runtime,
        store: RunStore | None,
        settings: Settings,
        *,
        owns_runtime: bool = False,
        owns_store: bool = False,
        lookup: Lookup = system_lookup,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.settings = settings
        self.owns_runtime = owns_runtime
        self.owns_store = owns_store
        self.policy = HostPolicy(
            settings.allowed_hosts, allow_private=settings.allow_private_networks, lookup=lookup
        )
        self.catalog = Catalog(settings)
        self.planner = Planner(settings, self.catalog, self.policy)
        self.tracker = Tracker(
            settings.keep_finished,
            # Without a store, memory is the only place results can come from.
            keep_outputs=settings.keep_results if store is not None else None,
            rows=settings.result_rows,
        )
        self.webhooks = Webhooks(
            self.policy,
            timeout_s=settings.webhook_timeout_s,
            max_elapsed_s=settings.webhook_max_elapsed_s,
            backoff_s=settings.webhook_backoff_s,
            journal=store.callbacks if store is not None else None,
        )
        self.closing = asyncio.Event()
        self.started_at = time.time()
        self._limit = _RecordLimit(runtime, settings.max_records_per_run)
        self._stored: OrderedDict[str, bytes] = OrderedDict()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cleanups: list[Callable[[], None]] = []

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Follow the runtime's events; attach the store (resuming runs of a dead process);
        remove uploads a dead process left half written."""
        self._loop = asyncio.get_running_loop()
        if self.settings.upload_dir is not None:
            await asyncio.to_thread(remove_leftovers, self.settings.upload_dir)
        hub = await asyncio.to_thread(lambda: self.runtime.hub)  # starts the runtime
        _, unsubscribe = hub.subscribe(None, self._listener)
        self._cleanups += [unsubscribe, self.runtime.observe(self._limit)]
        if self.store is not None:
            recover = self.owns_runtime or self.owns_store
            recoveries = await asyncio.to_thread(self.store.attach, self.runtime, recover=recover)
            # After recovery: the callbacks of the runs it resumed here come with them.
            resumed = [r.run_id for r in recoveries if r.handle is not None]
            callbacks = await asyncio.to_thread(self.store.callbacks.claim, resumed)
            waiting = {c.run_id: c.url for c in callbacks if c.state == "waiting"}
            for recovery in recoveries:
                if recovery.handle is not None:
                    url = waiting.pop(recovery.run_id, None)
                    self.follow(recovery.handle.workflow, recovery.run_id, recovery.handle, url)
            for callback in callbacks:
                await self._resume_callback(callback, ended=callback.run_id in waiting)
        self.started_at = time.time()

    async def _resume_callback(self, callback: OpenCallback, *, ended: bool) -> None:
        """Finish a callback that a stopped service began (see ``RunStore.callbacks.claim``)."""
        if callback.state == "sending" and callback.body is not None:
            spent = time.time() - (callback.ready_at or time.time())
            self.webhooks.deliver(
                callback.url,
                callback.body,
                key=callback.run_id,
                kept=True,
                max_elapsed_s=self.settings.webhook_max_elapsed_s - spent,
            )
        elif ended:  # the run ended before its body was kept: make it from the store
            try:
                body = await self.status(callback.run_id)
            except ApiError:
                return  # the run is not in the store: nothing to report
            self.webhooks.deliver(callback.url, body, key=callback.run_id)

    def stop_streams(self) -> None:
        """End every open event stream (at shutdown, before handlers are waited for)."""
        self.closing.set()

    async def close(self) -> None:
        """Stop following; stop the runtime and close the store if this service made them."""
        self.closing.set()
        for cleanup in self._cleanups:
            cleanup()
        self._cleanups.clear()
        await self.webhooks.close()
        if self.owns_runtime:
            await asyncio.to_thread(self.runtime.stop)
        if self.owns_store and self.store is not None:
            await asyncio.to_thread(self.store.close)

    def _listener(self, event: Event) -> None:
        # Called in the emitting thread under the hub's lock: hand over and return.
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed first
                loop.call_soon_threadsafe(self._on_event, event)

    def _on_event(self, event: Event) -> None:
        tracked = self.tracker.get(event.run_id)
        if tracked is None:
            if not isinstance(event, RunStarted):
                return  # a run that started before we listened: the store has it
            tracked = self.tracker.add(
                Tracked(
                    event.run_id,
                    event.workflow,
                    [(name, "") for name in event.stages],
                    started_at=event.at,
                    via_api=False,
                )
            )
        tracked.apply(event)
        if isinstance(event, RunFinished) and not tracked.via_api:
            self.tracker.retire(tracked)

    def follow(
        self, spec: WorkflowSpec, run_id: str, handle: Any, callback_url: str | None = None
    ) -> Tracked:
        """Track a run this service started, until its result is in."""
        return self.follow_tracked(
            self.tracker.add(Tracked.submitted(run_id, spec, callback_url)), handle
        )

    def follow_tracked(self, tracked: Tracked, handle: Any) -> Tracked:
        """Follow a run tracked before it was submitted, until its result is in.

        For runs whose first events come at once (a retry's reused stages): tracked
        first, none of them is lost.
        """
        loop = self._loop
        assert loop is not None

        def done(result: RunResult) -> None:  # in the coordinator's thread
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._finished, tracked, result)

        handle.add_done_callback(done)
        return tracked

    def _finished(self, tracked: Tracked, result: RunResult) -> None:
        tracked.finish(result)
        self.tracker.retire(tracked)
        self._limit.runs.discard(tracked.run_id)
        if tracked.callback_url:
            body = tracked.status_body(self.settings.result_rows)
            assert body is not None  # the result is in
            self.webhooks.deliver(tracked.callback_url, body, key=tracked.run_id)

    # -- runs -----------------------------------------------------------------------------

    def check_capacity(self) -> None:
        """Raise a 429 ``ApiError`` when this server runs as many runs as it may."""
        limit = self.settings.max_concurrent_runs
        if self.tracker.active_api_runs() >= limit:
            raise ApiError(
                429,
                "too_many_runs",
                f"{limit} runs are under way, the most this server runs at once; "
                "retry when one has finished",
                headers={"Retry-After": "5"},
            )

    async def execute(self, request: ExecuteRequest) -> ExecuteResponse:
        """Check and submit a run; return once it is recorded (committed to the store).

        Raises:
            ApiError: 429 at the concurrency limit, 403/413/422 for refused input, 503
                when the runtime is stopping or the store cannot record the run.
        """
        self.check_capacity()
        if request.callback_url is not None:
            await self.policy.check_url(request.callback_url, "callback_url")
        spec = await self.planner.plan(request, self.runtime.agent_names)
        run_id = new_run_id()
        if request.callback_url is not None and self.store is not None:
            # Before the run exists: a process that dies mid-run leaves the callback to
            # whichever one resumes the run.
            try:
                await asyncio.to_thread(self.store.callbacks.register, run_id, request.callback_url)
            except StoreError as exc:
                raise ApiError(
                    503, "unavailable", f"the run store cannot keep the callback: {exc}"
                ) from None
        self._limit.runs.add(run_id)
        context: dict[str, Any] = {"task": request.task, "submitted_via": "api"}
        if request.workflow is None:
            # Sources came from the request: hold every connection the run makes
            # (redirects, next-page links, later DNS answers) to the host policy too.
            context["network"] = {
                "public_only": not self.policy.allow_private,
                "allowed_hosts": list(self.policy.allowed),
            }
        try:
            # Freezing a large input takes a while: not on the loop.
            handle = await asyncio.to_thread(
                self.runtime.submit, spec, request.input_data, context=context, run_id=run_id
            )
        except BaseException as exc:
            self._limit.runs.discard(run_id)
            if request.callback_url is not None and self.store is not None:
                # No run, nothing to call back about: closed, so no one takes it over.
                with contextlib.suppress(StoreError):
                    await asyncio.to_thread(
                        self.store.callbacks.settled,
                        run_id,
                        delivered=False,
                        attempts=0,
                        error=f"the run was refused: {type(exc).__name__}",
                    )
            if isinstance(exc, RuntimeStoppedError):
                raise ApiError(503, "unavailable", "the server is shutting down") from None
            if isinstance(exc, StoreError):
                # Not on disk, so not started: an id that a crash could lose is never given.
                raise ApiError(
                    503,
                    "not_accepted",
                    f"the run was not accepted: the run store could not record it ({exc})",
                    headers={"Retry-After": "5"},
                ) from None
            if isinstance(exc, WorkflowValidationError):
                field = _field_of(exc, request, spec)
                raise ApiError(422, "invalid_input", str(exc), field=field) from None
            if isinstance(exc, UnfreezableError):
                raise ApiError(422, "invalid_input", str(exc), field="input_data") from None
            raise
        tracked = self.follow(spec, run_id, handle, request.callback_url)
        return ExecuteResponse(
            workflow_id=run_id,
            status="processing",
            progress=tracked.progress(),
            workflow=spec.name,
            stages=[s.name for s in spec.stages],
        )

    async def status(self, run_id: str) -> bytes:
        """The encoded ``WorkflowStatus`` of a run (from memory, else the store), with
        the run it retries and its retries.

        Raises:
            ApiError: 404 for an unknown run.
        """
        body = await self._status(run_id)
        if self.store is None:
            return body
        try:
            return await asyncio.to_thread(_retries.with_links, self.store, run_id, body)
        except StoreError:
            return body  # the links are extras: the status stands without them

    async def _status(self, run_id: str) -> bytes:
        tracked = await self._settled(run_id)
        if tracked is not None:
            body = tracked.status_body(self.settings.result_rows)
            if body is not None:
                return body
        cached = self._stored.get(run_id)
        if cached is not None:
            return cached
        if self.store is not None:
            found = await asyncio.to_thread(
                _history.status, self.store, run_id, self.settings.result_rows
            )
            if found is not None:
                body = _encoder.encode(found)
                if found.status != "processing":
                    self._stored[run_id] = body
                    while len(self._stored) > _CACHE:
                        self._stored.popitem(last=False)
                return body
        raise not_found(f"no workflow run {run_id!r}", "workflow_id")

    async def _settled(self, run_id: str) -> Tracked | None:
        """The tracked run; if its end was announced, once its result is in too.

        A run's ``run_finished`` event comes a moment before its result: a client that
        saw the event and asks at once must find the results, not ``processing``.
        """
        tracked = self.tracker.get(run_id)
        if tracked is not None and tracked.finished is not None and not tracked.settled.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_SETTLE_S):
                    await tracked.settled.wait()
        return tracked

    async def list_runs(
        self, status: ApiStatus | None, limit: int, offset: int = 0
    ) -> tuple[list[WorkflowSummary], int]:
        """Runs, newest first, from ``offset`` on (those in memory merged over those in
        the store), and how many runs there are with that status in all."""
        found: dict[str, WorkflowSummary] = {}
        total = 0
        if self.store is not None:
            statuses = STORE_STATUSES[status] if status is not None else None
            records = await asyncio.to_thread(
                self.store.list_runs, status=statuses, limit=offset + limit
            )
            total = await asyncio.to_thread(self.store.count_runs, status=statuses)
            found.update((r.run_id, _history.summary(r)) for r in records)
        in_memory = 0
        for tracked in self.tracker:
            if status is None or tracked.status == status:
                found[tracked.run_id] = tracked.summary()
                in_memory += 1
            elif tracked.run_id in found:
                del found[tracked.run_id]  # the store is behind this run's news
        runs = sorted(found.values(), key=lambda s: s.started_at or 0.0, reverse=True)
        # The store records every run this service starts: memory only adds to the count
        # when there is no store (or the store is behind a run's status).
        total = max(total, in_memory, len(runs))
        return runs[offset : offset + limit], total

    async def cancel(self, run_id: str) -> CancelResponse:
        """Ask for a run to be cancelled.

        Raises:
            ApiError: 404 for an unknown run, 409 for one that already finished or that
                this server does not run.
        """
        tracked = await self._settled(run_id)
        if tracked is None or tracked.done:
            status = tracked.status if tracked is not None else await self._stored_status(run_id)
            if status == "processing":
                raise ApiError(409, "not_running_here", f"run {run_id!r} runs in another process")
            raise ApiError(409, "already_finished", f"run {run_id!r} already {status}")
        self.runtime.cancel(run_id, "cancelled through the API")  # a tell: never waits
        return CancelResponse(
            workflow_id=run_id, status=tracked.status, message="cancellation requested"
        )

    async def _stored_status(self, run_id: str) -> ApiStatus:
        detail = None
        if self.store is not None:
            detail = await asyncio.to_thread(self.store.get_run, run_id)
        if detail is None:
            raise not_found(f"no workflow run {run_id!r}", "workflow_id")
        return api_status(detail.run.status)

    async def events(self, run_id: str) -> AsyncIterator[Event]:
        """A run's events, past ones first, then live ones until it ends.

        Raises:
            ApiError: 404 for an unknown run.
        """
        tracked = self.tracker.get(run_id)
        if self.runtime.hub.history(run_id) or (tracked is not None and not tracked.done):
            return self.runtime.events(run_id)
        detail = None
        if self.store is not None:
            detail = await asyncio.to_thread(self.store.get_run, run_id)
        if detail is None and tracked is None:
            raise not_found(f"no workflow run {run_id!r}", "workflow_id")
        return _replay(detail.events if detail is not None else ())

    async def outputs(self, run_id: str) -> tuple[str, list[str], dict[str, Any]]:
        """A finished run's workflow name, stage names in order, and outputs by stage.

        Raises:
            ApiError: 404 for an unknown run, 409 while it is still processing.
        """
        tracked = await self._settled(run_id)
        if tracked is not None and tracked.result is not None and not tracked.outputs_released:
            result = tracked.result
            order = list(tracked.stages)
            values = {
                name: o.output
                for name, o in result.stages.items()
                if isinstance(o, StageOutcome) and o.output is not None
            }
            return result.workflow, order, values
        if tracked is not None and not tracked.done:
            raise _still_processing(run_id)
        detail = None
        if self.store is not None:
            if tracked is not None and tracked.outputs_released:
                # Let go from memory: what the store's writer still holds must land first.
                await asyncio.to_thread(self.store.flush)
            detail = await asyncio.to_thread(self.store.get_run, run_id)
        if detail is None:
            raise not_found(f"no workflow run {run_id!r}", "workflow_id")
        if api_status(detail.run.status) == "processing":
            raise _still_processing(run_id)
        assert self.store is not None
        values = await asyncio.to_thread(_history.outputs, self.store, detail)
        return detail.run.workflow, [s.stage for s in detail.stages], values


def _field_of(exc: WorkflowValidationError, request: ExecuteRequest, spec: WorkflowSpec) -> str:
    """The request field a workflow refused at submission points at (its first problem's)."""
    problem = exc.problems[0] if exc.problems else None
    if problem is None or problem.stage is None or request.workflow_config is None:
        return "workflow" if request.workflow is not None else "workflow_config"
    tail = problem.field or ""
    if request.workflow_config.stages is None:
        # Params of a registered workflow's stages are overridden by stage name.
        return f"workflow_config.params.{problem.stage}{tail.removeprefix('params')}"
    index = next((i for i, s in enumerate(spec.stages) if s.name == problem.stage), None)
    return f"workflow_config.stages[{index}]" + (f".{tail}" if tail else "")


def _still_processing(run_id: str) -> ApiError:
    return ApiError(
        409, "still_processing", f"run {run_id!r} has not finished; its results come at the end"
    )


async def _replay(events: tuple[Event, ...] | Any) -> AsyncIterator[Event]:
    for event in events:
        yield event
