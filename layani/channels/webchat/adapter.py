"""The web chat adapter. Visitors' messages are stored by the widget's socket and the
offline form (`visitors`), not posted to the generic webhook, which refuses everything.

Processing: a visitor who gave an email or phone writes as that customer (an ordinary
`IncomingMessage`, recognised or recorded by `customer_for_sender`), into their own latest
chat; an anonymous visitor writes as the customer kept on their `WebchatVisitor` row,
created on the first message without an identity (customers have no web chat identity
kind), by the `webchat.message` handler. When a visitor who wrote says who they are
(`webchat.identify`, or their next message), their chat goes with them to that customer
(`link_identified_customer`). Replies are pushed to the visitor's open widgets; the stored
message is the history a reconnecting widget reads.
"""

import json
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from layani.channels.acknowledge import acknowledge
from layani.channels.base import RawRequest, Rejected, Unparseable, body_digest
from layani.channels.customers import customer_for_sender, find_customer
from layani.channels.events import CustomEvent, Event, IncomingMessage, Sender
from layani.channels.models import ChannelAccount, InboundRecord
from layani.channels.registry import register_adapter, register_handler
from layani.channels.webchat.models import WebchatVisitor
from layani.channels.webchat.visitors import (
    chats_of,
    latest_conversation,
    widget_groups,
    widget_message,
)
from layani.conversations.actions import move_conversation, receive_inbound_message
from layani.conversations.recipients import OFFLINE_FORM
from layani.core.errors import Conflict, InvalidInput
from layani.core.events import publish_now
from layani.customers.actions import CustomerDetails, create_customer, update_customer
from layani.customers.models import Customer, CustomerStatus

MESSAGE_EVENT = "webchat.message"
IDENTIFY_EVENT = "webchat.identify"


def _visitor(account: ChannelAccount, body: dict[str, Any]) -> WebchatVisitor:
    visitor = (
        WebchatVisitor.objects.select_related("customer")
        .filter(account=account, public_id=str(body.get("visitor") or ""))
        .first()
    )
    if visitor is None:
        raise Unparseable(f"unknown web chat visitor {body.get('visitor')!r}")
    return visitor


def _sender(visitor: WebchatVisitor) -> Sender | None:
    if visitor.email:
        return Sender(kind="email", value=visitor.email, name=visitor.name)
    if visitor.phone:
        return Sender(kind="phone", value=visitor.phone, name=visitor.name)
    return None


def _is_anonymous(customer: Customer | None) -> bool:
    return customer is not None and not customer.identities.exists()


def link_identified_customer(visitor: WebchatVisitor, sender: Sender) -> None:
    """The visitor said who they are. Their nameless customer takes the identity when no
    customer has it yet: the chat goes on as it is. When a customer has it already, the
    visitor now writes as that customer, and the chats they wrote as their nameless customer
    move into that customer's file (`move_conversation`): still one chat, which the agent
    sees with the rest of the person. The nameless record stays, with a timeline row saying
    where each chat went and whatever else an agent noted on it."""
    anonymous = visitor.customer if _is_anonymous(visitor.customer) else None
    try:
        existing = find_customer(sender)
        if existing is None and anonymous is not None:
            values: dict[str, Any] = {sender.kind: sender.value}
            if sender.name:
                values["full_name"] = sender.name
            customer = update_customer(anonymous, CustomerDetails.from_values(values), actor=None)
        else:
            customer = existing or customer_for_sender(sender)
    except InvalidInput as exc:
        raise Unparseable(f"web chat visitor contact: {exc}") from exc
    if visitor.customer_id == customer.pk:
        return
    if anonymous is not None:
        chats = chats_of(visitor).filter(customer=anonymous, merged_into__isnull=True)
        for chat in chats.order_by("pk"):
            move_conversation(chat, to=customer, actor=None)
    visitor.customer = customer
    visitor.save(update_fields=["customer"])


class WebchatAdapter:
    kind = "webchat"
    kept_headers: tuple[str, ...] = ()
    can_send = True

    def verify(self, account: ChannelAccount, request: RawRequest) -> None:
        raise Rejected(_("Web chat messages come through the chat widget."), status=404)

    def idempotency_key(self, account: ChannelAccount, request: RawRequest) -> str:
        return body_digest(request.body)

    def parse_inbound(self, account: ChannelAccount, record: InboundRecord) -> list[Event]:
        try:
            body = json.loads(record.body_bytes())
        except ValueError as exc:
            raise Unparseable(f"not JSON: {exc}") from exc
        if not isinstance(body, dict) or body.get("type") not in ("message", "offline", "identify"):
            raise Unparseable("not a web chat message")
        visitor = _visitor(account, body)
        if body["type"] == "identify":
            return [CustomEvent(name=IDENTIFY_EVENT, data={"visitor_id": visitor.pk})]
        text = str(body.get("text") or "")
        client_id = str(body.get("client_id") or record.pk)
        meta: dict[str, Any] = {
            "webchat_visitor": visitor.public_id,
            "webchat_client_id": client_id,
        }
        if body["type"] == "offline":
            meta[OFFLINE_FORM] = True  # answered by email first (`recipients`)
        received_at = _parse_time(body.get("sent_at"))
        sender = _sender(visitor)
        if sender is not None:
            link_identified_customer(visitor, sender)
            chat = latest_conversation(visitor)  # theirs, not their customer's latest
            return [
                IncomingMessage(
                    sender=sender,
                    external_id=f"webchat:{visitor.public_id}:{client_id}",
                    text=text,
                    received_at=received_at,
                    meta=meta,
                    conversation_id=chat.pk if chat is not None else None,
                )
            ]
        return [
            CustomEvent(
                name=MESSAGE_EVENT,
                data={"visitor_id": visitor.pk, "text": text, "meta": meta, "at": received_at},
                external_id=f"webchat:{visitor.public_id}:{client_id}",
            )
        ]

    def send(self, account: ChannelAccount, message: Any) -> str:
        """Push the reply to the open widgets of the visitors who wrote in this chat."""
        payload = widget_message(message)
        for group in widget_groups(message.conversation):
            publish_now(group, "message", payload)
        return f"webchat:{message.pk}"

    def handshake(self, account: ChannelAccount, request: RawRequest) -> None:
        return None


def _parse_time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def apply_anonymous_message(
    account: ChannelAccount, record: InboundRecord, event: CustomEvent
) -> None:
    """An anonymous visitor wrote: into the conversation of their own (nameless) customer."""
    visitor = WebchatVisitor.objects.select_related("customer").get(pk=event.data["visitor_id"])
    if visitor.customer is None:
        visitor.customer = create_customer(
            CustomerDetails.from_values(
                {
                    "full_name": _("Web visitor %(id)s") % {"id": visitor.public_id[:6]},
                    "status": CustomerStatus.PROSPECT,
                }
            ),
            actor=None,
        )
        visitor.save(update_fields=["customer"])
    try:
        inbound = receive_inbound_message(
            customer=visitor.customer,
            channel=account.channel,
            body_text=event.data["text"],
            external_id=event.external_id,
            branch=account.branch,
            received_at=event.data.get("at"),
            team=account.team,
            channel_account_id=account.pk,
            meta={"kind": "text", **event.data["meta"]},
            actor=None,
        )
    except Conflict as exc:
        if exc.code == "duplicate_message":
            return
        raise
    if inbound.outcome == "created":
        acknowledge(account, inbound.conversation, visitor.customer)


def apply_identification(
    account: ChannelAccount, record: InboundRecord, event: CustomEvent
) -> None:
    """The visitor said who they are: the chat they already wrote goes to that customer now,
    so that the agent sees it there even if they write nothing more. A visitor who wrote
    nothing yet is linked by their first message (no customer is recorded for a contact
    alone)."""
    visitor = WebchatVisitor.objects.select_related("customer").get(pk=event.data["visitor_id"])
    sender = _sender(visitor)
    if sender is not None and visitor.customer is not None:
        link_identified_customer(visitor, sender)


register_adapter("webchat", WebchatAdapter())
register_handler(MESSAGE_EVENT, apply_anonymous_message)
register_handler(IDENTIFY_EVENT, apply_identification)
