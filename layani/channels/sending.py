"""Replies leave through the account the customer wrote to, by its adapter.

A conversation remembers its account (`Conversation.channel_account`); one without (an agent
chose another of the customer's channels, or the conversation began elsewhere) uses the
first active account of that channel. A channel with no account goes through the outbox,
which records what would have been sent (the demo without credentials), and so does an
account with the setting `send_through_outbox` (a demo or staging account).
"""

from layani.channels.base import SendFailed
from layani.channels.models import CHANNEL_OF_KIND, ChannelAccount
from layani.channels.registry import adapter_for, registered_kinds
from layani.conversations.actions import update_delivery_status
from layani.conversations.models import DeliveryStatus, Message
from layani.conversations.outbox import send_through_outbox
from layani.conversations.senders import register_sender


def account_for(message: Message) -> ChannelAccount | None:
    kinds = [kind for kind, channel in CHANNEL_OF_KIND.items() if channel == message.channel]
    accounts = ChannelAccount.objects.filter(kind__in=kinds, is_active=True)
    chosen = message.conversation.channel_account_id
    if chosen is not None:
        account = accounts.filter(pk=chosen).first()
        if account is not None:
            return account
    return accounts.order_by("pk").first()


def send_message(message: Message) -> None:
    account = account_for(message)
    adapter = adapter_for(account.kind) if account is not None else None
    if (
        account is None
        or adapter is None
        or not getattr(adapter, "can_send", True)
        or account.setting("send_through_outbox", False)
    ):
        # No way to send, or a demo/staging account that must not reach real customers:
        # the outbox records what would have gone out.
        send_through_outbox(message)
        return
    try:
        external_id = adapter.send(account, message)
    except SendFailed as exc:
        update_delivery_status(message, status=DeliveryStatus.FAILED, error=str(exc))
        return
    if external_id:
        Message.objects.filter(pk=message.pk).update(external_id=external_id[:255])
        message.external_id = external_id[:255]
    update_delivery_status(message, status=DeliveryStatus.SENT)


def register_senders() -> None:
    channels = {CHANNEL_OF_KIND[kind] for kind in registered_kinds() if kind in CHANNEL_OF_KIND}
    for channel in channels:
        register_sender(channel, send_message)
