"""Turn an adapter's events into the domain: customers, conversations, messages, statuses.

Each event is applied at most once: a message carries the provider's id (unique per
channel), a delivery update only moves a status forward.
"""

from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from layani.channels.acknowledge import acknowledge
from layani.channels.base import NotYet, Unparseable
from layani.channels.customers import customer_for_sender
from layani.channels.events import CustomEvent, DeliveryUpdate, Event, Ignored, IncomingMessage
from layani.channels.registry import handler_for
from layani.conversations.actions import receive_inbound_message, update_delivery_status
from layani.conversations.attachments import AttachmentInput
from layani.conversations.models import Conversation, Direction, Message
from layani.core.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from layani.channels.models import ChannelAccount, InboundRecord

# Shown for a message with no text at all (an image without caption, say).
EMPTY_TEXT = {
    "image": "[gambar]",
    "document": "[dokumen]",
    "audio": "[pesan suara]",
    "video": "[video]",
    "sticker": "[stiker]",
}


def apply_event(account: "ChannelAccount", record: "InboundRecord", event: Event) -> str:
    """Apply one event; returns a short note for the record ("message 12", "duplicate")."""
    if isinstance(event, IncomingMessage):
        return apply_message(account, event)
    if isinstance(event, DeliveryUpdate):
        return apply_delivery(account, record, event)
    if isinstance(event, Ignored):
        return f"ignored: {event.reason}"
    if isinstance(event, CustomEvent):
        handler = handler_for(event.name)
        if handler is None:
            raise Unparseable(f"no handler for {event.name}")
        handler(account, record, event)
        return event.name
    raise Unparseable(f"unknown event {type(event).__name__}")


def apply_message(account: "ChannelAccount", event: IncomingMessage) -> str:
    try:
        customer = customer_for_sender(event.sender)
    except InvalidInput as exc:
        raise Unparseable(f"sender {event.sender.kind}:{event.sender.value}: {exc}") from exc
    text = event.text.strip() or EMPTY_TEXT.get(event.kind, "") or _("[message without text]")
    target = None
    if event.conversation_id is not None:
        target = Conversation.objects.filter(pk=event.conversation_id).first()
    try:
        inbound = receive_inbound_message(
            customer=customer,
            channel=account.channel,
            body_text=text,
            body_html=event.html,
            external_id=event.external_id or None,
            subject=event.subject,
            branch=account.branch,
            received_at=event.received_at,
            conversation=target,
            team=account.team,
            channel_account_id=account.pk,
            attachments=[
                AttachmentInput(
                    filename=a.filename,
                    content_type=a.content_type,
                    content=a.content,
                    media_ref=a.media_ref,
                    is_inline=a.is_inline,
                    content_id=a.content_id,
                )
                for a in event.attachments
            ],
            meta={"kind": event.kind, **event.meta}
            | ({"auto_submitted": True} if event.auto_submitted else {}),
            actor=None,
        )
    except Conflict as exc:
        if exc.code == "duplicate_message":
            return f"duplicate {event.external_id}"
        raise
    if inbound.outcome == "created" and not event.auto_submitted:
        acknowledge(account, inbound.conversation, customer)
    return f"message {inbound.message.pk}"


# A status for a message we do not know yet may have overtaken our own send (the provider
# reports "sent" before its answer to us gives the id): asked again while this young.
STATUS_MAY_OVERTAKE = timedelta(minutes=3)


def apply_delivery(
    account: "ChannelAccount", record: "InboundRecord", event: DeliveryUpdate
) -> str:
    message = (
        Message.objects.select_related("conversation")
        .filter(
            channel=account.channel, external_id=event.external_id, direction=Direction.OUTBOUND
        )
        .first()
    )
    if message is None:
        if record.received_at > timezone.now() - STATUS_MAY_OVERTAKE:
            raise NotYet(f"no message {event.external_id} yet")
        return f"no message {event.external_id}"  # not ours, or sent before we kept ids
    try:
        changed = update_delivery_status(
            message, status=event.status, at=event.at, error=event.error
        )
    except InvalidInput as exc:
        raise Unparseable(f"delivery status {event.status!r}: {exc}") from exc
    return f"status {event.status}" if changed else f"status {event.status} (no change)"
