"""A visitor who says who they are in the widget: their chat goes on as one conversation,
in the file of the customer they named, and the widget still shows nothing of that
customer's own chats. The contact is a claim: saying it before writing, or saying another
one later, never joins the session to a chat it did not start."""

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.urls import reverse

from layani.channels.models import ChannelAccount
from layani.channels.webchat.access import sign_visitor
from layani.channels.webchat.models import WebchatVisitor
from layani.channels.webchat.tests.chat_socket import db, receive_until, socket
from layani.channels.webchat.tests.conftest import SITE
from layani.channels.webchat.visitors import widget_groups
from layani.conversations.actions import merge_conversations, receive_inbound_message, reply
from layani.conversations.models import Conversation, Direction, EventKind
from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.models import Customer

pytestmark = pytest.mark.django_db(transaction=True)

DEWI = "dewi@contoh.co.id"
BUDI_PHONE = "+6281298765432"


def make_dewi() -> Customer:
    return create_customer(
        CustomerDetails.from_values({"full_name": "Dewi", "email": DEWI}), actor=None
    )


def chats_from_own_browser(
    account: ChannelAccount,
    customer: Customer,
    agent: Any,
    *,
    question: str,
    answer: str,
    **contact: str,
) -> Conversation:
    """The customer chats from their own browser, where they gave their `contact` (a chat of
    its own, as the worker files a browser's first message), and is answered; the chat
    stays open."""
    browser = WebchatVisitor.objects.create(account=account, customer=customer, **contact)
    chat = receive_inbound_message(
        customer=customer,
        channel="webchat",
        body_text=question,
        external_id=f"webchat:{browser.public_id}:1",
        channel_account_id=account.pk,
        meta={"webchat_visitor": browser.public_id, "webchat_client_id": "1"},
        join_latest=False,
        actor=None,
    ).conversation
    reply(chat, body_text=answer, actor=agent)
    return chat


def dewi_chats(account: ChannelAccount, dewi: Customer, agent: Any) -> Conversation:
    """Dewi chats from her own browser, and is answered."""
    return chats_from_own_browser(
        account,
        dewi,
        agent,
        question="Bunga deposito saya berapa?",
        answer="Bu Dewi, bunga deposito Anda 4,5%.",
        email=DEWI,
    )


def texts_of(chat: Conversation) -> set[str]:
    return set(chat.messages.values_list("body_text", flat=True))


def inbound_texts(chat: Conversation) -> list[str]:
    inbound = chat.messages.filter(direction=Direction.INBOUND).order_by("created_at", "pk")
    return list(inbound.values_list("body_text", flat=True))


async def heard_until(ws: Any, text: str) -> list[dict[str, Any]]:
    """Everything the widget hears until a message with `text` (5 s at most for each)."""
    heard: list[dict[str, Any]] = []
    while not heard or heard[-1].get("text") != text:
        heard.append(await ws.receive_json_from(timeout=5))
    return heard


async def history_of(token: str) -> list[dict[str, Any]]:
    """What the widget shows when it comes back with `token`."""
    ws = socket(token=token)
    await ws.connect()
    shown = (await ws.receive_json_from())["history"]
    await ws.disconnect()
    return list(shown)


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
    # Its thread says that Dewi is the visitor's word, once.
    [claim] = chat.timeline.filter(kind=EventKind.IDENTITY_CLAIMED)
    assert claim.details == {"contact": DEWI, "name": "Dewi"} and claim.customer == dewi


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


def test_a_visitor_who_says_who_they_are_before_writing_gets_a_chat_of_their_own(
    chat_account, agent, admin_user
):
    """Someone types Dewi's email into another browser before writing anything. Their
    message opens a chat of their own in Dewi's file; they never hear what is said to Dewi
    in her open chat, and Dewi never hears what is said to them."""
    dewi = make_dewi()
    hers = dewi_chats(chat_account, dewi, agent)
    her_token = sign_visitor(chat_account, WebchatVisitor.objects.get(customer=dewi).public_id)
    staff = Client()
    staff.force_login(agent)
    question = "Halo, saya Dewi. Saldo tabungan saya berapa?"
    to_her, to_them, to_her_later = (
        "Bu Dewi, saldo Anda Rp12.500.000.",
        "Baik, kami cek dulu, Kak.",
        "Bu Dewi, ada lagi yang bisa kami bantu?",
    )

    async def scenario() -> dict[str, Any]:
        her_widget = socket(token=her_token)
        await her_widget.connect()
        await her_widget.receive_json_from()
        ws = socket()
        await ws.connect()
        token = (await ws.receive_json_from())["token"]
        await ws.send_json_to({"type": "identify", "name": "Dewi", "email": DEWI})
        await receive_until(ws, "identified")
        await ws.send_json_to({"type": "message", "text": question, "client_id": "a"})
        await receive_until(ws, "ack")
        theirs = await db(lambda: Conversation.objects.get(messages__body_text=question))
        typing = await db(staff.post, f"/channels/chat/typing/{hers.pk}/")
        assert typing.status_code == 204
        await db(reply, hers, body_text=to_her, actor=agent)
        await db(reply, theirs, body_text=to_them, actor=agent)
        await db(reply, hers, body_text=to_her_later, actor=agent)
        heard = await heard_until(ws, to_them)
        she_heard = await heard_until(her_widget, to_her_later)
        await ws.disconnect()
        await her_widget.disconnect()
        return {"heard": heard, "she_heard": she_heard, "history": await history_of(token)}

    result = async_to_sync(scenario)()

    # Live: their acknowledgement and answer, nothing of Dewi's chat (not even typing).
    heard = [m.get("text") for m in result["heard"] if m["type"] == "message"]
    assert not set(heard) & texts_of(hers)
    assert heard[-1] == to_them and len(heard) == 2  # the acknowledgement, the answer
    assert "typing" not in {m["type"] for m in result["heard"]}
    chat = Conversation.objects.get(messages__body_text=question)
    assert chat.pk != hers.pk and chat.customer == dewi  # their own chat, in Dewi's file
    assert inbound_texts(hers) == ["Bunga deposito saya berapa?"]
    # Dewi hears what is said to her, and nothing of theirs.
    she_heard = [m.get("text") for m in result["she_heard"] if m["type"] == "message"]
    assert she_heard == [to_her, to_her_later]
    assert "typing" in {m["type"] for m in result["she_heard"]}
    # Coming back: the same, from their own chat only.
    shown = [(m["from"], m["text"]) for m in result["history"]]
    assert shown[0] == ("visitor", question) and shown[-1] == ("agent", to_them)
    assert len(shown) == 3 and not {text for _who, text in shown} & texts_of(hers)
    # The agent sees in the thread that the identity is the visitor's word.
    [claim] = chat.timeline.filter(kind=EventKind.IDENTITY_CLAIMED)
    assert claim.customer == dewi and DEWI in claim.summary
    staff.force_login(admin_user)
    page = staff.get(reverse("inbox:conversation", args=[chat.pk])).content.decode()
    assert "belum diverifikasi" in page and DEWI in page
    assert not hers.timeline.filter(kind=EventKind.IDENTITY_CLAIMED).exists()


def test_a_message_left_with_a_customers_email_starts_a_chat_of_its_own(chat_account, agent):
    """The offline form is a claim too: its message does not join Dewi's open chat, and the
    widget that left it shows nothing of hers."""
    dewi = make_dewi()
    hers = dewi_chats(chat_account, dewi, agent)
    response = Client().post(
        "/channels/chat/toko-chat/offline/",
        data={"name": "Dewi", "email": DEWI, "message": "Tolong hubungi saya soal kartu"},
        headers={"Origin": SITE},
    )
    assert response.status_code == 200, response.content
    reply(hers, body_text="Bu Dewi, saldo Anda Rp12.500.000.", actor=agent)

    chat = Conversation.objects.get(messages__body_text="Tolong hubungi saya soal kartu")
    assert chat.pk != hers.pk and chat.customer == dewi
    assert inbound_texts(hers) == ["Bunga deposito saya berapa?"]
    assert chat.timeline.filter(kind=EventKind.IDENTITY_CLAIMED).count() == 1
    history = async_to_sync(history_of)(response.json()["token"])
    assert [m["text"] for m in history if m["from"] == "visitor"] == [
        "Tolong hubungi saya soal kartu"
    ]
    assert not {m["text"] for m in history} & texts_of(hers)


def make_budi() -> Customer:
    return create_customer(
        CustomerDetails.from_values({"full_name": "Budi", "phone": BUDI_PHONE}), actor=None
    )


def identify_twice(
    first: dict[str, str], second: dict[str, str], meanwhile: Callable[[], Any] = lambda: None
) -> list[dict[str, Any]]:
    """Say who you are, write, (let `meanwhile` happen,) say someone else, write again, then
    come back: the history the widget shows."""

    async def scenario() -> list[dict[str, Any]]:
        ws = socket()
        await ws.connect()
        token = (await ws.receive_json_from())["token"]
        for n, contact in enumerate([first, second]):
            await ws.send_json_to({"type": "identify", **contact})
            await receive_until(ws, "identified")
            text = f"Pesan {n + 1}"
            await ws.send_json_to({"type": "message", "text": text, "client_id": str(n)})
            await receive_until(ws, "ack")
            if n == 0:
                await db(meanwhile)
        await ws.disconnect()
        return await history_of(token)

    return async_to_sync(scenario)()


def test_saying_another_name_later_takes_the_visitors_own_chat_along_and_nothing_else(
    chat_account, agent
):
    """A visitor gives Dewi's email, writes, then gives Budi's phone (a slip corrected, or
    a second try): the chat they started goes with them to Budi's file. Dewi keeps her own
    chat and a row saying where theirs went; Budi's open chat is not joined."""
    dewi, budi = make_dewi(), make_budi()
    hers = dewi_chats(chat_account, dewi, agent)
    his = chats_from_own_browser(
        chat_account,
        budi,
        agent,
        question="Paket saya di mana?",
        answer="Pak Budi, besok tiba.",
        phone=BUDI_PHONE,
    )

    history = identify_twice(
        {"name": "Dewi", "email": DEWI}, {"name": "Budi", "phone": "0812-9876-5432"}
    )

    chat = Conversation.objects.exclude(pk__in=[hers.pk, his.pk]).get()  # theirs, one chat
    assert chat.customer == budi
    assert inbound_texts(chat) == ["Pesan 1", "Pesan 2"]
    assert inbound_texts(hers) == ["Bunga deposito saya berapa?"] and hers.customer == dewi
    assert inbound_texts(his) == ["Paket saya di mana?"]
    assert [m["text"] for m in history if m["from"] == "visitor"] == ["Pesan 1", "Pesan 2"]
    assert len(history) == 3  # and the one acknowledgement
    assert not {m["text"] for m in history} & (texts_of(hers) | texts_of(his))
    moved = dewi.timeline.get(kind=EventKind.CONVERSATION_MOVED)
    assert moved.details == {"conversation": chat.pk, "from": dewi.pk, "to": budi.pk}
    claims = chat.timeline.filter(kind=EventKind.IDENTITY_CLAIMED).order_by("pk")
    assert [c.details["contact"] for c in claims] == [DEWI, BUDI_PHONE]
    visitor = WebchatVisitor.objects.get(name="Budi")
    assert (visitor.email, visitor.phone, visitor.customer) == ("", BUDI_PHONE, budi)
    assert widget_groups(chat) == [visitor.group]


def test_a_chat_another_person_wrote_in_stays_in_the_first_file(chat_account, agent):
    """Dewi writes from her own browser after the visitor started a chat under her name, and
    an agent merges her chat into theirs: from then on the visitor sees nothing of it, and
    saying another name later leaves it (and Dewi's words in it) in her file; the visitor
    goes on in a new chat of their own."""
    dewi, budi = make_dewi(), make_budi()

    def dewi_writes_and_an_agent_merges_her_chat_into_theirs() -> None:
        hers = dewi_chats(chat_account, dewi, agent)
        theirs = Conversation.objects.get(messages__body_text="Pesan 1")
        merge_conversations(hers, into=theirs, actor=None)

    history = identify_twice(
        {"name": "Dewi", "email": DEWI},
        {"name": "Budi", "phone": BUDI_PHONE},
        meanwhile=dewi_writes_and_an_agent_merges_her_chat_into_theirs,
    )

    merged = Conversation.objects.get(messages__body_text="Pesan 1")
    assert merged.customer == dewi
    assert inbound_texts(merged) == ["Pesan 1", "Bunga deposito saya berapa?"]
    new = Conversation.objects.get(messages__body_text="Pesan 2")
    assert new.customer == budi and inbound_texts(new) == ["Pesan 2"]
    assert [m["text"] for m in history if m["from"] == "visitor"] == ["Pesan 2"]
    assert not {m["text"] for m in history} & texts_of(merged)
    assert not dewi.timeline.filter(kind=EventKind.CONVERSATION_MOVED).exists()
    assert widget_groups(merged) == []  # two people wrote in it: no widget hears its answers
