"""The Telegram bot adapter: webhook updates in, Bot API calls out.

Set the webhook with `setWebhook(url=<site>/channels/telegram/<key>/,
secret_token=<webhook_secret>)`; Telegram then sends the secret in
`X-Telegram-Bot-Api-Secret-Token` with every update. Account secrets: `bot_token`,
`webhook_secret`; settings: `api_base` (default the public Bot API).
"""

import hmac
import json
from dataclasses import replace
from typing import Any

from layani.channels.base import RawRequest, Rejected, SendFailed, Unparseable, body_digest
from layani.channels.events import Event, IncomingMessage
from layani.channels.models import ChannelAccount, InboundRecord
from layani.channels.registry import register_adapter
from layani.channels.telegram.bot_api import BotApi
from layani.channels.telegram.parsing import message_id, parse_update
from layani.conversations.models import Message
from layani.core.choices import Channel
from layani.core.events import enqueue_on_commit
from layani.customers.models import CustomerIdentity, IdentityKind

SECRET_HEADER = "x-telegram-bot-api-secret-token"
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096  # sendMessage refuses longer texts: a long reply leaves in parts


class TelegramAdapter:
    kind = "telegram"
    kept_headers: tuple[str, ...] = ("content-type",)  # never the secret itself
    can_send = True

    def verify(self, account: ChannelAccount, request: RawRequest) -> None:
        expected = account.secret("webhook_secret")
        given = request.header(SECRET_HEADER)
        if not expected:
            raise Rejected("the account has no webhook secret configured")
        if not given or not hmac.compare_digest(expected.encode(), given.encode()):
            raise Rejected("missing or wrong X-Telegram-Bot-Api-Secret-Token")

    def idempotency_key(self, account: ChannelAccount, request: RawRequest) -> str:
        try:
            update_id = json.loads(request.body).get("update_id")
        except (ValueError, AttributeError):
            update_id = None
        if isinstance(update_id, int):
            return f"update:{update_id}"
        return body_digest(request.body)

    def parse_inbound(self, account: ChannelAccount, record: InboundRecord) -> list[Event]:
        try:
            update = json.loads(record.body_bytes())
        except ValueError as exc:
            raise Unparseable(f"not JSON: {exc}") from exc
        events = [self._in_thread(event) for event in parse_update(update)]
        file_ids = [
            a.media_ref
            for event in events
            if isinstance(event, IncomingMessage)
            for a in event.attachments
            if a.media_ref
        ]
        from layani.channels.telegram.tasks import answer_button_press, fetch_telegram_media

        if file_ids:
            enqueue_on_commit(fetch_telegram_media, account.pk, file_ids)
        for event in events:
            if isinstance(event, IncomingMessage) and event.kind == "button":
                enqueue_on_commit(answer_button_press, account.pk, event.meta["callback_query_id"])
        return events

    @staticmethod
    def _in_thread(event: Event) -> Event:
        """An edit lands in the conversation of the message it edits."""
        if not isinstance(event, IncomingMessage) or event.kind != "edited":
            return event
        original = (
            Message.objects.filter(
                channel=Channel.TELEGRAM, external_id=event.meta.get("original_message_id")
            )
            .values_list("conversation_id", flat=True)
            .first()
        )
        if original is None:
            return event
        return replace(event, conversation_id=original)

    def send(self, account: ChannelAccount, message: Message) -> str:
        chat_id = self._chat_id(message)
        api = BotApi(account)
        files = [a for a in message.attachments.all() if a.file]
        text = message.body_text.strip()
        sent: list[Any] = []
        if text and (not files or len(text) > CAPTION_LIMIT):
            for start in range(0, len(text), TEXT_LIMIT):
                part = text[start : start + TEXT_LIMIT]
                sent.append(api.call("sendMessage", {"chat_id": chat_id, "text": part}))
            text = ""
        for attachment in files:
            method, field = (
                ("sendPhoto", "photo") if attachment.is_image else ("sendDocument", "document")
            )
            with attachment.file.open("rb") as handle:
                content = handle.read()
            payload = {"chat_id": chat_id} | ({"caption": text} if text else {})
            text = ""
            sent.append(
                api.call(
                    method,
                    payload,
                    files={field: (attachment.filename, content, attachment.content_type)},
                )
            )
        first = sent[0] if sent else None
        if not isinstance(first, dict) or "message_id" not in first:
            raise SendFailed("the Bot API answered without a message id")
        return message_id(chat_id, first["message_id"])

    @staticmethod
    def _chat_id(message: Message) -> str:
        customer_id = message.conversation.customer_id
        if customer_id is None:
            raise SendFailed("the conversation has no customer")
        chat_id = (
            CustomerIdentity.objects.filter(customer_id=customer_id, kind=IdentityKind.TELEGRAM)
            .values_list("value", flat=True)
            .first()
        )
        if not chat_id:
            raise SendFailed("the customer has no Telegram chat")
        return chat_id

    def handshake(self, account: ChannelAccount, request: RawRequest) -> None:
        return None


register_adapter("telegram", TelegramAdapter())
