"""IPv6 spellings of private IPv4 addresses are refused for ``api`` sources and callbacks,
at submission (``HostPolicy.check_url``) and at connect time (``GuardedResolver``)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from web_server import Served, fake_lookup, start_site

from actorflow import Runtime
from actorflow.store import RunStore
from actorflow.web import Settings, create_app
from actorflow.web._guard import GuardedResolver, HostPolicy

#: Each stands for a loopback, private or link-local address (see the extraction tests).
PRIVATE_IN_DISGUISE = (
    "::127.0.0.1",
    "::ffff:0:7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::a00:1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
    "2002:a9fe:a9fe::1",
    "fec0::1",
    "::a9fe:a9fe",
)
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


class Answers(AbstractResolver):
    """A resolver whose answers are given: what a hostile DNS server could say."""

    def __init__(self, addresses: Sequence[str]) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=address, port=port, family=socket.AF_INET6,
                          proto=0, flags=0)
            for address in self.addresses
        ]  # fmt: skip

    async def close(self) -> None:
        return None


@pytest.mark.parametrize("address", PRIVATE_IN_DISGUISE)
async def test_callbacks_resolving_to_them_later_are_refused_at_connect_time(
    address: str,
) -> None:
    resolver = GuardedResolver(HostPolicy(), inner=Answers([address]))
    with pytest.raises(OSError, match="resolves only to non-public addresses"):
        await resolver.resolve("hook.example", 443)
    mixed = GuardedResolver(HostPolicy(), inner=Answers([address, "2606:4700::1111"]))
    assert [r["host"] for r in await mixed.resolve("hook.example", 443)] == ["2606:4700::1111"]
