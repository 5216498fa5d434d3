"""The email channel end to end against real servers: mail delivered into Dovecot is polled
by IMAP, stored, processed and threaded; replies leave through an aiosmtpd SMTP server with
the headers that thread them in the customer's mail client."""

from datetime import timedelta

import pytest
from django.utils import timezone

from layani.channels.email.imap import poll_account
from layani.channels.email.models import MailboxPollState
from layani.channels.email.tests.conftest import eml, mail
from layani.channels.models import InboundRecord, InboundStatus
from layani.conversations.actions import reply
from layani.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    TimelineEvent,
)
from layani.core.choices import Channel
from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.models import Customer

pytestmark = pytest.mark.django_db(transaction=True)


def known_customer(email: str = "budi@example.co.id", name: str = "Budi Santoso") -> Customer:
    return create_customer(
        CustomerDetails.from_values({"full_name": name, "email": email}), actor=None
    )


def inbound(conversation: Conversation) -> list[Message]:
    return list(conversation.messages.filter(direction=Direction.INBOUND).order_by("pk"))


def decoy_conversation(customer: Customer) -> Conversation:
    """A newer active email conversation of the same customer: without threading, a mail
    would land here (the customer's latest)."""
    return Conversation.objects.create(
        customer=customer,
        channel=Channel.EMAIL,
        subject="Hal lain",
        last_message_at=timezone.now(),
        updated_at=timezone.now() + timedelta(seconds=1),
        created_at=timezone.now() + timedelta(seconds=1),
    )


def test_a_polled_mail_becomes_a_conversation_of_the_known_customer_once(
    mailbox_account, dovecot, smtp_sink
):
    budi = known_customer()
    dovecot.deliver(mail(message_id="first-1@example.co.id"))

    result = poll_account(mailbox_account)

    assert (result.fetched, result.stored) == (1, 1)
    record = InboundRecord.objects.get()
    assert record.idempotency_key == "mid:first-1@example.co.id"
    assert record.status == InboundStatus.PROCESSED
    assert b"Tagihan saya salah" in record.body_bytes()
    conversation = Conversation.objects.get()
    assert conversation.customer == budi
    assert conversation.channel == Channel.EMAIL
    assert conversation.subject == "Tagihan bulan ini"
    assert conversation.channel_account == mailbox_account
    message = inbound(conversation)[0]
    assert message.external_id == "first-1@example.co.id"
    assert message.meta["subject"] == "Tagihan bulan ini"
    # The mailbox now shows it seen; the position is kept.
    client = dovecot.client()
    client.select_folder("INBOX")
    assert client.search(["UNSEEN"]) == []
    client.logout()
    assert MailboxPollState.objects.get(account=mailbox_account).last_uid >= 1
    # The intake acknowledgement went out by SMTP, marked automatic.
    acknowledgement = smtp_sink.wait_for(1)[0].message
    assert acknowledgement["To"] == "budi@example.co.id"
    assert acknowledgement["Auto-Submitted"] == "auto-replied"
    assert f"L-{conversation.pk}" in acknowledgement.get_content()

    again = poll_account(mailbox_account)

    assert (again.fetched, again.stored) == (0, 0)
    assert InboundRecord.objects.count() == 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_the_same_mail_delivered_twice_is_stored_once(mailbox_account, dovecot):
    raw = mail(message_id="twice@example.co.id")
    dovecot.deliver(raw)
    dovecot.deliver(raw)

    result = poll_account(mailbox_account)

    assert (result.fetched, result.stored) == (2, 1)
    record = InboundRecord.objects.get()
    assert record.duplicates == 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_the_reply_threads_and_the_customers_answer_lands_in_the_same_conversation(
    mailbox_account, dovecot, smtp_sink, agent
):
    budi = known_customer()
    dovecot.deliver(
        mail(
            message_id="q-1@example.co.id",
            headers="References: <older@example.co.id>\r\n",
        )
    )
    poll_account(mailbox_account)
    conversation = Conversation.objects.get()
    smtp_sink.wait_for(1)  # the acknowledgement

    sent = reply(conversation, body_text="Baik Pak, tagihan sudah kami koreksi.", actor=agent)

    arrived = smtp_sink.wait_for(2)[1]
    answer = arrived.message
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.SENT
    assert answer["Message-ID"] == f"<{sent.external_id}>"
    assert sent.external_id.startswith(f"layani-{sent.pk}-")
    assert sent.external_id.endswith("@toko.example")
    assert answer["In-Reply-To"] == "<q-1@example.co.id>"
    assert answer["References"] == "<older@example.co.id> <q-1@example.co.id>"
    assert answer["Subject"] == f"Re: Tagihan bulan ini [#L-{conversation.pk}]"
    assert answer["From"] == "CS Toko <cs@toko.example>"
    assert answer["To"] == "budi@example.co.id"
    assert arrived.rcpt_tos == ["budi@example.co.id"]
    assert "Auto-Submitted" not in answer
    assert answer.get_content().strip() == "Baik Pak, tagihan sudah kami koreksi."

    decoy = decoy_conversation(budi)
    dovecot.deliver(
        mail(
            subject="Re: Tagihan bulan ini",
            message_id="q-2@example.co.id",
            headers=f"In-Reply-To: <{sent.external_id}>\r\n",
            body="Terima kasih, sudah benar.",
        )
    )
    poll_account(mailbox_account)

    assert [m.external_id for m in inbound(conversation)] == [
        "q-1@example.co.id",
        "q-2@example.co.id",
    ]
    assert inbound(decoy) == []


def test_a_subject_token_threads_and_another_customer_never_joins(
    mailbox_account, dovecot, smtp_sink
):
    budi = known_customer()
    dovecot.deliver(mail(message_id="t-1@example.co.id"))
    poll_account(mailbox_account)
    conversation = Conversation.objects.get()
    decoy = decoy_conversation(budi)
    known_customer("ani@example.com", "Ani")

    dovecot.deliver(
        mail(subject=f"Pertanyaan lanjutan [#L-{conversation.pk}]", message_id="t-2@example.co.id")
    )
    # Another customer: same subject, same token, even quoting Budi's mail.
    dovecot.deliver(
        mail(
            sender="Ani <ani@example.com>",
            subject=f"Re: Tagihan bulan ini [#L-{conversation.pk}]",
            message_id="ani-1@example.com",
            headers="In-Reply-To: <t-1@example.co.id>\r\n",
        )
    )
    poll_account(mailbox_account)

    assert [m.external_id for m in inbound(conversation)] == [
        "t-1@example.co.id",
        "t-2@example.co.id",
    ]
    assert inbound(decoy) == []
    ani_message = Message.objects.get(external_id="ani-1@example.com")
    assert ani_message.conversation.customer.full_name == "Ani"
    assert ani_message.conversation_id not in (conversation.pk, decoy.pk)


def test_same_sender_and_subject_within_three_days_threads_but_not_later(mailbox_account, dovecot):
    budi = known_customer()
    dovecot.deliver(mail(message_id="s-1@example.co.id", subject="Kartu hilang"))
    poll_account(mailbox_account)
    conversation = Conversation.objects.get()
    decoy = decoy_conversation(budi)

    dovecot.deliver(mail(message_id="s-2@example.co.id", subject="RE: Fwd: Kartu  hilang"))
    poll_account(mailbox_account)

    assert len(inbound(conversation)) == 2
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=timezone.now() - timedelta(days=4)
    )
    dovecot.deliver(mail(message_id="s-3@example.co.id", subject="Re: Kartu hilang"))
    poll_account(mailbox_account)

    assert len(inbound(conversation)) == 2
    assert Message.objects.get(external_id="s-3@example.co.id").conversation == decoy


def test_an_auto_reply_is_shown_but_never_acknowledged_nor_answered_automatically(
    mailbox_account, dovecot, smtp_sink
):
    known_customer()
    dovecot.deliver(eml("auto_reply.eml"))

    poll_account(mailbox_account)

    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.meta["auto_submitted"] is True
    assert "sedang cuti" in message.body_text
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    assert smtp_sink.wait_for(1, timeout=1) == []

    from layani.conversations.actions import send_automatic

    survey = send_automatic(message.conversation, body_text="Survei kepuasan", kind="survey")

    survey.refresh_from_db()
    assert survey.delivery_status == DeliveryStatus.FAILED
    assert smtp_sink.wait_for(1, timeout=1) == []


def test_a_bounce_of_our_reply_marks_it_failed(mailbox_account, dovecot, smtp_sink, agent):
    known_customer()
    dovecot.deliver(mail(message_id="b-1@example.co.id"))
    poll_account(mailbox_account)
    conversation = Conversation.objects.get()
    sent = reply(conversation, body_text="Jawaban kami", actor=agent)
    sent.refresh_from_db()

    dovecot.deliver(eml("bounce.eml", ORIGINAL_ID=sent.external_id, RECIPIENT="budi@example.co.id"))
    poll_account(mailbox_account)

    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.FAILED
    failure = TimelineEvent.objects.get(kind=EventKind.DELIVERY_FAILED, message=sent)
    assert "User unknown" in failure.details["error"]
    assert InboundRecord.objects.filter(status=InboundStatus.PROCESSED).count() == 2


def test_parsed_fixtures_arrive_with_attachments_and_readable_text(mailbox_account, dovecot):
    for name in ("attachments_inline.eml", "html_only.eml", "mislabelled_charset.eml"):
        dovecot.deliver(eml(name))

    poll_account(mailbox_account)

    assert InboundRecord.objects.filter(status=InboundStatus.PROCESSED).count() == 3
    with_files = Message.objects.get(external_id="attach-1@example.net")
    files = {a.filename: a for a in with_files.attachments.all()}
    assert set(files) == {"rusak.png", "kuitansi.pdf"}
    assert files["rusak.png"].is_inline and files["rusak.png"].content_id == "foto1@example.net"
    assert files["kuitansi.pdf"].file.read().startswith(b"%PDF")
    html = Message.objects.get(external_id="html-1@example.org")
    assert "<script>" not in html.body_html and "<b>#A-991</b>" in html.body_html
    assert "Pesanan #A-991 belum sampai" in html.body_text
    assert "café" in Message.objects.get(external_id="mislabel-1@example.co.id").body_text


def test_a_wrong_password_is_recorded_on_the_poll_state(mailbox_account):
    from layani.channels.email.imap import poll_all

    mailbox_account.secrets = {"imap_password": "salah"}
    mailbox_account.save()

    results = poll_all()

    assert (
        "AUTHENTICATIONFAILED" in str(results[mailbox_account.pk])
        or "failed" in str(results[mailbox_account.pk]).lower()
    )
    assert MailboxPollState.objects.get(account=mailbox_account).error


def test_idle_announces_new_mail_as_it_arrives(mailbox_account, dovecot):
    import threading
    import time

    from layani.channels.email.imap import wait_for_mail

    outcome: dict[str, object] = {}
    idling = threading.Event()

    def wait() -> None:
        started = time.monotonic()
        outcome["announced"] = wait_for_mail(mailbox_account, timeout=20, on_idle=idling.set)
        outcome["seconds"] = time.monotonic() - started

    waiter = threading.Thread(target=wait)
    waiter.start()
    # Deliver only once the IDLE is in place (a fixed pause lost the race under CI load:
    # mail delivered before the IDLE is the next poll's, not announced).
    assert idling.wait(15)
    dovecot.deliver(mail(message_id="idle-1@example.co.id"))
    waiter.join(30)

    assert outcome["announced"] is True
    assert outcome["seconds"] < 10
    assert poll_account(mailbox_account).stored == 1


def test_idle_times_out_quietly_without_mail(mailbox_account):
    from layani.channels.email.imap import wait_for_mail

    assert wait_for_mail(mailbox_account, timeout=1) is False
