"""Telegram updates (fixtures written from the Bot API docs) → domain events, no database."""

import json
from pathlib import Path

import pytest

from layani.channels.base import Unparseable
from layani.channels.events import Ignored, IncomingMessage
from layani.channels.telegram.parsing import parse_update

FIXTURES = Path(__file__).parent / "fixtures"


def update(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def only_message(name: str) -> IncomingMessage:
    (event,) = parse_update(update(name))
    assert isinstance(event, IncomingMessage)
    return event


def test_a_text_message_names_the_sender_by_chat_id_and_name():
    event = only_message("text_message")
    assert event.sender.kind == "telegram" and event.sender.value == "511223344"
    assert event.sender.name == "Siti Rahma"
    assert event.external_id == "511223344:101"
    assert event.text.startswith("Halo, saldo saya")
    assert event.received_at is not None and event.received_at.tzinfo is not None


def test_an_edit_is_its_own_message_pointing_at_the_original():
    event = only_message("edited_message")
    assert event.kind == "edited"
    assert event.external_id == "511223344:101:edit:1795000300"
    assert event.meta["original_message_id"] == "511223344:101"
    assert "belum bertambah" in event.text and "(diedit)" in event.text


def test_a_photo_takes_the_largest_size_by_file_id():
    event = only_message("photo")
    assert event.kind == "image" and event.text == "Bukti transfer"
    (attachment,) = event.attachments
    assert attachment.media_ref == "AgACAgUAAxk-large" and attachment.content is None


@pytest.mark.parametrize(
    ("name", "kind", "ref", "content_type"),
    [
        ("document", "document", "BQACAgUAAxk-doc", "application/pdf"),
        ("voice", "audio", "AwACAgUAAxk-voice", "audio/ogg"),
        ("audio", "audio", "CQACAgUAAxk-audio", "audio/mpeg"),
        ("video", "video", "BAACAgUAAxk-video", "video/mp4"),
    ],
)
def test_files_are_named_by_their_file_id(name, kind, ref, content_type):
    event = only_message(name)
    assert event.kind == kind
    (attachment,) = event.attachments
    assert attachment.media_ref == ref and attachment.content_type == content_type
    assert attachment.filename


def test_a_document_keeps_its_file_name():
    assert only_message("document").attachments[0].filename == "rekening-koran.pdf"


def test_location_and_contact_are_readable_and_kept():
    location = only_message("location")
    assert location.kind == "location" and "-6.2146" in location.text
    assert location.meta["location"] == {"latitude": -6.2146, "longitude": 106.8451}
    contact = only_message("contact")
    assert contact.kind == "contacts" and "+6281234567890" in contact.text
    assert "Budi Santoso" in contact.text


def test_a_button_press_is_a_button_message_with_its_data():
    event = only_message("callback_query")
    assert event.kind == "button" and event.meta["button_data"] == "resolved:yes"
    assert event.sender.value == "511223344"
    assert event.external_id == "callback:4382bfdwdsb323b2d9"
    assert event.meta["button_message_id"] == "511223344:55"


def test_an_unknown_update_type_is_ignored_with_its_type():
    (event,) = parse_update(update("my_chat_member"))
    assert isinstance(event, Ignored) and "my_chat_member" in event.reason


@pytest.mark.parametrize("body", [[], {"message": {}}, {"update_id": "x"}])
def test_what_is_not_an_update_is_unparseable(body):
    with pytest.raises(Unparseable):
        parse_update(body)


def test_a_message_without_chat_is_unparseable():
    with pytest.raises(Unparseable):
        parse_update({"update_id": 1, "message": {"message_id": 3, "text": "x"}})
