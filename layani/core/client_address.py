"""The address of the person making a request, for per-visitor limits (the callback form's
rate limit, the sign-in lockout).

Behind reverse proxies, `REMOTE_ADDR` is the nearest proxy's address: every visitor would
share one limit, and one visitor's failed sign-ins would lock an account for everyone.
`LAYANI_TRUSTED_PROXIES` says how many proxies in front of Layani append to
`X-Forwarded-For`; the visitor is then the entry that many places from its right end. The
entries further left were written by the visitor (anyone can send the header), so they are
never trusted. The header counts only when the request came from a proxy: `REMOTE_ADDR`,
and the addresses the nearer proxies appended, must lie in `LAYANI_PROXY_NETWORKS`
(private and loopback networks unless configured). A request that reaches the server
directly, or a malformed header, gives the address the server sees. With no trusted proxy
(the default) the header is ignored.
"""

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

PRIVATE_NETWORKS = (
    "127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,::1/128,fc00::/7"
)


def client_address(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR") or "")
    seen = parse_address(remote)
    proxies = int(getattr(settings, "LAYANI_TRUSTED_PROXIES", 0) or 0)
    if seen is None:
        return remote
    if proxies <= 0 or not _from_proxy(seen):
        return str(seen)
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return str(seen)  # it did not pass through every proxy
    nearer = [parse_address(entry) for entry in forwarded[len(forwarded) - proxies + 1 :]]
    if not all(address is not None and _from_proxy(address) for address in nearer):
        return str(seen)
    visitor = parse_address(forwarded[-proxies])
    return str(seen if visitor is None else visitor)


def parse_address(text: str) -> Address | None:
    """An address as proxies write it (`1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`,
    `::ffff:1.2.3.4`), IPv4-mapped IPv6 as IPv4; None when it is not one."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _from_proxy(address: Address) -> bool:
    return any(address in network for network in _proxy_networks())


@functools.cache
def _networks(spec: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(part.strip()) for part in spec.split(",") if part.strip())


def _proxy_networks() -> tuple[Network, ...]:
    return _networks(str(getattr(settings, "LAYANI_PROXY_NETWORKS", "") or PRIVATE_NETWORKS))
