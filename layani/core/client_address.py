"""The address of the person making a request, for per-visitor limits (the callback form's
rate limit, the sign-in lockout).

Behind reverse proxies, `REMOTE_ADDR` is the nearest proxy's address: every visitor would
share one limit, and one visitor's failed sign-ins would lock an account for everyone.
`LAYANI_TRUSTED_PROXIES` says how many proxies in front of Layani append to
`X-Forwarded-For`; the visitor is then the entry that many places from its right end. The
entries further left were written by the visitor (anyone can send the header), so they are
never trusted. With no trusted proxy (the default) the header is ignored.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies = int(getattr(settings, "LAYANI_TRUSTED_PROXIES", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote  # reached us without passing through every proxy: the address we see
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
