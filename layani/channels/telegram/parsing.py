"""A Telegram `Update` (Bot API) → domain events. Pure: no database, no network.

Ids: a Telegram message id is unique only within its chat, so our external id of a
message is `<chat_id>:<message_id>`, inbound and outbound alike.
"""

from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from layani.channels.base import Unparseable
from layani.channels.events import Event, Ignored, IncomingAttachment, IncomingMessage, Sender

MESSAGE_UPDATES = ("message", "edited_message", "callback_query")


def message_id(chat_id: object, message_id: object) -> str:
    return f"{chat_id}:{message_id}"


def display_name(user: dict[str, Any]) -> str:
    name = " ".join(
        part for part in (user.get("first_name"), user.get("last_name")) if isinstance(part, str)
    ).strip()
    if name:
        return name
    username = user.get("username")
    return f"@{username}" if isinstance(username, str) and username else ""


def _sender(chat: dict[str, Any], user: dict[str, Any] | None) -> Sender:
    if "id" not in chat:
        raise Unparseable("message without chat id")
    return Sender(
        kind="telegram",
        value=str(chat["id"]),
        name=display_name(user or {}) or display_name(chat) or str(chat.get("title") or ""),
    )


def _at(timestamp: object) -> datetime | None:
    if isinstance(timestamp, int):
        return datetime.fromtimestamp(timestamp, tz=UTC)
    return None


def _media(message: dict[str, Any]) -> tuple[str, tuple[IncomingAttachment, ...], str]:
    """(kind, attachments, text rendering) of the message's content."""
    caption = str(message.get("caption") or "")
    if "text" in message:
        return "text", (), str(message["text"])
    if photos := message.get("photo"):
        largest = max(photos, key=lambda p: p.get("width", 0) * p.get("height", 0))
        name = f"photo-{largest.get('file_unique_id') or largest['file_id']}.jpg"
        photo = IncomingAttachment(name, "image/jpeg", media_ref=str(largest["file_id"]))
        return "image", (photo,), caption
    for kind, ours, default_type in (
        ("document", "document", "application/octet-stream"),
        ("voice", "audio", "audio/ogg"),
        ("audio", "audio", "audio/mpeg"),
        ("video", "video", "video/mp4"),
        ("video_note", "video", "video/mp4"),
        ("animation", "video", "video/mp4"),
        ("sticker", "sticker", "image/webp"),
    ):
        if item := message.get(kind):
            filename = str(item.get("file_name") or f"{kind}-{item.get('file_unique_id', '')}")
            attachment = IncomingAttachment(
                filename=filename,
                content_type=str(item.get("mime_type") or default_type),
                media_ref=str(item["file_id"]),
            )
            if kind == "sticker":
                caption = caption or str(item.get("emoji") or "")
            return ours, (attachment,), caption
    if location := message.get("location"):
        lat, lon = location.get("latitude"), location.get("longitude")
        return "location", (), _("Location: %(lat)s, %(lon)s") % {"lat": lat, "lon": lon}
    if contact := message.get("contact"):
        name = display_name(contact)
        return (
            "contacts",
            (),
            _("Contact: %(name)s %(phone)s")
            % {
                "name": name,
                "phone": contact.get("phone_number", ""),
            },
        )
    return "unsupported", (), _("[unsupported Telegram message]")


def _meta(message: dict[str, Any], kind: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"telegram_chat_id": message["chat"]["id"]}
    if kind == "location":
        meta["location"] = message["location"]
    if kind == "contacts":
        meta["contact"] = message["contact"]
    if reply := message.get("reply_to_message"):
        meta["reply_to"] = message_id(message["chat"]["id"], reply.get("message_id"))
    return meta


def parse_message(message: dict[str, Any], *, edited: bool = False) -> IncomingMessage:
    chat = message.get("chat") or {}
    sender = _sender(chat, message.get("from"))
    kind, attachments, text = _media(message)
    meta = _meta(message, kind)
    external_id = message_id(chat["id"], message.get("message_id"))
    received_at = _at(message.get("date"))
    if edited:
        meta["original_message_id"] = external_id
        meta["original_kind"] = kind
        # Each edit is its own message: the edit date tells two edits apart.
        external_id = f"{external_id}:edit:{message.get('edit_date', '')}"
        text = _("(edited) %(text)s") % {"text": text}
        kind = "edited"
        received_at = _at(message.get("edit_date")) or received_at
    return IncomingMessage(
        sender=sender,
        external_id=external_id,
        text=text,
        kind=kind,
        received_at=received_at,
        attachments=attachments,
        meta=meta,
    )


def parse_callback_query(query: dict[str, Any]) -> IncomingMessage:
    user = query.get("from") or {}
    message = query.get("message") or {}
    chat = message.get("chat") or {"id": user.get("id")}
    if chat.get("id") is None:
        raise Unparseable("callback query without chat or user id")
    data = str(query.get("data") or query.get("game_short_name") or "")
    meta: dict[str, Any] = {
        "telegram_chat_id": chat["id"],
        "callback_query_id": query.get("id"),
        "button_data": data,
    }
    if "message_id" in message:
        meta["button_message_id"] = message_id(chat["id"], message["message_id"])
    return IncomingMessage(
        sender=Sender(kind="telegram", value=str(chat["id"]), name=display_name(user)),
        external_id=f"callback:{query.get('id')}",
        text=_("Button pressed: %(data)s") % {"data": data},
        kind="button",
        meta=meta,
    )


def parse_update(update: object) -> list[Event]:
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise Unparseable("not a Telegram update (no update_id)")
    try:
        if "message" in update:
            return [parse_message(update["message"])]
        if "edited_message" in update:
            return [parse_message(update["edited_message"], edited=True)]
        if "callback_query" in update:
            return [parse_callback_query(update["callback_query"])]
    except (KeyError, TypeError, AttributeError) as exc:
        raise Unparseable(f"Telegram update {update['update_id']}: missing {exc}") from exc
    kinds = sorted(name for name in update if name != "update_id")
    return [Ignored(f"telegram update type {', '.join(kinds) or 'empty'} not handled")]
