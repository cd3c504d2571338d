"""Where an ``api`` source may connect, when the run's submitter is not trusted.

A service that accepts workflows from the outside (``actorflow serve``) checks each
source URL before it submits the run, but a URL is only where reading starts: a server can
redirect, a ``next`` link can point elsewhere, and a name can resolve differently a moment
later. So such runs carry a policy in their context (``context["network"]``) and the
extraction agent enforces it on every connection it makes, through its resolver.

``context["network"]``::

    {"public_only": true,                 # refuse loopback, private, link-local, ...
     "allowed_hosts": ["api.example.com", "*.example.org"]}   # when given: only these
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from .hosts import host_listed, is_ip, is_public, normalize_pattern


class NetworkPolicyError(OSError):
    """A connection the run's network policy forbids. Retrying cannot help."""

    retryable = False


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """Hosts a run may reach: listed ones (if any list is given), else public ones."""

    public_only: bool = True
    allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> NetworkPolicy | None:
        """The policy a run's context asks for, or ``None`` (no restriction)."""
        raw = context.get("network")
        if not isinstance(raw, Mapping):
            return None
        hosts = raw.get("allowed_hosts") or ()
        return cls(
            public_only=bool(raw.get("public_only", True)),
            allowed_hosts=tuple(normalize_pattern(str(h)) for h in hosts),
        )

    def listed(self, host: str) -> bool:
        return host_listed(host, self.allowed_hosts)


class PolicyResolver(AbstractResolver):
    """Resolves names, then keeps only the addresses the policy allows.

    It checks the addresses actually connected to, so redirects, pagination links and
    names that change what they resolve to are all held to the policy.
    """

    def __init__(self, policy: NetworkPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        # ``inner`` answers the lookups (the system's resolver; injectable for tests).
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._policy.allowed_hosts and not self._policy.listed(host):
            raise NetworkPolicyError(f"host {host!r} is not among the hosts this run may reach")
        results = await self._inner.resolve(host, port, family)
        if self._policy.listed(host) or not self._policy.public_only:
            return results
        public = [r for r in results if is_public(r["host"])]
        if not public:
            raise NetworkPolicyError(
                f"host {host!r} resolves only to loopback, private or link-local addresses, "
                "which this run may not reach"
            )
        return public

    async def close(self) -> None:
        await self._inner.close()


def check_url_host(policy: NetworkPolicy, url: URL) -> None:
    """Refuse a request whose host the policy does not allow.

    aiohttp does not resolve IP literals, so the resolver never sees them: every request
    (redirects included) passes through here too.

    Raises:
        NetworkPolicyError: naming the host.
    """
    host = (url.host or "").strip("[]")
    if policy.allowed_hosts:
        if not policy.listed(host):
            raise NetworkPolicyError(f"host {host!r} is not among the hosts this run may reach")
        return
    if policy.public_only and is_ip(host) and not is_public(host):
        raise NetworkPolicyError(
            f"address {host} is loopback, private or link-local, which this run may not reach"
        )


def session_options(context: Mapping[str, Any]) -> dict[str, Any]:
    """``aiohttp.ClientSession`` keyword arguments that enforce the run's policy."""
    policy = NetworkPolicy.from_context(context)
    if policy is None:
        return {}

    async def on_request(_session: Any, _ctx: Any, params: Any) -> None:
        check_url_host(policy, params.url)

    async def on_redirect(_session: Any, _ctx: Any, params: Any) -> None:
        location = params.response.headers.get("Location", "")
        check_url_host(policy, params.url.join(URL(location)))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request)
    trace.on_request_redirect.append(on_redirect)
    return {
        "connector": aiohttp.TCPConnector(resolver=PolicyResolver(policy)),
        "trace_configs": [trace],
    }
