"""IPv6 spellings of private IPv4 addresses are refused for ``api`` sources and callbacks,
at submission (``HostPolicy.check_url``) and at connect time (``GuardedResolver`` for
names, ``HostPolicy.check_connect`` for IP literals)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from actorflow import Runtime
from actorflow.store import RunStore
from actorflow.web import Settings, create_app
from actorflow.web._guard import GuardedResolver, HostPolicy
from actorflow.web._webhooks import Webhooks
from tests.hosts import PRIVATE_IN_DISGUISE, Answers
from tests.web.web_server import Served, fake_lookup, start_site

#: Names that resolve to them (the tests have no DNS).
HOSTS = {f"disguised{i}.example": [a] for i, a in enumerate(PRIVATE_IN_DISGUISE)}


@pytest.fixture
async def server(
    agents_runtime: Runtime, store: RunStore, data_root: Path
) -> AsyncIterator[Served]:
    app = create_app(
        agents_runtime, store, settings=Settings(data_roots=(data_root,)), lookup=fake_lookup(HOSTS)
    )
    runner, url = await start_site(app)
    served = Served(url, app, runner, aiohttp.ClientSession())
    yield served
    await served.http.close()
    await runner.cleanup()


async def test_api_sources_at_disguised_private_addresses_are_refused(server: Served) -> None:
    hosts = [f"[{address}]" for address in PRIVATE_IN_DISGUISE] + list(HOSTS)
    for host in hosts:
        source = {"type": "api", "url": f"http://{host}/records"}
        status, body = await server.post(
            "/v1/workflows/execute", {"task": "t", "workflow_config": {"sources": [source]}}
        )
        assert status == 403, (host, body)
        assert body["error"]["field"] == "workflow_config.params.extraction.sources[0].url"
        assert "may only reach public hosts" in body["error"]["message"], (host, body)


async def test_callbacks_to_disguised_private_addresses_are_refused(server: Served) -> None:
    hosts = [f"[{address}]" for address in PRIVATE_IN_DISGUISE] + list(HOSTS)
    for host in hosts:
        status, body = await server.post(
            "/v1/workflows/execute", {"task": "t", "callback_url": f"http://{host}:9/hook"}
        )
        assert (status, body["error"]["field"]) == (403, "callback_url"), (host, body)


@pytest.mark.parametrize("address", PRIVATE_IN_DISGUISE)
async def test_callbacks_resolving_to_them_later_are_refused_at_connect_time(
    address: str,
) -> None:
    resolver = GuardedResolver(HostPolicy(), inner=Answers([address]))
    with pytest.raises(OSError, match="resolves only to non-public addresses"):
        await resolver.resolve("hook.example", 443)
    mixed = GuardedResolver(HostPolicy(), inner=Answers([address, "2606:4700::1111"]))
    assert [r["host"] for r in await mixed.resolve("hook.example", 443)] == ["2606:4700::1111"]


class Journal:
    """Records how each delivery ended (the run store's part)."""

    def __init__(self) -> None:
        self.ended: dict[str, tuple[bool, int, str | None]] = {}

    def ready(self, run_id: str, body: bytes) -> None:
        return None

    def settled(
        self, run_id: str, *, delivered: bool, attempts: int, error: str | None = None
    ) -> None:
        self.ended[run_id] = (delivered, attempts, error)


async def test_a_callback_to_a_private_address_literal_is_refused_when_connecting() -> None:
    # The resolver never sees an IP literal: a callback taken over after a restart (or
    # sent under changed settings) to one was delivered without any check.
    received: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(request.path)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner, url = await start_site(app)
    port = URL(url).port
    journal = Journal()
    hooks = Webhooks(HostPolicy(), timeout_s=5, max_elapsed_s=5, backoff_s=0.05, journal=journal)
    listed = Webhooks(HostPolicy(("127.0.0.1",)), timeout_s=5, max_elapsed_s=5, backoff_s=0.05)
    try:
        for key, host in (("v4", "127.0.0.1"), ("mapped", "[::ffff:127.0.0.1]")):
            assert not await hooks.deliver(f"http://{host}:{port}/hook", b"{}", key=key)
            delivered, attempts, error = journal.ended[key]
            assert (delivered, attempts) == (False, 1)  # refused, not retried
            assert error is not None and "not a public address" in error
        assert received == []
        assert await listed.deliver(f"http://127.0.0.1:{port}/hook", b"{}", key="listed")
        assert received == ["/hook"]
    finally:
        await hooks.close()
        await listed.close()
        await runner.cleanup()
