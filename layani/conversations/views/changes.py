"""Every form of the conversation page posts here: one thin view per form, each calling
exactly one action, then re-rendering the parts that changed (htmx) or redirecting back
(plain form post). An error is shown on the form it came from, with what was typed kept.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layani.branches.queries import visits_for
from layani.conversations import actions
from layani.conversations.canned import render_canned_reply
from layani.conversations.models import Conversation
from layani.conversations.queries import (
    access_canned_reply,
    access_conversation,
    can_see_conversation,
)
from layani.conversations.views.common import is_htmx, workspace_page
from layani.conversations.views.conversation import FRAGMENTS
from layani.conversations.views.forms import (
    AssignForm,
    ComposeForm,
    MergeForm,
    PriorityForm,
    PurposeForm,
    StatusForm,
    TagsForm,
    VisitForm,
)
from layani.conversations.views.workspace import Failed, field_of, load_workspace
from layani.core.errors import InvalidInput, LayaniError, NotFound, PermissionDenied
from layani.customers.actions import CustomerDetails, update_customer
from layani.customers.forms import WhatMattersForm
from layani.customers.queries import access_customer
from layani.staff.models import Staff, Team
from layani.staff.permissions import Capability, require, staff_of

Change = Callable[[Conversation, dict[str, Any]], object]

# Which parts of the page each form re-renders: its own first, then the ones it changes.
CONTROLS = ("controls", "thread")
COMPOSER = ("composer", "thread")
MERGE = ("controls", "thread", "side")
PINNED = ("pinned",)


def render_parts(
    request: HttpRequest,
    conversation_id: int,
    parts: Iterable[str],
    *,
    failed: Failed | None = None,
    status: int = 200,
) -> HttpResponse:
    """The parts as one htmx response: the first swaps the form's target, the others
    out of band. After an error only the form's own part comes back."""
    parts = list(parts)[:1] if failed is not None else list(parts)
    # After a reply or a note, the box stays in the mode and channel the agent chose.
    keep = {"mode": request.POST.get("mode", ""), "channel": request.POST.get("channel", "")}
    ws = load_workspace(request.user, conversation_id, set(parts), failed=failed, keep=keep)
    context = ws.as_context()
    context["fragments"] = [(FRAGMENTS[p], i > 0) for i, p in enumerate(parts)]
    return render(request, "conversations/_parts.html", context, status=status)


def _apply(
    request: HttpRequest,
    conversation_id: int,
    *,
    name: str,
    form: Form,
    parts: tuple[str, ...],
    change: Change,
    anchor: str,
) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    failed: Failed | None = None
    status = 200
    if form.is_valid():
        try:
            change(conversation, form.cleaned_data)
        except PermissionDenied:
            raise
        except LayaniError as error:
            form.add_error(field_of(error.field, form), error.message)
            failed, status = Failed(name, form), error.status
    else:
        failed, status = Failed(name, form), 422
    if failed is None and not can_see_conversation(request.user, conversation):
        # Handed to a team the person is not in: the conversation left their scope.
        return _back_to_inbox(request)
    if is_htmx(request):
        return render_parts(request, conversation_id, parts, failed=failed, status=status)
    if failed is None:
        return redirect(reverse("inbox:conversation", args=[conversation_id]) + anchor)
    ws = load_workspace(request.user, conversation_id, failed=failed)
    return render(request, "conversations/conversation.html", ws.as_context(), status=status)


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    url = reverse("inbox:inbox")
    if is_htmx(request):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


def _work(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return require_POST(workspace_page(Capability.WORK_CONVERSATIONS)(view))


# --- Reply and note -----------------------------------------------------------------------


def _send(conversation: Conversation, data: dict[str, Any], actor: Any) -> object:
    if data["mode"] == "note":
        return actions.add_note(conversation, body_text=data["body_text"], actor=actor)
    return actions.reply(
        conversation, body_text=data["body_text"], channel=data["channel"] or None, actor=actor
    )


@_work
def compose(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Send a reply through the chosen channel, or write an internal note."""
    return _apply(
        request,
        conversation_id,
        name="compose",
        form=ComposeForm(request.POST),
        parts=COMPOSER,
        change=lambda c, data: _send(c, data, request.user),
        anchor="#composer",
    )


@require_GET
@workspace_page(Capability.WORK_CONVERSATIONS)
def canned_reply_text(request: HttpRequest, conversation_id: int, reply_id: int) -> HttpResponse:
    """A canned reply's text with its placeholders filled for this conversation."""
    conversation = access_conversation(request.user, conversation_id)
    reply = access_canned_reply(request.user, reply_id)
    text = render_canned_reply(reply, conversation, agent=staff_of(request.user))
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


# --- Handling: assignment, status, purpose, priority, tags ---------------------------------


def _assign(conversation: Conversation, data: dict[str, Any], request: HttpRequest) -> object:
    to, reason = data["to"], data["reason"]
    if to == "me":
        me = staff_of(request.user)
        if me is None:
            raise InvalidInput(_("You have no staff profile."), field="to")
        # The page says who it showed holding the conversation: never taken from someone
        # the person did not see (`actions.assign`'s `held_by`).
        holder = request.POST.get("holder")
        held_by = actions.KEEP if holder is None else (int(holder) if holder.isdigit() else None)
        return actions.assign(
            conversation, assignee=me, reason=reason, held_by=held_by, actor=request.user
        )
    if to == "nobody":
        return actions.assign(conversation, assignee=None, reason=reason, actor=request.user)
    kind, _sep, raw_id = to.partition("-")
    if kind in ("staff", "team") and raw_id.isdigit():
        if kind == "staff":
            staff = Staff.objects.filter(pk=int(raw_id), is_active=True).first()
            if staff is not None:
                return actions.assign(
                    conversation, assignee=staff, reason=reason, actor=request.user
                )
        else:
            team = Team.objects.filter(pk=int(raw_id)).first()
            if team is not None:
                # Handed to a team: its members pick it up from there.
                return actions.assign(
                    conversation, team=team, assignee=None, reason=reason, actor=request.user
                )
    raise InvalidInput(_("Pick a person or a team."), code="invalid_choice", field="to")


@_work
def assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _apply(
        request,
        conversation_id,
        name="assign",
        form=AssignForm(request.POST),
        parts=CONTROLS,
        change=lambda c, data: _assign(c, data, request),
        anchor="#conversation-controls",
    )


@_work
def change_status(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _apply(
        request,
        conversation_id,
        name="status",
        form=StatusForm(request.POST),
        parts=CONTROLS,
        change=lambda c, data: actions.change_status(c, status=data["status"], actor=request.user),
        anchor="#conversation-controls",
    )


@_work
def change_purpose(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _apply(
        request,
        conversation_id,
        name="purpose",
        form=PurposeForm(request.POST),
        parts=CONTROLS,
        change=lambda c, data: actions.change_purpose(
            c, purpose=data["purpose"], reason=data["reason"], actor=request.user
        ),
        anchor="#conversation-controls",
    )


@_work
def change_priority(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _apply(
        request,
        conversation_id,
        name="priority",
        form=PriorityForm(request.POST),
        parts=CONTROLS,
        change=lambda c, data: actions.change_priority(
            c, priority=data["priority"], reason=data["reason"], actor=request.user
        ),
        anchor="#conversation-controls",
    )


@_work
def change_tags(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _apply(
        request,
        conversation_id,
        name="tags",
        form=TagsForm(request.POST),
        parts=CONTROLS,
        change=lambda c, data: actions.change_tags(
            c,
            add=TagsForm.names(data["add"]),
            remove=TagsForm.names(data["remove"]),
            actor=request.user,
        ),
        anchor="#conversation-controls",
    )


# --- Merge and visit ----------------------------------------------------------------------


def _merge_here(conversation: Conversation, data: dict[str, Any], request: HttpRequest) -> object:
    """Bring another conversation of the same customer into this one."""
    try:
        other = access_conversation(request.user, data["other"])
    except NotFound as error:
        raise InvalidInput(error.message, code=error.code, field="other") from error
    return actions.merge_conversations(other, into=conversation, actor=request.user)


@_work
def merge(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _apply(
        request,
        conversation_id,
        name="merge",
        form=MergeForm(request.POST),
        parts=MERGE,
        change=lambda c, data: _merge_here(c, data, request),
        anchor="#conversation-controls",
    )


def _link_visit(conversation: Conversation, data: dict[str, Any], request: HttpRequest) -> object:
    visit = None
    if data["visit"]:
        visit = visits_for(request.user).filter(pk=data["visit"]).first()
        if visit is None:
            raise InvalidInput(_("Visit not found."), code="visit_not_found", field="visit")
    return actions.link_visit(conversation, visit=visit, actor=request.user)


@_work
def link_visit(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _apply(
        request,
        conversation_id,
        name="visit",
        form=VisitForm(request.POST),
        parts=CONTROLS,
        change=lambda c, data: _link_visit(c, data, request),
        anchor="#conversation-controls",
    )


# --- What matters to the customer ---------------------------------------------------------


def _what_matters(conversation: Conversation, data: dict[str, Any], request: HttpRequest) -> object:
    require(request.user, Capability.EDIT_CUSTOMERS)
    if conversation.customer_id is None:
        raise NotFound(_("Customer not found."), code="customer_not_found")
    customer = access_customer(request.user, conversation.customer_id)
    return update_customer(
        customer,
        CustomerDetails.from_values(
            {"what_matters": data["what_matters"], "what_matters_tags": data["tags"]}
        ),
        actor=request.user,
    )


@require_POST
@workspace_page(Capability.EDIT_CUSTOMERS)
def what_matters(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Anyone who may serve the customer keeps "what matters" up to date, from here."""
    return _apply(
        request,
        conversation_id,
        name="what_matters",
        form=WhatMattersForm(request.POST),
        parts=PINNED,
        change=lambda c, data: _what_matters(c, data, request),
        anchor="#what-matters",
    )
