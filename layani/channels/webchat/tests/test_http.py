"""The widget script and the offline form over HTTP."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from layani.channels.models import InboundRecord, InboundStatus
from layani.channels.webchat.models import WebchatVisitor
from layani.channels.webchat.tests.conftest import SITE
from layani.channels.webchat.visitors import store_message
from layani.conversations.models import Conversation, Direction
from layani.customers.models import CustomerIdentity
from layani.staff.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

OFFLINE = "/channels/chat/toko-chat/offline/"


def offline(data: dict[str, str], origin: str = SITE) -> object:
    return Client().post(OFFLINE, data=data, headers={"Origin": origin})


def test_the_widget_script_carries_the_account_and_both_languages(chat_account):
    response = Client().get("/channels/chat/toko-chat/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    script = response.content.decode()
    assert '"key": "toko-chat"' in script and '"title": "Toko Sejahtera"' in script
    assert '"id": {' in script and '"en": {' in script
    assert "attachShadow" in script and ".launcher" in script
    assert Client().get("/channels/chat/nope/widget.js").status_code == 404


def test_the_offline_form_stores_a_conversation_of_the_customer(chat_account):
    response = offline(
        {
            "name": "Andi Wijaya",
            "email": "andi@example.com",
            "phone": "0812 3456 7890",
            "message": "Apakah toko buka hari Minggu?",
        }
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "received" and response.json()["token"]
    assert response["Access-Control-Allow-Origin"] == SITE
    assert InboundRecord.objects.get().status == InboundStatus.PROCESSED
    conversation = Conversation.objects.get()
    assert conversation.channel == "webchat" and conversation.customer.full_name == "Andi Wijaya"
    message = conversation.messages.get(direction=Direction.INBOUND)
    assert message.body_text == "Apakah toko buka hari Minggu?"
    assert message.meta["offline_form"] is True
    identity = CustomerIdentity.objects.get(customer=conversation.customer, kind="email")
    assert identity.value == "andi@example.com"


def test_a_message_left_offline_is_answered_by_email_unless_the_visitor_chats_again(
    chat_account, make_person
):
    """Nobody was online and the visitor closed the widget: the reply box offers email
    first. Once they write in the widget again, the chat is live and the widget first."""
    offline({"name": "Andi", "email": "andi@example.com", "message": "Buka hari Minggu?"})
    conversation = Conversation.objects.get()
    agent = Client()
    agent.force_login(make_person(Role.ADMIN))

    def chosen_channel() -> str:
        page = agent.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
        box = re.search(r'<select name="channel" id="compose-channel">(.*?)</select>', page)
        assert box is not None
        [value] = re.findall(r'<option value="(\w+)" selected>', box.group(1))
        return value

    assert chosen_channel() == "email"
    store_message(WebchatVisitor.objects.get(), "Saya di toko sekarang", "c1")
    assert Conversation.objects.get().messages.filter(direction=Direction.INBOUND).count() == 2
    assert chosen_channel() == "webchat"


def test_an_offline_message_is_acknowledged_and_answered_by_email_by_default(
    chat_account, make_person
):
    """The API's default is the reply box's: the widget is closed, the email is not. The
    acknowledgement went there too."""
    offline({"name": "Andi", "email": "andi@example.com", "message": "Buka hari Minggu?"})
    conversation = Conversation.objects.get()
    agent = Client()
    agent.force_login(make_person(Role.ADMIN))
    response = agent.post(
        f"/api/v1/conversations/{conversation.pk}/replies",
        data={"body_text": "Buka, Pak, jam 9 sampai 15."},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    sent = conversation.messages.get(
        direction=Direction.OUTBOUND, body_text__startswith="Buka, Pak"
    )
    assert sent.channel == "email"
    acknowledgement = conversation.messages.get(meta__automatic="acknowledgement")
    assert acknowledgement.channel == "email"  # the ticket number reaches them too


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "A", "message": "Halo"}, "email"),
        ({"email": "bukan email", "message": "Halo"}, "email"),
        ({"phone": "12", "message": "Halo"}, "phone"),
        ({"email": "a@example.com", "message": "  "}, "message"),
        ({"email": "a@example.com", "message": "x" * 4001}, "message"),
    ],
)
def test_a_bad_offline_form_is_a_400_naming_the_field_and_stores_nothing(chat_account, data, field):
    response = offline({**data, "lang": "en"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == [field] and error["fields"][field][0]
    assert not InboundRecord.objects.exists()


def test_another_origin_may_not_post_the_offline_form(chat_account):
    response = offline({"email": "a@example.com", "message": "Halo"}, origin="https://evil.example")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert not InboundRecord.objects.exists()


def test_the_preflight_answers_only_allowed_origins(chat_account):
    allowed = Client().options(OFFLINE, headers={"Origin": SITE})
    assert allowed.status_code == 204 and allowed["Access-Control-Allow-Origin"] == SITE
    assert Client().options(OFFLINE, headers={"Origin": "https://evil.example"}).status_code == 403


def test_the_generic_webhook_address_takes_nothing_for_web_chat(chat_account):
    response = Client().post(
        "/channels/webchat/toko-chat/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert not InboundRecord.objects.exists()


def test_agent_typing_needs_a_signed_in_person_who_may_see_the_conversation(chat_account):
    response = Client().post("/channels/chat/typing/1/")
    assert response.status_code == 302  # to the sign-in page
