"""Writes on conversations and messages. The agent-workspace issue extends the lifecycle."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.conversations.html import sanitise_html
from layani.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    Priority,
)
from layani.conversations.timeline import record_event
from layani.core.choices import Channel, Purpose
from layani.core.errors import Conflict, InvalidInput
from layani.core.events import publish_on_commit
from layani.customers.models import Customer

Actor = AbstractBaseUser | AnonymousUser | None

_MESSAGE_EVENT = {
    Direction.INBOUND: EventKind.MESSAGE_IN,
    Direction.OUTBOUND: EventKind.MESSAGE_OUT,
    Direction.NOTE: EventKind.NOTE,
}


def start_conversation(
    *,
    customer: Customer | None,
    channel: str,
    purpose: str = Purpose.ROUTINE,
    priority: int = Priority.NORMAL,
    subject: str = "",
    branch=None,
    actor: Actor,
) -> Conversation:
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."), code="invalid_choice", field="channel")
    if purpose not in Purpose.values:
        raise InvalidInput(_("Unknown purpose."), code="invalid_choice", field="purpose")
    if priority not in Priority.values:
        raise InvalidInput(_("Unknown priority."), code="invalid_choice", field="priority")
    with transaction.atomic():
        conversation = Conversation.objects.create(
            customer=customer,
            channel=channel,
            purpose=purpose,
            priority=priority,
            subject=subject[:255],
            branch=branch,
        )
        record_event(
            EventKind.CONVERSATION_CREATED,
            actor=actor,
            conversation=conversation,
            summary=subject[:200] or str(Channel(channel).label),
            details={"channel": channel, "purpose": purpose},
        )
    publish_on_commit("inbox", "conversation.created", {"id": conversation.pk})
    return conversation


def add_message(
    conversation: Conversation,
    *,
    direction: str,
    body_text: str,
    body_html: str = "",
    external_id: str | None = None,
    author=None,
    actor: Actor,
) -> Message:
    """Store one message on the conversation's timeline. HTML is sanitised before storage."""
    if direction not in Direction.values:
        raise InvalidInput(_("Unknown direction."), code="invalid_choice", field="direction")
    if not body_text.strip() and not body_html.strip():
        raise InvalidInput(_("The message is empty."), code="required", field="body_text")
    status = {
        Direction.INBOUND: DeliveryStatus.RECEIVED,
        Direction.OUTBOUND: DeliveryStatus.PENDING,
        Direction.NOTE: DeliveryStatus.RECEIVED,
    }[Direction(direction)]
    now = timezone.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                channel=conversation.channel,
                direction=direction,
                body_text=body_text,
                body_html=sanitise_html(body_html) if body_html else "",
                external_id=external_id or None,
                delivery_status=status,
                author=author,
                created_at=now,
            )
            conversation.last_message_at = now
            conversation.updated_at = now
            conversation.save(update_fields=["last_message_at", "updated_at"])
            record_event(
                _MESSAGE_EVENT[Direction(direction)],
                actor=actor,
                conversation=conversation,
                message=message,
                summary=body_text.strip()[:200],
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This message was already received."), code="duplicate_message", field="external_id"
        ) from exc
    publish_on_commit(f"conversation-{conversation.pk}", "message.created", {"id": message.pk})
    return message
