"""The asyncio bridge: runtime events as an async iterator, without blocking the loop.

Events reach the loop through ``call_soon_threadsafe`` only; nothing here waits on a
thread primitive or a pykka future from the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from actorflow.contracts import Event, RunFinished

from ._hub import EventHub

T = TypeVar("T")


async def iter_events(hub: EventHub, run_id: str | None) -> AsyncIterator[Event]:
    """Yield the events of ``run_id`` (all runs' with ``None``), past ones first.

    With a ``run_id`` the iterator ends after the run's ``RunFinished``; with ``None``
    it goes on until the consumer stops iterating.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Event] = asyncio.Queue()

    def listener(event: Event) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed under a forgotten iterator
            loop.call_soon_threadsafe(queue.put_nowait, event)

    past, unsubscribe = hub.subscribe(run_id, listener)
    try:
        for event in past:
            yield event
            if run_id is not None and isinstance(event, RunFinished):
                return
        while True:
            event = await queue.get()
            yield event
            if run_id is not None and isinstance(event, RunFinished):
                return
    finally:
        unsubscribe()


async def await_future(future: concurrent.futures.Future[T]) -> T:
    """Await a ``concurrent.futures.Future`` set by an actor thread."""
    return await asyncio.wrap_future(future)


async def await_pykka(future: Any, wait_s: float | None = None) -> Any:
    """Await a pykka future without blocking the loop (its ``get`` runs in a thread)."""
    return await asyncio.to_thread(future.get, wait_s)
