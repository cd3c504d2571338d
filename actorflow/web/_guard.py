"""Where API-submitted runs may read from: data roots, allowed hosts, read-only SQL.

A run submitted through the API is somebody else's code path into this machine: its
``file`` and ``database`` sources are confined to the configured data roots, its ``api``
sources and its ``callback_url`` to public hosts (or an explicit allowlist), and its SQL
to one read-only statement. Everything is checked before the run is submitted, and the
checked, resolved paths are what the run gets, so a relative path cannot be read against
another folder later.

What this cannot see: an ``api`` source's redirects and pagination links are followed by
the extraction agent itself. Callbacks, which this service sends, go through
:class:`GuardedResolver`, which re-checks every address at connect time.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from actorflow.agents.extraction.hosts import (
    host_listed,
    is_ip,
    is_public,
    normalize_pattern,
)

from ._errors import ApiError

Lookup = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves a host name to IP address strings (injectable for tests)."""

_SQL_START = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*(select|with|values)\b", re.I | re.S)
_RESOLVE_TIMEOUT_S = 5.0


class ForbiddenHostError(OSError):
    """A connection the host policy does not allow. Retrying cannot help."""


def forbidden(message: str, field: str) -> ApiError:
    return ApiError(403, "forbidden_source", message, field=field)


async def system_lookup(host: str, port: int) -> Sequence[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class HostPolicy:
    """Which hosts API-submitted runs and callbacks may reach.

    Args:
        allowed_hosts: names (``api.example.com``), suffix patterns (``*.example.com``)
            or IP addresses; when given, only these, and they may be private.
        allow_private: let unlisted hosts resolve to private or loopback addresses.
        lookup: the resolver (the system's by default).
    """

    def __init__(
        self,
        allowed_hosts: Sequence[str] = (),
        *,
        allow_private: bool = False,
        lookup: Lookup = system_lookup,
    ) -> None:
        self.allowed = tuple(normalize_pattern(h) for h in allowed_hosts)
        self.allow_private = allow_private
        self.lookup = lookup

    def listed(self, host: str) -> bool:
        return host_listed(host, self.allowed)

    async def check_url(self, url: str, field: str) -> None:
        """Refuse ``url`` unless it is http(s) to a host this policy allows.

        Raises:
            ApiError: 422 for a malformed URL, 403 for a host that is not allowed.
        """
        try:
            parsed = URL(url)
        except (ValueError, TypeError):
            raise ApiError(422, "invalid_input", f"{url!r} is not a URL", field=field) from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ApiError(
                422, "invalid_input", f"{url!r} is not an http:// or https:// URL", field=field
            )
        host = parsed.host
        if self.allowed:
            if not self.listed(host):
                raise forbidden(
                    f"host {host!r} is not in the server's allowed hosts "
                    "(Settings.allowed_hosts / ACTORFLOW_ALLOWED_HOSTS)",
                    field,
                )
            return
        if self.allow_private:
            return
        await self._check_addresses(host, parsed.port or 443, field)

    def check_connect(self, host: str) -> None:
        """Refuse connecting to ``host`` unless the policy allows it.

        For the moment of connecting, where :class:`GuardedResolver` checks what names
        resolve to but never sees an IP literal (aiohttp does not resolve those): a
        callback taken over after a restart, or sent under changed settings, is held to
        the policy all the same.

        Raises:
            ForbiddenHostError: naming the host.
        """
        host = host.strip("[]")
        if self.listed(host) or self.allow_private:
            return
        if self.allowed:
            raise ForbiddenHostError(f"host {host!r} is not in the allowed hosts")
        if is_ip(host) and not is_public(host):
            raise ForbiddenHostError(f"address {host} is not a public address")

    async def _check_addresses(self, host: str, port: int, field: str) -> None:
        if is_ip(host.strip("[]")):
            addresses: Sequence[str] = [host.strip("[]")]
        else:
            try:
                async with asyncio.timeout(_RESOLVE_TIMEOUT_S):
                    addresses = await self.lookup(host, port)
            except (OSError, TimeoutError) as exc:
                raise ApiError(
                    422, "unresolvable_host", f"cannot resolve host {host!r}: {exc}", field=field
                ) from None
        private = [a for a in addresses if not is_public(a)]
        if private or not addresses:
            raise forbidden(
                f"host {host!r} resolves to a loopback, link-local or private address "
                f"({', '.join(private) or 'none'}); runs submitted through the API may only "
                "reach public hosts unless the server lists the host in its allowed hosts",
                field,
            )


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that refuses addresses the policy does not allow.

    Checking a URL before connecting is not enough (the name can resolve differently a
    moment later); this checks the addresses actually connected to.
    """

    def __init__(self, policy: HostPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        # ``inner`` answers the lookups (the system's resolver; injectable for tests).
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._policy.listed(host) or self._policy.allow_private:
            return results
        if self._policy.allowed:
            raise OSError(f"host {host!r} is not in the allowed hosts")
        allowed = [r for r in results if is_public(r["host"])]
        if not allowed:
            raise OSError(f"host {host!r} resolves only to non-public addresses")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def confine(path: str, roots: Sequence[Path], field: str) -> Path:
    """The real path of ``path`` if it lies inside one of ``roots``.

    A relative path is looked up in each root in turn (the first where it exists wins);
    a symlink is followed, and where it leads must be inside a root too.

    Raises:
        ApiError: 403 when there are no roots, the path has ``..``, or it (or a symlink on
            the way) leads outside every root; 422 when it is not a usable path.
    """
    if not roots:
        raise forbidden(
            "file and database sources are disabled for API-submitted runs: the server "
            "has no data roots (Settings.data_roots / ACTORFLOW_DATA_ROOTS)",
            field,
        )
    if not path or "\x00" in path:
        raise ApiError(422, "invalid_input", "the path is empty or holds a NUL", field=field)
    given = Path(path)
    if ".." in given.parts:
        raise forbidden(f"path {path!r} must not contain '..'", field)
    try:
        real_roots = [root.resolve() for root in roots]
        if given.is_absolute():
            candidate = given
        else:
            # The first root that has it; a missing file is looked for in the first root
            # (and reported missing by the run).
            joined = [root / given for root in real_roots]
            candidate = next((p for p in joined if os.path.lexists(p)), joined[0])
        real = candidate.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise forbidden(f"path {path!r} cannot be resolved: {exc}", field) from None
    if not any(real.is_relative_to(root) for root in real_roots):
        raise forbidden(
            f"path {path!r} is outside the server's data roots (symlinks are followed)", field
        )
    return real


def check_query(query: Any, field: str) -> None:
    """One read-only statement: ``SELECT``, ``WITH`` or ``VALUES`` (the file is opened
    read-only besides, so even a statement that slipped through could not write).
    """
    if not isinstance(query, str) or not _SQL_START.match(query):
        raise forbidden(
            "a database source's query must be one SELECT (or WITH/VALUES) statement; "
            "database sources are read-only",
            field,
        )
