"""Real-world mails, as .eml files, read into incoming messages (no database)."""

from pathlib import Path

import pytest

from layani.channels.base import Unparseable
from layani.channels.email.parsing import parse_mail
from layani.channels.email.text import html_to_text

FIXTURES = Path(__file__).parent / "fixtures"


def eml(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_a_mislabelled_charset_is_read_without_replacement_characters():
    message = parse_mail(eml("mislabelled_charset.eml"))
    assert "café" in message.text
    assert "«Rp 175.000»" in message.text
    assert "\ufffd" not in message.text
    assert message.sender.value == "budi@example.co.id"
    assert message.sender.name == "Budi Santoso"
    assert message.external_id == "mislabel-1@example.co.id"
    assert message.received_at is not None and message.received_at.utcoffset() is not None


def test_encoded_words_in_subject_and_name_are_decoded():
    message = parse_mail(eml("encoded_subject.eml"))
    assert message.subject == "Kartu ATM saya terblokir \u2013 mohon bantuan 🙏"
    assert message.meta["subject"] == message.subject
    assert message.sender.name == "André Wijaya"
    assert "Café di lobi" in message.text


def test_html_only_mail_gets_a_readable_text_and_keeps_the_html():
    message = parse_mail(eml("html_only.eml"))
    assert "<b>#A-991</b>" in message.html
    assert "Pesanan #A-991 belum sampai sejak Senin." in message.text
    assert "- Alamat: Jl. Merdeka 1" in message.text
    assert "https://toko.example/track/A-991" in message.text
    assert "alert" not in message.text and "color" not in message.text


def test_attachments_and_inline_images_come_with_content_and_content_id():
    message = parse_mail(eml("attachments_inline.eml"))
    by_name = {a.filename: a for a in message.attachments}
    assert set(by_name) == {"rusak.png", "kuitansi.pdf"}
    image = by_name["rusak.png"]
    assert image.is_inline and image.content_id == "foto1@example.net"
    assert image.content is not None and image.content.startswith(b"\x89PNG")
    pdf = by_name["kuitansi.pdf"]
    assert not pdf.is_inline and pdf.content_type == "application/pdf"
    assert pdf.content is not None and pdf.content.startswith(b"%PDF")
    assert message.text.startswith("Barang rusak, lihat foto di bawah.")
    assert 'src="cid:foto1@example.net"' in message.html


def test_quoted_history_and_signature_are_located_and_the_text_kept_whole():
    message = parse_mail(eml("reply_with_quote.eml"))
    text = message.text
    assert text[: message.meta["signature_at"]].strip() == "Baik, sudah saya cek dan benar."
    assert text[message.meta["quote_at"] :].startswith("Pada Sen, 2 Nov 2026")
    assert "> Tagihan Anda sudah kami koreksi." in text
    assert message.meta["in_reply_to"] == ["layani-1-abc@toko.example"]
    assert message.meta["references"] == [
        "mislabel-1@example.co.id",
        "layani-1-abc@toko.example",
    ]
    assert not message.auto_submitted


def test_auto_replies_and_bounces_are_marked_automatic():
    auto = parse_mail(eml("auto_reply.eml"))
    assert auto.auto_submitted and auto.meta["automatic"] == "auto-replied"
    raw = eml("bounce.eml").replace(b"{{ORIGINAL_ID}}", b"layani-7-x@toko.example")
    bounce = parse_mail(raw.replace(b"{{RECIPIENT}}", b"hilang@example.com"))
    assert bounce.auto_submitted
    assert bounce.meta["bounced_message_id"] == "layani-7-x@toko.example"
    assert any("User unknown" in line for line in bounce.meta["delivery_report"])


@pytest.mark.parametrize(
    "headers",
    [
        "Precedence: bulk\r\n",
        "Precedence: list\r\n",
        "X-Autorespond: on\r\n",
        "X-Autoreply: yes\r\n",
        "Auto-Submitted: auto-generated\r\n",
    ],
)
def test_each_automatic_marker_is_recognised(headers):
    raw = (
        f"From: a@example.com\r\nSubject: x\r\nMessage-ID: <m@x>\r\n{headers}\r\nisi\r\n"
    ).encode()
    assert parse_mail(raw).auto_submitted


def test_a_person_writing_is_not_automatic():
    raw = b"From: a@example.com\r\nAuto-Submitted: no\r\nSubject: x\r\n\r\nisi\r\n"
    assert not parse_mail(raw).auto_submitted


def test_a_missing_message_id_gets_the_same_digest_each_time():
    raw = eml("no_message_id.eml")
    first, second = parse_mail(raw), parse_mail(raw)
    assert first.external_id.startswith("sha256-")
    assert first.external_id == second.external_id
    assert first.received_at is None
    assert parse_mail(raw + b"x").external_id != first.external_id


def test_a_mail_without_from_is_unparseable_with_a_reason():
    with pytest.raises(Unparseable, match="no From address"):
        parse_mail(eml("no_from.eml"))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"From: x@example.com\r\nContent-Type: text/plain; charset=x-unknown-42\r\n\r\n\xe9\xe8",
        b"From: x@example.com\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n",
        b"From: =?utf-8?B?!!!?= <x@example.com>\r\nSubject: =?bogus?Q?a?=\r\n\r\nhi",
    ],
)
def test_broken_input_never_crashes_the_parser(raw):
    try:
        message = parse_mail(raw)
    except Unparseable:
        return
    assert isinstance(message.text, str)


def test_html_to_text_keeps_quotes_as_quote_lines():
    text = html_to_text("<p>Oke</p><blockquote><p>Pesan lama</p></blockquote>")
    assert text.splitlines()[0] == "Oke"
    assert "> Pesan lama" in text
