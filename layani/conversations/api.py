"""/api/v1/conversations: the inbox, threads and every change an agent makes (thin handlers:
parse, find in scope, call one action or query, render)."""

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from layani.branches.models import Branch
from layani.branches.queries import branches_for, visits_for
from layani.conversations import actions, queries
from layani.conversations.canned import render_canned_reply
from layani.conversations.models import Conversation
from layani.conversations.schemas import (
    AssignmentIn,
    CannedReplyIn,
    CannedReplyOut,
    CannedReplyPatch,
    ConversationIn,
    ConversationOut,
    InboundIn,
    InboundOut,
    InboxItemOut,
    InboxPageOut,
    MentionPageOut,
    MergeIn,
    MessageOut,
    NoteIn,
    NoteOut,
    PriorityIn,
    PurposeIn,
    RenderedOut,
    RenderIn,
    ReplyIn,
    StatusIn,
    TagsIn,
    TagsOut,
    ThreadOut,
    VisitLinkIn,
)
from layani.core.errors import InvalidInput
from layani.customers.models import Customer
from layani.customers.queries import customers_for
from layani.staff.models import Staff, Team
from layani.staff.permissions import Capability, require, staff_of

router = Router(tags=["conversations"])

User = AbstractBaseUser | AnonymousUser


# --- Looking up what a body refers to: a bad id is a field error, never a 500 ------------------


def _unknown(field: str) -> InvalidInput:
    return InvalidInput(_("Not found: check the id."), code="unknown_id", field=field)


def _customer(user: User, customer_id: int | None, field: str = "customer_id") -> Customer | None:
    if customer_id is None:
        return None
    customer = customers_for(user).filter(pk=customer_id).first()
    if customer is None:
        raise _unknown(field)
    return customer


def _branch(user: User, branch_id: int | None) -> Branch | None:
    if branch_id is None:
        return None
    branch = branches_for(user).filter(pk=branch_id).first()
    if branch is None:
        raise _unknown("branch_id")
    return branch


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise _unknown("team_id")
    return team


def _staff(staff_id: int | None) -> Staff | None:
    if staff_id is None:
        return None
    staff = Staff.objects.select_related("user").filter(pk=staff_id, is_active=True).first()
    if staff is None:
        raise _unknown("assignee_id")
    return staff


def _conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    require(request.user, Capability.VIEW_CONVERSATIONS)
    return queries.access_conversation(request.user, conversation_id)


# --- The inbox and threads ---------------------------------------------------------------------


class InboxQuery(Schema):
    view: str = Field(default="all", description="mine, unassigned, teams or all")
    channel: str = Field(default="", max_length=20)
    purpose: str = Field(default="", max_length=20)
    status: str = Field(default="", max_length=20, description="Default: new, open and pending")
    priority: int | None = None
    branch_id: int | None = None
    tag: str = Field(default="", max_length=40)
    assignee_id: int | None = None
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=100)


@router.get("/", response=InboxPageOut, summary="The inbox: what is due first")
def list_conversations(request: HttpRequest, filters: Query[InboxQuery]) -> InboxPageOut:
    require(request.user, Capability.VIEW_CONVERSATIONS)
    page = queries.inbox(
        request.user,
        view=filters.view,
        filters=queries.InboxFilters(
            channel=filters.channel,
            purpose=filters.purpose,
            status=filters.status,
            priority=filters.priority,
            branch_id=filters.branch_id,
            tag=filters.tag,
            assignee_id=filters.assignee_id,
        ),
        cursor=filters.cursor,
        limit=filters.limit,
    )
    items = [
        InboxItemOut(
            **ConversationOut.model_validate(row.conversation).model_dump(),
            unread=row.unread,
            last_message_preview=row.last_message_preview,
            tags=row.tags,
        )
        for row in page.items
    ]
    return InboxPageOut(items=items, next_cursor=page.next_cursor)


@router.post("/", response={201: ConversationOut}, summary="Open a conversation")
def create_conversation(request: HttpRequest, payload: ConversationIn) -> Status:
    require(request.user, Capability.WORK_CONVERSATIONS)
    conversation = actions.start_conversation(
        customer=_customer(request.user, payload.customer_id),
        channel=payload.channel,
        purpose=payload.purpose,
        priority=payload.priority,
        subject=payload.subject,
        branch=_branch(request.user, payload.branch_id),
        team=_team(payload.team_id),
        assignee=_staff(payload.assignee_id),
        actor=request.user,
    )
    return Status(201, conversation)


@router.post("/inbound", response={201: InboundOut}, summary="A customer's message arrives")
def receive_message(request: HttpRequest, payload: InboundIn) -> Status:
    require(request.user, Capability.WORK_CONVERSATIONS)
    received = actions.receive_inbound_message(
        customer=_customer(request.user, payload.customer_id),
        channel=payload.channel,
        body_text=payload.body_text,
        body_html=payload.body_html,
        external_id=payload.external_id,
        subject=payload.subject,
        received_at=payload.received_at,
        actor=request.user,
    )
    return Status(
        201,
        {
            "outcome": received.outcome,
            "conversation": received.conversation,
            "message": received.message,
        },
    )


class MentionQuery(Schema):
    unseen: bool = False
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=20, ge=1, le=100)


@router.get("/mentions", response=MentionPageOut, summary="Where colleagues mentioned me")
def my_mentions(request: HttpRequest, filters: Query[MentionQuery]) -> Any:
    require(request.user, Capability.VIEW_CONVERSATIONS)
    return queries.mentions_for(
        request.user, unseen_only=filters.unseen, cursor=filters.cursor, limit=filters.limit
    )


# --- Canned replies ----------------------------------------------------------------------------


@router.get("/canned-replies", response=list[CannedReplyOut], summary="Canned replies I may use")
def list_canned_replies(
    request: HttpRequest, language: str = "", team_id: int | None = None
) -> Any:
    require(request.user, Capability.VIEW_CONVERSATIONS)
    return list(queries.canned_replies_for(request.user, language=language, team_id=team_id))


@router.post("/canned-replies", response={201: CannedReplyOut}, summary="Add a canned reply")
def create_canned_reply(request: HttpRequest, payload: CannedReplyIn) -> Status:
    require(request.user, Capability.MANAGE_CANNED_REPLIES)
    values = payload.model_dump()
    values["team"] = _team(values.pop("team_id"))
    reply = actions.create_canned_reply(actions.CannedReplyDetails.of(**values), actor=request.user)
    return Status(201, reply)


@router.get("/canned-replies/{reply_id}", response=CannedReplyOut, summary="Read a canned reply")
def read_canned_reply(request: HttpRequest, reply_id: int) -> Any:
    require(request.user, Capability.VIEW_CONVERSATIONS)
    return queries.access_canned_reply(request.user, reply_id)


@router.patch(
    "/canned-replies/{reply_id}", response=CannedReplyOut, summary="Change a canned reply"
)
def update_canned_reply(request: HttpRequest, reply_id: int, payload: CannedReplyPatch) -> Any:
    require(request.user, Capability.MANAGE_CANNED_REPLIES)
    reply = queries.access_canned_reply(request.user, reply_id)
    values = payload.model_dump(exclude_unset=True)
    if not values:
        raise InvalidInput(_("Nothing to change."), code="empty_update")
    if "team_id" in values:
        values["team"] = _team(values.pop("team_id"))
    return actions.update_canned_reply(
        reply, actions.CannedReplyDetails.of(**values), actor=request.user
    )


@router.delete("/canned-replies/{reply_id}", response={204: None}, summary="Delete a reply")
def delete_canned_reply(request: HttpRequest, reply_id: int) -> Status:
    require(request.user, Capability.MANAGE_CANNED_REPLIES)
    actions.delete_canned_reply(
        queries.access_canned_reply(request.user, reply_id), actor=request.user
    )
    return Status(204, None)


@router.post(
    "/canned-replies/{reply_id}/render",
    response=RenderedOut,
    summary="A canned reply filled in for one conversation",
)
def render_reply(request: HttpRequest, reply_id: int, payload: RenderIn) -> Any:
    require(request.user, Capability.VIEW_CONVERSATIONS)
    reply = queries.access_canned_reply(request.user, reply_id)
    conversation = queries.access_conversation(request.user, payload.conversation_id)
    return {"text": render_canned_reply(reply, conversation, agent=staff_of(request.user))}


# --- One conversation --------------------------------------------------------------------------


@router.get("/{conversation_id}", response=ThreadOut, summary="Read a conversation's thread")
def read_thread(request: HttpRequest, conversation_id: int) -> Any:
    require(request.user, Capability.VIEW_CONVERSATIONS)
    thread = queries.conversation_thread(request.user, conversation_id)
    panel = None
    if thread.customer is not None:
        panel = {
            "customer": thread.customer.customer,
            "open_conversations": thread.customer.open_conversations,
            "recent_visits": thread.customer.recent_visits,
        }
    return {
        "conversation": thread.conversation,
        "tags": thread.tags,
        "reply_channels": thread.reply_channels,
        "entries": [
            {"kind": e.kind, "at": e.at, "message": e.message, "event": e.event}
            for e in thread.entries
        ],
        "customer": panel,
        "truncated": thread.truncated,
    }


@router.post("/{conversation_id}/replies", response={201: MessageOut}, summary="Reply")
def reply(request: HttpRequest, conversation_id: int, payload: ReplyIn) -> Status:
    conversation = _conversation(request, conversation_id)
    message = actions.reply(
        conversation, body_text=payload.body_text, channel=payload.channel, actor=request.user
    )
    return Status(201, message)


@router.post("/{conversation_id}/notes", response={201: NoteOut}, summary="Internal note")
def add_note(request: HttpRequest, conversation_id: int, payload: NoteIn) -> Status:
    conversation = _conversation(request, conversation_id)
    note = actions.add_note(conversation, body_text=payload.body_text, actor=request.user)
    return Status(201, note)


@router.post(
    "/{conversation_id}/assignment", response=ConversationOut, summary="Assign or unassign"
)
def assign(request: HttpRequest, conversation_id: int, payload: AssignmentIn) -> Any:
    conversation = _conversation(request, conversation_id)
    given = payload.model_dump(exclude_unset=True)
    if not {"assignee_id", "team_id"} & set(given):
        raise InvalidInput(
            _("Give an assignee, a team or both."), code="required", field="assignee_id"
        )
    return actions.assign(
        conversation,
        assignee=_staff(payload.assignee_id) if "assignee_id" in given else actions.KEEP,
        team=_team(payload.team_id) if "team_id" in given else actions.KEEP,
        reason=payload.reason,
        held_by=payload.held_by if "held_by" in given else actions.KEEP,
        actor=request.user,
    )


@router.post("/{conversation_id}/status", response=ConversationOut, summary="Change the status")
def change_status(request: HttpRequest, conversation_id: int, payload: StatusIn) -> Any:
    conversation = _conversation(request, conversation_id)
    return actions.change_status(
        conversation, status=payload.status, reason=payload.reason, actor=request.user
    )


@router.post("/{conversation_id}/purpose", response=ConversationOut, summary="Correct the purpose")
def change_purpose(request: HttpRequest, conversation_id: int, payload: PurposeIn) -> Any:
    conversation = _conversation(request, conversation_id)
    return actions.change_purpose(
        conversation, purpose=payload.purpose, reason=payload.reason, actor=request.user
    )


@router.post("/{conversation_id}/priority", response=ConversationOut, summary="Change the priority")
def change_priority(request: HttpRequest, conversation_id: int, payload: PriorityIn) -> Any:
    conversation = _conversation(request, conversation_id)
    return actions.change_priority(
        conversation, priority=payload.priority, reason=payload.reason, actor=request.user
    )


@router.post("/{conversation_id}/tags", response=TagsOut, summary="Add and remove tags")
def change_tags(request: HttpRequest, conversation_id: int, payload: TagsIn) -> Any:
    conversation = _conversation(request, conversation_id)
    tags = actions.change_tags(
        conversation, add=payload.add, remove=payload.remove, actor=request.user
    )
    return {"tags": tags}


@router.post(
    "/{conversation_id}/merge",
    response=ConversationOut,
    summary="Merge into another conversation of the same customer",
)
def merge(request: HttpRequest, conversation_id: int, payload: MergeIn) -> Any:
    source = _conversation(request, conversation_id)
    target = queries.conversations_for(request.user).filter(pk=payload.into).first()
    if target is None:
        raise _unknown("into")
    return actions.merge_conversations(source, into=target, actor=request.user)


@router.post(
    "/{conversation_id}/visit", response=ConversationOut, summary="Link (or unlink) a visit"
)
def link_visit(request: HttpRequest, conversation_id: int, payload: VisitLinkIn) -> Any:
    conversation = _conversation(request, conversation_id)
    visit = None
    if payload.visit_id is not None:
        visit = visits_for(request.user).filter(pk=payload.visit_id).first()
        if visit is None:
            raise _unknown("visit_id")
    return actions.link_visit(conversation, visit=visit, actor=request.user)


@router.post("/{conversation_id}/read", response={204: None}, summary="Mark as read")
def mark_read(request: HttpRequest, conversation_id: int) -> Status:
    conversation = _conversation(request, conversation_id)
    actions.mark_read(conversation, actor=request.user)
    return Status(204, None)
