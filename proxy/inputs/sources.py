"""Where a request comes from: the peer, or, behind proxies the operator trusts, the
address they say they were asked from.

X-Forwarded-For is read from the right: each trusted hop names the one before it, and
the first address that is not a trusted proxy is the source (an address further left
could have been written by the client itself). Without trusted proxies the header is
ignored: any client can send it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(proxies: Sequence[str]) -> tuple[Network, ...]:
    """The configured proxies (checked by the settings) as networks."""
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(
    remote: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]
) -> str:
    current = remote or "unknown"
    if not trusted or not forwarded_for:
        return current
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    while hops and _trusted(current, trusted):
        candidate = hops.pop()
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            break  # not an address: the trusted hop that passed it on is the source
        current = candidate
    return current
