"""Callbacks: the final status POSTed to a run's ``callback_url``, at least once.

Each delivery retries connection errors, timeouts, 408, 425, 429 and 5xx with exponential
backoff and jitter until ``max_elapsed_s`` has passed; any other 4xx is the receiver
saying no, and ends it. Every attempt carries the same ``Idempotency-Key`` (the run id),
so a receiver that got an attempt whose answer was lost can drop the repeat. Deliveries
live as long as the process: those still retrying when the service stops are abandoned
(and logged).
"""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp

from actorflow import __version__
from actorflow.bus import get_logger

from ._guard import GuardedResolver, HostPolicy

_log = get_logger("web.webhooks")

_RETRY_STATUS = frozenset({408, 425, 429})
_MAX_DELAY_S = 30.0


class Webhooks:
    """Sends callbacks in the background.

    Args:
        policy: where callbacks may go (checked again at connect time).
        timeout_s: limit of one attempt.
        max_elapsed_s: how long to keep retrying.
        backoff_s: the first delay; it doubles each attempt, with jitter, up to 30 s.
    """

    def __init__(
        self, policy: HostPolicy, *, timeout_s: float, max_elapsed_s: float, backoff_s: float
    ) -> None:
        self._policy = policy
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_elapsed_s = max_elapsed_s
        self._backoff_s = backoff_s
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[bool]] = set()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(self._policy))
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"User-Agent": f"actorflow/{__version__}"},
            )
        return self._session

    def deliver(self, url: str, body: bytes, *, key: str) -> asyncio.Task[bool]:
        """Start delivering ``body`` to ``url``; the task's result says if it arrived."""
        task = asyncio.get_running_loop().create_task(self._deliver(url, body, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver(self, url: str, body: bytes, key: str) -> bool:
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        deadline = time.monotonic() + self._max_elapsed_s
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(url, body, headers)
            if outcome is None:
                _log.info("callback delivered", url=url, key=key, attempts=attempt)
                return True
            retryable, reason = outcome
            delay = min(_MAX_DELAY_S, self._backoff_s * 2 ** (attempt - 1))
            delay *= random.uniform(0.5, 1.0)  # jitter: receivers coming back are not stampeded
            if not retryable or time.monotonic() + delay > deadline:
                _log.warning(
                    "callback not delivered", url=url, key=key, attempts=attempt, reason=reason
                )
                return False
            _log.info("callback failed; retrying", url=url, attempt=attempt, reason=reason)
            await asyncio.sleep(delay)

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
        except (aiohttp.ClientError, OSError) as exc:
            return True, f"{type(exc).__name__}: {exc}"
        if 200 <= status < 300:
            return None
        retryable = status >= 500 or status in _RETRY_STATUS
        return retryable, f"HTTP {status}"

    async def close(self) -> None:
        """Abandon deliveries still retrying and close the connections."""
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            _log.warning("callbacks abandoned at shutdown", count=len(pending))
        if self._session is not None:
            await self._session.close()
