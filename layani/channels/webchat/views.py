"""HTTP side of the web chat: the widget script a business's page loads, the offline form
it posts (CORS for the account's allowed origins only), and the agent's typing signal."""

import json
from functools import cache
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from layani.channels.models import ChannelAccount
from layani.channels.webchat import visitors
from layani.channels.webchat.access import origin_allowed, origin_of
from layani.channels.webchat.strings import widget_strings
from layani.conversations.queries import access_conversation
from layani.core.errors import InvalidInput, LayaniError
from layani.core.events import publish_now

ASSETS = Path(__file__).parent / "assets"


@cache
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _account(key: str) -> ChannelAccount | None:
    return ChannelAccount.objects.filter(kind="webchat", key=key, is_active=True).first()


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    fields = {field: [message]} if field else {}
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields}}, status=status
    )


def widget_js(request: HttpRequest, key: str) -> HttpResponse:
    account = _account(key)
    if account is None:
        return HttpResponse(
            "/* no web chat at this address */", status=404, content_type="text/javascript"
        )
    config = {
        "key": account.key,
        "base": request.build_absolute_uri("/").rstrip("/"),
        "title": str(account.setting("title") or account.name),
        "strings": widget_strings(),
    }
    script = (
        '(function(){"use strict";\n'
        f"var CONFIG = {json.dumps(config)};\n"
        f"var CSS = {json.dumps(_asset('widget.css'))};\n"
        f"{_asset('widget.js')}\n}})();\n"
    )
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin_of(origin)
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Vary"] = "Origin"
    return response


@csrf_exempt
def offline_form(request: HttpRequest, key: str) -> HttpResponse:
    """A visitor leaves a message while nobody is online: stored durably, then 200."""
    account = _account(key)
    if account is None:
        return _error(404, "unknown_account", "No web chat at this address.")
    origin = request.headers.get("Origin", "")
    if not origin_allowed(account, origin):
        return _error(403, "origin_not_allowed", "This site may not use this chat.")
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204), origin)
    if request.method != "POST":
        return _cors(_error(405, "method_not_allowed", "Use POST."), origin)
    language = "en" if request.POST.get("lang") == "en" else "id"
    with translation.override(language):
        try:
            contact = visitors.clean_contact(
                request.POST.get("name"),
                request.POST.get("email"),
                request.POST.get("phone"),
                required=True,
            )
            text = visitors.clean_text(request.POST.get("message"))
        except InvalidInput as exc:
            return _cors(_error(400, exc.code, exc.message, exc.field), origin)
        visitor, token = visitors.visitor_for(account, request.POST.get("token", ""))
        visitors.store_offline_form(visitor, contact, text)
        answer = {
            "status": "received",
            "token": token,
            "message": _("Thank you, we will answer you soon."),
        }
    return _cors(JsonResponse(answer), origin)


@login_required
@require_POST
def agent_typing(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The agent is writing a reply: the customer's open widgets show it."""
    try:
        conversation = access_conversation(request.user, conversation_id)
    except LayaniError as exc:
        return _error(exc.status, exc.code, exc.message)
    for group in visitors.widget_groups(conversation):
        publish_now(group, "typing", {})
    return HttpResponse(status=204)
