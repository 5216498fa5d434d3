"""Messages to customers that leave through a channel's sender.

Until the channel adapters exist, `deliver_outbox_message` is the outbox sender: it marks
the message sent and keeps it, so a demo or a test shows exactly what would have gone out.
A conversation reply goes through here too (`send_through_outbox`): the outbox row points
at the reply, and marking the row sent marks the reply sent.
"""

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from layani.conversations.models import Message, OutboxMessage, OutboxStatus
from layani.conversations.recipients import address_for
from layani.core.events import enqueue_on_commit

if TYPE_CHECKING:
    from layani.branches.models import Visit
    from layani.customers.models import Customer

REPLY_REASON = "reply"


def queue_outbox_message(
    *,
    channel: str,
    recipient: str,
    body: str,
    reason: str,
    link: str = "",
    customer: "Customer | None" = None,
    visit: "Visit | None" = None,
    message: Message | None = None,
) -> OutboxMessage:
    outbox_message = OutboxMessage.objects.create(
        channel=channel,
        recipient=recipient,
        body=body,
        link=link,
        reason=reason,
        customer=customer,
        visit=visit,
        message=message,
    )
    from layani.conversations.tasks import deliver_outbox_message

    enqueue_on_commit(deliver_outbox_message, outbox_message.pk)
    return outbox_message


def mark_sent(message_id: int) -> None:
    from layani.conversations.actions import update_delivery_status
    from layani.conversations.models import DeliveryStatus

    now = timezone.now()
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.QUEUED).update(
            status=OutboxStatus.SENT, sent_at=now
        )
        reply = Message.objects.filter(outbox__pk=message_id).first() if updated else None
        if reply is not None:
            update_delivery_status(reply, status=DeliveryStatus.SENT, at=now)


def send_through_outbox(message: Message) -> None:
    """The default sender of conversation replies: queue the reply in the outbox, addressed
    to the customer's identity for the message's channel. No address any more (the contact
    was removed since): the reply fails, visibly."""
    from layani.conversations.actions import update_delivery_status
    from layani.conversations.models import DeliveryStatus

    conversation = message.conversation
    customer = conversation.customer
    identities = list(customer.identities.all()) if customer is not None else []
    recipient = address_for(conversation, message.channel, identities)
    with transaction.atomic():
        if recipient is None:
            update_delivery_status(
                message, status=DeliveryStatus.FAILED, error="no address for this channel"
            )
            return
        if OutboxMessage.objects.filter(message=message).exists():
            return  # a retried task: queued already
        queue_outbox_message(
            channel=message.channel,
            recipient=recipient,
            body=message.body_text,
            reason=REPLY_REASON,
            customer=customer,
            message=message,
        )
