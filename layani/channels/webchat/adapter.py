"""The web chat adapter. Visitors' messages are stored by the widget's socket and the
offline form (`visitors`), not posted to the generic webhook, which refuses everything.

Processing (`webchat.message`): a visitor's message goes into their own latest chat
(`visitors.latest_conversation`: one they alone wrote in) or a new one, never into another
chat of their customer. A contact typed into the widget is a claim nobody checked: an
anonymous visitor writes as the nameless customer kept on their `WebchatVisitor` row
(created with their first message; customers have no web chat identity kind), one who gave
an email or phone as the customer who has it (recognised, or recorded by
`customer_for_sender`), in chats of their own in that customer's file, each marked in its
thread as filed on the visitor's word (`record_claim`). When a visitor who wrote says who
they are (`webchat.identify`, or their next message), their chats go with them to that
customer (`link_identified_customer`). Replies are pushed to the open widgets of the chat's
visitor; the stored message is the history a reconnecting widget reads.
"""

import json
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from layani.channels.acknowledge import acknowledge
from layani.channels.base import RawRequest, Rejected, SendFailed, Unparseable, body_digest
from layani.channels.customers import customer_for_sender, find_customer
from layani.channels.events import CustomEvent, Event, Sender
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
from layani.conversations.models import Conversation, EventKind
from layani.conversations.recipients import OFFLINE_FORM
from layani.conversations.timeline import record_event
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


def _locked_visitor(visitor_id: int) -> WebchatVisitor:
    """The visitor's row, locked until the record's transaction ends: one visitor's messages
    and identifications are filed one at a time (two workers never both find no chat of
    theirs and start two)."""
    return WebchatVisitor.objects.select_for_update().get(pk=visitor_id)


def _sender(visitor: WebchatVisitor) -> Sender | None:
    if visitor.email:
        return Sender(kind="email", value=visitor.email, name=visitor.name)
    if visitor.phone:
        return Sender(kind="phone", value=visitor.phone, name=visitor.name)
    return None


def _is_anonymous(customer: Customer | None) -> bool:
    return customer is not None and not customer.identities.exists()


def record_claim(chat: Conversation, sender: Sender) -> None:
    """A row in the chat's thread (and its customer's file): the customer it is filed under
    is who the visitor said they are in the widget, which nobody checked."""
    record_event(
        EventKind.IDENTITY_CLAIMED,
        actor=None,
        conversation=chat,
        summary=sender.value,
        details={"contact": sender.value, "name": sender.name},
    )


def link_identified_customer(visitor: WebchatVisitor, sender: Sender) -> None:
    """The visitor said who they are. Their nameless customer takes the identity when no
    customer has it yet: the chat goes on as it is. When a customer has it already (or the
    visitor said someone else before), the visitor now writes as the customer who has it
    (recorded for a new contact), and the chats that are theirs (`chats_of`: the ones they
    alone wrote in) move with them into that customer's file (`move_conversation`): still
    one chat, which the agent sees with the rest of the person. Nothing else of either file
    moves. The record left keeps a timeline row saying where each chat went, and whatever
    else an agent noted on it; each chat now filed on the visitor's word says so
    (`record_claim`)."""
    previous = visitor.customer
    anonymous = previous if _is_anonymous(previous) else None
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
    if previous is None:
        visitor.customer = customer
        visitor.save(update_fields=["customer"])
        return
    chats = chats_of(visitor).filter(customer=previous, merged_into__isnull=True).order_by("pk")
    if previous.pk == customer.pk:
        if anonymous is not None:  # the nameless customer took the identity
            for chat in chats:
                record_claim(chat, sender)
        return
    for chat in chats:
        move_conversation(chat, to=customer, actor=None)
        record_claim(chat, sender)
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
        client_id = str(body.get("client_id") or record.pk)
        meta: dict[str, Any] = {
            "webchat_visitor": visitor.public_id,
            "webchat_client_id": client_id,
        }
        if body["type"] == "offline":
            meta[OFFLINE_FORM] = True  # answered by email first (`recipients`)
        return [
            CustomEvent(
                name=MESSAGE_EVENT,
                data={
                    "visitor_id": visitor.pk,
                    "text": str(body.get("text") or ""),
                    "meta": meta,
                    "at": _parse_time(body.get("sent_at")),
                },
                external_id=f"webchat:{visitor.public_id}:{client_id}",
            )
        ]

    def send(self, account: ChannelAccount, message: Any) -> str:
        """Push the reply to the open widgets of the chat's visitor (`widget_groups`); shown
        to them too when they next open the widget. A conversation no single visitor wrote
        in alone (merged with another chat, or holding another's messages) reaches no
        widget, ever: the reply fails, saying so, instead of showing as sent."""
        groups = widget_groups(message.conversation)
        if not groups:
            raise SendFailed(
                _(
                    "No chat visitor can read this conversation (nobody wrote in it through "
                    "the chat widget, or it was merged or holds messages of more than one "
                    "visitor). Answer by another channel."
                )
            )
        payload = widget_message(message)
        for group in groups:
            publish_now(group, "message", payload)
        return f"webchat:{message.pk}"

    def handshake(self, account: ChannelAccount, request: RawRequest) -> None:
        return None


def _parse_time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def apply_visitor_message(
    account: ChannelAccount, record: InboundRecord, event: CustomEvent
) -> None:
    """The visitor wrote: into their own latest chat, or a new one (`join_latest=False`),
    never into another chat of their customer. A visitor who said who they are writes as
    that customer (`link_identified_customer`), an anonymous one as their nameless
    customer, recorded with their first message."""
    visitor = _locked_visitor(event.data["visitor_id"])
    sender = _sender(visitor)
    if sender is not None:
        link_identified_customer(visitor, sender)
    elif visitor.customer is None:
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
    customer = visitor.customer
    assert customer is not None
    try:
        inbound = receive_inbound_message(
            customer=customer,
            channel=account.channel,
            body_text=event.data["text"],
            external_id=event.external_id,
            branch=account.branch,
            received_at=event.data.get("at"),
            conversation=latest_conversation(visitor),
            join_latest=False,
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
        if sender is not None:
            record_claim(inbound.conversation, sender)
        acknowledge(account, inbound.conversation, customer)


def apply_identification(
    account: ChannelAccount, record: InboundRecord, event: CustomEvent
) -> None:
    """The visitor said who they are: the chats they already wrote go to that customer now,
    so that the agent sees them there even if they write nothing more. A visitor who wrote
    nothing yet is linked by their first message (no customer is recorded for a contact
    alone)."""
    visitor = _locked_visitor(event.data["visitor_id"])
    sender = _sender(visitor)
    if sender is not None and visitor.customer is not None:
        link_identified_customer(visitor, sender)


register_adapter("webchat", WebchatAdapter())
register_handler(MESSAGE_EVENT, apply_visitor_message)
register_handler(IDENTIFY_EVENT, apply_identification)
