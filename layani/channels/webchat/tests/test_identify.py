"""A visitor who chats anonymously and then says who they are: the chat goes on as one
conversation, in the file of the customer they named, and the widget still shows nothing
of that customer's own chats."""

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from layani.channels.models import ChannelAccount
from layani.channels.webchat.models import WebchatVisitor
from layani.channels.webchat.tests.chat_socket import db, receive_until, socket
from layani.channels.webchat.visitors import widget_groups
from layani.conversations.actions import receive_inbound_message, reply
from layani.conversations.models import Conversation, Direction, EventKind
from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.models import Customer

pytestmark = pytest.mark.django_db(transaction=True)

DEWI = "dewi@contoh.co.id"


def make_dewi() -> Customer:
    return create_customer(
        CustomerDetails.from_values({"full_name": "Dewi", "email": DEWI}), actor=None
    )


def dewi_chats(account: ChannelAccount, dewi: Customer, agent: Any) -> Conversation:
    """Dewi chats from her own browser, and is answered."""
    browser = WebchatVisitor.objects.create(account=account, customer=dewi, email=DEWI)
    chat = receive_inbound_message(
        customer=dewi,
        channel="webchat",
        body_text="Bunga deposito saya berapa?",
        external_id=f"webchat:{browser.public_id}:1",
        channel_account_id=account.pk,
        meta={"webchat_visitor": browser.public_id, "webchat_client_id": "1"},
        actor=None,
    ).conversation
    reply(chat, body_text="Bu Dewi, bunga deposito Anda 4,5%.", actor=agent)
    return chat


def chat_then_identify(
    email: str, *, write_after: bool = True, meanwhile: Callable[[], Any] = lambda: None
) -> list[dict[str, Any]]:
    """Write anonymously, (let `meanwhile` happen,) say who you are, (write again,) then
    come back: the history the widget shows."""

    async def scenario() -> list[dict[str, Any]]:
        ws = socket()
        await ws.connect()
        token = (await ws.receive_json_from())["token"]
        await ws.send_json_to({"type": "message", "text": "Halo, saya mau tanya", "client_id": "a"})
        await receive_until(ws, "ack")
        await db(meanwhile)
        await ws.send_json_to({"type": "identify", "name": "Dewi", "email": email})
        await receive_until(ws, "identified")
        if write_after:
            await ws.send_json_to({"type": "message", "text": "Ini saya, Dewi", "client_id": "b"})
            await receive_until(ws, "ack")
        await ws.disconnect()
        again = socket(token=token)
        await again.connect()
        history = (await again.receive_json_from())["history"]
        await again.disconnect()
        return list(history)

    return async_to_sync(scenario)()


def test_identifying_as_a_known_customer_continues_the_chat_in_their_file(chat_account, agent):
    dewi = make_dewi()
    earlier = dewi_chats(chat_account, dewi, agent)

    history = chat_then_identify(DEWI)

    visitor = WebchatVisitor.objects.get(name="Dewi")  # not her own browser, which has no name
    chat = Conversation.objects.exclude(pk=earlier.pk).get()  # one chat, not two
    assert chat.customer == dewi and visitor.customer == dewi  # in her file
    inbound = chat.messages.filter(direction=Direction.INBOUND).order_by("pk")
    assert [m.body_text for m in inbound] == ["Halo, saya mau tanya", "Ini saya, Dewi"]
    assert chat.messages.filter(meta__automatic="acknowledgement").count() == 1
    # The widget shows the whole chat, and nothing of Dewi's own earlier one.
    assert [m["text"] for m in history if m["from"] == "visitor"] == [
        "Halo, saya mau tanya",
        "Ini saya, Dewi",
    ]
    assert len(history) == 3  # the two messages and the one acknowledgement
    assert not {m["text"] for m in history} & set(
        earlier.messages.values_list("body_text", flat=True)
    )
    assert widget_groups(chat) == [visitor.group]  # answers reach this widget only ...
    assert visitor.group not in widget_groups(earlier)  # ... and never Dewi's
    # The nameless record the chat started under is kept, and says where the chat went.
    anonymous = Customer.objects.exclude(pk=dewi.pk).get()
    assert not anonymous.conversations.exists()
    moved = anonymous.timeline.get(kind=EventKind.CONVERSATION_MOVED)
    assert moved.details == {"conversation": chat.pk, "from": anonymous.pk, "to": dewi.pk}
    assert dewi.timeline.filter(kind=EventKind.MESSAGE_IN, conversation=chat).count() == 2


def test_the_visitor_goes_on_in_their_own_chat_while_the_customer_chats_in_hers(
    chat_account, agent
):
    dewi = make_dewi()
    hers: list[Conversation] = []

    history = chat_then_identify(
        DEWI, meanwhile=lambda: hers.append(dewi_chats(chat_account, dewi, agent))
    )

    [chat] = Conversation.objects.exclude(pk=hers[0].pk)
    assert chat.customer == dewi
    assert list(
        hers[0].messages.filter(direction=Direction.INBOUND).values_list("body_text", flat=True)
    ) == ["Bunga deposito saya berapa?"]
    assert [m["text"] for m in history if m["from"] == "visitor"] == [
        "Halo, saya mau tanya",
        "Ini saya, Dewi",
    ]
    assert len(history) == 3  # and the acknowledgement; not the answer Dewi got


def test_the_chat_is_in_the_customers_file_as_soon_as_the_visitor_says_who_they_are(
    chat_account, agent
):
    dewi = make_dewi()
    earlier = dewi_chats(chat_account, dewi, agent)

    history = chat_then_identify(DEWI, write_after=False)

    chat = Conversation.objects.exclude(pk=earlier.pk).get()
    assert chat.customer == dewi
    assert [m["text"] for m in history if m["from"] == "visitor"] == ["Halo, saya mau tanya"]


def test_a_contact_alone_records_no_customer(chat_account):
    async def scenario() -> None:
        ws = socket()
        await ws.connect()
        await ws.receive_json_from()
        await ws.send_json_to({"type": "identify", "name": "Rina", "email": "rina@example.com"})
        await receive_until(ws, "identified")
        await ws.disconnect()

    async_to_sync(scenario)()
    assert WebchatVisitor.objects.get().email == "rina@example.com"
    assert not Customer.objects.exists()  # the first message records or finds them
