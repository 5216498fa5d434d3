"""The Telegram bot end to end: webhook → stored → processed → inbox, and replies out
through a Bot API server on loopback (tests/bot_api_server.py)."""

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from layani.channels.base import SendFailed
from layani.channels.models import ChannelAccount, InboundRecord, InboundStatus
from layani.channels.registry import adapter_for
from layani.channels.telegram.bot_api import BotApiUnavailable
from layani.channels.telegram.tests.bot_api_server import BotApiServer
from layani.conversations.actions import reply
from layani.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    MessageAttachment,
    TimelineEvent,
)
from layani.customers.models import CustomerIdentity

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "123456:ABC-test-token"
SECRET = "webhook-secret-Abc_123"
PHOTO = b"\xff\xd8\xff\xe0 a small jpeg"


@pytest.fixture
def bot_api() -> Any:
    server = BotApiServer(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def account(bot_api: BotApiServer, transactional_db: Any, settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    from layani.channels.registry import load_adapters

    load_adapters()
    return ChannelAccount.objects.create(
        kind="telegram",
        name="Bot",
        key="bot-1",
        settings={"api_base": bot_api.url},
        secrets={"bot_token": TOKEN, "webhook_secret": SECRET},
    )


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def post(body: bytes, secret: str | None = SECRET) -> Any:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return Client().post(
        "/channels/telegram/bot-1/", data=body, content_type="application/json", headers=headers
    )


def inbound() -> list[Message]:
    return list(Message.objects.filter(direction=Direction.INBOUND).order_by("pk"))


def test_a_message_lands_in_the_inbox_and_the_acknowledgement_goes_out(account, bot_api):
    response = post(fixture("text_message"))
    assert response.status_code == 200 and response.json() == {"status": "received"}
    record = InboundRecord.objects.get()
    assert record.idempotency_key == "update:900001"
    assert record.status == InboundStatus.PROCESSED
    assert "x-telegram-bot-api-secret-token" not in record.headers  # the secret is not kept
    (message,) = inbound()
    assert message.external_id == "511223344:101"
    conversation = message.conversation
    assert conversation.channel == "telegram" and conversation.channel_account_id == account.pk
    assert conversation.customer.full_name == "Siti Rahma"
    identity = CustomerIdentity.objects.get(customer=conversation.customer)
    assert (identity.kind, identity.value) == ("telegram", "511223344")
    # The intake acknowledgement left by sendMessage to the customer's chat.
    (sent,) = bot_api.calls("sendMessage")
    assert sent.fields["chat_id"] == "511223344"
    assert f"L-{conversation.pk}" in sent.fields["text"]
    ack = Message.objects.get(direction=Direction.OUTBOUND)
    assert ack.delivery_status == DeliveryStatus.SENT
    assert ack.external_id == f"511223344:{bot_api.next_message_id}"


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_stored(account, secret):
    response = post(fixture("text_message"), secret=secret)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "rejected"
    assert not InboundRecord.objects.exists() and not Message.objects.exists()


def test_the_same_update_three_times_is_one_message(account):
    answers = [post(fixture("text_message")).json()["status"] for _ in range(3)]
    assert answers == ["received", "duplicate", "duplicate"]
    assert InboundRecord.objects.get().duplicates == 2
    assert len(inbound()) == 1


def test_an_edit_joins_the_same_conversation_and_keeps_the_original_id(account):
    post(fixture("text_message"))
    post(fixture("edited_message"))
    first, edit = inbound()
    assert Conversation.objects.count() == 1 and edit.conversation_id == first.conversation_id
    assert edit.meta["kind"] == "edited"
    assert edit.meta["original_message_id"] == first.external_id
    assert "belum bertambah" in edit.body_text


def test_a_photo_is_downloaded_in_the_background_into_the_attachment(account, bot_api):
    bot_api.files["AgACAgUAAxk-large"] = ("photos/file_7.jpg", PHOTO)
    post(fixture("photo"))
    (message,) = inbound()
    assert message.body_text == "Bukti transfer"
    attachment = MessageAttachment.objects.get(message=message)
    assert attachment.media_ref == "AgACAgUAAxk-large"
    assert [c.fields["file_id"] for c in bot_api.calls("getFile")] == ["AgACAgUAAxk-large"]
    assert bot_api.downloads == ["photos/file_7.jpg"]
    with attachment.file.open("rb") as handle:
        assert handle.read() == PHOTO
    assert attachment.size == len(PHOTO) and attachment.content_type == "image/jpeg"


def test_a_file_the_bot_api_no_longer_has_stays_a_reference(account, bot_api):
    post(fixture("document"))
    attachment = MessageAttachment.objects.get()
    assert attachment.media_ref == "BQACAgUAAxk-doc" and not attachment.file
    assert attachment.message.body_text  # shown as a document, not lost


def test_a_button_press_is_a_button_message_and_the_query_is_answered(account, bot_api):
    post(fixture("callback_query"))
    (answered,) = bot_api.calls("answerCallbackQuery")
    assert answered.fields == {"callback_query_id": "4382bfdwdsb323b2d9"}
    (message,) = inbound()
    assert message.meta["kind"] == "button" and message.meta["button_data"] == "resolved:yes"
    assert "resolved:yes" in message.body_text


@pytest.mark.parametrize("name", ["voice", "audio", "video", "location", "contact"])
def test_every_message_kind_reaches_the_inbox(account, name):
    post(fixture(name))
    (message,) = inbound()
    assert message.body_text.strip()


def test_an_unknown_update_type_is_stored_and_not_fatal(account):
    assert post(fixture("my_chat_member")).status_code == 200
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.PROCESSED
    assert "my_chat_member" in record.reason
    assert not Message.objects.exists()


def test_a_body_that_is_not_json_is_kept_as_failed_with_the_reason(account):
    assert post(b"{not json").status_code == 200
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.FAILED and "not JSON" in record.reason


def test_an_agent_reply_leaves_by_send_message(account, bot_api, agent):
    post(fixture("text_message"))
    conversation = Conversation.objects.get()
    bot_api.received.clear()
    message = reply(conversation, body_text="Baik Bu Siti, kami cek sekarang.", actor=agent)
    (sent,) = bot_api.calls("sendMessage")
    assert sent.fields == {"chat_id": "511223344", "text": "Baik Bu Siti, kami cek sekarang."}
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT
    assert message.external_id == f"511223344:{bot_api.next_message_id}"


def test_a_reply_longer_than_telegram_takes_leaves_in_parts(account, bot_api, agent):
    post(fixture("text_message"))
    bot_api.received.clear()
    long_text = "Rincian biaya: " + "x" * 5000
    message = reply(Conversation.objects.get(), body_text=long_text, actor=agent)
    parts = [c.fields["text"] for c in bot_api.calls("sendMessage")]
    assert [len(p) for p in parts] == [4096, len(long_text) - 4096]
    assert "".join(parts) == long_text
    message.refresh_from_db()
    assert message.external_id == f"511223344:{bot_api.next_message_id - 1}"


def test_a_photo_and_a_document_leave_by_send_photo_and_send_document(account, bot_api, agent):
    post(fixture("text_message"))
    conversation = Conversation.objects.get()
    bot_api.received.clear()
    message = Message.objects.create(
        conversation=conversation,
        channel="telegram",
        direction=Direction.OUTBOUND,
        body_text="Formulir dan contoh foto",
    )
    for name, content_type, content in (
        ("contoh.jpg", "image/jpeg", PHOTO),
        ("formulir.pdf", "application/pdf", b"%PDF-1.4 form"),
    ):
        row = MessageAttachment(message=message, filename=name, content_type=content_type)
        row.file.save(name, ContentFile(content), save=True)
    external_id = adapter_for("telegram").send(account, message)
    photo, document = bot_api.received
    assert (photo.method, document.method) == ("sendPhoto", "sendDocument")
    assert photo.fields == {"chat_id": "511223344", "caption": "Formulir dan contoh foto"}
    assert photo.files["photo"] == ("contoh.jpg", PHOTO)
    assert document.fields == {"chat_id": "511223344"}
    assert document.files["document"] == ("formulir.pdf", b"%PDF-1.4 form")
    assert external_id == f"511223344:{bot_api.next_message_id - 1}"


def test_a_refusal_fails_the_message_and_a_server_error_is_retried(account, bot_api, agent):
    post(fixture("text_message"))
    conversation = Conversation.objects.get()
    bot_api.failures.append((400, "Bad Request: chat not found"))
    refused = reply(conversation, body_text="Halo?", actor=agent)
    refused.refresh_from_db()
    assert refused.delivery_status == DeliveryStatus.FAILED
    failure = TimelineEvent.objects.get(message=refused, kind=EventKind.DELIVERY_FAILED)
    assert "chat not found" in failure.details["error"]
    adapter = adapter_for("telegram")
    for status in (500, 429):
        bot_api.failures.append((status, "try later"))
        with pytest.raises(BotApiUnavailable):
            adapter.send(account, refused)
    bot_api.failures.append((403, "Forbidden: bot was blocked by the user"))
    with pytest.raises(SendFailed, match="blocked"):
        adapter.send(account, refused)
