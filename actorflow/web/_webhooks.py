"""Callbacks: the final status POSTed to a run's ``callback_url``, at least once.

Each delivery retries connection errors, timeouts, 408, 425, 429 and 5xx with exponential
backoff and jitter until ``max_elapsed_s`` has passed; any other 4xx is the receiver
saying no, and ends it. Every attempt carries the same ``Idempotency-Key`` (the run id),
so a receiver that got an attempt whose answer was lost can drop the repeat.

With a run store, a delivery is kept there from the run's end until it is delivered or
given up: one still retrying when the service stops (or its process dies) is finished
by the next service on that store, with what is left of its time. A service that stops
lets an attempt already under way end (within its timeout) and records its outcome, so
a callback that arrived is not sent again by the next one.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp

from actorflow import __version__
from actorflow.bus import get_logger
from actorflow.store import StoreError

from ._guard import ForbiddenHostError, GuardedResolver, HostPolicy

_log = get_logger("web.webhooks")

_RETRY_STATUS = frozenset({408, 425, 429})
_MAX_DELAY_S = 30.0


class CallbackJournal(Protocol):
    """Where deliveries are kept until they end (the run store's ``callbacks``)."""

    def ready(self, run_id: str, body: bytes) -> None: ...

    def settled(
        self, run_id: str, *, delivered: bool, attempts: int, error: str | None = None
    ) -> None: ...


class Webhooks:
    """Sends callbacks in the background.

    Args:
        policy: where callbacks may go (checked again at connect time).
        timeout_s: limit of one attempt.
        max_elapsed_s: how long to keep retrying.
        backoff_s: the first delay; it doubles each attempt, with jitter, up to 30 s.
        journal: keeps each delivery until it ends (``None``: in memory only).
    """

    def __init__(
        self,
        policy: HostPolicy,
        *,
        timeout_s: float,
        max_elapsed_s: float,
        backoff_s: float,
        journal: CallbackJournal | None = None,
    ) -> None:
        self._policy = policy
        self._journal = journal
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_elapsed_s = max_elapsed_s
        self._backoff_s = backoff_s
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[bool]] = set()
        # Deliveries waiting out a backoff: the ones shutdown cancels at once.
        self._waiting: set[asyncio.Task[Any]] = set()
        self._closing = False

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(self._policy))
            # The resolver checks names; IP literals are checked as each request starts.
            trace = aiohttp.TraceConfig()
            trace.on_request_start.append(self._check_host)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"User-Agent": f"actorflow/{__version__}"},
                trace_configs=[trace],
            )
        return self._session

    async def _check_host(self, _session: Any, _context: Any, params: Any) -> None:
        self._policy.check_connect(params.url.host or "")

    def deliver(
        self,
        url: str,
        body: bytes,
        *,
        key: str,
        kept: bool = False,
        max_elapsed_s: float | None = None,
    ) -> asyncio.Task[bool]:
        """Start delivering ``body`` to ``url``; the task's result says if it arrived.

        Args:
            url: the receiver.
            body: what to POST.
            key: the idempotency key: the run id, which also names it in the journal.
            kept: the journal already holds ``body`` (a delivery taken over after a
                restart); otherwise it is kept there first.
            max_elapsed_s: how long to keep retrying (default: the service's setting).
                One attempt is made whatever is left.
        """
        elapsed = self._max_elapsed_s if max_elapsed_s is None else max(0.0, max_elapsed_s)
        task = asyncio.get_running_loop().create_task(
            self._deliver(url, body, key, kept=kept, max_elapsed_s=elapsed)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver(
        self, url: str, body: bytes, key: str, *, kept: bool, max_elapsed_s: float
    ) -> bool:
        journal = self._journal
        if journal is not None and not kept:
            await _keep(functools.partial(journal.ready, key, body))
        try:
            delivered, attempts, reason = await self._attempts(url, body, key, max_elapsed_s)
        except _AbandonedError:
            return False  # left open in the journal: the next service takes it over
        if journal is not None:
            settled = functools.partial(
                journal.settled, key, delivered=delivered, attempts=attempts, error=reason
            )
            await _keep(settled)
        return delivered

    async def _attempts(
        self, url: str, body: bytes, key: str, max_elapsed_s: float
    ) -> tuple[bool, int, str | None]:
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        deadline = time.monotonic() + max_elapsed_s
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(url, body, headers)
            if outcome is None:
                _log.info("callback delivered", url=url, key=key, attempts=attempt)
                return True, attempt, None
            retryable, reason = outcome
            delay = min(_MAX_DELAY_S, self._backoff_s * 2 ** (attempt - 1))
            delay *= random.uniform(0.5, 1.0)  # jitter: receivers coming back are not stampeded
            if not retryable or time.monotonic() + delay > deadline:
                _log.warning(
                    "callback not delivered", url=url, key=key, attempts=attempt, reason=reason
                )
                return False, attempt, reason
            if self._closing:
                raise _AbandonedError
            _log.info("callback failed; retrying", url=url, attempt=attempt, reason=reason)
            task = asyncio.current_task()
            assert task is not None  # deliveries run as tasks (see deliver)
            self._waiting.add(task)
            try:
                await asyncio.sleep(delay)
            finally:
                self._waiting.discard(task)

    async def _attempt(
        self, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[bool, str] | None:
        """``None`` when delivered, else (retryable, reason)."""
        try:
            async with self._client().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                status = response.status
        except TimeoutError:
            return True, "timed out"
        except ForbiddenHostError as exc:
            return False, str(exc)
        except (aiohttp.ClientError, OSError) as exc:
            return True, f"{type(exc).__name__}: {exc}"
        if 200 <= status < 300:
            return None
        retryable = status >= 500 or status in _RETRY_STATUS
        return retryable, f"HTTP {status}"

    async def close(self) -> None:
        """Abandon deliveries waiting to retry (a journal keeps them for the next start),
        let attempts under way end and their outcome be kept, and close the connections.
        """
        self._closing = True
        for task in self._waiting:
            task.cancel()
        pending = [task for task in self._tasks if not task.done()]
        if pending:
            # An attempt ends within its timeout; the slack covers writing its outcome.
            limit = (self._timeout.total or 0.0) + 5.0
            _, late = await asyncio.wait(pending, timeout=limit)
            for task in late:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            undelivered = sum(
                1 for task in pending if task.cancelled() or task.exception() or not task.result()
            )
            if undelivered:
                _log.warning("callbacks not delivered at shutdown", count=undelivered)
        if self._session is not None:
            await self._session.close()


class _AbandonedError(Exception):
    """A delivery given up because the service is stopping (not because it failed)."""


async def _keep(write: Callable[[], None]) -> None:
    """A journal write, off the loop; a store that fails it costs only persistence."""
    try:
        await asyncio.to_thread(write)
    except StoreError as exc:
        _log.warning("callback not kept in the run store", error=str(exc))
