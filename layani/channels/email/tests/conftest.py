from pathlib import Path
from typing import Any

import pytest

from layani.channels.models import ChannelAccount
from layani.testing.mailservers import MAILBOX_PASSWORD, MAILBOX_USER

FIXTURES = Path(__file__).parent / "fixtures"


def eml(name: str, **replacements: str) -> bytes:
    raw = (FIXTURES / name).read_bytes()
    for key, value in replacements.items():
        raw = raw.replace(b"{{" + key.encode() + b"}}", value.encode())
    return raw


def mail(
    *,
    sender: str = "Budi Santoso <budi@example.co.id>",
    subject: str = "Tagihan bulan ini",
    message_id: str,
    body: str = "Tagihan saya salah, mohon dicek.",
    headers: str = "",
) -> bytes:
    return (
        f"From: {sender}\r\nTo: {MAILBOX_USER}\r\nSubject: {subject}\r\n"
        f"Date: Mon, 2 Nov 2026 09:00:00 +0700\r\nMessage-ID: <{message_id}>\r\n{headers}"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@pytest.fixture
def mailbox_account(transactional_db: Any, dovecot: Any, smtp_sink: Any) -> ChannelAccount:
    dovecot.empty()
    return ChannelAccount.objects.create(
        kind="email",
        name="CS Toko",
        key="cs-toko",
        settings={
            "address": MAILBOX_USER,
            "display_name": "CS Toko",
            "imap_host": dovecot.host,
            "imap_port": dovecot.port,
            "imap_security": "none",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_sink.port,
            "smtp_security": "none",
        },
        secrets={"imap_password": MAILBOX_PASSWORD},
    )
