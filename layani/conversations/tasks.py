from huey.contrib.djhuey import db_task

from layani.conversations.models import DeliveryStatus, Message
from layani.conversations.outbox import mark_sent


@db_task(retries=3, retry_delay=10)
def deliver_outbox_message(message_id: int) -> None:
    """The outbox sender: records the message as sent (real adapters replace this)."""
    mark_sent(message_id)


@db_task(retries=3, retry_delay=10)
def send_reply(message_id: int) -> None:
    """Hand a stored reply to its channel's sender (queued after the reply commits)."""
    from layani.conversations.senders import sender_for

    message = (
        Message.objects.select_related("conversation__customer", "conversation__channel_account")
        .filter(pk=message_id, delivery_status=DeliveryStatus.PENDING)
        .first()
    )
    if message is None:
        return  # sent already, or gone
    sender_for(message.channel)(message)
