"""The inbound SMTP/LMTP listener: a real aiosmtpd server of ours, spoken to with smtplib.
The 250 comes only after the mail is stored; a repeated delivery is not stored twice."""

import smtplib
from collections.abc import Iterator
from typing import Any

import pytest

from layani.channels.email.listener import IntakeController
from layani.channels.email.tests.conftest import eml, mail
from layani.channels.models import ChannelAccount, InboundRecord, InboundStatus
from layani.conversations.models import Direction, Message
from layani.testing.mailservers import MAILBOX_USER, free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox(transactional_db: Any) -> ChannelAccount:
    return ChannelAccount.objects.create(
        kind="email",
        name="CS Toko",
        key="cs-toko",
        settings={"address": MAILBOX_USER, "aliases": ["halo@toko.example"]},
        # No SMTP server: an acknowledgement would fail visibly, not leave.
        secrets={},
    )


@pytest.fixture(params=[False, True], ids=["smtp", "lmtp"])
def listener(request: Any, inbox: ChannelAccount) -> Iterator[tuple[int, bool]]:
    port = free_port()
    controller = IntakeController(host="127.0.0.1", port=port, lmtp=request.param)
    controller.start()
    try:
        yield port, request.param
    finally:
        controller.stop()


def send(port: int, lmtp: bool, raw: bytes, to: str = MAILBOX_USER) -> Any:
    client = smtplib.LMTP("127.0.0.1", port) if lmtp else smtplib.SMTP("127.0.0.1", port)
    try:
        return client.sendmail("budi@example.co.id", [to], raw)
    finally:
        client.quit()


def test_a_mail_is_stored_before_the_250_and_a_repeat_is_not_duplicated(listener):
    port, lmtp = listener
    raw = mail(message_id="lst-1@example.co.id")

    refused = send(port, lmtp, raw)

    assert refused == {}
    # The 250 is back: the record is already there, and (Huey runs eagerly in tests)
    # processed into a conversation.
    record = InboundRecord.objects.get()
    assert record.idempotency_key == "mid:lst-1@example.co.id"
    assert record.body_bytes().replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert record.status == InboundStatus.PROCESSED
    assert Message.objects.get(direction=Direction.INBOUND).external_id == "lst-1@example.co.id"

    assert send(port, lmtp, raw, to="halo@toko.example") == {}

    record.refresh_from_db()
    assert InboundRecord.objects.count() == 1
    assert record.duplicates == 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_an_unknown_recipient_is_refused_before_any_data(listener):
    port, lmtp = listener
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(port, lmtp, mail(message_id="x@example.com"), to="orang@lain.example")
    assert refused.value.recipients["orang@lain.example"][0] == 550
    assert not InboundRecord.objects.exists()


def test_an_inactive_mailbox_takes_no_mail(listener, inbox):
    port, lmtp = listener
    inbox.is_active = False
    inbox.save()
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(port, lmtp, mail(message_id="y@example.com"))
    assert not InboundRecord.objects.exists()


def test_an_unreadable_mail_is_kept_with_its_reason(listener):
    port, lmtp = listener

    send(port, lmtp, eml("no_from.eml"))

    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.FAILED
    assert "no From address" in record.reason
