"""``Client``: the API from plain (blocking) code, over the standard library's HTTP."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any, TypeVar

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


class Client:
    """A blocking client of an actorflow server (thread-safe: no shared connection).

    Args:
        base_url: the server (``http://127.0.0.1:8000``).
        token: the API token; ``$ACTORFLOW_API_TOKEN`` by default.
        timeout_s: limit of each request (event streams: of each silence between
            events; the server sends a keep-alive every 15 s).
    """

    def __init__(
        self, base_url: str = DEFAULT_URL, *, token: str | None = None, timeout_s: float = 30.0
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http:// or https:// URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._headers = headers(resolve_token(token))
        self._timeout_s = timeout_s

    def _open(self, method: str, path: str, body: bytes | None = None) -> Any:
        extra = {"Content-Type": "application/json"} if body is not None else {}
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.base_url + path, data=body, method=method, headers={**self._headers, **extra}
        )
        try:
            return urllib.request.urlopen(request, timeout=self._timeout_s)  # noqa: S310
        except urllib.error.HTTPError as exc:
            with exc:
                raise error_from(exc.code, exc.read()) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise ClientError(0, "unreachable", f"{method} {path}: {exc}") from exc

    def _request(self, method: str, path: str, body: bytes | None = None) -> bytes:
        with self._open(method, path, body) as response:
            data: bytes = response.read()
            return data

    def _get(self, path: str, type_: type[T]) -> T:
        return decode(self._request("GET", path), type_)

    # -- runs -----------------------------------------------------------------------------

    def execute(
        self,
        task: str,
        input_data: dict[str, Any] | None = None,
        *,
        workflow: str | None = None,
        workflow_config: dict[str, Any] | None = None,
        callback_url: str | None = None,
        wait: bool = True,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> WorkflowStatus:
        """Start a run; with ``wait``, follow its events until it ends.

        Args: as :meth:`actorflow.client.AsyncClient.execute`.

        Raises:
            ClientError: the server refused the run, or could not be reached.
            TimeoutError: the run did not end within ``timeout``.
        """
        body = execute_body(task, input_data, workflow, workflow_config, callback_url)
        started = decode(self._request("POST", "/v1/workflows/execute", body), ExecuteResponse)
        if not wait:
            return WorkflowStatus(
                workflow_id=started.workflow_id,
                status=started.status,
                progress=started.progress,
                workflow=started.workflow,
            )
        return self.wait(started.workflow_id, on_progress=on_progress, timeout=timeout)

    def wait(
        self,
        run_id: str,
        *,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> WorkflowStatus:
        """Follow a run's events until it ends; return its final status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for event in self.events(run_id):
            if on_progress is not None:
                on_progress(event)
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} did not end within {timeout}s (it goes on)")
        return self.status(run_id)

    def events(self, run_id: str) -> Iterator[AnyEvent]:
        """A run's events, past ones first, until it ends (reconnecting if cut off)."""
        parser = SseParser()
        failures = 0
        while True:
            query = f"?after={parser.last_id}" if parser.last_id else ""
            try:
                with self._open("GET", run_path(run_id, "events") + query) as response:
                    for raw in response:
                        for event in parser.feed(raw.decode("utf-8")):
                            failures = 0
                            yield event
                            if isinstance(event, RunFinished):
                                return
            except ClientError as exc:
                if exc.status:  # the server said no (404...): reconnecting will not help
                    raise
                failures += 1
                if failures > _RECONNECTS:
                    raise
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
                failures += 1
                if failures > _RECONNECTS:
                    raise ClientError(0, "unreachable", f"event stream lost: {exc}") from exc
            else:
                failures += 1  # the stream ended before the run did: the server stops
                if failures > _RECONNECTS:
                    raise ClientError(
                        0, "stream_ended", f"the event stream of {run_id} ended early"
                    )
            time.sleep(min(2.0, 0.1 * 2**failures))  # backoff before reconnecting

    def status(self, run_id: str) -> WorkflowStatus:
        """A run's status, progress and (once finished) results."""
        return self._get(run_path(run_id, "status"), WorkflowStatus)

    def list(self, status: str | None = None, limit: int = 50, offset: int = 0) -> WorkflowList:
        """Runs, newest first, optionally only those with ``status``; ``offset`` skips
        the newest ones (the next page). A list of ``WorkflowSummary``."""
        return self._get(list_path(status, limit, offset), WorkflowList)

    def cancel(self, run_id: str) -> CancelResponse:
        """Ask for a run to be cancelled."""
        return decode(self._request("POST", run_path(run_id, "cancel")), CancelResponse)

    def results(
        self,
        run_id: str,
        format: str = "json",
        *,
        stage: str | None = None,
        table: str | None = None,
    ) -> Any:
        """A finished run's results: a dict (``json``) or CSV text (``csv``)."""
        data = self._request("GET", results_path(run_id, format, stage, table))
        return msgspec.json.decode(data) if format == "json" else data.decode("utf-8")

    # -- the service ----------------------------------------------------------------------

    def health(self) -> Health:
        return self._get("/v1/health", Health)

    def agents(self) -> AgentList:
        return self._get("/v1/agents/capabilities", AgentList)

    def workflow_definitions(self) -> WorkflowDefinitionList:
        return self._get("/v1/workflow-definitions", WorkflowDefinitionList)

    def poll(
        self, run_id: str, *, interval_s: float = 0.2, timeout: float = 60.0
    ) -> WorkflowStatus:
        """Poll the status until the run ends (for servers behind proxies that cut streams)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.status(run_id)
            if found.status != "processing":
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still processing after {timeout}s")
            time.sleep(interval_s)
