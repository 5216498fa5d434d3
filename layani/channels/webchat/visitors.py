"""What a web chat visitor does: start or continue a chat, say who they are, write, or
leave a message with the offline form. Each message is stored raw (durable) before the
widget is told it arrived; the worker turns it into the inbox message (`adapter`)."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.channels.intake import store_raw
from layani.channels.models import ChannelAccount
from layani.channels.webchat.access import sign_visitor, visitor_id_from_token
from layani.channels.webchat.models import WebchatVisitor
from layani.conversations.models import Conversation, Direction, Message
from layani.core.errors import InvalidInput
from layani.customers.identities import normalise_email, normalise_phone

MAX_TEXT = 4000
HISTORY_LIMIT = 100


def visitor_for(account: ChannelAccount, token: str) -> tuple[WebchatVisitor, str]:
    """The visitor of this token, or a new one (with its token) when the token is missing,
    forged or of another account."""
    public_id = visitor_id_from_token(account, token)
    visitor = None
    if public_id is not None:
        visitor = WebchatVisitor.objects.filter(account=account, public_id=public_id).first()
    if visitor is None:
        visitor = WebchatVisitor.objects.create(account=account)
        return visitor, sign_visitor(account, visitor.public_id)
    WebchatVisitor.objects.filter(pk=visitor.pk).update(last_seen_at=timezone.now())
    return visitor, token


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str


def clean_contact(name: Any, email: Any, phone: Any, *, required: bool) -> Contact:
    """Normalised contact details; raises InvalidInput naming the field at fault."""
    name = " ".join(str(name or "").split())[:200]
    email = str(email or "").strip()
    phone = str(phone or "").strip()
    if required and not email and not phone:
        raise InvalidInput(
            _("Give an email address or a phone number so we can answer you."),
            code="required",
            field="email",
        )
    return Contact(
        name=name,
        email=normalise_email(email, field="email") if email else "",
        phone=normalise_phone(phone, field="phone") if phone else "",
    )


def clean_text(text: Any) -> str:
    value = str(text or "").strip()
    if not value:
        raise InvalidInput(_("Write a message."), code="required", field="message")
    if len(value) > MAX_TEXT:
        raise InvalidInput(
            _("A message has at most %(count)s characters.") % {"count": MAX_TEXT},
            code="too_long",
            field="message",
        )
    return value


def remember_contact(visitor: WebchatVisitor, contact: Contact) -> None:
    """Who the visitor says they are now: their next message goes to that customer. The
    email and phone given replace the ones given before (saying it again is a correction,
    or someone else at the same browser); the name is kept when none is given."""
    visitor.name = contact.name or visitor.name
    visitor.email = contact.email
    visitor.phone = contact.phone
    visitor.save(update_fields=["name", "email", "phone"])


def identify(visitor: WebchatVisitor, contact: Contact) -> None:
    """The visitor says who they are in the widget: remembered, and stored for the worker,
    which files the chats they already wrote under that customer at once (not only with
    their next message; `adapter.link_identified_customer`)."""
    remember_contact(visitor, contact)
    body = {"type": "identify", "visitor": visitor.public_id, "sent_at": timezone.now().isoformat()}
    key = f"identify:{visitor.public_id}:{uuid.uuid4().hex}"
    store_raw(visitor.account, key, json.dumps(body).encode())


def store_message(visitor: WebchatVisitor, text: str, client_id: str) -> bool:
    """Store the visitor's message durably; False when this client id was stored before."""
    client_id = str(client_id or uuid.uuid4().hex)[:64]
    body = {
        "type": "message",
        "visitor": visitor.public_id,
        "client_id": client_id,
        "text": clean_text(text),
        "sent_at": timezone.now().isoformat(),
    }
    key = f"{visitor.public_id}:{client_id}"
    return store_raw(visitor.account, key, json.dumps(body).encode()) is not None


def store_offline_form(visitor: WebchatVisitor, contact: Contact, text: str) -> None:
    remember_contact(visitor, contact)
    body = {
        "type": "offline",
        "visitor": visitor.public_id,
        "client_id": uuid.uuid4().hex,
        "text": clean_text(text),
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "sent_at": timezone.now().isoformat(),
    }
    store_raw(visitor.account, f"offline:{body['client_id']}", json.dumps(body).encode())


def _written_by(visitor: WebchatVisitor) -> Q:
    """The messages this visitor typed into their widget."""
    return Q(direction=Direction.INBOUND, meta__webchat_visitor=visitor.public_id)


def chats_of(visitor: WebchatVisitor) -> QuerySet[Conversation]:
    """The visitor's chats on this account: the conversations of their customer that they
    wrote in and nobody else did. Reads the visitor's customer afresh (the worker links it
    while a socket holds an older copy of the row).

    A contact typed into the widget proves nothing: a visitor who gives an existing
    customer's email writes into that customer's file (so the agent sees the whole person),
    in chats of their own (`adapter`), and their widget shows only those, never the
    customer's other conversations, nor one that another person wrote in too (an agent
    merged two chats, or a message filed before chats were kept apart)."""
    own = Message.objects.filter(_written_by(visitor), conversation_id=OuterRef("pk"))
    others = Message.objects.filter(
        Q(meta__webchat_visitor__isnull=True) | ~Q(meta__webchat_visitor=visitor.public_id),
        conversation_id=OuterRef("pk"),
        direction=Direction.INBOUND,
    )
    return Conversation.objects.filter(
        customer_id__in=WebchatVisitor.objects.filter(pk=visitor.pk).values("customer_id"),
        channel_account_id=visitor.account_id,
    ).filter(Exists(own), ~Exists(others))


def latest_conversation(visitor: WebchatVisitor) -> Conversation | None:
    """The visitor's latest chat (`chats_of`): where their next message goes."""
    return chats_of(visitor).order_by("-pk").first()


def history(visitor: WebchatVisitor) -> list[dict[str, Any]]:
    """The visitor's latest chat as the widget shows it (two queries): what they wrote, and
    the answers from their first message on."""
    conversation = latest_conversation(visitor)
    if conversation is None:
        return []
    first = (
        Message.objects.filter(_written_by(visitor), conversation=conversation)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = (
        Message.objects.filter(conversation=conversation)
        .filter(
            _written_by(visitor) | Q(direction=Direction.OUTBOUND, created_at__gte=Subquery(first))
        )
        .select_related("author")
        .order_by("-created_at", "-pk")[:HISTORY_LIMIT]
    )
    return [widget_message(m) for m in reversed(list(rows))]


def widget_groups(conversation: Conversation) -> list[str]:
    """The realtime group of the open widgets an answer in `conversation` goes to: its
    visitor's, when one visitor alone wrote in it and is still linked to its customer (the
    chat is theirs, `chats_of`); else none (two queries)."""
    writers = list(
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .order_by()
        .values_list("meta__webchat_visitor", flat=True)
        .distinct()[:2]
    )
    if len(writers) != 1 or not writers[0] or conversation.customer_id is None:
        return []
    visitors = WebchatVisitor.objects.filter(
        account_id=conversation.channel_account_id,
        customer_id=conversation.customer_id,
        public_id=writers[0],
    )
    return [f"webchat-visitor-{pk}" for pk in visitors.values_list("pk", flat=True)]


def widget_message(message: Message) -> dict[str, Any]:
    author = message.author
    return {
        "id": message.pk,
        "from": "visitor" if message.direction == Direction.INBOUND else "agent",
        "text": message.body_text,
        "at": message.created_at.isoformat(),
        "author": author.display_name if author else "",
        "client_id": (message.meta or {}).get("webchat_client_id", ""),
    }
