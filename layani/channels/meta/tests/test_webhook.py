"""The Meta webhook end to end: handshake, signature, storage once, messages in the inbox,
customers recognised, statuses applied, media fetched from the local Graph server."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from layani.channels.meta.tests.conftest import (
    VERIFY_TOKEN,
    fixture_body,
    make_account,
    post,
    sign,
)
from layani.channels.models import InboundRecord, InboundStatus
from layani.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    MessageAttachment,
    TimelineEvent,
)
from layani.customers.models import Customer, CustomerIdentity

pytestmark = pytest.mark.django_db(transaction=True)


def handshake(account: Any, **query: str) -> Any:
    return Client().get(f"/channels/{account.kind}/{account.key}/", query)


def test_handshake_answers_the_challenge_only_to_the_right_token(whatsapp):
    good = handshake(
        whatsapp,
        **{
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert good.status_code == 200
    assert good.content == b"1158201444" and good["Content-Type"].startswith("text/plain")
    bad = handshake(
        whatsapp, **{"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert bad.status_code == 403 and b"1" not in bad.content.replace(b"verification", b"")
    wrong_mode = handshake(
        whatsapp,
        **{"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    )
    assert wrong_mode.status_code == 403


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc", "garbage"])
def test_a_missing_or_bad_signature_is_rejected_and_nothing_is_stored(whatsapp, signature):
    response = post(whatsapp, fixture_body("wa_text.json"), signature=signature)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "rejected"
    assert InboundRecord.objects.count() == 0 and Message.objects.count() == 0


def test_the_signature_covers_the_exact_bytes(whatsapp):
    body = fixture_body("wa_text.json")
    # Signed over the compact form, sent pretty-printed: the same JSON, other bytes.
    response = post(whatsapp, body, signature=sign(body.replace(b"\n", b"")))
    assert response.status_code == 403
    assert post(whatsapp, body).status_code == 200


def test_a_text_message_lands_in_the_inbox_of_a_new_customer(whatsapp):
    response = post(whatsapp, fixture_body("wa_text.json"))
    assert response.status_code == 200 and response.json() == {"status": "received"}
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.PROCESSED
    assert record.headers["x-hub-signature-256"].startswith("sha256=")
    message = Message.objects.get()
    assert message.body_text == "Halo, saldo saya kok berkurang?"
    assert message.channel == "whatsapp" and message.direction == Direction.INBOUND
    assert message.conversation.channel_account_id == whatsapp.pk
    customer = message.conversation.customer
    assert customer.full_name == "Siti Rahayu"
    assert (
        CustomerIdentity.objects.get(customer=customer, kind="whatsapp").value == "+6281234567890"
    )


def test_the_same_webhook_three_times_gives_one_message(whatsapp):
    body = fixture_body("wa_text.json")
    assert [post(whatsapp, body).json()["status"] for _ in range(3)] == [
        "received",
        "duplicate",
        "duplicate",
    ]
    assert Message.objects.count() == 1
    # Meta re-sending the same message in another delivery (other bytes) adds nothing either.
    post(whatsapp, body.replace(b"\n", b""))
    assert InboundRecord.objects.count() == 2 and Message.objects.count() == 1


def test_a_batch_of_two_gives_two_messages_in_one_conversation(whatsapp):
    post(whatsapp, fixture_body("wa_batch_two.json"))
    assert list(Message.objects.order_by("pk").values_list("body_text", flat=True)) == [
        "Pertama",
        "Kedua",
    ]
    assert Conversation.objects.count() == 1


def test_an_existing_customer_with_a_phone_identity_is_recognised_by_wa_id(whatsapp):
    from layani.customers.actions import CustomerDetails, create_customer

    known = create_customer(
        CustomerDetails.from_values({"full_name": "Siti R.", "phone": "0812-3456-7890"}),
        actor=None,
    )
    post(whatsapp, fixture_body("wa_text.json"))
    assert Message.objects.get().conversation.customer_id == known.pk
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("wa_unsupported.json", "[pesan tidak didukung: unsupported]"),
        ("wa_future_type.json", "[pesan tidak didukung: poll]"),
    ],
)
def test_an_unknown_type_is_shown_as_unsupported(whatsapp, name, text):
    post(whatsapp, fixture_body(name))
    message = Message.objects.get()
    assert message.body_text == text
    assert message.meta["kind"] == "unsupported"
    assert InboundRecord.objects.get().status == InboundStatus.PROCESSED


@pytest.mark.parametrize(
    "name",
    [
        "wa_location.json",
        "wa_contacts.json",
        "wa_interactive_button.json",
        "wa_interactive_list.json",
        "wa_button.json",
        "wa_reaction.json",
    ],
)
def test_every_other_type_becomes_a_readable_message(whatsapp, name):
    post(whatsapp, fixture_body(name))
    message = Message.objects.get()
    assert message.body_text and not message.body_text.startswith("[pesan tidak didukung")
    assert InboundRecord.objects.get().status == InboundStatus.PROCESSED


def our_reply(account: Any, external_id: str = "wamid.OUT1") -> Message:
    post(account, fixture_body("wa_text.json"))
    inbound = Message.objects.get()
    return Message.objects.create(
        conversation=inbound.conversation,
        channel="whatsapp",
        direction=Direction.OUTBOUND,
        body_text="Baik, kami cek dulu.",
        external_id=external_id,
        delivery_status=DeliveryStatus.SENT,
    )


def test_statuses_move_our_reply_forward_and_never_back(whatsapp):
    reply = our_reply(whatsapp)
    post(whatsapp, fixture_body("wa_status_read.json"))
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.READ
    post(whatsapp, fixture_body("wa_status_delivered.json"))  # late, out of order
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.READ


def test_a_failed_status_shows_the_reason_in_the_timeline(whatsapp):
    reply = our_reply(whatsapp)
    post(whatsapp, fixture_body("wa_status_failed.json"))
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    event = TimelineEvent.objects.get(kind=EventKind.DELIVERY_FAILED, message=reply)
    assert "Re-engagement message (131047)" in event.summary


@pytest.mark.parametrize(
    ("name", "media_id", "content_type", "content"),
    [
        ("wa_image.json", "1003383421387256", "image/jpeg", b"\xff\xd8\xff\xe0 fake jpeg"),
        ("wa_document.json", "2003383421387256", "application/pdf", b"%PDF-1.7 statement"),
        ("wa_audio.json", "3003383421387256", "audio/ogg", b"OggS voice note"),
    ],
)
def test_whatsapp_media_is_fetched_by_id_and_stored(
    whatsapp, graph_api, name, media_id, content_type, content
):
    graph_api.media[media_id] = (content, content_type)
    post(whatsapp, fixture_body(name))
    attachment = MessageAttachment.objects.get()
    assert attachment.media_ref == media_id
    assert attachment.file and attachment.size == len(content)
    with attachment.file.open("rb") as handle:
        assert handle.read() == content
    paths = [r.path for r in graph_api.received if r.method == "GET"]
    assert paths == [f"/v21.0/{media_id}", f"/files/{media_id}"]
    assert all(r.headers["authorization"] == "Bearer graph-test-token" for r in graph_api.received)


def test_media_the_server_does_not_have_leaves_the_message_and_no_file(whatsapp, graph_api):
    post(whatsapp, fixture_body("wa_image.json"))  # the server knows no such media
    message = Message.objects.get()
    assert message.body_text == "Bukti transfer"
    attachment = MessageAttachment.objects.get()
    assert not attachment.file and attachment.media_ref == "1003383421387256"


def test_messenger_message_image_and_read_watermark(messenger, graph_api):
    graph_api.media["fb-photo-1"] = (b"\x89PNG photo", "image/png")
    post(messenger, fixture_body("messenger_text.json"))
    post(messenger, fixture_body("messenger_image.json", graph_api.base))
    conversation = Conversation.objects.get()
    identity = CustomerIdentity.objects.get(customer=conversation.customer)
    assert (identity.kind, identity.value) == ("messenger", "24680135792468013")
    attachment = MessageAttachment.objects.get()
    assert attachment.size == len(b"\x89PNG photo") and attachment.content_type == "image/png"
    sent = Message.objects.create(
        conversation=conversation,
        channel="messenger",
        direction=Direction.OUTBOUND,
        body_text="Buka, jam 08.00-12.00.",
        external_id="m_OUR1",
        delivery_status=DeliveryStatus.SENT,
    )
    post(messenger, fixture_body("messenger_read.json"))  # a watermark after everything
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.READ


def test_messenger_echo_of_our_own_message_adds_nothing(messenger):
    post(messenger, fixture_body("messenger_echo.json"))
    assert Message.objects.count() == 0
    assert InboundRecord.objects.get().status == InboundStatus.PROCESSED


def test_instagram_message_creates_an_instagram_identity(transactional_db, graph_api):
    account = make_account("instagram", graph_api)
    post(account, fixture_body("instagram_text.json"))
    message = Message.objects.get()
    assert message.channel == "instagram"
    identity = CustomerIdentity.objects.get(customer=message.conversation.customer)
    assert identity.kind == "instagram"


def test_a_signed_body_that_cannot_be_read_is_kept_with_the_reason(whatsapp):
    response = post(whatsapp, b'{"object": "whatsapp_business_account", "entry": "oops"')
    assert response.status_code == 200
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.FAILED and "not JSON" in record.reason
    assert Message.objects.count() == 0


def test_a_read_watermark_leaves_messages_sent_after_it(messenger):
    post(messenger, fixture_body("messenger_text.json"))
    conversation = Conversation.objects.get()
    before, after = (
        Message.objects.create(
            conversation=conversation,
            channel="messenger",
            direction=Direction.OUTBOUND,
            body_text=text,
            external_id=mid,
            delivery_status=DeliveryStatus.SENT,
            created_at=datetime.fromtimestamp(seconds, tz=UTC),
        )
        for text, mid, seconds in (("lama", "m_OLD", 1763880000), ("baru", "m_NEW", 1763890000))
    )
    body = fixture_body("messenger_read.json").replace(b"4102444800000", b"1763885000000")
    post(messenger, body)
    before.refresh_from_db()
    after.refresh_from_db()
    assert before.delivery_status == DeliveryStatus.READ
    assert after.delivery_status == DeliveryStatus.SENT


def test_a_status_that_overtakes_our_send_is_applied_once_the_send_is_known(whatsapp):
    from datetime import timedelta

    from django.utils import timezone

    from layani.channels import processing

    reply = our_reply(whatsapp, external_id="")  # our send has not returned its id yet
    post(whatsapp, fixture_body("wa_status_read.json"))  # Meta reports on wamid.OUT1 already
    record = InboundRecord.objects.order_by("-pk").first()
    assert record.status == InboundStatus.RECEIVED and "wamid.OUT1" in record.reason
    Message.objects.filter(pk=reply.pk).update(external_id="wamid.OUT1")  # the send returns

    assert processing.sweep(timezone.now() + timedelta(minutes=1)) == 1

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.READ
    record.refresh_from_db()
    assert record.status == InboundStatus.PROCESSED


def test_a_status_for_a_message_that_is_not_ours_is_let_go_after_a_while(whatsapp):
    from datetime import timedelta

    from django.utils import timezone

    from layani.channels import processing

    post(whatsapp, fixture_body("wa_status_read.json"))  # sent from another tool, say
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.RECEIVED
    InboundRecord.objects.filter(pk=record.pk).update(
        received_at=timezone.now() - timedelta(minutes=5)
    )
    assert processing.sweep() == 1
    record.refresh_from_db()
    assert record.status == InboundStatus.PROCESSED
    assert record.reason == "no message wamid.OUT1"
