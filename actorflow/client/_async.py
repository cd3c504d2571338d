"""``AsyncClient``: the API from asyncio code, over aiohttp."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
import msgspec

from actorflow.api_schema import (
    AgentList,
    CancelResponse,
    ExecuteResponse,
    Health,
    WorkflowDefinitionList,
    WorkflowList,
    WorkflowStatus,
)
from actorflow.contracts import AnyEvent, RunFinished

from ._common import (
    DEFAULT_URL,
    ClientError,
    ProgressCallback,
    SseParser,
    decode,
    error_from,
    execute_body,
    headers,
    list_path,
    resolve_token,
    results_path,
    run_path,
)

T = TypeVar("T")
_RECONNECTS = 5


class AsyncClient:
    """An asyncio client of an actorflow server.

    Args:
        base_url: the server (``http://127.0.0.1:8000``).
        token: the API token; ``$ACTORFLOW_API_TOKEN`` by default.
        timeout_s: limit of each request (event streams: of each silence between
            events; the server sends a keep-alive every 15 s).

    Use it as ``async with AsyncClient(url) as client:`` (or call :meth:`close`).
    """

    def __init__(
        self, base_url: str = DEFAULT_URL, *, token: str | None = None, timeout_s: float = 30.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = headers(resolve_token(token))
        self._timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _request(
        self, method: str, path: str, *, body: bytes | None = None
    ) -> tuple[int, bytes, str]:
        extra = {"Content-Type": "application/json"} if body is not None else None
        try:
            async with self._client().request(
                method,
                self.base_url + path,
                data=body,
                headers=extra,
                timeout=aiohttp.ClientTimeout(total=self._timeout_s),
            ) as response:
                data = await response.read()
                if response.status >= 400:
                    raise error_from(response.status, data)
                return response.status, data, response.content_type
        except aiohttp.ClientError as exc:
            raise ClientError(0, "unreachable", f"{method} {path}: {exc}") from exc

    async def _get(self, path: str, type_: type[T]) -> T:
        _, data, _ = await self._request("GET", path)
        return decode(data, type_)

    # -- runs -----------------------------------------------------------------------------

    async def execute(
        self,
        task: str,
        input_data: dict[str, Any] | None = None,
        *,
        workflow: str | None = None,
        workflow_config: dict[str, Any] | None = None,
        callback_url: str | None = None,
        wait: bool = True,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the same signature as Client's
    ) -> WorkflowStatus:
        """Start a run; with ``wait``, follow its events until it ends.

        Args:
            task: what to do, in words.
            input_data: the run's input (lists of records under any key).
            workflow: a registered workflow's name (default: the server's default).
            workflow_config: overrides or a workflow of your own (see the API).
            callback_url: the server POSTs the final status there.
            wait: follow the run to its end and return its final status.
            on_progress: called with each event while waiting.
            timeout: give up waiting after this many seconds (the run goes on).

        Returns:
            The final status (with ``wait``) or the just-started one.

        Raises:
            ClientError: the server refused the run, or could not be reached.
            TimeoutError: the run did not end within ``timeout``.
        """
        body = execute_body(task, input_data, workflow, workflow_config, callback_url)
        _, data, _ = await self._request("POST", "/v1/workflows/execute", body=body)
        started = decode(data, ExecuteResponse)
        if not wait:
            return WorkflowStatus(
                workflow_id=started.workflow_id,
                status=started.status,
                progress=started.progress,
                workflow=started.workflow,
            )
        return await self.wait(started.workflow_id, on_progress=on_progress, timeout=timeout)

    async def wait(
        self,
        run_id: str,
        *,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the same signature as Client's
    ) -> WorkflowStatus:
        """Follow a run's events until it ends; return its final status."""
        async with asyncio.timeout(timeout):
            async for event in self.events(run_id):
                if on_progress is not None:
                    on_progress(event)
        return await self.status(run_id)

    async def events(self, run_id: str) -> AsyncIterator[AnyEvent]:
        """A run's events, past ones first, until it ends (reconnecting if cut off)."""
        parser = SseParser()
        failures = 0
        while True:
            query = f"?after={parser.last_id}" if parser.last_id else ""
            try:
                async with self._client().get(
                    self.base_url + run_path(run_id, "events") + query,
                    timeout=aiohttp.ClientTimeout(total=None, sock_read=self._timeout_s),
                ) as response:
                    if response.status >= 400:
                        raise error_from(response.status, await response.read())
                    async for raw in response.content:
                        for event in parser.feed(raw.decode("utf-8")):
                            failures = 0
                            yield event
                            if isinstance(event, RunFinished):
                                return
            except (aiohttp.ClientError, TimeoutError) as exc:
                failures += 1
                if failures > _RECONNECTS:
                    raise ClientError(0, "unreachable", f"event stream lost: {exc}") from exc
                await asyncio.sleep(min(2.0, 0.1 * 2**failures))  # backoff before reconnecting
                continue
            # The stream ended without the run's end: the server is stopping. Reconnect.
            failures += 1
            if failures > _RECONNECTS:
                raise ClientError(0, "stream_ended", f"the event stream of {run_id} ended early")
            await asyncio.sleep(min(2.0, 0.1 * 2**failures))

    async def status(self, run_id: str) -> WorkflowStatus:
        """A run's status, progress and (once finished) results."""
        return await self._get(run_path(run_id, "status"), WorkflowStatus)

    async def list(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> WorkflowList:
        """Runs, newest first, optionally only those with ``status``; ``offset`` skips
        the newest ones (the next page). A list of ``WorkflowSummary``."""
        return await self._get(list_path(status, limit, offset), WorkflowList)

    async def cancel(self, run_id: str) -> CancelResponse:
        """Ask for a run to be cancelled."""
        _, data, _ = await self._request("POST", run_path(run_id, "cancel"))
        return decode(data, CancelResponse)

    async def results(
        self,
        run_id: str,
        format: str = "json",
        *,
        stage: str | None = None,
        table: str | None = None,
    ) -> Any:
        """A finished run's results: a dict (``json``) or CSV text (``csv``)."""
        _, data, _ = await self._request("GET", results_path(run_id, format, stage, table))
        return msgspec.json.decode(data) if format == "json" else data.decode("utf-8")

    # -- the service ----------------------------------------------------------------------

    async def health(self) -> Health:
        return await self._get("/v1/health", Health)

    async def agents(self) -> AgentList:
        return await self._get("/v1/agents/capabilities", AgentList)

    async def workflow_definitions(self) -> WorkflowDefinitionList:
        return await self._get("/v1/workflow-definitions", WorkflowDefinitionList)

    async def poll(
        self,
        run_id: str,
        *,
        interval_s: float = 0.2,
        timeout: float = 60.0,  # noqa: ASYNC109 - the same signature as Client's
    ) -> WorkflowStatus:
        """Poll the status until the run ends (for servers behind proxies that cut streams)."""
        deadline = time.monotonic() + timeout
        while True:
            found = await self.status(run_id)
            if found.status != "processing":
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still processing after {timeout}s")
            await asyncio.sleep(interval_s)
