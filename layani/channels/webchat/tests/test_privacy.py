"""A contact typed into the widget proves nothing: whoever gives an existing customer's
email writes into that customer's file, but never sees, nor receives, what others wrote.
A widget shows only the chats that its own visitor alone wrote in."""

from typing import Any

import pytest

from layani.channels.models import ChannelAccount
from layani.channels.webchat.models import WebchatVisitor
from layani.channels.webchat.visitors import history, latest_conversation, widget_groups
from layani.conversations.actions import receive_inbound_message, reply
from layani.customers.actions import CustomerDetails, create_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db: Any) -> ChannelAccount:
    return ChannelAccount.objects.create(kind="webchat", name="Toko", key="toko-privasi")


def write(visitor: WebchatVisitor, text: str, n: int, *, into: Any = None) -> Any:
    """The visitor writes, as the worker files it: into their own latest chat or a new one
    (`into`: a chat of the customer's that someone else started, as before this was so)."""
    return receive_inbound_message(
        customer=visitor.customer,
        channel="webchat",
        body_text=text,
        external_id=f"webchat:{visitor.public_id}:{n}",
        channel_account_id=visitor.account_id,
        meta={"webchat_visitor": visitor.public_id, "webchat_client_id": str(n)},
        conversation=into or latest_conversation(visitor),
        join_latest=False,
        actor=None,
    ).conversation


def texts(visitor: WebchatVisitor) -> list[str]:
    return [m["text"] for m in history(visitor)]


def test_a_visitor_giving_someone_elses_email_sees_none_of_their_chat(account, agent):
    dewi = create_customer(
        CustomerDetails.from_values({"full_name": "Dewi", "email": "dewi@contoh.co.id"}),
        actor=None,
    )
    real = WebchatVisitor.objects.create(account=account, customer=dewi)
    chat = write(real, "Bunga deposito saya berapa?", 1)
    reply(chat, body_text="Bu Dewi, bunga deposito Anda 4,5%.", actor=agent)
    assert texts(real) == ["Bunga deposito saya berapa?", "Bu Dewi, bunga deposito Anda 4,5%."]

    # Someone else types Dewi's email into another browser: linked to her file ...
    stranger = WebchatVisitor.objects.create(account=account, customer=dewi)
    assert texts(stranger) == []  # ... but shown nothing of hers
    assert widget_groups(chat) == [real.group]  # and answers go to her widget only

    write(stranger, "halo", 2)
    assert texts(stranger) == ["halo"]  # not her question, not the earlier answer
    assert "Bunga deposito saya berapa?" in texts(real)


def test_a_chat_someone_else_wrote_in_shows_nothing_and_reaches_nobody_else(account, agent):
    """A stranger's message that went into Dewi's open chat (so it was, before web chat
    messages kept to their own chats): the stranger's widget shows nothing of it and hears
    none of its answers; only a chat one visitor alone wrote in reaches a widget."""
    dewi = create_customer(
        CustomerDetails.from_values({"full_name": "Dewi", "email": "dewi@contoh.co.id"}),
        actor=None,
    )
    real = WebchatVisitor.objects.create(account=account, customer=dewi)
    chat = write(real, "Bunga deposito saya berapa?", 1)
    stranger = WebchatVisitor.objects.create(account=account, customer=dewi)
    assert write(stranger, "halo", 2, into=chat) == chat
    reply(chat, body_text="Bu Dewi, bunga deposito Anda 4,5%.", actor=agent)

    assert texts(stranger) == []
    assert latest_conversation(stranger) is None  # their next message starts their own chat
    assert widget_groups(chat) == []
    assert write(stranger, "halo lagi", 3) != chat
    assert texts(stranger) == ["halo lagi"]


def test_a_reply_no_visitor_can_read_fails_saying_so_instead_of_showing_sent(
    account, agent, django_capture_on_commit_callbacks
):
    """Dewi's e-mail conversation merged into her web chat: the chat now holds messages
    that came by e-mail, so it is no longer one visitor's alone and reaches no widget; a
    reply there fails, with the reason, where it used to show as sent and reach nobody."""
    from layani.conversations.actions import merge_conversations
    from layani.conversations.models import DeliveryStatus, EventKind, TimelineEvent

    dewi = create_customer(
        CustomerDetails.from_values({"full_name": "Dewi", "email": "dewi@contoh.co.id"}),
        actor=None,
    )
    visitor = WebchatVisitor.objects.create(account=account, customer=dewi)
    chat = write(visitor, "Bunga deposito saya berapa?", 1)
    with django_capture_on_commit_callbacks(execute=True):
        answered = reply(chat, body_text="Bu Dewi, 4,5% setahun.", actor=agent)
    answered.refresh_from_db()
    assert answered.delivery_status == DeliveryStatus.SENT

    mail = receive_inbound_message(
        customer=dewi, channel="email", body_text="Mohon rekening koran", actor=None
    ).conversation
    merge_conversations(mail, into=chat, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        lost = reply(chat, body_text="Bu Dewi, sudah kami kirim.", actor=agent)
    lost.refresh_from_db()
    assert lost.delivery_status == DeliveryStatus.FAILED
    failed = TimelineEvent.objects.filter(message=lost).exclude(kind=EventKind.MESSAGE_OUT)
    assert "hasil penggabungan" in failed.get().details["error"]  # said in Indonesian
