"""The demo's channel accounts work end to end: a signed sample request, as the provider
would send it, becomes a conversation; replies go to the outbox, never to the provider."""

from typing import Any

import pytest
from django.core.management import call_command

from layani.channels.demo import seed_channel_accounts
from layani.channels.models import ChannelAccount, InboundRecord, InboundStatus
from layani.conversations.models import Conversation, OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_demo_account_takes_a_signed_sample(asgi_server: Any) -> None:
    asgi_server.run(seed_channel_accounts)
    asgi_server.run(seed_channel_accounts)  # idempotent
    assert ChannelAccount.objects.count() == 8
    call_command("channel_sample", "whatsapp", url=asgi_server.url, text="Kartu saya tertelan")
    call_command("channel_sample", "telegram", url=asgi_server.url, sender="445566")
    call_command("channel_sample", "messenger", url=asgi_server.url, sender="7001")
    call_command("channel_sample", "cti", url=asgi_server.url, event="ringing", call_id="c-9")
    records = InboundRecord.objects.order_by("pk")
    assert [r.status for r in records] == [InboundStatus.PROCESSED] * 4, [
        (r.account.kind, r.reason) for r in records
    ]
    channels = set(Conversation.objects.values_list("channel", flat=True))
    assert {"whatsapp", "telegram", "messenger"} <= channels
    whatsapp = Conversation.objects.get(channel="whatsapp")
    assert whatsapp.customer.identities.get(kind="whatsapp").value == "+6281234567890"
    # The acknowledgement went to the outbox (the demo never reaches the provider).
    assert OutboxMessage.objects.filter(message__conversation=whatsapp).exists()
