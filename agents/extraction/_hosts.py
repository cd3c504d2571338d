"""Which hosts and addresses a policy lets a connection reach: the one definition that
both the web service (checking what it is given) and the extraction agent (checking
every connection a run makes) apply."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence


def is_public(address: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for loopback, private, link-local, shared (100.64/10) and
    # reserved ranges; multicast is not a place to fetch records from either.
    return ip.is_global and not ip.is_multicast


def is_ip(host: str) -> bool:
    """True for an IP address literal (a zone index allowed), False for a name."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def normalize_pattern(pattern: str) -> str:
    """A host pattern as :func:`host_listed` compares it."""
    return pattern.lower().strip("[]")


def host_listed(host: str, patterns: Sequence[str]) -> bool:
    """Whether ``host`` is one of ``patterns`` (normalized): a name, an address, or
    ``*.suffix`` for any name under it (not the suffix itself)."""
    host = host.lower().strip("[]").rstrip(".")
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False
