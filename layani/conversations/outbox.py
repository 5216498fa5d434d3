"""Messages to customers that leave through a channel's sender.

Until the channel adapters exist, `deliver_outbox_message` is the outbox sender: it marks
the message sent and keeps it, so a demo or a test shows exactly what would have gone out.
"""

from typing import TYPE_CHECKING

from django.utils import timezone

from layani.conversations.models import OutboxMessage, OutboxStatus
from layani.core.events import enqueue_on_commit

if TYPE_CHECKING:
    from layani.branches.models import Visit
    from layani.customers.models import Customer


def queue_outbox_message(
    *,
    channel: str,
    recipient: str,
    body: str,
    reason: str,
    link: str = "",
    customer: "Customer | None" = None,
    visit: "Visit | None" = None,
) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        channel=channel,
        recipient=recipient,
        body=body,
        link=link,
        reason=reason,
        customer=customer,
        visit=visit,
    )
    from layani.conversations.tasks import deliver_outbox_message

    enqueue_on_commit(deliver_outbox_message, message.pk)
    return message


def mark_sent(message_id: int) -> None:
    OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.QUEUED).update(
        status=OutboxStatus.SENT, sent_at=timezone.now()
    )
