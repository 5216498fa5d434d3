"""Meta webhook payloads → domain events (pure: no database, no network).

WhatsApp Cloud API sends `entry[].changes[].value` with `messages[]`, `contacts[]` and
`statuses[]`; Messenger and Instagram send `entry[].messaging[]` with one of `message`,
`postback`, `reaction`, `delivery` or `read`. Every message becomes an `IncomingMessage`
with a readable `text`, whatever its type: a type we do not know is kept as
"unsupported", never dropped.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from layani.channels.base import Unparseable
from layani.channels.events import (
    CustomEvent,
    DeliveryUpdate,
    Event,
    Ignored,
    IncomingAttachment,
    IncomingMessage,
    Sender,
)

# Asks the package's handler to fetch an inbound message's media in the background.
FETCH_MEDIA = "meta.fetch_media"
# Messenger/Instagram "everything before this moment was delivered/read".
WATERMARK = "meta.watermark"
# Messenger and Instagram send only an id: the sender's name is asked of the Graph API.
LOOKUP_PROFILE = "meta.lookup_profile"

WHATSAPP_MEDIA = ("image", "document", "audio", "video", "sticker")
WHATSAPP_STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}
# Messenger/Instagram attachment types → the message kind an agent sees.
PAGE_ATTACHMENT_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "document"}


def load(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise Unparseable(f"not JSON: {exc}") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise Unparseable("no entry list in the payload")
    return payload


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _moment(value: Any, *, milliseconds: bool = False) -> datetime | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if milliseconds:
        number /= 1000
    return datetime.fromtimestamp(number, tz=UTC)


def unsupported_text(kind: str) -> str:
    return f"[pesan tidak didukung: {kind}]"


# --- WhatsApp -----------------------------------------------------------------------------


def parse_whatsapp(payload: dict[str, Any]) -> list[Event]:
    events: list[Event] = []
    for entry in _items(payload.get("entry")):
        for change in _items(entry.get("changes")):
            value = _dict(change.get("value"))
            if change.get("field", "messages") != "messages":
                events.append(Ignored(f"whatsapp field {change.get('field')}"))
                continue
            names = {
                str(c.get("wa_id", "")): str(_dict(c.get("profile")).get("name", ""))
                for c in _items(value.get("contacts"))
            }
            for message in _items(value.get("messages")):
                events.extend(_whatsapp_message(message, names))
            for status in _items(value.get("statuses")):
                events.append(_whatsapp_status(status))
            if not value.get("messages") and not value.get("statuses"):
                events.append(Ignored("whatsapp change without messages or statuses"))
    return events


def _whatsapp_status(status: dict[str, Any]) -> Event:
    state = WHATSAPP_STATUSES.get(str(status.get("status", "")))
    if state is None or not status.get("id"):
        return Ignored(f"whatsapp status {status.get('status')!r}")
    error = ""
    for item in _items(status.get("errors")):
        details = _dict(item.get("error_data")).get("details", "")
        title = item.get("title") or item.get("message") or ""
        error = f"{title} ({item.get('code')})" if item.get("code") else str(title)
        if details and details != title:
            error = f"{error}: {details}"
        break
    return DeliveryUpdate(
        external_id=str(status["id"]),
        status=state,
        at=_moment(status.get("timestamp")),
        error=error,
    )


def _whatsapp_message(message: dict[str, Any], names: dict[str, str]) -> list[Event]:
    wa_id = str(message.get("from", ""))
    external_id = str(message.get("id", ""))
    if not wa_id or not external_id:
        raise Unparseable("whatsapp message without from or id")
    kind = str(message.get("type", "unsupported"))
    meta: dict[str, Any] = {"provider_type": kind}
    context = _dict(message.get("context"))
    if context.get("id"):
        meta["reply_to"] = str(context["id"])
    text, attachments, kind = _whatsapp_content(kind, message, meta)
    event = IncomingMessage(
        sender=Sender(kind="whatsapp", value=wa_id, name=names.get(wa_id, "")),
        external_id=external_id,
        text=text,
        kind=kind,
        received_at=_moment(message.get("timestamp")),
        attachments=attachments,
        meta=meta,
    )
    if attachments:
        return [event, CustomEvent(FETCH_MEDIA, {"external_id": external_id}, external_id)]
    return [event]


def _whatsapp_content(
    kind: str, message: dict[str, Any], meta: dict[str, Any]
) -> tuple[str, tuple[IncomingAttachment, ...], str]:
    """The readable text, the attachments and the kind of one WhatsApp message (fills
    `meta` with what an agent or a later step needs)."""
    body = _dict(message.get(kind))
    if kind == "text":
        return str(body.get("body", "")), (), kind
    if kind in WHATSAPP_MEDIA and body.get("id"):
        content_type = str(body.get("mime_type", ""))
        filename = str(body.get("filename") or f"{kind}-{body['id']}")
        attachment = IncomingAttachment(
            filename=filename,
            content_type=content_type.split(";")[0].strip(),
            media_ref=str(body["id"]),
        )
        if body.get("voice"):
            meta["voice"] = True
        return str(body.get("caption", "")), (attachment,), kind
    if kind == "location":
        return _location(body, meta), (), kind
    if kind == "contacts":
        return _contacts(_items(message.get("contacts")), meta), (), kind
    if kind == "interactive":
        reply = _dict(body.get(str(body.get("type", ""))))
        if reply.get("title") or reply.get("id"):
            meta["reply_id"] = str(reply.get("id", ""))
            meta["interactive_type"] = str(body.get("type", ""))
            return str(reply.get("title") or reply.get("id")), (), kind
    if kind == "button":
        meta["payload"] = str(body.get("payload", ""))
        return str(body.get("text") or body.get("payload", "")), (), kind
    if kind == "reaction":
        emoji = str(body.get("emoji", ""))
        meta["reaction_to"] = str(body.get("message_id", ""))
        meta["emoji"] = emoji
        return (emoji or "[reaksi dihapus]"), (), kind
    # Unknown or "unsupported": kept and shown, with what WhatsApp said about it.
    errors = _items(message.get("errors"))
    if errors:
        meta["errors"] = [str(e.get("title") or e.get("message", "")) for e in errors]
    meta["unsupported"] = kind
    return unsupported_text(kind), (), "unsupported"


def _location(body: dict[str, Any], meta: dict[str, Any]) -> str:
    latitude, longitude = body.get("latitude"), body.get("longitude")
    meta.update(
        latitude=latitude,
        longitude=longitude,
        name=str(body.get("name", "")),
        address=str(body.get("address", "")),
    )
    place = ", ".join(str(p) for p in (body.get("name"), body.get("address")) if p)
    where = f"{latitude}, {longitude}"
    return f"[lokasi] {place} ({where})" if place else f"[lokasi] {where}"


def _contacts(contacts: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    cards: list[dict[str, Any]] = []
    lines = []
    for contact in contacts:
        name = str(_dict(contact.get("name")).get("formatted_name", ""))
        phones = [str(p.get("phone") or p.get("wa_id", "")) for p in _items(contact.get("phones"))]
        emails = [str(e.get("email", "")) for e in _items(contact.get("emails"))]
        cards.append({"name": name, "phones": phones, "emails": emails})
        lines.append(f"{name}: {', '.join(phones + emails)}".rstrip(": "))
    meta["contacts"] = cards
    return "[kontak] " + "; ".join(lines)


# --- Messenger and Instagram --------------------------------------------------------------


def parse_page(payload: dict[str, Any], identity: str) -> list[Event]:
    """`identity` is the customer identity kind: "messenger" or "instagram"."""
    events: list[Event] = []
    for entry in _items(payload.get("entry")):
        items = _items(entry.get("messaging"))
        if not items:
            events.append(Ignored(f"{identity} entry without messaging"))
        for item in items:
            events.extend(_page_item(item, identity))
    return events


def _page_item(item: dict[str, Any], identity: str) -> list[Event]:
    sender_id = str(_dict(item.get("sender")).get("id", ""))
    at = _moment(item.get("timestamp"), milliseconds=True)
    sender = Sender(kind=identity, value=sender_id)
    if "delivery" in item or "read" in item:
        return _watermark(item, sender_id, identity)
    message = _dict(item.get("message"))
    if message.get("is_echo"):
        return [Ignored("echo of our own message")]
    if not sender_id:
        raise Unparseable(f"{identity} event without a sender id")
    lookup = CustomEvent(LOOKUP_PROFILE, {"identity": identity, "sender": sender_id})
    if message:
        return [*_page_message(message, sender, at), lookup]
    if "postback" in item:
        postback = _dict(item.get("postback"))
        external_id = str(postback.get("mid") or _digest("postback", sender_id, item))
        return [
            IncomingMessage(
                sender=sender,
                external_id=external_id,
                text=str(postback.get("title") or postback.get("payload", "")),
                kind="postback",
                received_at=at,
                meta={"payload": str(postback.get("payload", ""))},
            ),
            lookup,
        ]
    if "reaction" in item:
        reaction = _dict(item.get("reaction"))
        emoji = str(reaction.get("emoji", "")) if reaction.get("action") != "unreact" else ""
        return [
            IncomingMessage(
                sender=sender,
                external_id=_digest("reaction", sender_id, item),
                text=emoji or "[reaksi dihapus]",
                kind="reaction",
                received_at=at,
                meta={"reaction_to": str(reaction.get("mid", "")), "emoji": emoji},
            )
        ]
    kind = next((k for k in item if k not in ("sender", "recipient", "timestamp")), "unknown")
    return [
        IncomingMessage(
            sender=sender,
            external_id=_digest(kind, sender_id, item),
            text=unsupported_text(kind),
            kind="unsupported",
            received_at=at,
            meta={"unsupported": kind},
        )
    ]


def _page_message(message: dict[str, Any], sender: Sender, at: datetime | None) -> list[Event]:
    external_id = str(message.get("mid", ""))
    if not external_id:
        raise Unparseable("message without mid")
    meta: dict[str, Any] = {}
    if _dict(message.get("reply_to")).get("mid"):
        meta["reply_to"] = str(message["reply_to"]["mid"])
    if _dict(message.get("quick_reply")).get("payload"):
        meta["payload"] = str(message["quick_reply"]["payload"])
    attachments: list[IncomingAttachment] = []
    kinds: list[str] = []
    links: list[str] = []
    for number, attachment in enumerate(_items(message.get("attachments")), start=1):
        kind = str(attachment.get("type", ""))
        payload = _dict(attachment.get("payload"))
        url = str(payload.get("url", ""))
        if kind in PAGE_ATTACHMENT_KINDS and url:
            kinds.append(PAGE_ATTACHMENT_KINDS[kind])
            name = str(attachment.get("title") or f"{PAGE_ATTACHMENT_KINDS[kind]}-{number}")
            attachments.append(IncomingAttachment(filename=name, media_ref=url))
        elif kind == "location" and payload.get("coordinates"):
            coordinates = _dict(payload.get("coordinates"))
            kinds.append("location")
            links.append(
                _location(
                    {"latitude": coordinates.get("lat"), "longitude": coordinates.get("long")},
                    meta,
                )
            )
        else:
            kinds.append("unsupported")
            meta.setdefault("unsupported", kind or "attachment")
            links.append(unsupported_text(kind or "attachment") + (f" {url}" if url else ""))
    text = str(message.get("text", ""))
    if links:
        text = "\n".join([text, *links]).strip()
    if message.get("text"):
        kind = "text"
    elif kinds:
        kind = kinds[0]
    else:
        kind = "unsupported"
        meta["unsupported"] = "empty"
        text = unsupported_text("empty")
    event = IncomingMessage(
        sender=sender,
        external_id=external_id,
        text=text,
        kind=kind,
        received_at=at,
        attachments=tuple(attachments),
        meta=meta,
    )
    if attachments:
        return [event, CustomEvent(FETCH_MEDIA, {"external_id": external_id}, external_id)]
    return [event]


def _watermark(item: dict[str, Any], sender_id: str, identity: str) -> list[Event]:
    status = "read" if "read" in item else "delivered"
    body = _dict(item.get("read" if status == "read" else "delivery"))
    mids = [str(m) for m in body.get("mids") or [] if m]
    events: list[Event] = [DeliveryUpdate(external_id=m, status=status) for m in mids]
    # Instagram's read carries the read message's mid instead of a watermark.
    if body.get("mid"):
        events.append(DeliveryUpdate(external_id=str(body["mid"]), status=status))
    watermark = body.get("watermark")
    if watermark and sender_id:
        events.append(
            CustomEvent(
                WATERMARK,
                {
                    "identity": identity,
                    "recipient": sender_id,
                    "status": status,
                    "watermark": int(watermark),
                },
            )
        )
    return events or [Ignored(f"{status} without mids or watermark")]


def _digest(kind: str, sender_id: str, item: dict[str, Any]) -> str:
    raw = json.dumps(item, sort_keys=True, separators=(",", ":")).encode()
    return f"{kind}:{sender_id}:{hashlib.sha256(raw).hexdigest()[:32]}"


def parse(payload: dict[str, Any], account_kind: str) -> list[Event]:
    if account_kind == "whatsapp":
        return parse_whatsapp(payload)
    return parse_page(payload, account_kind)
