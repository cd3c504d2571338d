"""Real servers for the web tests: on the test's own loop, or in a thread of their own.

A server on the test's loop suits async tests (aiohttp client, SSE). Blocking callers
(the sync client, schemathesis, the browser) need the server's loop elsewhere:
``ThreadedServer`` runs it in a thread and hands back its URL.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from actorflow.web import SERVICE_KEY, WebService


def fake_lookup(
    table: Mapping[str, Sequence[str]],
) -> Callable[[str, int], Awaitable[Sequence[str]]]:
    """A resolver knowing only ``table`` (the tests have no DNS)."""

    async def lookup(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(f"unknown host {host}")
        return table[host]

    return lookup


async def start_site(app: web.Application) -> tuple[web.AppRunner, str]:
    """Start ``app`` on 127.0.0.1, any free port; return its runner and base URL."""
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@dataclass
class Served:
    """A running server and an HTTP session to talk to it."""

    url: str
    app: web.Application
    runner: web.AppRunner
    http: aiohttp.ClientSession

    @property
    def service(self) -> WebService:
        return self.app[SERVICE_KEY]

    async def get(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.http.get(self.url + path, **kwargs) as response:
            return response.status, await _body(response)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        if body is not None:
            kwargs["json"] = body
        async with self.http.post(self.url + path, **kwargs) as response:
            return response.status, await _body(response)

    async def execute(self, body: dict[str, Any], **kwargs: Any) -> str:
        status, answer = await self.post("/v1/workflows/execute", body, **kwargs)
        assert status == 200, answer
        return str(answer["workflow_id"])

    async def wait_done(self, run_id: str, within: float = 20.0) -> dict[str, Any]:
        """Poll the status, as the seed's clients do, until the run is no longer processing."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            status, answer = await self.get(f"/v1/workflows/{run_id}/status")
            assert status == 200, answer
            if answer["status"] != "processing":
                return dict(answer)
            await asyncio.sleep(0.02)
        raise AssertionError(f"run {run_id} still processing after {within}s")


async def _body(response: aiohttp.ClientResponse) -> Any:
    if response.content_type == "application/json":
        return await response.json()
    return await response.text()


class ThreadedServer:
    """An app served from a thread with its own event loop (for blocking callers)."""

    def __init__(self, make_app: Callable[[], web.Application]) -> None:
        self._make_app = make_app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-server")
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.app: web.Application | None = None

    def __enter__(self) -> ThreadedServer:
        self._thread.start()

        async def start() -> None:
            self.app = self._make_app()
            self._runner, self.url = await start_site(self.app)

        asyncio.run_coroutine_threadsafe(start(), self._loop).result(30)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@dataclass
class Receiver:
    """Answers each POST with the next status of ``answers`` (the last one repeats)."""

    answers: list[int]
    calls: list[tuple[dict[str, str], Any]] = field(default_factory=list)
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), await request.json()))
        status = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if status < 300 or len(self.calls) >= len(self.answers):
            self.settled.set()
        return web.json_response({"ok": status < 300}, status=status)


#: ``await make_server(**settings)``: the web tests' fixture that starts a server.
MakeServer = Callable[..., Awaitable[Served]]


@dataclass(frozen=True)
class RawAnswer:
    """An HTTP answer read off a socket: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def raw_request(port: int, data: bytes, *, within: float = 30.0) -> RawAnswer:
    """Send ``data`` as is to 127.0.0.1:``port``; read the answer until the server closes.

    For requests no HTTP client would send (an over-long line, a latin-1 header): ask
    with ``Connection: close``, or send something the server closes the connection on.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), within)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawAnswer(int(status_line.split()[1]), headers, body)
