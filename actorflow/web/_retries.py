"""``POST /v1/workflows/{id}/retry`` and the retry links every status carries.

A retry is the run store's (``RunStore.retry``): a new run of the old run's workflow
and input that takes over the stages that succeeded. It needs the store, so a server
without one answers 409.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

import msgspec

from actorflow._ids import new_run_id
from actorflow.api_schema import RetryRequest, RetryResponse
from actorflow.contracts import RuntimeStoppedError
from actorflow.store import RetryError, RunStore, StoreError

from ._errors import ApiError
from ._tracker import Tracked

if TYPE_CHECKING:
    from ._service import WebService

_T = TypeVar("_T")

# What each refusal is, as HTTP: a run that does not exist, one in a state that does not
# allow it (under way, outputs gone), a field that is wrong.
_STATUS = {
    "unknown_run": (404, "not_found", "workflow_id"),
    "running": (409, "still_processing", "workflow_id"),
    "unknown_stage": (422, "invalid_input", "from_stage"),
    "not_recorded": (409, "cannot_retry", "workflow_id"),
    "missing": (409, "cannot_retry", "workflow_id"),
}


async def retry(service: WebService, run_id: str, body: RetryRequest) -> RetryResponse:
    """Start a retry of ``run_id``.

    Raises:
        ApiError: 404 unknown run; 409 no run store, run still under way, or a stored
            output it needs is gone; 422 unknown ``from_stage``; 429 at the run limit;
            503 when the runtime stops or the store cannot record it.
    """
    store = service.store
    if store is None:
        raise ApiError(
            409,
            "cannot_retry",
            "retrying needs the run store, and this server keeps no history",
            field="workflow_id",
        )
    service.check_capacity()
    tracked = service.tracker.get(run_id)
    if tracked is not None and tracked.done:
        # It ended here a moment ago: its last facts may still be on their way to disk.
        await _stored(asyncio.to_thread(store.flush))
    try:
        plan = await _stored(
            asyncio.to_thread(
                store.plan_retry,
                run_id,
                agents=service.runtime.agent_names,
                from_stage=body.from_stage,
            )
        )
    except RetryError as exc:
        status, code, field = _STATUS[exc.problem]
        raise ApiError(status, code, str(exc), field=field) from None
    new_id = new_run_id()
    # Tracked before it is submitted: its reused stages' events come at once.
    followed = service.tracker.add(Tracked.submitted(new_id, plan.spec, None))
    try:
        handle = await _stored(
            asyncio.to_thread(store.submit_retry, service.runtime, plan, run_id=new_id)
        )
    except RuntimeStoppedError:
        service.tracker.discard(new_id)
        raise ApiError(503, "unavailable", "the server is shutting down") from None
    except BaseException:
        service.tracker.discard(new_id)
        raise
    service.follow_tracked(followed, handle)
    return RetryResponse(
        workflow_id=new_id,
        status="processing",
        progress=followed.progress(),
        workflow=plan.spec.name,
        stages=[s.name for s in plan.spec.stages],
        retry_of=run_id,
        reused=list(plan.reused),
        rerun=list(plan.rerun),
    )


async def _stored(work: Awaitable[_T]) -> _T:
    """``await work``, a store that cannot answer made a 503."""
    try:
        return await work
    except StoreError as exc:
        raise ApiError(503, "unavailable", f"the run store cannot answer: {exc}") from None


def with_links(store: RunStore | None, run_id: str, body: bytes) -> bytes:
    """``body`` (an encoded status) with ``retry_of`` and ``retries`` from the store."""
    if store is None:
        return body
    retry_of, retries = store.retry_links(run_id)
    if retry_of is None and not retries:
        return body
    status = msgspec.json.decode(body)
    status["retry_of"] = retry_of
    status["retries"] = list(retries)
    return msgspec.json.encode(status)
