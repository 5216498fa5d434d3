"""Which conversation a mail belongs to, in order of certainty:

1. its In-Reply-To / References name a message we stored (the customer's earlier mail, or
   our reply: both keep their Message-ID as the message's external id);
2. a ticket token in the subject, `[#L-123]` (we put it in every reply's subject);
3. the same sender with the same subject (Re:/Fwd:/Bls: stripped) within `SAME_SUBJECT_WINDOW`.

Only ever a conversation of the sender's own customer, on the email channel: two customers
writing the same subject, or quoting the same mail, are never threaded together.
"""

import re
from datetime import datetime, timedelta

from django.utils import timezone

from layani.channels.customers import normalised
from layani.channels.events import IncomingMessage
from layani.conversations.models import Conversation, Message
from layani.core.choices import Channel
from layani.core.errors import InvalidInput
from layani.customers.models import IdentityKind

SAME_SUBJECT_WINDOW = timedelta(days=3)
_TOKEN = re.compile(r"\[#L-(\d{1,12})\]", re.IGNORECASE)
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|fw|bls|balas|tr|aw|wg|sv|antw|r)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)


def ticket_token(conversation_id: int) -> str:
    return f"[#L-{conversation_id}]"


def normalised_subject(subject: str) -> str:
    """'Re: Fwd: Tagihan  bulan ini [#L-12]' → 'tagihan bulan ini'."""
    without_token = _TOKEN.sub(" ", subject or "")
    previous = None
    while previous != without_token:  # 'Re: [#L-1] Re: x' strips in rounds
        previous = without_token
        without_token = _PREFIX.sub("", without_token).strip()
    return " ".join(without_token.lower().split())


def token_in(subject: str) -> int | None:
    found = _TOKEN.search(subject or "")
    return int(found.group(1)) if found else None


def _sender_email(message: IncomingMessage) -> str | None:
    try:
        return normalised(message.sender)
    except InvalidInput:
        return None


def _by_headers(address: str, ids: list[str]) -> int | None:
    """One query: a stored mail named by the headers, in a conversation of the customer
    who owns this address."""
    if not ids:
        return None
    return (
        Message.objects.filter(
            channel=Channel.EMAIL,
            external_id__in=ids,
            conversation__customer__identities__kind=IdentityKind.EMAIL,
            conversation__customer__identities__value=address,
        )
        .order_by("-created_at")
        .values_list("conversation_id", flat=True)
        .first()
    )


def _by_token_or_subject(address: str, subject: str, now: datetime) -> int | None:
    """One query (two with a token): the sender's email conversations named by the token,
    or recent ones whose subject is the same once normalised."""
    of_sender = Conversation.objects.filter(
        channel=Channel.EMAIL,
        customer__identities__kind=IdentityKind.EMAIL,
        customer__identities__value=address,
    )
    token = token_in(subject)
    if token is not None:
        found = of_sender.filter(pk=token).values_list("pk", flat=True).first()
        if found is not None:
            return found
    wanted = normalised_subject(subject)
    if not wanted:
        return None
    recent = (
        of_sender.filter(last_message_at__gte=now - SAME_SUBJECT_WINDOW)
        .order_by("-last_message_at")
        .values_list("pk", "subject")[:20]
    )
    for pk, stored in recent:
        if normalised_subject(stored) == wanted:
            return pk
    return None


def conversation_for(message: IncomingMessage, now: datetime | None = None) -> int | None:
    """The conversation id this mail continues, or None (a new mail: the usual rules of
    `receive_inbound_message` apply). Only conversations of the customer who owns the
    sender's address are considered; a sender we do not know has none."""
    address = _sender_email(message)
    if address is None:
        return None
    ids = [*message.meta.get("in_reply_to", []), *reversed(message.meta.get("references", []))]
    if message.meta.get("bounced_message_id"):
        ids.append(message.meta["bounced_message_id"])
    return _by_headers(address, ids) or _by_token_or_subject(
        address, message.subject, now or timezone.now()
    )


def reply_subject(subject: str, conversation_id: int) -> str:
    """'Re: <subject> [#L-<id>]', without piling up prefixes or tokens."""
    base = _TOKEN.sub(" ", subject or "")
    previous = None
    while previous != base:
        previous = base
        base = _PREFIX.sub("", base).strip()
    base = " ".join(base.split())
    return f"Re: {base} {ticket_token(conversation_id)}" if base else ticket_token(conversation_id)
