"""Mail over TLS, as every real mailbox runs: IMAP over implicit TLS and STARTTLS against
Dovecot, SMTP over implicit TLS and STARTTLS against aiosmtpd, with certificates of a test
authority. A server whose certificate is not trusted is refused, and nothing is read or
sent in clear."""

from typing import Any

import pytest

from layani.channels.email.imap import poll_account, poll_all
from layani.channels.email.models import MailboxPollState
from layani.channels.email.tests.conftest import mail
from layani.channels.models import ChannelAccount, InboundRecord
from layani.conversations.actions import reply
from layani.conversations.models import Conversation, DeliveryStatus
from layani.customers.actions import CustomerDetails, create_customer
from layani.testing.mailservers import MAILBOX_PASSWORD, MAILBOX_USER, SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)


def account(dovecot: Any, *, imap: str, imap_port: int, smtp: str, smtp_port: int) -> Any:
    return ChannelAccount.objects.create(
        kind="email",
        name="CS Toko",
        key="cs-toko-tls",
        settings={
            "address": MAILBOX_USER,
            "display_name": "CS Toko",
            "imap_host": "127.0.0.1",
            "imap_port": imap_port,
            "imap_security": imap,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_security": smtp,
            "auto_acknowledge": False,
        },
        secrets={"imap_password": MAILBOX_PASSWORD},
    )


@pytest.fixture
def tls_sink(test_ca: Any, request: pytest.FixtureRequest) -> Any:
    sink = SmtpSink(security=request.param, ca=test_ca)
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.mark.parametrize(
    ("imap", "tls_sink"), [("tls", "tls"), ("starttls", "starttls")], indirect=["tls_sink"]
)
def test_a_mailbox_over_tls_is_read_and_answered(dovecot, tls_sink, trust_test_ca, agent, imap):
    dovecot.empty()
    mailbox = account(
        dovecot,
        imap=imap,
        imap_port=dovecot.tls_port if imap == "tls" else dovecot.port,
        smtp=tls_sink.security,
        smtp_port=tls_sink.port,
    )
    dovecot.deliver(mail(message_id=f"tls-{imap}@example.co.id"))

    result = poll_account(mailbox)

    assert (result.fetched, result.stored) == (1, 1)
    conversation = Conversation.objects.get()
    sent = reply(conversation, body_text="Baik Pak, kami cek.", actor=agent)
    arrived = tls_sink.wait_for(1)
    assert len(arrived) == 1 and arrived[0].message.get_content().strip() == "Baik Pak, kami cek."
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.SENT


@pytest.mark.parametrize("tls_sink", ["tls"], indirect=True)
def test_an_untrusted_certificate_is_refused_and_nothing_is_read_or_sent(dovecot, tls_sink, agent):
    dovecot.empty()
    # No trust in the test authority here: its certificates are as good as a stranger's.
    mailbox = account(
        dovecot, imap="tls", imap_port=dovecot.tls_port, smtp="tls", smtp_port=tls_sink.port
    )
    dovecot.deliver(mail(message_id="untrusted@example.co.id"))

    results = poll_all()

    assert "CERTIFICATE_VERIFY_FAILED" in str(results[mailbox.pk])
    assert "CERTIFICATE_VERIFY_FAILED" in MailboxPollState.objects.get(account=mailbox).error
    assert not InboundRecord.objects.exists()
    # A reply to this mailbox's customer is not handed to an untrusted SMTP server either.
    customer = create_customer(
        CustomerDetails.from_values({"full_name": "Budi", "email": "budi@example.co.id"}),
        actor=None,
    )
    conversation = Conversation.objects.create(
        customer=customer, channel="email", subject="Tagihan", channel_account=mailbox
    )
    sent = reply(conversation, body_text="Baik Pak.", actor=agent)
    sent.refresh_from_db()
    assert sent.delivery_status != DeliveryStatus.SENT
    assert tls_sink.received == []
