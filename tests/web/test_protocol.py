"""Requests aiohttp cannot parse, and bodies that never arrive: JSON answers, quiet logs.

Reported: 200 request lines over 8,190 bytes sent in one second stalled a token-protected
server for 8.1 s, and 300 abandoned bodies for 46 s, each rendering a traceback on the
event loop; aiohttp's own answers to them were ``text/plain``.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from actorflow import Runtime
from actorflow.logging import configure_logging, reset_logging
from actorflow.store import RunStore
from actorflow.web import Settings, create_app
from actorflow.web._protocol import ApiRunner
from tests.web.web_server import raw_request

TOKEN = "tok-protocol-7c2e91"
AUTH = f"Authorization: Bearer {TOKEN}\r\n".encode()
LONG_LINE = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def eventually(condition: Callable[[], bool], within: float = 30.0) -> bool:
    """Whether ``condition`` holds within ``within`` seconds (polled)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.01)
    return condition()


@dataclass
class Guarded:
    port: int
    runner: web.AppRunner
    log: io.StringIO

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def guarded(agents_runtime: Runtime, store: RunStore) -> AsyncIterator[Guarded]:
    """A token-protected server run as ``serve`` runs it, logging to a buffer."""
    log = io.StringIO()
    configure_logging("info", "console", stream=log)
    settings = Settings(api_token=TOKEN, body_timeout_s=0.5)
    runner = ApiRunner(create_app(agents_runtime, store, settings=settings), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield Guarded(runner.addresses[0][1], runner, log)
    finally:
        await runner.cleanup()
        reset_logging()


@pytest.mark.parametrize(
    ("request_bytes", "message"),
    [
        (LONG_LINE, "longer than the server accepts"),
        (b"G@T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "not a valid HTTP method"),
        (
            b"POST /v1/workflows/execute HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Length: abc\r\n\r\n",
            "Content-Length",
        ),
    ],
    ids=["line-too-long", "invalid-method", "bad-content-length"],
)
async def test_requests_aiohttp_cannot_parse_get_the_apis_json_error(
    guarded: Guarded, request_bytes: bytes, message: str
) -> None:
    answer = await raw_request(guarded.port, request_bytes)
    assert answer.status == 400
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "bad_request"
    assert message in error["message"]
    assert set(error) == {"code", "message", "field"}
    assert "aaaa" not in error["message"]  # the request's bytes are not echoed


async def test_a_flood_of_malformed_requests_logs_a_few_lines_and_health_still_answers(
    guarded: Guarded,
) -> None:
    async def abandon_body() -> asyncio.StreamWriter:
        """An authenticated request whose body stops half-way (the handler reads it)."""
        _, writer = await asyncio.open_connection("127.0.0.1", guarded.port)
        writer.write(
            b"POST /v1/workflows/execute HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH
            + b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"task\": "
        )  # fmt: skip
        await writer.drain()
        return writer

    server = guarded.runner.server
    assert server is not None
    writers = [await abandon_body() for _ in range(50)]
    # Every handler is now reading its body.
    assert await eventually(lambda: server.requests_count >= len(writers))

    async def health() -> float:
        started = time.monotonic()
        async with (
            aiohttp.ClientSession() as http,
            http.get(guarded.url + "/v1/health") as response,
        ):
            assert response.status == 200
        return time.monotonic() - started

    started = time.monotonic()
    for writer in writers:
        writer.close()  # the clients leave half-way through their bodies
    answers, took = await asyncio.gather(
        asyncio.gather(*(raw_request(guarded.port, LONG_LINE) for _ in range(200))), health()
    )
    assert all(a.status == 400 for a in answers)
    assert await eventually(lambda: not server.connections)  # the abandoned ones are done
    elapsed = time.monotonic() - started
    print(f"health answered in {took:.3f}s during the flood; flood handled in {elapsed:.2f}s")

    lines = guarded.log.getvalue().splitlines()
    assert not any("Traceback" in line or "File " in line for line in lines)
    # At most 10 lines and one count per second per kind (two kinds), whatever the flood.
    assert len(lines) <= 2 * 11 * (int(elapsed) + 2), len(lines)
    assert any("malformed request" in line for line in lines)
    assert any("log lines suppressed" in line or "suppressed_before" in line for line in lines)


async def test_a_body_that_stops_arriving_is_answered_408_in_bounded_time(
    guarded: Guarded,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", guarded.port)
    try:
        writer.write(
            b"POST /v1/workflows/execute HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH
            + b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"task\": "
        )  # fmt: skip
        await writer.drain()
        # The socket stays open and silent; the server gives up after body_timeout_s.
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        status = int(head.split()[1])
        length = int(re.search(rb"Content-Length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
        body = await asyncio.wait_for(reader.readexactly(length), 30)
    finally:
        writer.close()
    assert status == 408
    assert b'"code":"request_timeout"' in body


async def test_a_body_that_does_not_decompress_is_a_400_not_a_500(guarded: Guarded) -> None:
    answer = await raw_request(
        guarded.port,
        b"POST /v1/workflows/execute HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH
        + b"Content-Type: application/json\r\nContent-Encoding: gzip\r\n"
        + b"Content-Length: 12\r\nConnection: close\r\n\r\nnot gzip at all"[:-3],
    )  # fmt: skip
    assert answer.status == 400, answer
    assert answer.json()["error"]["code"] == "invalid_body"
    assert "Traceback" not in guarded.log.getvalue()
