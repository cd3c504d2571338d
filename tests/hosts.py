"""What the host-policy tests of the extractor and of the web service share: IPv6 forms of
private IPv4 addresses, and a resolver whose answers are given."""

from __future__ import annotations

import socket
from collections.abc import Sequence

from aiohttp.abc import AbstractResolver, ResolveResult

#: The reported literals: each stands for a loopback, private or link-local address.
PRIVATE_IN_DISGUISE = (
    "::127.0.0.1",  # IPv4-compatible 127.0.0.1
    "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 169.254.169.254 (cloud metadata)
    "64:ff9b::a00:1",  # NAT64 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 127.0.0.1
    "2002:7f00:1::",  # 6to4 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 169.254.169.254
    "fec0::1",  # site-local
    "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
)


class Answers(AbstractResolver):
    """A resolver whose answers are given: what a hostile DNS server could say."""

    def __init__(self, addresses: Sequence[str]) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for address in self.addresses
        ]

    async def close(self) -> None:
        return None
