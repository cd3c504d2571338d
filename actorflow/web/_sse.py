"""``GET /v1/workflows/{id}/events``: a run's events as server-sent events.

Each event is ``id: <seq>``, ``event: <type>`` and ``data: <the event as JSON>``. The
past comes first (from memory, or from the store for runs that ended before this server
started), then live events until the run's ``run_finished``, then the stream ends. A
client that reconnects with ``Last-Event-ID`` (EventSource does) gets only what it has
not seen. A comment line every ``keepalive_s`` keeps proxies from closing an idle
stream and notices a client that left.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import msgspec
from aiohttp import web

from actorflow.contracts import Event, encode_event

from ._errors import ApiError
from ._service import WebService

KEEPALIVE_S = 15.0
_END = object()


def _last_seen(request: web.Request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
    try:
        seen = int(raw)
    except ValueError:
        raise ApiError(
            422,
            "invalid_input",
            "Last-Event-ID must be an event's id (an integer)",
            field="Last-Event-ID",
        ) from None
    if seen < 0:
        raise ApiError(422, "invalid_input", "Last-Event-ID must not be negative", field="after")
    return seen


def public(event: Event) -> Event:
    """``event`` as a client may see it: an error's ``detail`` (a Python traceback, with
    the server's install paths and source lines) is for the server's log and store, as
    ``/status`` shows only an error's type, message and stage.
    """
    error = getattr(event, "error", None)
    if error is None or error.detail is None:
        return event
    return msgspec.structs.replace(
        event,
        error=msgspec.structs.replace(error, detail=None),
    )


def frame(event: Event) -> bytes:
    """One event as an SSE frame (without tracebacks: see :func:`public`)."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (
        event.seq,
        event.kind.encode(),
        encode_event(public(event)),
    )


async def stream(
    request: web.Request,
    service: WebService,
    run_id: str,
    *,
    keepalive_s: float = KEEPALIVE_S,
) -> web.StreamResponse:
    seen = _last_seen(request)
    events = await service.events(run_id)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # reverse proxies: pass each event on at once
        }
    )
    await response.prepare(request)
    queue: asyncio.Queue[object] = asyncio.Queue()
    pump = asyncio.create_task(_pump(events, queue))
    closing = asyncio.create_task(service.closing.wait())
    try:
        await response.write(b"retry: 2000\n\n")
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait(
                {getter, closing}, timeout=keepalive_s, return_when=asyncio.FIRST_COMPLETED
            )
            if getter not in done:
                getter.cancel()
                if closing in done:
                    break
                await response.write(b": keep-alive\n\n")
                continue
            item = getter.result()
            if item is _END:
                break
            assert isinstance(item, Event)
            if item.seq > seen:
                await response.write(frame(item))
    except ConnectionResetError:
        return response  # the client left: nothing more to send
    finally:
        for task in (pump, closing):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response


async def _pump(events: AsyncIterator[Event], queue: asyncio.Queue[object]) -> None:
    """Move events into ``queue`` so the writer can wait with a timeout without
    cancelling (and so closing) the event iterator itself."""
    try:
        async for event in events:
            queue.put_nowait(event)
    finally:
        queue.put_nowait(_END)
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
