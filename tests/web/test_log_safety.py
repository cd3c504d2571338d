"""The API token never reaches the log, whatever fails, in either log format.

Reported: any 500 on a protected route logged a traceback with local variables, which
held ``Settings(api_token=...)`` and ``token=...``, in the console and JSON formats
alike. A real server here has a token and a handler that fails while holding it (and
says it in its exception's message); every kind of failure is provoked, and the
captured log is searched for the token.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from actorflow import Runtime
from actorflow.logging import configure_logging, reset_logging
from actorflow.store import RunStore
from actorflow.web import SETTINGS_KEY, Settings, create_app
from actorflow.web._http import endpoint
from actorflow.web._protocol import ApiRunner
from tests.web.web_server import raw_request

TOKEN = "tok-3f9a-SECRET-c41d7e"


class _Terminal(io.StringIO):
    """A stream that says it is a terminal: the console format draws rich tracebacks."""

    def isatty(self) -> bool:
        return True


def _settings(request: web.Request) -> Settings:
    return request.config_dict[SETTINGS_KEY]


async def _failing(request: web.Request) -> web.Response:
    """A handler with a bug, holding the settings and the token as locals."""
    settings = _settings(request)
    token = settings.api_token
    raise RuntimeError(f"a bug, while the token {token} was at hand")


@pytest.fixture(params=["console", "console-terminal", "json"])
async def logged(
    request: pytest.FixtureRequest, agents_runtime: Runtime, store: RunStore
) -> AsyncIterator[tuple[int, io.StringIO]]:
    """A server with a token and failing routes, logging everything to a buffer."""
    stream = _Terminal() if request.param == "console-terminal" else io.StringIO()
    configure_logging("debug", request.param.split("-")[0], stream=stream)
    app = create_app(agents_runtime, store, settings=Settings(api_token=TOKEN))
    # One failing route behind the API's checks, one that only aiohttp catches.
    app.router.add_get("/v1/failing", endpoint(_settings, _failing))
    app.router.add_get("/failing-raw", _failing)
    runner = ApiRunner(app)  # aiohttp's access log on: it logs every request line
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield runner.addresses[0][1], stream
    finally:
        await runner.cleanup()
        reset_logging()


async def test_no_failure_writes_the_token_to_the_log(
    logged: tuple[int, io.StringIO], tmp_path: Path
) -> None:
    port, stream = logged
    url = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as http:
        for path in ("/v1/failing", "/failing-raw"):
            async with http.get(url + path, headers=auth) as response:
                assert response.status == 500
                assert (await response.json())["error"]["code"] == "internal_error"
        async with http.get(url + "/v1/workflows", headers={"Authorization": "Bearer no"}) as r:
            assert r.status == 401
        json_auth = {**auth, "Content-Type": "application/json"}
        async with http.post(url + "/v1/workflows/execute", data=b"{nope", headers=json_auth) as r:
            assert r.status == 400
        async with http.get(f"{url}/?token={TOKEN}", allow_redirects=False) as r:
            assert r.status == 303  # the token in a URL: aiohttp's access log line has it
    credentials = b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
    malformed = [
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + credentials + b"\r\n",
        b"G@T / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + credentials + b"\r\n",
        b"POST /v1/workflows/execute HTTP/1.1\r\nHost: 127.0.0.1\r\n" + credentials
        + b"Content-Length: abc\r\n\r\n",
        b"GET /v1/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"Authorization: Bearer \xe9\xe9\r\nConnection: close\r\n\r\n",
        b"GET /v1/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: actorflow_session=\xc3\xa9"
        + b"\r\nConnection: close\r\n\r\n",
        b"POST /v1/workflows/execute HTTP/1.1\r\nHost: 127.0.0.1\r\n" + credentials
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + b"Connection: close\r\n\r\nzz\r\n",
    ]  # fmt: skip
    for request in malformed:
        answer = await raw_request(port, request)
        assert 400 <= answer.status < 500, answer

    # Without colours: a token split by escape codes would still be a leak.
    log = re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue())
    (tmp_path / "server.log").write_text(log)  # for a look when this fails
    # The failures were logged, with their tracebacks: the search below is not vacuous.
    assert log.count("request failed") >= 2
    assert "RuntimeError" in log
    assert "malformed request" in log
    assert TOKEN not in log
    assert "[redacted]" in log  # the exception's message, and the access log's URL
    assert "Settings(" not in log  # no local variables shown at all
