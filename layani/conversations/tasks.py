from huey.contrib.djhuey import db_task

from layani.conversations.outbox import mark_sent


@db_task(retries=3, retry_delay=10)
def deliver_outbox_message(message_id: int) -> None:
    """The outbox sender: records the message as sent (real adapters replace this)."""
    mark_sent(message_id)
