"""Provider webhooks served by a lean WSGI handler, beside the site's full one.

A provider's webhook (`/channels/<kind>/<key>/`, `views.webhook`) needs none of what the
site's middleware does for people: no session, no language, no CSRF token, no signed-in
user, no messages, no login lockout. Running it through all of them cost about a fifth of
the request's CPU (bench/RESULTS.md, "A lean path for provider webhooks"), and the intake
is the hottest path of the system. `split` sends exactly those requests, and nothing else,
to a handler with only the security and common middleware and a URL configuration of that
one route; `/channels/chat/...` and `/channels/calls/...` (pages and forms) stay on the full
handler because `chat` and `calls` are not adapter kinds.
"""

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponseBase
from django.test.utils import override_settings

from layani.channels.registry import registered_kinds

# Security headers as on every answer; CommonMiddleware for the Content-Length (without it
# the answer is chunked).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
URLCONF = "layani.channels.webhook_urls"
# The shape of `webhook_urls`' route (Django's `slug` is `[-a-zA-Z0-9_]+`).
_ROUTE = re.compile(r"^/channels/(?P<kind>[-a-zA-Z0-9_]+)/[-a-zA-Z0-9_]+/$")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class WebhookHandler(WSGIHandler):
    """Django's WSGI handler with the webhook's own middleware and URL configuration."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE, once, when the handler is made
        # (at start-up, before any request): the shorter list is in force only meanwhile.
        with override_settings(MIDDLEWARE=MIDDLEWARE):
            super().load_middleware(is_async)

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        request.urlconf = URLCONF  # type: ignore[attr-defined]  # read by resolve_request
        return super().get_response(request)


def webhook_kind(path: str) -> str | None:
    """The account kind in a webhook address, or None for any other path."""
    match = _ROUTE.match(path)
    return None if match is None else match["kind"]


def split(site: WSGIApp) -> WSGIApp:
    """The application: provider webhooks to the lean handler, the rest to `site`. Call
    after the apps are loaded (the adapters have registered their kinds)."""
    webhooks = WebhookHandler()
    kinds = frozenset(registered_kinds())

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if webhook_kind(environ.get("PATH_INFO", "")) in kinds:
            return webhooks(environ, start_response)
        return site(environ, start_response)

    return application
