"""Background work of the Meta channels: fetching inbound media, naming new senders."""

from huey.contrib.djhuey import db_task

from layani.channels.meta.media import fetch_attachment
from layani.channels.models import ChannelAccount
from layani.conversations.models import MessageAttachment


@db_task(retries=5, retry_delay=30)
def fetch_message_media(account_id: int, message_id: int) -> int:
    """Fetch the files of one inbound message that are still missing; returns how many."""
    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None:
        return 0
    missing = MessageAttachment.objects.filter(message_id=message_id, file="").exclude(media_ref="")
    return sum(1 for attachment in missing if fetch_attachment(account, attachment))


@db_task(retries=3, retry_delay=60)
def name_new_sender(account_id: int, customer_id: int, identity: str, sender_id: str) -> str:
    """Ask the Graph API who this Messenger / Instagram sender is and name the customer."""
    from layani.channels.meta.profiles import name_sender

    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None:
        return ""
    return name_sender(account, customer_id, identity, sender_id)
