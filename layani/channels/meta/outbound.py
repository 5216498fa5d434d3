"""Sending a stored reply through the WhatsApp Cloud API or the Messenger / Instagram Send
API, with the rules of the customer-service window (`window`).

WhatsApp: free-form text (or media) within 24 hours of the customer's last message, the
account's default template outside it. Messenger / Instagram: `RESPONSE` within 24 hours,
`MESSAGE_TAG HUMAN_AGENT` within 7 days, refused after that.
"""

import json
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
    if not window.is_open:
        payloads = [base | template_content(account, message)]
    else:
        payloads = [base | part for part in whatsapp_content(account, message)]
    message_ids = []
    for payload in payloads:
        answer = graph.post_json(account, f"{phone_number_id}/messages", payload)
        sent = answer.get("messages") or [{}]
        message_ids.append(str(sent[0].get("id", "")))
    return message_ids[-1]


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


def whatsapp_content(account: ChannelAccount, message: Message) -> list[dict[str, Any]]:
    """One WhatsApp message per attachment (the first one carries the text as caption), or
    one text message."""
    attachments = [a for a in message.attachments.all() if a.file]
    text = message.body_text.strip()
    if not attachments:
        return [{"type": "text", "text": {"preview_url": False, "body": text[:MAX_TEXT]}}]
    parts: list[dict[str, Any]] = []
    captioned = False
    for number, attachment in enumerate(attachments):
        kind = next(
            (
                t
                for prefix, t in _WHATSAPP_MEDIA_TYPES
                if attachment.content_type.startswith(prefix)
            ),
            "document",
        )
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
        if number == 0 and text and kind != "audio":
            media["caption"] = text[:1024]
            captioned = True
        if kind == "document":
            media["filename"] = attachment.filename
        parts.append({"type": kind, kind: media})
    if text and not captioned:
        parts.insert(0, {"type": "text", "text": {"preview_url": False, "body": text[:MAX_TEXT]}})
    return parts


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
    message_ids = [
        send_page_attachment(account, f"{sender}/messages", payload, attachment)
        for attachment in message.attachments.all()
        if attachment.file
    ]
    text = message.body_text.strip()
    if text or not message_ids:
        answer = graph.post_json(
            account, f"{sender}/messages", payload | {"message": {"text": text[:2000]}}
        )
        message_ids.append(str(answer.get("message_id", "")))
    return message_ids[-1]


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
