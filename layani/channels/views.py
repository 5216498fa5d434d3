"""The one webhook address of every channel account: `/channels/<kind>/<key>/`.

GET answers a provider's verification handshake (Meta); POST verifies the sender, stores
the raw request durably and only then answers 2xx (STYLE: inbound data is durable before
we acknowledge it). Nothing is parsed here: the worker does that.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import HttpHeaders
from django.views.decorators.csrf import csrf_exempt

from layani.channels.accounts import active_account
from layani.channels.base import RawRequest, Rejected
from layani.channels.intake import store
from layani.channels.registry import adapter_for


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


class EnvironHeaders(Mapping[str, str]):
    """A request's headers by lower-cased name, read from the WSGI/ASGI environment when
    asked (Django's `request.headers` copies every header on first use)."""

    def __init__(self, meta: Mapping[str, Any]) -> None:
        self._meta = meta

    def __getitem__(self, name: str) -> str:
        return str(self._meta[HttpHeaders.to_wsgi_name(name)])

    def __iter__(self) -> Iterator[str]:
        for key in self._meta:
            name = HttpHeaders.parse_header_name(key)
            if name is not None:
                yield name.lower()

    def __len__(self) -> int:
        return sum(1 for _ in self)


def raw_request(request: HttpRequest) -> RawRequest:
    return RawRequest(
        method=request.method or "GET",
        path=request.path,
        body=request.body,
        headers=EnvironHeaders(request.META),
        query={name: request.GET.get(name, "") for name in request.GET},
        absolute_url=request.build_absolute_uri,
    )


@csrf_exempt
def webhook(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    account = active_account(kind, key)
    adapter = adapter_for(kind)
    if account is None or adapter is None:
        return _error(404, "unknown_account", "No active channel account at this address.")
    if request.method not in ("GET", "POST"):
        return _error(405, "method_not_allowed", "Use POST.")
    try:
        raw = raw_request(request)
    except RequestDataTooBig:
        return _error(413, "too_large", "The request body is too large.")
    if request.method == "GET":
        answer = adapter.handshake(account, raw)
        if answer is None:
            return _error(405, "method_not_allowed", "Use POST.")
        return answer
    try:
        adapter.verify(account, raw)
    except Rejected as exc:
        return _error(exc.status, "rejected", exc.reason)
    record = store(account, adapter, raw)
    respond = getattr(adapter, "acknowledgement", None)
    if respond is not None:
        return respond(account, record)
    return JsonResponse({"status": "received" if record is not None else "duplicate"})
