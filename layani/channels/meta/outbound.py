"""Sending a stored reply through the WhatsApp Cloud API or the Messenger / Instagram Send
API, with the rules of the customer-service window (`window`).

WhatsApp: free-form text (or media) within 24 hours of the customer's last message, the
account's default template outside it. Messenger / Instagram: `RESPONSE` within 24 hours,
`MESSAGE_TAG HUMAN_AGENT` within 7 days, refused after that.
"""

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from layani.channels.base import SendFailed
from layani.channels.meta import graph
from layani.channels.meta.window import (
    HUMAN_AGENT_WINDOW,
    default_template,
    last_inbound_at,
    messaging_window,
)
from layani.channels.models import ChannelAccount
from layani.conversations.models import Message, MessageAttachment
from layani.conversations.recipients import address_for

# WhatsApp media message types by the file's content type.
_WHATSAPP_MEDIA_TYPES = (("image/", "image"), ("video/", "video"), ("audio/", "audio"))
_PAGE_MEDIA_TYPES = _WHATSAPP_MEDIA_TYPES
MAX_TEXT = 4096

# One customer-visible message of a reply: a stable key and how to send it (-> provider id).
Part = tuple[str, Callable[[], str]]


def recipient_of(message: Message, channel: str) -> str:
    conversation = message.conversation
    identities = list(conversation.customer.identities.all()) if conversation.customer else []
    address = address_for(conversation, channel, identities)
    if not address:
        raise SendFailed(_("The customer has no %(channel)s contact.") % {"channel": channel})
    return address


def send(account: ChannelAccount, message: Message) -> str:
    if account.kind == "whatsapp":
        return send_whatsapp(account, message)
    return send_page(account, message)


# --- WhatsApp -----------------------------------------------------------------------------


def send_whatsapp(account: ChannelAccount, message: Message) -> str:
    phone_number_id = str(account.setting("phone_number_id") or "")
    if not phone_number_id:
        raise SendFailed(_("The WhatsApp account has no phone number id (phone_number_id)."))
    to = recipient_of(message, "whatsapp").lstrip("+")
    window = messaging_window(last_inbound_at(message.conversation, "whatsapp"), timezone.now())
    base: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
    }
    path = f"{phone_number_id}/messages"

    def post(content: dict[str, Any]) -> str:
        answer = graph.post_json(account, path, base | content)
        sent = answer.get("messages") or [{}]
        return str(sent[0].get("id", ""))

    if not window.is_open:
        parts: list[Part] = [("template", lambda: post(template_content(account, message)))]
    else:
        parts = [
            (key, partial(_post_built, post, build))
            for key, build in whatsapp_content(account, message)
        ]
    return send_once_each(message, parts)


def template_content(account: ChannelAccount, message: Message) -> dict[str, Any]:
    chosen = default_template(account)
    if chosen is None:
        raise SendFailed(
            _(
                "The customer last wrote more than 24 hours ago and this WhatsApp account "
                "has no template for messages outside the window: configure one "
                "(settings templates and default_template)."
            )
        )
    _key, config = chosen
    template: dict[str, Any] = {
        "name": str(config["name"]),
        "language": {"code": str(config.get("language") or "id")},
    }
    values = {
        "text": message.body_text[:1024],
        "customer_name": message.conversation.customer.full_name
        if message.conversation.customer
        else "",
        "reference": message.conversation.reference,
    }
    parameters = config.get("parameters") or []
    if isinstance(parameters, list) and parameters:
        template["components"] = [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": values.get(str(name), "") or "-"}
                    for name in parameters
                ],
            }
        ]
    return {"type": "template", "template": template}


def _post_built(post: Callable[[dict[str, Any]], str], build: Callable[[], dict[str, Any]]) -> str:
    return post(build())


def whatsapp_content(
    account: ChannelAccount, message: Message
) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
    """One WhatsApp message per attachment (the first one carries the text as caption), or
    one text message; each built (its file uploaded) only when it is sent."""
    attachments = [a for a in message.attachments.order_by("pk") if a.file]
    text = message.body_text.strip()
    text_part = {"type": "text", "text": {"preview_url": False, "body": text[:MAX_TEXT]}}
    if not attachments:
        return [("text", lambda: text_part)]
    kinds = [_whatsapp_kind(attachment) for attachment in attachments]
    captioned = bool(text) and kinds[0] != "audio"
    parts: list[tuple[str, Callable[[], dict[str, Any]]]] = []
    if text and not captioned:
        parts.append(("text", lambda: text_part))
    for number, (attachment, kind) in enumerate(zip(attachments, kinds, strict=True)):
        caption = text[:1024] if number == 0 and captioned else ""

        def build(attachment=attachment, kind=kind, caption=caption) -> dict[str, Any]:
            return _whatsapp_media(account, attachment, kind, caption)

        parts.append((f"attachment:{attachment.pk}", build))
    return parts


def _whatsapp_kind(attachment: MessageAttachment) -> str:
    return next(
        (t for prefix, t in _WHATSAPP_MEDIA_TYPES if attachment.content_type.startswith(prefix)),
        "document",
    )


def _whatsapp_media(
    account: ChannelAccount, attachment: MessageAttachment, kind: str, caption: str
) -> dict[str, Any]:
    """Upload the file, then the message content that shows it."""
    with attachment.file.open("rb") as handle:
        content = handle.read()
    uploaded = graph.post_file(
        account,
        f"{account.setting('phone_number_id')}/media",
        fields={"messaging_product": "whatsapp", "type": attachment.content_type},
        filename=attachment.filename,
        content=content,
        content_type=attachment.content_type,
    )
    media: dict[str, Any] = {"id": str(uploaded.get("id", ""))}
    if caption:
        media["caption"] = caption
    if kind == "document":
        media["filename"] = attachment.filename
    return {"type": kind, kind: media}


def send_once_each(message: Message, parts: list[Part]) -> str:
    """Send the parts of one reply in order, each at most once: a part that went out is
    written onto the message at once (`meta["sent_parts"]`), so a retry after a later part
    failed sends only what is missing. Returns the provider's id of the last part."""
    done: dict[str, str] = dict((message.meta or {}).get("sent_parts") or {})
    ids = []
    for key, send_part in parts:
        if key not in done:
            done[key] = send_part()
            if len(parts) > 1:
                message.meta = {**(message.meta or {}), "sent_parts": done}
                Message.objects.filter(pk=message.pk).update(meta=message.meta)
        ids.append(done[key])
    return ids[-1]


# --- Messenger and Instagram --------------------------------------------------------------


def send_page(account: ChannelAccount, message: Message) -> str:
    channel = account.kind
    recipient = recipient_of(message, channel)
    last = last_inbound_at(message.conversation, channel)
    now = timezone.now()
    payload: dict[str, Any] = {"recipient": {"id": recipient}}
    if messaging_window(last, now).is_open:
        payload["messaging_type"] = "RESPONSE"
    elif messaging_window(last, now, HUMAN_AGENT_WINDOW).is_open:
        payload["messaging_type"] = "MESSAGE_TAG"
        payload["tag"] = "HUMAN_AGENT"
    else:
        raise SendFailed(
            _(
                "The customer last wrote more than 7 days ago: %(channel)s accepts no "
                "message until they write again."
            )
            % {"channel": channel}
        )
    sender = str(account.setting("page_id") or account.setting("ig_user_id") or "me")
    path = f"{sender}/messages"
    parts: list[Part] = [
        (
            f"attachment:{attachment.pk}",
            partial(send_page_attachment, account, path, payload, attachment),
        )
        for attachment in message.attachments.order_by("pk")
        if attachment.file
    ]
    text = message.body_text.strip()

    def send_text() -> str:
        answer = graph.post_json(account, path, payload | {"message": {"text": text[:2000]}})
        return str(answer.get("message_id", ""))

    if text or not parts:
        parts.append(("text", send_text))
    return send_once_each(message, parts)


def send_page_attachment(
    account: ChannelAccount, path: str, payload: dict[str, Any], attachment: MessageAttachment
) -> str:
    """One file as a Send API attachment upload (multipart, the file as `filedata`)."""
    kind = next(
        (t for prefix, t in _PAGE_MEDIA_TYPES if attachment.content_type.startswith(prefix)),
        "file",
    )
    with attachment.file.open("rb") as handle:
        content = handle.read()
    fields = {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in payload.items()
    }
    fields["message"] = json.dumps(
        {"attachment": {"type": kind, "payload": {"is_reusable": False}}}
    )
    answer = graph.post_file(
        account,
        path,
        fields=fields,
        filename=attachment.filename,
        content=content,
        content_type=attachment.content_type,
        file_field="filedata",
    )
    return str(answer.get("message_id", ""))
