"""How a message reads in the thread: an email's quoted history and signature folded away
but kept, mentions marked in notes, nothing the customer wrote rendered as HTML."""

from layani.conversations.message_display import message_body
from layani.conversations.models import Direction, Message

MAIL = (
    "Terima kasih, dananya sudah masuk.\n\n"
    "Salam,\nDewi\n0812 1111 2222\n\n"
    "Pada 20 Nov 2026, CS Bank Sentosa menulis:\n> Dana Ibu kami kembalikan hari ini."
)


def test_quoted_history_and_signature_are_folded_and_kept():
    quote_at = MAIL.index("Pada 20 Nov")
    signature_at = MAIL.index("Salam,")
    html = message_body(
        Message(
            body_text=MAIL,
            direction=Direction.INBOUND,
            meta={"quote_at": quote_at, "signature_at": signature_at},
        )
    )
    visible, _, folded = html.partition("<details")
    assert "dananya sudah masuk" in visible
    assert "Dana Ibu kami kembalikan" not in visible and "0812 1111 2222" not in visible
    assert "Dana Ibu kami kembalikan" in folded and "0812 1111 2222" in folded
    assert html.count("<details") == 2


def test_a_customer_message_never_renders_as_html_and_bad_offsets_are_ignored():
    html = message_body(
        Message(
            body_text="<script>alert(1)</script> @budi",
            direction=Direction.INBOUND,
            meta={"quote_at": 10_000, "signature_at": "3"},
        )
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<details" not in html
    assert '<span class="mention">' not in html  # mentions are marked in notes only


def test_mentions_are_marked_in_notes():
    html = message_body(Message(body_text="Tolong cek, @budi.s", direction=Direction.NOTE))
    assert '<span class="mention">@budi.s</span>' in html
