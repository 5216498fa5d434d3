"""An RFC 5322 message (the exact bytes the server gave) → one `IncomingMessage`.

Read with the standard library's modern API (`policy.default`): encoded words decoded,
addresses parsed. Bodies are decoded by `text.decode_text`, so a mislabelled charset never
crashes. A mail without From cannot be answered or attributed: `Unparseable`. A mail without
Message-ID gets a stable digest id, so a second delivery of the same bytes is recognised.
Bounces and auto-replies come out with `auto_submitted=True`; a bounce of one of our own
mails says which one in `meta["bounced_message_id"]`.
"""

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

from layani.channels.base import Unparseable
from layani.channels.email.text import decode_text, html_to_text, quote_start, signature_start
from layani.channels.events import IncomingAttachment, IncomingMessage, Sender

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_AUTOMATIC_SENDERS = re.compile(
    r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon|no-?reply|do-?not-?reply)@", re.I
)
MAX_REFERENCES = 30


class _CachedHeaderFactory(HeaderRegistry):
    """`policy.default`'s header registry, with two caches: the standard registry builds a
    new class on every header access, and the parser reads each part's Content-Type several
    times. Header objects are immutable strings, so equal raw values share one parse."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(key)
        return found

    @functools.lru_cache(maxsize=4096)  # noqa: B019 (one module-wide instance)
    def __call__(self, name: str, value: str) -> Any:
        return super().__call__(name, value)


POLICY = policy.default.clone(header_factory=_CachedHeaderFactory())


def parse_bytes(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=POLICY).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def raw_headers(message: Message) -> dict[str, str]:
    """The first value of each header as sent, unfolded, not parsed (ids, dates and flags
    need no decoding; parsing every header with `policy.default` is the slow part)."""
    found: dict[str, str] = {}
    for name, value in message.raw_items():
        found.setdefault(name.lower(), " ".join(str(value).split()))
    return found


def header(message: Message, name: str) -> str:
    """A header as text with encoded words decoded; '' when absent or unreadable."""
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot make sense of
        value = None
    if value is None:
        return ""
    try:
        return " ".join(str(value).split())
    except Exception:
        return " ".join(str(message.get_all(name, [""])[0]).split())


def message_ids(value: str) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References value, without angle brackets."""
    found = _MESSAGE_ID.findall(value or "")
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip().strip("<>")]  # a bare id, as some clients write it
    return found


def message_id_of(message: Message, raw: bytes) -> str:
    ids = message_ids(raw_headers(message).get("message-id", ""))
    if ids:
        return ids[0][:250]
    return "sha256-" + hashlib.sha256(raw).hexdigest()


def sender_of(message: Message) -> tuple[str, str]:
    """(address, display name) of the author: From, else Sender; Unparseable without one."""
    for name in ("from", "sender"):
        try:
            parsed = message.get(name)
        except Exception:  # a header the parser cannot make sense of
            parsed = None
        if parsed is None:
            continue
        value = " ".join(str(parsed).split())
        addresses = getattr(parsed, "addresses", ())
        for address in addresses:
            if address.addr_spec and "@" in address.addr_spec:
                return address.addr_spec.strip(), address.display_name.strip()
        display, address_text = parseaddr(value)
        if "@" in address_text:
            return address_text.strip(), display.strip()
    raise Unparseable("the mail has no From address (nobody to attribute it to or answer)")


def sent_at(headers: dict[str, str]) -> datetime | None:
    value = headers.get("date", "")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def is_automatic(headers: dict[str, str], content_type: str, sender_address: str) -> bool:
    """Bounces, delivery reports, out-of-office and list mail: never answered automatically
    (RFC 3834 Auto-Submitted, Precedence, the X-Auto* headers vendors use, mailer-daemon)."""
    auto_submitted = headers.get("auto-submitted", "").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if headers.get("precedence", "").lower() in {"bulk", "junk", "list", "auto_reply"}:
        return True
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress", "x-autogenerated"):
        value = headers.get(name, "").lower()
        if value and value not in {"no", "none", "false"}:
            return True
    if content_type == "multipart/report":
        return True
    return bool(_AUTOMATIC_SENDERS.match(sender_address))


@dataclass
class _Body:
    plain: list[str]
    html: list[str]
    attachments: list[IncomingAttachment]
    bounced_ids: list[str]
    diagnostics: list[str]


@dataclass(frozen=True)
class _PartInfo:
    content_type: str
    charset: str | None
    disposition: str
    filename: str
    content_id: str


def _part_info(part: Message) -> _PartInfo:
    """A part's Content-Type and Content-Disposition, each parsed once."""
    try:
        content_type_header = part.get("content-type")
        disposition_header = part.get("content-disposition")
    except Exception:
        content_type_header = disposition_header = None
    content_type = getattr(content_type_header, "content_type", "") or part.get_default_type()
    type_params = dict(getattr(content_type_header, "params", {}) or {})
    disposition = str(getattr(disposition_header, "content_disposition", "") or "").lower()
    disposition_params = dict(getattr(disposition_header, "params", {}) or {})
    filename = str(disposition_params.get("filename") or type_params.get("name") or "")
    charset = type_params.get("charset")
    raw_id = dict((k.lower(), v) for k, v in part.raw_items()).get("content-id", "")
    content_id = "".join(message_ids(str(raw_id))) or str(raw_id).strip()
    return _PartInfo(
        content_type=content_type.lower(),
        charset=str(charset).lower() if charset else None,
        disposition=disposition,
        filename=filename.strip(),
        content_id=content_id.strip("<> "),
    )


def _part_text(part: Message, info: _PartInfo | None = None) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = info.charset if info is not None else part.get_content_charset()
    return decode_text(payload, charset).replace("\r\n", "\n")


def _attachment(part: Message, info: _PartInfo) -> IncomingAttachment | None:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            payload = inner[0].as_bytes()  # an attached message/rfc822
        else:
            return None
    disposition = info.disposition
    return IncomingAttachment(
        filename=info.filename,
        content_type=info.content_type,
        content=payload,
        is_inline=disposition == "inline"
        or (bool(info.content_id) and disposition != "attachment"),
        content_id=info.content_id,
    )


def _walk(message: Message, body: _Body, is_report: bool) -> None:
    for part in message.walk():
        info = _part_info(part)
        content_type = info.content_type
        if content_type.startswith("multipart/"):
            continue
        if content_type in {"message/delivery-status", "message/feedback-report"}:
            _read_delivery_status(part, body)
            continue
        if is_report and content_type == "message/rfc822":
            # A returned original attached whole: its Message-ID names our mail.
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                body.bounced_ids += message_ids(raw_headers(inner[0]).get("message-id", ""))
        if part.is_multipart():
            continue
        if content_type in {"text/rfc822-headers", "message/rfc822-headers"}:
            text = _part_text(part, info)
            body.bounced_ids += message_ids(_header_block(text, "message-id"))
            continue
        is_file = info.disposition == "attachment" or bool(info.filename)
        if content_type == "text/plain" and not is_file:
            body.plain.append(_part_text(part, info))
        elif content_type == "text/html" and not is_file:
            body.html.append(_part_text(part, info))
        else:
            found = _attachment(part, info)
            if found is not None:
                body.attachments.append(found)


def _header_block(text: str, name: str) -> str:
    found = re.search(rf"^{name}:\s*(.+(?:\n[ \t].+)*)", text, re.I | re.M)
    return found.group(1) if found else ""


def _read_delivery_status(part: Message, body: _Body) -> None:
    payload = part.get_payload()
    if isinstance(payload, list):  # parsed as blocks of headers
        text = "\n".join(str(block) for block in payload)
    else:
        text = _part_text(part)
    for name in ("diagnostic-code", "status", "action"):
        value = _header_block(text, name)
        if value:
            body.diagnostics.append(f"{name}: {' '.join(value.split())}")


def parse_mail(raw: bytes) -> IncomingMessage:
    """The mail as one incoming message (threading is decided later, in `threading`)."""
    try:
        message = parse_bytes(raw)
    except Exception as exc:  # the parser is lenient; this is only a guard
        raise Unparseable(f"not a mail message: {exc}") from exc
    address, name = sender_of(message)
    headers = raw_headers(message)
    content_type = _part_info(message).content_type
    body = _Body(plain=[], html=[], attachments=[], bounced_ids=[], diagnostics=[])
    _walk(message, body, is_report=content_type == "multipart/report")
    html = "\n".join(part for part in body.html if part.strip())
    text = "\n\n".join(part.strip("\n") for part in body.plain if part.strip())
    if not text.strip() and html:
        text = html_to_text(html)
    subject = header(message, "subject")
    auto = is_automatic(headers, content_type, address)
    if auto and body.diagnostics and not text.strip():
        text = "\n".join(body.diagnostics)
    if not text.strip() and not html and body.attachments:
        names = ", ".join(a.filename or a.content_type for a in body.attachments)
        text = f"[{names}]"
    in_reply_to = message_ids(headers.get("in-reply-to", ""))
    references = message_ids(headers.get("references", ""))[-MAX_REFERENCES:]
    meta: dict[str, Any] = {
        "message_id": message_id_of(message, raw),
        "in_reply_to": in_reply_to,
        "references": references,
        "subject": subject,
        "from": address,
    }
    quoted = quote_start(text)
    if quoted is not None:
        meta["quote_at"] = quoted
    signature = signature_start(text, quoted)
    if signature is not None:
        meta["signature_at"] = signature
    if auto:
        meta["automatic"] = headers.get("auto-submitted") or "detected"
    if body.bounced_ids:
        meta["bounced_message_id"] = body.bounced_ids[0]
    if body.diagnostics:
        meta["delivery_report"] = body.diagnostics
    return IncomingMessage(
        sender=Sender(kind="email", value=address, name=name),
        external_id=meta["message_id"],
        text=text,
        kind="text" if text.strip() or html else "document",
        html=html,
        subject=subject[:255],
        received_at=sent_at(headers),
        attachments=tuple(body.attachments),
        auto_submitted=auto,
        meta=meta,
    )
