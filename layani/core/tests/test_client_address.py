"""Whose address a per-visitor limit counts, with and without reverse proxies in front."""

import pytest
from django.test import RequestFactory

from layani.core.client_address import client_address

PROXY = "10.0.0.5"


def request_from(forwarded: str | None = None, remote: str = PROXY):
    extra = {"REMOTE_ADDR": remote}
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
        # As some proxies write them: with a port, IPv4 mapped into IPv6.
        (1, "203.0.113.7:41234", "203.0.113.7"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "::ffff:203.0.113.7", "203.0.113.7"),
        # Too few entries: it did not pass every proxy; a malformed entry is not an address.
        (2, "203.0.113.7", PROXY),
        (1, "1.1.1.1, bukan-alamat", PROXY),
        (1, "", PROXY),
        # The nearer proxy's own entry must be a proxy's address, not one the visitor wrote.
        (2, "203.0.113.7, 198.51.100.1", PROXY),
    ],
)
def test_behind_proxies_the_visitor_is_counted_from_the_right(
    settings, proxies, forwarded, visitor
):
    settings.LAYANI_TRUSTED_PROXIES = proxies
    assert client_address(request_from(forwarded)) == visitor


def test_a_request_that_did_not_come_through_a_proxy_cannot_choose_its_address(settings):
    settings.LAYANI_TRUSTED_PROXIES = 1
    direct = request_from("203.0.113.7", remote="198.51.100.50")
    assert client_address(direct) == "198.51.100.50"
    settings.LAYANI_PROXY_NETWORKS = "198.51.100.0/24"
    assert client_address(direct) == "203.0.113.7"
    assert client_address(request_from("203.0.113.7")) == PROXY  # 10.0.0.5 is not listed now


def test_the_server_seen_address_is_normalised_too(settings):
    settings.LAYANI_TRUSTED_PROXIES = 0
    assert client_address(request_from(remote="::ffff:203.0.113.7")) == "203.0.113.7"
