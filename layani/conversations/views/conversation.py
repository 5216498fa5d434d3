"""The conversation page and the fragments it re-reads live.

Opening the page marks the conversation read for the person (their unread marker goes).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from layani.conversations import actions
from layani.conversations.views.common import workspace_page
from layani.conversations.views.workspace import PARTS, load_workspace
from layani.core.errors import NotFound
from layani.staff.permissions import Capability, can

FRAGMENTS = {
    "controls": "conversations/_controls.html",
    "thread": "conversations/_thread.html",
    "composer": "conversations/_composer.html",
    "pinned": "conversations/_pinned.html",
    "side": "conversations/_side.html",
}


def _mark_read(request: HttpRequest, conversation: object) -> None:
    if can(request.user, Capability.WORK_CONVERSATIONS):
        actions.mark_read(conversation, actor=request.user)  # type: ignore[arg-type]


@require_GET
@workspace_page()
def conversation_page(request: HttpRequest, conversation_id: int) -> HttpResponse:
    ws = load_workspace(request.user, conversation_id)
    _mark_read(request, ws.conversation)
    return render(request, "conversations/conversation.html", ws.as_context())


@require_GET
@workspace_page()
def conversation_part(request: HttpRequest, conversation_id: int, part: str) -> HttpResponse:
    """One part of the page, re-read after a live event. `?seen=1` (the page is in front
    of the agent): the thread counts as read up to now."""
    if part not in PARTS:
        raise NotFound(_("Not found."), code="not_found")
    ws = load_workspace(request.user, conversation_id, {part})
    if part == "thread" and request.GET.get("seen") == "1":
        _mark_read(request, ws.conversation)
    return render(request, FRAGMENTS[part], ws.as_context())
