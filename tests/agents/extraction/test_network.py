"""A run's network policy holds every connection an api source makes, not just its URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from actorflow.agents.extraction import extract
from actorflow.contracts import SourceError


@pytest.fixture
async def port() -> AsyncIterator[int]:
    async def data(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": "1"}], "next": None})

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.1:{request.url.port}/data")

    async def paged(request: web.Request) -> web.Response:
        return web.json_response(
            {"data": [{"id": "0"}], "next": f"http://127.0.0.1:{request.url.port}/data"}
        )

    app = web.Application()
    app.router.add_get("/data", data)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/paged", paged)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    await runner.cleanup()


def api(url: str) -> dict[str, Any]:
    return {"sources": [{"type": "api", "name": "feed", "url": url, "records_path": "data",
                         "next_path": "next", "timeout_s": 5}]}  # fmt: skip


async def test_a_public_only_run_cannot_reach_a_loopback_address(port: int) -> None:
    with pytest.raises(SourceError) as info:
        await extract(
            api(f"http://127.0.0.1:{port}/data"), context={"network": {"public_only": True}}
        )
    assert "127.0.0.1" in str(info.value)
    assert "may not reach" in str(info.value)
    assert not info.value.retryable


async def test_a_public_only_run_cannot_reach_a_name_that_resolves_to_loopback(port: int) -> None:
    with pytest.raises(SourceError, match="resolves only to loopback"):
        await extract(
            api(f"http://localhost:{port}/data"), context={"network": {"public_only": True}}
        )


async def test_a_redirect_out_of_the_allowed_hosts_is_refused(port: int) -> None:
    context = {"network": {"public_only": True, "allowed_hosts": ["localhost"]}}
    with pytest.raises(SourceError, match=r"'127\.0\.0\.1' is not among the hosts"):
        await extract(api(f"http://localhost:{port}/redirect"), context=context)


async def test_a_next_page_link_out_of_the_allowed_hosts_is_refused(port: int) -> None:
    context = {"network": {"public_only": True, "allowed_hosts": ["localhost"]}}
    with pytest.raises(SourceError, match=r"'127\.0\.0\.1' is not among the hosts"):
        await extract(api(f"http://localhost:{port}/paged"), context=context)


async def test_without_a_policy_redirects_and_links_are_followed(port: int) -> None:
    out = await extract(api(f"http://localhost:{port}/redirect"))
    assert out["records"].to_dicts()[0]["id"] == "1"
    paged = await extract(api(f"http://localhost:{port}/paged"))
    assert [r["id"] for r in paged["records"].to_dicts()] == ["0", "1"]
