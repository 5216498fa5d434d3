"""The visitor socket through the real ASGI application (Channels stack, the configured
channel layer): origins, tokens, messages through the pipeline, replies, typing,
availability."""

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from layani.channels.models import InboundRecord, InboundStatus
from layani.channels.webchat.models import WebchatVisitor
from layani.channels.webchat.tests.chat_socket import db, receive_until, socket
from layani.channels.webchat.tests.conftest import SITE
from layani.channels.webchat.visitors import history
from layani.config.asgi import application
from layani.conversations.actions import reply
from layani.conversations.models import Conversation, Direction, EventKind, Message
from layani.conversations.notify import INBOX_ALL_GROUP
from layani.customers.models import CustomerIdentity
from layani.routing.agent_status import set_agent_status
from layani.staff.models import Staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("origin", ["https://evil.example", "", "https://toko.example.evil"])
def test_a_page_of_another_origin_cannot_open_the_socket(chat_account, origin):
    async def scenario() -> tuple[bool, Any]:
        ws = socket(origin=origin)
        connected, code = await ws.connect()
        await ws.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4403)
    assert not WebchatVisitor.objects.exists()


def test_an_unknown_chat_is_refused(chat_account):
    async def scenario() -> Any:
        ws = socket(key="nope")
        connected, code = await ws.connect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4404)


def test_a_visitor_writes_is_answered_and_continues_after_a_reconnect(chat_account, agent):
    async def scenario() -> dict[str, Any]:
        ws = socket()
        assert (await ws.connect())[0]
        welcome = await ws.receive_json_from()
        assert welcome["history"] == [] and welcome["online"] is False
        await ws.send_json_to({"type": "message", "text": "Halo, pesanan saya?", "client_id": "c1"})
        ack = await receive_until(ws, "ack")
        assert ack == {"type": "ack", "client_id": "c1", "stored": True}
        # The intake acknowledgement is a reply: it reaches the widget live.
        automatic = await receive_until(ws, "message")
        assert automatic["from"] == "agent"
        conversation = await db(Conversation.objects.get)
        answer = await db(reply, conversation, body_text="Sedang dikirim, Kak.", actor=agent)
        live = await receive_until(ws, "message")
        assert live["text"] == "Sedang dikirim, Kak." and live["id"] == answer.pk
        assert live["author"]
        # The same client id again (a resend after a lost ack) stores nothing new.
        await ws.send_json_to({"type": "message", "text": "Halo, pesanan saya?", "client_id": "c1"})
        assert (await receive_until(ws, "ack"))["stored"] is False
        await ws.disconnect()
        again = socket(token=welcome["token"])
        assert (await again.connect())[0]
        resumed = await again.receive_json_from()
        await again.disconnect()
        return {"welcome": welcome, "resumed": resumed}

    result = async_to_sync(scenario)()
    resumed = result["resumed"]
    assert resumed["token"] == result["welcome"]["token"]
    texts = [(m["from"], m["text"]) for m in resumed["history"]]
    assert texts[0] == ("visitor", "Halo, pesanan saya?")
    assert texts[-1] == ("agent", "Sedang dikirim, Kak.")
    assert len(texts) == 3  # the message, the acknowledgement, the reply
    assert WebchatVisitor.objects.count() == 1
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.PROCESSED and record.duplicates == 1
    conversation = Conversation.objects.get()
    assert conversation.channel == "webchat" and conversation.channel_account_id == chat_account.pk
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.meta["webchat_client_id"] == "c1"
    assert not CustomerIdentity.objects.filter(customer=conversation.customer).exists()


def test_a_forged_token_gets_a_new_visitor(chat_account):
    async def scenario() -> str:
        ws = socket(token="forged.token:value")
        await ws.connect()
        welcome = await ws.receive_json_from()
        await ws.disconnect()
        return welcome["token"]

    token = async_to_sync(scenario)()
    assert token and token != "forged.token:value"
    assert WebchatVisitor.objects.count() == 1


def test_identification_gives_the_chat_the_customer_identity(chat_account):
    async def scenario() -> list[dict[str, Any]]:
        ws = socket()
        await ws.connect()
        await ws.receive_json_from()
        await ws.send_json_to({"type": "message", "text": "Halo", "client_id": "a"})
        await receive_until(ws, "ack")
        await ws.send_json_to({"type": "identify", "email": "bukan-email"})
        error = await receive_until(ws, "error")
        await ws.send_json_to({"type": "identify", "name": "Rina", "email": "Rina@Example.COM"})
        identified = await receive_until(ws, "identified")
        await ws.send_json_to({"type": "message", "text": "Ini saya", "client_id": "b"})
        await receive_until(ws, "ack")
        await ws.disconnect()
        return [error, identified]

    error, identified = async_to_sync(scenario)()
    assert error["field"] == "email" and error["message"]
    assert identified["visitor"]["email"] == "rina@example.com"
    conversation = Conversation.objects.get()  # one chat: the anonymous customer was named
    assert conversation.messages.filter(direction=Direction.INBOUND).count() == 2
    identity = CustomerIdentity.objects.get(customer=conversation.customer)
    assert (identity.kind, identity.value) == ("email", "rina@example.com")
    assert conversation.customer.full_name == "Rina"
    [claim] = conversation.timeline.filter(kind=EventKind.IDENTITY_CLAIMED)  # on her word
    assert claim.details == {"contact": "rina@example.com", "name": "Rina"}


def test_typing_goes_both_ways(chat_account, agent):
    client = Client()
    client.force_login(agent)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        layer = get_channel_layer()
        staff_channel = await layer.new_channel()
        await layer.group_add(INBOX_ALL_GROUP, staff_channel)
        ws = socket()
        await ws.connect()
        await ws.receive_json_from()
        await ws.send_json_to({"type": "message", "text": "Halo", "client_id": "a"})
        await receive_until(ws, "ack")
        conversation = await db(Conversation.objects.get)
        await ws.send_json_to({"type": "typing"})
        await ws.send_json_to({"type": "typing"})  # within 2 s: passed on once
        heard_all = []
        while not heard_all or heard_all[-1]["event"] != "conversation.typing":
            heard_all.append(await asyncio.wait_for(layer.receive(staff_channel), 5))
        heard = heard_all[-1]
        response = await db(client.post, f"/channels/chat/typing/{conversation.pk}/")
        assert response.status_code == 204
        agent_typing = await receive_until(ws, "typing")
        await ws.disconnect()
        return heard, agent_typing

    heard, agent_typing = async_to_sync(scenario)()
    assert heard["payload"] == {"conversation": Conversation.objects.get().pk, "who": "customer"}
    assert agent_typing == {"type": "typing", "from": "agent"}


def test_the_widget_knows_when_an_agent_of_the_team_comes_online(chat_account, agent, team_x):
    chat_account.team = team_x
    chat_account.save()
    staff = Staff.objects.get(user=agent)
    staff.teams.add(team_x)

    async def scenario() -> tuple[bool, dict[str, Any], bool]:
        ws = socket()
        await ws.connect()
        first = (await ws.receive_json_from())["online"]
        await db(set_agent_status, staff, status="online", actor=agent)
        change = await receive_until(ws, "availability")
        await ws.disconnect()
        again = socket()
        await again.connect()
        second = (await again.receive_json_from())["online"]
        await again.disconnect()
        return first, change, second

    assert async_to_sync(scenario)() == (False, {"type": "availability", "online": True}, True)


def test_a_widget_of_an_account_without_a_team_hears_any_agent_come_online(chat_account, agent):
    assert chat_account.team_id is None
    staff = Staff.objects.get(user=agent)

    async def scenario() -> tuple[bool, dict[str, Any]]:
        ws = socket()
        await ws.connect()
        first = (await ws.receive_json_from())["online"]
        await db(set_agent_status, staff, status="online", actor=agent)
        change = await receive_until(ws, "availability")
        await ws.disconnect()
        return first, change

    assert async_to_sync(scenario)() == (False, {"type": "availability", "online": True})


def test_the_history_reads_in_two_queries_whatever_its_length(
    chat_account, agent, django_assert_max_num_queries
):
    async def scenario() -> None:
        ws = socket()
        await ws.connect()
        await ws.receive_json_from()
        for n in range(12):
            await ws.send_json_to({"type": "message", "text": f"pesan {n}", "client_id": str(n)})
            await receive_until(ws, "ack")
        await ws.disconnect()

    async_to_sync(scenario)()
    visitor = WebchatVisitor.objects.get()
    with django_assert_max_num_queries(2):
        shown = history(visitor)
    assert [m["text"] for m in shown if m["from"] == "visitor"] == [f"pesan {n}" for n in range(12)]


def test_nothing_is_taken_before_the_widget_says_hello(chat_account):
    async def scenario() -> dict[str, Any]:
        ws = WebsocketCommunicator(
            application, "/ws/chat/toko-chat/", headers=[(b"origin", SITE.encode())]
        )
        connected, _code = await ws.connect()
        assert connected
        await ws.send_json_to({"type": "message", "text": "halo", "client_id": "c1"})
        answer = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return answer

    assert async_to_sync(scenario)() == {
        "type": "error",
        "field": "type",
        "message": "say hello first",
    }
    assert not WebchatVisitor.objects.exists()
