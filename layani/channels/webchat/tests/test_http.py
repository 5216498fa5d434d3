"""The widget script and the offline form over HTTP."""

import pytest
from django.test import Client

from layani.channels.models import InboundRecord, InboundStatus
from layani.channels.webchat.tests.conftest import SITE
from layani.conversations.models import Conversation, Direction
from layani.customers.models import CustomerIdentity

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
