"""A message as the thread shows it: plain text with line breaks, @mentions in notes marked,
an email's quoted history and signature folded away (kept, one click to open), and an
HTML-only email as its sanitised HTML."""

import re

from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from layani.conversations.models import Direction, Message

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.+-]{1,150})")


def _fold(text: str, label: str) -> str:
    return (
        f'<details class="msg-quoted"><summary>{escape(label)}</summary>'
        f"{linebreaks(str(escape(text)), autoescape=False)}</details>"
    )


def _cut(meta: dict[str, object], name: str, length: int) -> int | None:
    value = meta.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < length:
        return value
    return None


def message_body(message: Message) -> SafeString:
    if not message.body_text.strip() and message.body_html:
        return mark_safe(message.body_html)  # sanitised before it was stored (html.py)
    text = message.body_text
    meta = message.meta if isinstance(message.meta, dict) else {}
    quote_at = _cut(meta, "quote_at", len(text))
    signature_at = _cut(meta, "signature_at", quote_at or len(text))
    ends = [at for at in (signature_at, quote_at) if at is not None]
    main = text[: min(ends)] if ends else text
    shown = str(escape(main.rstrip()))
    if message.direction == Direction.NOTE:
        shown = MENTION.sub(r'<span class="mention">@\1</span>', shown)
    html = linebreaks(shown, autoescape=False)
    if signature_at is not None:
        html += _fold(text[signature_at : quote_at or len(text)].strip(), _("Signature"))
    if quote_at is not None:
        html += _fold(text[quote_at:].strip(), _("Earlier messages (quoted)"))
    return mark_safe(html)
