"""A conversation's life: started, messages in, new → open → pending → resolved → closed.

Allowed status changes (anything else is a Conflict with code `invalid_transition`):

    new      → open, pending, resolved, closed
    open     → pending, resolved, closed
    pending  → open, resolved, closed
    resolved → open (reopen), closed
    closed   → open (reopen)

The customer writing again moves pending → open, and reopens a resolved or closed
conversation within the reopen window (`due.reopen_window`); later, it starts a new
conversation linked to the old one (`previous`). A merged conversation never changes again.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.conversations.actions._common import (
    authorise,
    check_in_team,
    clean_reason,
    copy_state,
    lock,
    refresh_due,
    save,
    status_label,
)
from layani.conversations.attachments import AttachmentInput, store_attachments
from layani.conversations.due import due_at_for, reopen_window
from layani.conversations.html import sanitise_html
from layani.conversations.models import (
    ACTIVE_STATUSES,
    PREVIEW_LENGTH,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    Priority,
)
from layani.conversations.notify import (
    CONVERSATION_CREATED,
    CONVERSATION_UPDATED,
    MESSAGE_CREATED,
    conversation_event,
)
from layani.conversations.timeline import record_event
from layani.core.choices import Channel, Purpose
from layani.core.errors import Conflict, InvalidInput
from layani.core.types import Actor
from layani.customers.models import Customer
from layani.routing.assignment_tasks import route_after_commit
from layani.search.indexing import index_conversation, index_message, message_text
from layani.staff.models import Staff, Team

S = ConversationStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.RESOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.PENDING, S.RESOLVED, S.CLOSED}),
    S.PENDING: frozenset({S.OPEN, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN}),
}

MESSAGE_EVENT_KIND = {
    Direction.INBOUND: EventKind.MESSAGE_IN,
    Direction.OUTBOUND: EventKind.MESSAGE_OUT,
    Direction.NOTE: EventKind.NOTE,
}
FIRST_DELIVERY_STATUS = {
    Direction.INBOUND: DeliveryStatus.RECEIVED,
    Direction.OUTBOUND: DeliveryStatus.PENDING,
    Direction.NOTE: DeliveryStatus.RECEIVED,
}


def _check_choice(value: Any, allowed: list[Any], field: str, message: str) -> None:
    if value not in allowed:
        raise InvalidInput(message, code="invalid_choice", field=field)


def _check_new_conversation(channel: str, purpose: str, priority: int) -> None:
    _check_choice(channel, Channel.values, "channel", _("Unknown channel."))
    _check_choice(purpose, Purpose.values, "purpose", _("Unknown purpose."))
    _check_choice(priority, Priority.values, "priority", _("Unknown priority."))


def _create(
    *,
    customer: Customer | None,
    channel: str,
    purpose: str,
    priority: int,
    subject: str,
    branch: Any,
    team: Team | None,
    assignee: Staff | None,
    previous: Conversation | None,
    now: datetime,
    actor: Actor,
    channel_account_id: int | None = None,
    purpose_chosen: bool = False,
    started_at: datetime | None = None,
) -> Conversation:
    """A new conversation and its "started" row, at `started_at` (the customer's first
    message, which may have been sent before it reached us) or now."""
    conversation = Conversation.objects.create(
        customer=customer,
        channel=channel,
        purpose=purpose,
        priority=priority,
        subject=subject[:255],
        branch=branch,
        team=team,
        assignee=assignee,
        previous=previous,
        created_at=now,
        updated_at=now,
        due_at=due_at_for(priority=priority, waiting_since=None, now=now),
        channel_account_id=channel_account_id,
    )
    index_conversation(conversation)
    details: dict[str, Any] = {"channel": channel, "purpose": purpose}
    if purpose_chosen:  # a person opened it and said why: routing rules leave it
        details["purpose_chosen"] = True
    if previous is not None:
        details["previous"] = previous.pk
    record_event(
        EventKind.CONVERSATION_CREATED,
        actor=actor,
        conversation=conversation,
        summary=subject[:200] or str(Channel(channel).label),
        details=details,
        occurred_at=min(started_at or now, now),
    )
    return conversation


def start_conversation(
    *,
    customer: Customer | None,
    channel: str,
    purpose: str = Purpose.ROUTINE,
    priority: int = Priority.NORMAL,
    subject: str = "",
    branch: Any = None,
    team: Team | None = None,
    assignee: Staff | None = None,
    actor: Actor,
) -> Conversation:
    """Open a conversation (staff documenting a call or a walk-in, or an integration)."""
    authorise(actor)
    _check_new_conversation(channel, purpose, priority)
    if team is not None and assignee is not None:
        check_in_team(assignee, team)
    now = timezone.now()
    with transaction.atomic():
        conversation = _create(
            customer=customer,
            channel=channel,
            purpose=purpose,
            priority=priority,
            subject=subject,
            branch=branch,
            team=team,
            assignee=assignee,
            previous=None,
            now=now,
            actor=actor,
            purpose_chosen=True,
        )
        default_due = conversation.due_at
        refresh_due(conversation, now)  # the SLA policy's due time, when one applies
        if conversation.due_at != default_due:
            save(conversation, ["due_at"])
        conversation_event(CONVERSATION_CREATED, conversation)
    return conversation


# --- Status ---------------------------------------------------------------------------------


def apply_status(conversation: Conversation, status: str, now: datetime) -> None:
    """Set the status and the moments that go with it (on an instance, unsaved)."""
    before = conversation.status
    conversation.status = status
    if status == S.RESOLVED:
        conversation.resolved_at = now
        conversation.waiting_since = None
    elif status == S.CLOSED:
        conversation.closed_at = now
        conversation.waiting_since = None
    elif status == S.PENDING:
        conversation.waiting_since = None
    if status in ACTIVE_STATUSES and before in (S.RESOLVED, S.CLOSED):
        conversation.resolved_at = None
        conversation.closed_at = None
    conversation.updated_at = now
    refresh_due(conversation, now)


STATUS_FIELDS = ["status", "resolved_at", "closed_at", "waiting_since", "due_at"]


def record_status_change(
    conversation: Conversation,
    *,
    before: str,
    after: str,
    actor: Actor,
    reason: str = "",
    now: datetime,
    reopened: bool = False,
) -> None:
    record_event(
        EventKind.STATUS_CHANGED,
        actor=actor,
        conversation=conversation,
        summary=f"{before} → {after}",
        details={
            "before": before,
            "after": after,
            **({"reason": reason} if reason else {}),
            **({"reopened": True} if reopened else {}),
        },
        occurred_at=now,
    )


def change_status(
    conversation: Conversation, *, status: str, reason: str = "", actor: Actor
) -> Conversation:
    """Move the conversation to `status` if the lifecycle allows it."""
    authorise(actor, conversation)
    _check_choice(status, ConversationStatus.values, "status", _("Unknown status."))
    reason = clean_reason(reason, required=False)
    now = timezone.now()
    with transaction.atomic():
        locked = lock(conversation)
        before = locked.status
        if status not in TRANSITIONS[before]:
            raise Conflict(
                _("A conversation cannot go from “%(before)s” to “%(after)s”.")
                % {"before": status_label(before), "after": status_label(status)},
                code="invalid_transition",
                field="status",
            )
        apply_status(locked, status, now)
        save(locked, STATUS_FIELDS)
        record_status_change(
            locked, before=before, after=status, actor=actor, reason=reason, now=now
        )
        conversation_event(CONVERSATION_UPDATED, locked, changes=["status"])
    copy_state(locked, conversation)
    return conversation


# --- Messages -------------------------------------------------------------------------------


def store_message(
    conversation: Conversation,
    *,
    direction: str,
    body_text: str,
    body_html: str = "",
    external_id: str | None = None,
    channel: str | None = None,
    author: Staff | None,
    actor: Actor,
    at: datetime,
    event_details: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
    attachments: Sequence[AttachmentInput] = (),
    automatic: bool = False,
    waiting_from: datetime | None = None,
) -> Message:
    """Write one message on a locked conversation, with its timeline row and the
    conversation's waiting/due/first-response moments. Call inside a transaction.

    An `automatic` outgoing message (an acknowledgement) is stored and sent like a reply
    but is not an answer: the customer is still waiting and the SLA clock runs on."""
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                channel=channel or conversation.channel,
                direction=direction,
                body_text=body_text,
                body_html=sanitise_html(body_html) if body_html else "",
                external_id=external_id or None,
                delivery_status=FIRST_DELIVERY_STATUS[Direction(direction)],
                author=author,
                created_at=at,
                meta=meta or {},
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This message was already received."), code="duplicate_message", field="external_id"
        ) from exc
    store_attachments(message, attachments)
    index_message(message)
    save(
        conversation,
        note_message(
            conversation,
            direction=direction,
            text=message_text(message.body_text, message.body_html),
            author=author,
            at=at,
            automatic=automatic,
            waiting_from=waiting_from,
        ),
    )
    record_event(
        MESSAGE_EVENT_KIND[Direction(direction)],
        actor=actor,
        conversation=conversation,
        message=message,
        summary=body_text.strip()[:200],
        details={
            **({"channel": message.channel} if message.channel != conversation.channel else {}),
            **(event_details or {}),
        },
        occurred_at=at,
    )
    return message


def note_message(
    conversation: Conversation,
    *,
    direction: str,
    text: str,
    author: Staff | None,
    at: datetime,
    automatic: bool = False,
    waiting_from: datetime | None = None,
) -> list[str]:
    """Move the conversation's moments for a message saying `text`, written at `at` (on
    the instance, unsaved): last message, the inbox's preview, when the customer last
    wrote, waiting since, first response and due. Returns the fields to save.
    `waiting_from`: a customer who starts waiting with this message waits from then if it
    is later (they asked to be called back in a window)."""
    fields = ["last_message_at", "updated_at"]
    # A message can arrive after newer ones (a channel's retry, a batch, `received_at`):
    # the row keeps saying the newest message, and never moves back in time.
    newest = conversation.last_message_at is None or at >= conversation.last_message_at
    if newest:
        conversation.last_message_at = at
    if direction != Direction.NOTE and newest and not automatic:
        # An automatic message (the acknowledgement, a survey) says nothing of this
        # conversation: the row keeps the customer's words or the agent's answer.
        conversation.last_preview = text[:PREVIEW_LENGTH]
        fields.append("last_preview")
    if direction == Direction.INBOUND and (
        conversation.last_inbound_at is None or at > conversation.last_inbound_at
    ):
        conversation.last_inbound_at = at
        fields.append("last_inbound_at")
    if automatic:
        pass
    elif direction == Direction.INBOUND and conversation.waiting_since is None:
        conversation.waiting_since = max(at, waiting_from) if waiting_from else at
        fields.append("waiting_since")
    elif direction == Direction.OUTBOUND:
        conversation.waiting_since = None
        fields.append("waiting_since")
        if author is not None and conversation.first_response_at is None:
            conversation.first_response_at = at
            fields.append("first_response_at")
    if "waiting_since" in fields:
        refresh_due(conversation, at)
        fields.append("due_at")
    conversation.updated_at = at
    return fields


def add_message(
    conversation: Conversation,
    *,
    direction: str,
    body_text: str,
    body_html: str = "",
    external_id: str | None = None,
    author: Staff | None = None,
    actor: Actor,
) -> Message:
    """Record one message on this conversation (HTML sanitised before storage).

    Records only: an outbound message here is not sent (`reply` sends). A customer's message
    moves a pending conversation back to open.
    """
    _check_choice(direction, Direction.values, "direction", _("Unknown direction."))
    if not body_text.strip() and not body_html.strip():
        raise InvalidInput(_("The message is empty."), code="required", field="body_text")
    authorise(actor, conversation)
    now = timezone.now()
    with transaction.atomic():
        locked = lock(conversation)
        message = store_message(
            locked,
            direction=direction,
            body_text=body_text,
            body_html=body_html,
            external_id=external_id,
            author=author,
            actor=actor,
            at=now,
        )
        changes = []
        if direction == Direction.INBOUND and locked.status == S.PENDING:
            apply_status(locked, S.OPEN, now)
            save(locked, STATUS_FIELDS)
            record_status_change(locked, before=S.PENDING, after=S.OPEN, actor=actor, now=now)
            changes.append("status")
        conversation_event(MESSAGE_CREATED, locked, message=message, changes=changes)
    copy_state(locked, conversation)
    return message


@dataclass(frozen=True)
class Inbound:
    """What a customer's message did: appended to, reopened, or created a conversation."""

    conversation: Conversation
    message: Message
    outcome: Literal["appended", "reopened", "created"]


def _latest_conversation(customer: Customer, channel: str) -> Conversation | None:
    return (
        Conversation.objects.select_for_update()
        .filter(customer=customer, channel=channel, merged_into__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )


def _threaded(
    conversation: Conversation | None, customer: Customer, channel: str
) -> Conversation | None:
    """The conversation a threading header points at, locked, if it may take the message:
    never another customer's, never another channel's; a merged one hands over to where
    it was merged."""
    if conversation is None:
        return None
    target = Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    for _hop in range(5):
        if target is None or target.merged_into_id is None:
            break
        target = Conversation.objects.select_for_update().filter(pk=target.merged_into_id).first()
    if target is None or target.customer_id != customer.pk or target.channel != channel:
        return None
    return target


def _within_reopen_window(conversation: Conversation, now: datetime) -> bool:
    ended = conversation.resolved_at or conversation.closed_at or conversation.updated_at
    return ended >= now - reopen_window()


def receive_inbound_message(
    *,
    customer: Customer | None,
    channel: str,
    body_text: str,
    body_html: str = "",
    external_id: str | None = None,
    subject: str = "",
    purpose: str = Purpose.ROUTINE,
    priority: int = Priority.NORMAL,
    branch: Any = None,
    received_at: datetime | None = None,
    actor: Actor = None,
    conversation: Conversation | None = None,
    team: Team | None = None,
    channel_account_id: int | None = None,
    attachments: Sequence[AttachmentInput] = (),
    meta: dict[str, Any] | None = None,
    waiting_from: datetime | None = None,
    join_latest: bool = True,
) -> Inbound:
    """A customer wrote through `channel`: the entry point of every channel adapter.

    The customer's latest conversation on that channel takes the message while it is
    active (pending → open) or reopens when it ended within the reopen window; otherwise a
    new conversation starts, linked to the old one. An `external_id` seen before on this
    channel is refused (Conflict `duplicate_message`) and nothing is stored.

    A channel that threads by itself (email's In-Reply-To) names the `conversation`; it is
    used when it is this customer's, on this channel, and not merged away. A new
    conversation starts with `team` and remembers `channel_account_id`, the mailbox or
    number that replies leave through. A new routine conversation is given its purpose by
    the first routing rule it matches that gives one (`routing.auto_assign.
    purpose_on_arrival`), before anyone tells the customer when to expect an answer.

    `waiting_from`: the customer asked to be served from then, not now (a callback window):
    if this message starts their wait, the wait, the SLA clock and the inbox's due order
    start then.

    `join_latest=False`: the sender only claims to be this customer (a web chat visitor
    who typed their email): the message never joins the customer's latest conversation,
    only the `conversation` named (the sender's own), else a new one.
    """
    authorise(actor)
    _check_new_conversation(channel, purpose, priority)
    if not body_text.strip() and not body_html.strip():
        raise InvalidInput(_("The message is empty."), code="required", field="body_text")
    if external_id and Message.objects.filter(channel=channel, external_id=external_id).exists():
        raise Conflict(
            _("This message was already received."), code="duplicate_message", field="external_id"
        )
    now = timezone.now()
    at = min(received_at or now, now)
    with transaction.atomic():
        latest = None
        if customer is not None:
            # One customer's messages are taken one at a time: never two new conversations.
            list(Customer.objects.select_for_update().filter(pk=customer.pk).values("pk"))
            latest = _threaded(conversation, customer, channel)
            if latest is None and join_latest:
                latest = _latest_conversation(customer, channel)
        outcome: Literal["appended", "reopened", "created"]
        changes: list[str] = []
        if latest is not None and latest.status in ACTIVE_STATUSES:
            conversation, outcome = latest, "appended"
        elif latest is not None and _within_reopen_window(latest, now):
            conversation, outcome = latest, "reopened"
        else:
            conversation = _create(
                customer=customer,
                channel=channel,
                purpose=purpose,
                priority=priority,
                subject=subject or body_text.strip()[:120],
                branch=branch,
                team=team,
                assignee=None,
                previous=latest,
                now=now,
                actor=actor,
                channel_account_id=channel_account_id,
                started_at=at,  # the thread starts with it, before the first message
            )
            outcome = "created"
        before = conversation.status
        message = store_message(
            conversation,
            direction=Direction.INBOUND,
            body_text=body_text,
            body_html=body_html,
            external_id=external_id,
            author=None,
            actor=actor,
            at=at,
            meta=meta,
            attachments=attachments,
            waiting_from=waiting_from,
        )
        if channel_account_id and conversation.channel_account_id != channel_account_id:
            conversation.channel_account_id = channel_account_id
            save(conversation, ["channel_account_id"])
        if outcome == "created" and conversation.purpose == Purpose.ROUTINE:
            # A routing rule may say why the customer came ("kecewa": a complaint) before
            # they are told when to expect an answer.
            from layani.routing.auto_assign import purpose_on_arrival

            purpose_on_arrival(conversation)
        if before in (S.PENDING, S.RESOLVED, S.CLOSED):
            apply_status(conversation, S.OPEN, now)
            save(conversation, STATUS_FIELDS)
            record_status_change(
                conversation,
                before=before,
                after=S.OPEN,
                actor=actor,
                now=now,
                reopened=outcome == "reopened",
            )
            changes.append("status")
        if outcome == "created":
            conversation_event(CONVERSATION_CREATED, conversation)
        conversation_event(MESSAGE_CREATED, conversation, message=message, changes=changes)
        if conversation.assignee_id is None and outcome != "appended":
            # Routing rules and auto-assignment, once per new or reopened conversation: a
            # further message to one still waiting is picked up with it (when an agent
            # frees up, comes online, or by the minute's sweep), not routed again.
            route_after_commit(conversation.pk)
    return Inbound(conversation=conversation, message=message, outcome=outcome)
