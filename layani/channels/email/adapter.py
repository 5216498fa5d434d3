"""The email channel: mail comes in by IMAP polling (`imap`) or the SMTP/LMTP listener
(`listener`), both storing the raw message before anything else; the worker parses it
(`parsing`), threads it (`threading`) and applies it. Replies leave by SMTP (`outgoing`).

A bounce of one of our replies is a delivery failure of that reply; any other bounce or
auto-reply is shown as an automatic message, never acknowledged nor answered.
"""

from dataclasses import replace
from typing import Any

from layani.channels.base import RawRequest, Rejected, SendFailed
from layani.channels.email.mailbox import mailbox_of
from layani.channels.email.outgoing import build_mail, deliver
from layani.channels.email.parsing import parse_mail
from layani.channels.email.threading import conversation_for
from layani.channels.events import DeliveryUpdate, Event
from layani.channels.models import AccountKind, ChannelAccount, InboundRecord
from layani.channels.registry import register_adapter
from layani.conversations.models import DeliveryStatus, Direction, Message
from layani.core.choices import Channel
from layani.core.errors import InvalidInput


def key_for(raw: bytes) -> str:
    """The idempotency key of a raw mail: its Message-ID (or digest), however it came."""
    from layani.channels.email.parsing import message_id_of, parse_bytes

    try:
        return "mid:" + message_id_of(parse_bytes(raw), raw)
    except Exception:
        from layani.channels.base import body_digest

        return body_digest(raw)


def _our_bounced_message(message_id: str) -> bool:
    return Message.objects.filter(
        channel=Channel.EMAIL, external_id=message_id, direction=Direction.OUTBOUND
    ).exists()


class EmailAdapter:
    kind: str = AccountKind.EMAIL.value
    kept_headers: tuple[str, ...] = ()
    can_send = True

    def verify(self, account: ChannelAccount, request: RawRequest) -> None:
        raise Rejected("mail arrives by IMAP polling or the SMTP listener", 404)

    def idempotency_key(self, account: ChannelAccount, request: RawRequest) -> str:
        return key_for(request.body)

    def handshake(self, account: ChannelAccount, request: RawRequest) -> Any:
        return None

    def parse_inbound(self, account: ChannelAccount, record: InboundRecord) -> list[Event]:
        message = parse_mail(record.body_bytes())
        bounced = message.meta.get("bounced_message_id")
        if message.auto_submitted and bounced and _our_bounced_message(bounced):
            report = "; ".join(message.meta.get("delivery_report", [])) or message.subject
            return [
                DeliveryUpdate(
                    external_id=bounced,
                    status=DeliveryStatus.FAILED,
                    at=message.received_at,
                    error=f"bounced: {report}"[:500],
                )
            ]
        return [replace(message, conversation_id=conversation_for(message))]

    def send(self, account: ChannelAccount, message: Message) -> str:
        try:
            mailbox = mailbox_of(account)
        except InvalidInput as exc:
            raise SendFailed(f"mailbox settings: {exc}") from exc
        mail, message_id, recipient = build_mail(message, mailbox)
        deliver(mail, mailbox, recipient)
        return message_id


register_adapter(AccountKind.EMAIL, EmailAdapter())
