"""One JSON error shape for the whole API: {"error": {"code", "message", "fields"}}."""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from layani.core.errors import LayaniError

# Locations that name where a value came from rather than which field it is.
_LOCATION_PREFIXES = {"body", "query", "path", "header", "cookie", "form", "payload", "filters"}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _field_name(loc: list[Any]) -> str:
    parts = [str(p) for p in loc]
    while parts and parts[0] in _LOCATION_PREFIXES:
        parts.pop(0)
    return ".".join(parts) or "__all__"


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "missing":
        return _("This field is required.")
    return str(error.get("msg", _("Invalid value.")))


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(LayaniError)
    def on_layani_error(request: HttpRequest, exc: LayaniError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            fields.setdefault(_field_name(list(error.get("loc", []))), []).append(
                _validation_message(error)
            )
        return api.create_response(
            request,
            error_body("invalid", _("Some fields are not valid."), fields),
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request, error_body("unauthenticated", _("Sign in or send an API token.")), status=401
        )

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            body = error_body("malformed_json", _("The request body is not valid JSON."))
        else:
            body = error_body(f"http_{exc.status_code}", str(exc))
        return api.create_response(request, body, status=exc.status_code)

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return api.create_response(
            request,
            error_body("payload_too_large", _("The request body is too large.")),
            status=413,
        )
