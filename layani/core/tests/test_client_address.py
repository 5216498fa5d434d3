"""Whose address a per-visitor limit counts, with and without reverse proxies in front."""

import pytest
from django.test import RequestFactory

from layani.core.client_address import client_address

PROXY = "10.0.0.5"


def request_from(forwarded: str | None = None):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.LAYANI_TRUSTED_PROXIES = 0
    assert client_address(request_from("203.0.113.7")) == PROXY


@pytest.mark.parametrize(
    ("proxies", "forwarded", "visitor"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        # Entries the visitor wrote themselves sit left of what our proxy appended.
        (1, "1.1.1.1, 203.0.113.7", "203.0.113.7"),
        (2, "1.1.1.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (1, "1.1.1.1,2001:db8::1", "2001:db8::1"),
        # Too few entries: it did not pass every proxy; a malformed entry is not an address.
        (2, "203.0.113.7", PROXY),
        (1, "1.1.1.1, bukan-alamat", PROXY),
        (1, "", PROXY),
    ],
)
def test_behind_proxies_the_visitor_is_counted_from_the_right(
    settings, proxies, forwarded, visitor
):
    settings.LAYANI_TRUSTED_PROXIES = proxies
    assert client_address(request_from(forwarded)) == visitor
