"""IPv6 spellings of IPv4 addresses get the verdict of the IPv4 address they embed.

The host policy (``is_public``) guards ``api`` sources and callbacks: at submission
(``HostPolicy.check_url``, see tests/web) and at connect time (``check_url_host`` for
literals, the policy resolvers for names). A private IPv4 address written as IPv6
(``[::ffff:0:7f00:1]``, ``[64:ff9b::a9fe:a9fe]``, ``[2002:7f00:1::]``) must not get
through any of them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from actorflow.agents.extraction import extract
from actorflow.agents.extraction._network import (
    NetworkPolicy,
    NetworkPolicyError,
    PolicyResolver,
    check_url_host,
)
from actorflow.agents.extraction.hosts import embedded_ipv4, is_public
from actorflow.contracts import SourceError
from tests.hosts import PRIVATE_IN_DISGUISE, Answers

PUBLIC_IPV4 = ipaddress.IPv4Address("93.184.216.34")

ipv4s = st.builds(ipaddress.IPv4Address, st.integers(0, 2**32 - 1))
# Private, loopback and link-local ones are rare among uniform addresses: mix them in.
ipv4s |= st.sampled_from(
    [ipaddress.IPv4Address(a) for a in ("127.0.0.1", "10.0.0.1", "169.254.169.254",
                                         "192.168.1.1", "172.16.0.1", "100.64.0.1", "0.0.0.0",
                                         "224.0.0.1", "8.8.8.8")]
)  # fmt: skip


def _v6(value: int) -> str:
    return str(ipaddress.IPv6Address(value))


def _teredo(server: ipaddress.IPv4Address, client: ipaddress.IPv4Address, low: int) -> str:
    # 2001:0:<server>:<flags>:<port ^ 0xffff>:<client ^ 0xffffffff> (RFC 4380)
    flags_port = low & 0xFFFF_FFFF
    return _v6(
        (0x2001_0000 << 96)
        | (int(server) << 64)
        | (flags_port << 32)
        | (~int(client) & 0xFFFF_FFFF)
    )


#: How each form writes an IPv4 address (plus some free bits where the form has them).
FORMS: dict[str, Callable[[ipaddress.IPv4Address, int], str]] = {
    "mapped ::ffff:0:0/96": lambda v4, _: _v6((0xFFFF << 32) | int(v4)),
    "compatible ::/96": lambda v4, _: _v6(int(v4)),
    "translated ::ffff:0:0:0/96": lambda v4, _: _v6((0xFFFF << 48) | int(v4)),
    "nat64 64:ff9b::/96": lambda v4, _: _v6((0x64FF9B << 96) | int(v4)),
    "6to4 2002::/16": lambda v4, low: _v6((0x2002 << 112) | (int(v4) << 80) | (low & (2**80 - 1))),
    "teredo client": lambda v4, low: _teredo(PUBLIC_IPV4, v4, low),
    "teredo server": lambda v4, low: _teredo(v4, PUBLIC_IPV4, low),
}


@pytest.mark.parametrize("form", list(FORMS))
@settings(max_examples=300)
@given(v4=ipv4s, low=st.integers(0, 2**80 - 1))
def test_an_embedded_ipv4_address_gets_the_verdict_of_that_address(
    form: str, v4: ipaddress.IPv4Address, low: int
) -> None:
    address = FORMS[form](v4, low)
    assert v4 in embedded_ipv4(ipaddress.IPv6Address(address)), (form, address)
    assert is_public(address) == is_public(str(v4)), (form, address, str(v4))


@settings(max_examples=200)
@given(low=st.integers(0, 2**80 - 1))
def test_local_use_nat64_and_site_local_addresses_are_never_public(low: int) -> None:
    assert not is_public(_v6((0x0064_FF9B_0001 << 80) | low))  # 64:ff9b:1::/48
    assert not is_public(_v6((0xFEC0 << 112) | low))  # fec0::/10


@pytest.mark.parametrize("address", PRIVATE_IN_DISGUISE)
def test_the_reported_literals_are_refused_by_the_connect_time_url_check(address: str) -> None:
    assert not is_public(address)
    assert not is_public(f"{address}%eth0")  # a zone index changes nothing
    with pytest.raises(NetworkPolicyError, match="may not reach"):
        check_url_host(NetworkPolicy(), URL(f"http://[{address}]:8080/records"))


def test_public_addresses_in_each_form_stay_reachable() -> None:
    for address in ("64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "2606:4700::1111"):
        assert is_public(address), address
        check_url_host(NetworkPolicy(), URL(f"http://[{address}]/records"))


@pytest.mark.parametrize("address", PRIVATE_IN_DISGUISE)
async def test_a_name_resolving_to_a_reported_literal_is_refused_at_connect_time(
    address: str,
) -> None:
    resolver = PolicyResolver(NetworkPolicy(), inner=Answers([address]))
    with pytest.raises(NetworkPolicyError, match="resolves only to loopback"):
        await resolver.resolve("feed.example", 443)
    mixed = PolicyResolver(NetworkPolicy(), inner=Answers([address, "93.184.216.34"]))
    assert [r["host"] for r in await mixed.resolve("feed.example", 443)] == ["93.184.216.34"]


@pytest.fixture
async def port() -> AsyncIterator[int]:
    async def data(request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": "1"}]})

    app = web.Application()
    app.router.add_get("/data", data)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    await runner.cleanup()


@pytest.mark.parametrize("address", ["::ffff:0:7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::"])
async def test_a_public_only_run_refuses_them_before_connecting(port: int, address: str) -> None:
    source = {"type": "api", "name": "feed", "url": f"http://[{address}]:{port}/data",
              "records_path": "data", "timeout_s": 5}  # fmt: skip
    with pytest.raises(SourceError) as info:
        await extract({"sources": [source]}, context={"network": {"public_only": True}})
    assert "may not reach" in str(info.value)
    assert not info.value.retryable
