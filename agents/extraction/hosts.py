"""Which hosts and addresses a policy lets a connection reach: the one definition that
both the web service (checking what it is given) and the extraction agent (checking
every connection a run makes) apply."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

__all__ = ["embedded_ipv4", "host_listed", "is_ip", "is_public", "normalize_pattern"]

# IPv6 addresses that stand for IPv4 ones: a packet to them ends up at (or is relayed
# through) the IPv4 address inside, so they are as public as that address, whatever
# ipaddress thinks of the IPv6 range itself (its verdicts on these changed between
# Python releases: 2002::/16 and 64:ff9b:1::/48 are "global" in 3.11, not in 3.13).
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291, deprecated; ::1 is in it too
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 (SIIT)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
# RFC 8215 local-use NAT64 prefix: each network chooses its own prefix length inside the
# /48, so where the IPv4 address sits cannot be known; it is local by definition anyway.
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_LOW_32_BITS = 0xFFFF_FFFF

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: str) -> bool:
    """True for a globally routable unicast address.

    An IPv6 address that embeds IPv4 ones (IPv4-mapped, -compatible and -translated,
    NAT64, 6to4, Teredo) is judged by what it embeds: ``[::ffff:127.0.0.1]``,
    ``[64:ff9b::a9fe:a9fe]`` (169.254.169.254) and ``[2002:7f00:1::]`` are not public.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # Site-local (fec0::/10) was deprecated, but a network may still route it inside.
        if ip in _NAT64_LOCAL or ip.is_site_local:
            return False
        embedded = embedded_ipv4(ip)
        if embedded:
            return all(_routable(inner) for inner in embedded)
    return _routable(ip)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses ``ip`` stands for (none for a plain IPv6 address).

    Teredo gives two: its server and its client (ipaddress undoes the client's
    obfuscation); traffic depends on both, so both are judged.
    """
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip in _IPV4_COMPATIBLE or ip in _IPV4_TRANSLATED or ip in _NAT64:
        return (ipaddress.IPv4Address(int(ip) & _LOW_32_BITS),)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo
    return ()


def _routable(ip: IPAddress) -> bool:
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
