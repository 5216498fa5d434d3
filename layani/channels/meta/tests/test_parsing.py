"""Meta payloads (fixtures written from the public webhook docs) → domain events, no DB."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from layani.channels.base import Unparseable
from layani.channels.events import CustomEvent, DeliveryUpdate, Ignored, IncomingMessage
from layani.channels.meta.parsing import FETCH_MEDIA, LOOKUP_PROFILE, WATERMARK, load, parse

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def only_message(name: str, kind: str = "whatsapp") -> IncomingMessage:
    events = parse(fixture(name), kind)
    messages = [e for e in events if isinstance(e, IncomingMessage)]
    assert len(messages) == 1
    return messages[0]


def test_whatsapp_text_names_the_sender_by_profile_and_wa_id():
    message = only_message("wa_text.json")
    assert message.text == "Halo, saldo saya kok berkurang?"
    assert message.kind == "text"
    assert (message.sender.kind, message.sender.value) == ("whatsapp", "6281234567890")
    assert message.sender.name == "Siti Rahayu"
    assert message.external_id == "wamid.TEXT1"
    assert message.received_at == datetime.fromtimestamp(1763880000, tz=UTC)


@pytest.mark.parametrize(
    ("name", "kind", "media_id", "content_type", "text"),
    [
        ("wa_image.json", "image", "1003383421387256", "image/jpeg", "Bukti transfer"),
        ("wa_document.json", "document", "2003383421387256", "application/pdf", "Rekening koran"),
        ("wa_audio.json", "audio", "3003383421387256", "audio/ogg", ""),
        ("wa_video.json", "video", "4003383421387256", "video/mp4", "Mesin ATM"),
        ("wa_sticker.json", "sticker", "5003383421387256", "image/webp", ""),
    ],
)
def test_whatsapp_media_is_named_by_id_and_fetched_later(name, kind, media_id, content_type, text):
    events = parse(fixture(name), "whatsapp")
    message, fetch = events
    assert isinstance(message, IncomingMessage) and message.kind == kind
    assert message.text == text
    (attachment,) = message.attachments
    assert attachment.media_ref == media_id and attachment.content is None
    assert attachment.content_type == content_type
    assert fetch == CustomEvent(
        FETCH_MEDIA, {"external_id": message.external_id}, message.external_id
    )


def test_a_document_keeps_its_file_name():
    (attachment,) = only_message("wa_document.json").attachments
    assert attachment.filename == "rekening-okt.pdf"


def test_location_is_readable_and_kept_in_meta():
    message = only_message("wa_location.json")
    assert message.kind == "location"
    assert "Kantor Cabang Thamrin" in message.text and "-6.2088, 106.8456" in message.text
    assert message.meta["latitude"] == -6.2088 and message.meta["longitude"] == 106.8456
    assert message.meta["address"] == "Jl. M.H. Thamrin No. 1, Jakarta"


def test_contacts_show_name_phone_and_email():
    message = only_message("wa_contacts.json")
    assert message.kind == "contacts"
    assert message.text == "[kontak] Budi Santoso: +62 812-9876-5432, budi@contoh.co.id"
    assert message.meta["contacts"][0]["name"] == "Budi Santoso"


def test_interactive_replies_show_the_chosen_title_and_keep_the_id():
    button = only_message("wa_interactive_button.json")
    assert (button.kind, button.text) == ("interactive", "Ya, telepon saya")
    assert button.meta["reply_id"] == "callback-yes"
    assert button.meta["reply_to"] == "wamid.OURQUESTION"
    choice = only_message("wa_interactive_list.json")
    assert (choice.text, choice.meta["reply_id"]) == ("Kartu kredit", "topic-card")


def test_template_button_reply():
    message = only_message("wa_button.json")
    assert (message.kind, message.text, message.meta["payload"]) == (
        "button",
        "Sangat puas",
        "survey-5",
    )


def test_reaction_references_the_reacted_message():
    message = only_message("wa_reaction.json")
    assert message.kind == "reaction" and message.text == "\U0001f44d"
    assert message.meta["reaction_to"] == "wamid.OURREPLY"


@pytest.mark.parametrize(
    ("name", "kind"), [("wa_unsupported.json", "unsupported"), ("wa_future_type.json", "poll")]
)
def test_unknown_types_are_kept_as_unsupported(name, kind):
    message = only_message(name)
    assert message.kind == "unsupported"
    assert message.text == f"[pesan tidak didukung: {kind}]"
    assert message.meta["unsupported"] == kind


def test_statuses_become_delivery_updates_with_the_error_title():
    (delivered,) = parse(fixture("wa_status_delivered.json"), "whatsapp")
    assert delivered == DeliveryUpdate(
        "wamid.OUT1", "delivered", datetime.fromtimestamp(1763880100, tz=UTC), ""
    )
    (failed,) = parse(fixture("wa_status_failed.json"), "whatsapp")
    assert isinstance(failed, DeliveryUpdate) and failed.status == "failed"
    assert failed.error.startswith("Re-engagement message (131047): Message failed to send")


def test_a_batch_gives_one_event_per_message():
    events = parse(fixture("wa_batch_two.json"), "whatsapp")
    assert [e.external_id for e in events if isinstance(e, IncomingMessage)] == [
        "wamid.B1",
        "wamid.B2",
    ]


def test_messenger_text_postback_reaction_and_echo():
    text = only_message("messenger_text.json", "messenger")
    assert (text.sender.kind, text.sender.value) == ("messenger", "24680135792468013")
    assert text.external_id == "m_TEXT1"
    assert text.received_at == datetime.fromtimestamp(1763880000.123, tz=UTC)
    postback = only_message("messenger_postback.json", "messenger")
    assert (postback.kind, postback.text, postback.meta["payload"]) == (
        "postback",
        "Hubungi CS",
        "CONTACT_CS",
    )
    reaction = only_message("messenger_reaction.json", "messenger")
    assert reaction.kind == "reaction" and reaction.meta["reaction_to"] == "m_OURREPLY"
    assert parse(fixture("messenger_echo.json"), "messenger") == [
        Ignored("echo of our own message")
    ]


def test_messenger_attachment_comes_by_url():
    message, fetch, lookup = parse(fixture("messenger_image.json"), "messenger")
    assert isinstance(message, IncomingMessage) and message.kind == "image"
    assert message.attachments[0].media_ref == "GRAPH_BASE/cdn/fb-photo-1"
    assert isinstance(fetch, CustomEvent) and fetch.name == FETCH_MEDIA
    # The sender's name is asked after their message is stored.
    assert lookup == CustomEvent(
        LOOKUP_PROFILE, {"identity": "messenger", "sender": "24680135792468013"}
    )


def test_messenger_delivery_by_mids_and_read_by_watermark():
    events = parse(fixture("messenger_delivery.json"), "messenger")
    assert events[0] == DeliveryUpdate("m_1", "delivered")
    (read,) = parse(fixture("messenger_read.json"), "messenger")
    assert isinstance(read, CustomEvent) and read.name == WATERMARK
    assert read.data == {
        "identity": "messenger",
        "recipient": "24680135792468013",
        "status": "read",
        "watermark": 4102444800000,
    }


def test_instagram_sender_is_an_instagram_identity():
    message = only_message("instagram_text.json", "instagram")
    assert message.sender.kind == "instagram" and message.text == "Kak, promo kartu masih ada?"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"object": "page"}'])
def test_unreadable_bodies_are_unparseable(body):
    with pytest.raises(Unparseable):
        load(body)
