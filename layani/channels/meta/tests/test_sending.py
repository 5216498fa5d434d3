"""Replies through the WhatsApp Cloud API and the Messenger Send API, against the local
Graph server: the exact JSON it received, the window rules, Meta's refusals."""

import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from layani.channels.meta import outbound
from layani.channels.meta.graph import GraphUnavailable
from layani.channels.meta.tests.conftest import fixture_body, post
from layani.conversations.actions import reply
from layani.conversations.models import (
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    MessageAttachment,
    TimelineEvent,
)

pytestmark = pytest.mark.django_db(transaction=True)

WA_STAMP = b"1763880000"
PAGE_STAMP = b"1763880000123"


def customer_wrote(account: Any, *, ago: timedelta, name: str = "wa_text.json") -> Message:
    """The customer's message arrives with Meta's timestamp `ago` before now."""
    moment = time.time() - ago.total_seconds()
    body = fixture_body(name)
    if account.kind == "whatsapp":
        body = body.replace(WA_STAMP, str(int(moment)).encode())
    else:
        body = body.replace(PAGE_STAMP, str(int(moment * 1000)).encode())
    assert post(account, body).status_code == 200
    return Message.objects.get(direction=Direction.INBOUND)


def failure_reason(message: Message) -> str:
    return TimelineEvent.objects.get(kind=EventKind.DELIVERY_FAILED, message=message).summary


def test_inside_the_window_a_reply_goes_as_free_text(whatsapp, graph_api, agent):
    inbound = customer_wrote(whatsapp, ago=timedelta(hours=2))
    sent = reply(inbound.conversation, body_text="Baik Bu Siti, kami cek dulu.", actor=agent)
    (request,) = graph_api.posts()
    assert request.path == "/v21.0/106540352242922/messages"
    assert request.headers["authorization"] == "Bearer graph-test-token"
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"preview_url": False, "body": "Baik Bu Siti, kami cek dulu."},
    }
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.SENT and sent.external_id == "wamid.OUT1"


def test_outside_the_window_the_reply_goes_as_the_default_template(whatsapp, graph_api, agent):
    whatsapp.settings |= {
        "templates": {
            "follow_up": {
                "name": "tindak_lanjut_cs",
                "language": "id",
                "parameters": ["customer_name", "text"],
            }
        },
        "default_template": "follow_up",
    }
    whatsapp.save()
    inbound = customer_wrote(whatsapp, ago=timedelta(hours=25))
    sent = reply(inbound.conversation, body_text="Dana sudah kembali.", actor=agent)
    (request,) = graph_api.posts()
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "template",
        "template": {
            "name": "tindak_lanjut_cs",
            "language": {"code": "id"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Siti Rahayu"},
                        {"type": "text", "text": "Dana sudah kembali."},
                    ],
                }
            ],
        },
    }
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.SENT


def test_outside_the_window_without_a_template_the_agent_sees_why(whatsapp, graph_api, agent):
    inbound = customer_wrote(whatsapp, ago=timedelta(days=2))
    sent = reply(inbound.conversation, body_text="Halo lagi", actor=agent)
    assert graph_api.posts() == []
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.FAILED
    assert "tidak memiliki template" in failure_reason(sent)  # the agent reads Indonesian


def test_a_refusal_from_meta_marks_the_reply_failed_with_meta_reason(whatsapp, graph_api, agent):
    inbound = customer_wrote(whatsapp, ago=timedelta(minutes=5))
    graph_api.fail_next(
        400,
        {
            "message": "(#131026) Message undeliverable",
            "type": "OAuthException",
            "code": 131026,
            "error_data": {"details": "Recipient is not a valid WhatsApp user"},
        },
    )
    sent = reply(inbound.conversation, body_text="Halo", actor=agent)
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.FAILED
    reason = failure_reason(sent)
    assert "Message undeliverable (code 131026)" in reason
    assert "not a valid WhatsApp user" in reason


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, {"message": "An unknown error has occurred.", "code": 1}),
        (400, {"message": "(#130429) Rate limit hit", "code": 130429}),
    ],
)
def test_server_errors_and_rate_limits_are_raised_for_the_worker_to_retry(
    whatsapp, graph_api, agent, status, error
):
    inbound = customer_wrote(whatsapp, ago=timedelta(minutes=5))
    message = Message.objects.create(
        conversation=inbound.conversation,
        channel="whatsapp",
        direction=Direction.OUTBOUND,
        body_text="Coba lagi",
        delivery_status=DeliveryStatus.PENDING,
    )
    graph_api.fail_next(status, error)
    with pytest.raises(GraphUnavailable):
        outbound.send(whatsapp, message)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.PENDING


def test_an_unreachable_graph_api_is_retried_not_failed(whatsapp, graph_api):
    inbound = customer_wrote(whatsapp, ago=timedelta(minutes=5))
    whatsapp.settings["graph_base"] = "http://127.0.0.1:9"  # nothing listens there
    message = Message.objects.create(
        conversation=inbound.conversation,
        channel="whatsapp",
        direction=Direction.OUTBOUND,
        body_text="Halo",
    )
    with pytest.raises(GraphUnavailable):
        outbound.send(whatsapp, message)


def test_a_reply_with_a_file_is_uploaded_then_sent_as_media(whatsapp, graph_api):
    inbound = customer_wrote(whatsapp, ago=timedelta(minutes=5))
    message = Message.objects.create(
        conversation=inbound.conversation,
        channel="whatsapp",
        direction=Direction.OUTBOUND,
        body_text="Ini formulirnya",
    )
    attachment = MessageAttachment(
        message=message, filename="formulir.pdf", content_type="application/pdf", size=9
    )
    attachment.file.save("formulir.pdf", ContentFile(b"%PDF-1.7\n"), save=True)
    external_id = outbound.send(whatsapp, message)
    upload, send = graph_api.received[-2:]
    assert upload.path == "/v21.0/106540352242922/media"
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b"%PDF-1.7" in upload.body and b'name="messaging_product"' in upload.body
    assert send.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "document",
        "document": {"id": "up-1", "caption": "Ini formulirnya", "filename": "formulir.pdf"},
    }
    assert external_id == "wamid.OUT2"


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (timedelta(hours=1), {"messaging_type": "RESPONSE"}),
        (timedelta(days=3), {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}),
    ],
)
def test_messenger_reply_inside_24_hours_or_as_human_agent_within_7_days(
    messenger, graph_api, agent, ago, expected
):
    inbound = customer_wrote(messenger, ago=ago, name="messenger_text.json")
    sent = reply(inbound.conversation, body_text="Cabang Thamrin buka Sabtu.", actor=agent)
    (request,) = graph_api.posts()
    assert request.path == "/v21.0/112233445566/messages"
    assert request.json() == {
        "recipient": {"id": "24680135792468013"},
        "message": {"text": "Cabang Thamrin buka Sabtu."},
        **expected,
    }
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.SENT and sent.external_id == "m_1"


def test_messenger_after_7_days_nothing_is_sent_and_the_agent_sees_why(messenger, graph_api, agent):
    inbound = customer_wrote(messenger, ago=timedelta(days=8), name="messenger_text.json")
    sent = reply(inbound.conversation, body_text="Halo?", actor=agent)
    assert graph_api.posts() == []
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.FAILED
    assert "lebih dari 7 hari" in failure_reason(sent)


def test_the_intake_acknowledgement_leaves_through_whatsapp(whatsapp, graph_api):
    whatsapp.settings["auto_acknowledge"] = True
    whatsapp.save()
    customer_wrote(whatsapp, ago=timedelta(minutes=1))
    (request,) = graph_api.posts()
    assert request.json()["type"] == "text"
    ack = Message.objects.get(direction=Direction.OUTBOUND)
    assert request.json()["text"]["body"] == ack.body_text
    assert ack.delivery_status == DeliveryStatus.SENT and ack.external_id == "wamid.OUT1"
    assert timezone.now() - ack.created_at < timedelta(minutes=1)


def test_messenger_reply_with_a_photo_uploads_it_then_sends_the_text(messenger, graph_api):
    inbound = customer_wrote(messenger, ago=timedelta(hours=1), name="messenger_text.json")
    message = Message.objects.create(
        conversation=inbound.conversation,
        channel="messenger",
        direction=Direction.OUTBOUND,
        body_text="Ini denah cabangnya",
    )
    attachment = MessageAttachment(
        message=message, filename="denah.png", content_type="image/png", size=8
    )
    attachment.file.save("denah.png", ContentFile(b"\x89PNG map"), save=True)
    external_id = outbound.send(messenger, message)
    upload, text = graph_api.posts()
    assert upload.path == text.path == "/v21.0/112233445566/messages"
    assert b'name="filedata"; filename="denah.png"' in upload.body
    assert b"\x89PNG map" in upload.body
    assert b'{"attachment": {"type": "image", "payload": {"is_reusable": false}}}' in upload.body
    assert b'{"id": "24680135792468013"}' in upload.body and b"RESPONSE" in upload.body
    assert text.json() == {
        "recipient": {"id": "24680135792468013"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Ini denah cabangnya"},
    }
    assert external_id == "m_2"


def test_a_retry_after_a_part_failed_sends_only_the_parts_still_missing(whatsapp, graph_api):
    """A reply with two photos is two WhatsApp messages. The second fails with a 500; the
    worker's retry must not show the customer the first photo twice."""
    inbound = customer_wrote(whatsapp, ago=timedelta(minutes=5))
    message = Message.objects.create(
        conversation=inbound.conversation,
        channel="whatsapp",
        direction=Direction.OUTBOUND,
        body_text="Ini dua foto kartunya",
    )
    for name in ("depan.jpg", "belakang.jpg"):
        attachment = MessageAttachment(
            message=message, filename=name, content_type="image/jpeg", size=4
        )
        attachment.file.save(name, ContentFile(b"\xff\xd8\xff\xe0"), save=True)
    # Upload 1, message 1, upload 2 go through; message 2 meets a server error.
    graph_api.fail_next(500, {"message": "Service temporarily unavailable", "code": 2}, after=3)
    with pytest.raises(GraphUnavailable):
        outbound.send(whatsapp, message)
    first_photo, refused = (r.json()["image"] for r in graph_api.posts())
    assert first_photo["caption"] == "Ini dua foto kartunya" and "caption" not in refused
    message.refresh_from_db()
    external_id = outbound.send(whatsapp, message)  # the worker's retry
    images = [r.json()["image"] for r in graph_api.posts()]
    # The server saw: photo 1 (delivered), photo 2 (refused), photo 2 again. Photo 1 once.
    assert len(images) == 3
    assert [i for i in images if i.get("caption")] == [first_photo]
    assert external_id.startswith("wamid.OUT")
    message.refresh_from_db()
    assert len(message.meta["sent_parts"]) == 2
