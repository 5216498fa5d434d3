"""Writing to the customer and to colleagues: replies, internal notes with @mentions, and the
delivery status that comes back for a reply."""

import re
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.conversations.actions._common import (
    author_of,
    authorise,
    clean_body,
    copy_state,
    lock,
    save,
)
from layani.conversations.actions.lifecycle import (
    STATUS_FIELDS,
    apply_status,
    record_status_change,
    store_message,
)
from layani.conversations.models import (
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    EventKind,
    Mention,
    Message,
)
from layani.conversations.notify import MESSAGE_CREATED, MESSAGE_UPDATED, conversation_event
from layani.conversations.queries import can_see_conversation
from layani.conversations.recipients import SPOKEN_CHANNELS, address_for, reply_channels_of
from layani.conversations.timeline import record_event
from layani.core.choices import Channel
from layani.core.errors import InvalidInput
from layani.core.events import enqueue_on_commit
from layani.core.types import Actor
from layani.staff.permissions import Capability, can, staff_of

S = ConversationStatus
MAX_MENTIONS = 10
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.+-]{1,150})")

# A status may only follow the ones listed: a late "delivered" never undoes "read".
_DELIVERY_FROM: dict[str, frozenset[str]] = {
    DeliveryStatus.SENT: frozenset({DeliveryStatus.PENDING, DeliveryStatus.FAILED}),
    DeliveryStatus.DELIVERED: frozenset(
        {DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.FAILED}
    ),
    DeliveryStatus.READ: frozenset(
        {
            DeliveryStatus.PENDING,
            DeliveryStatus.SENT,
            DeliveryStatus.DELIVERED,
            DeliveryStatus.FAILED,
        }
    ),
    DeliveryStatus.FAILED: frozenset({DeliveryStatus.PENDING, DeliveryStatus.SENT}),
}


def _check_reply_channel(conversation: Conversation, channel: str) -> None:
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."), code="invalid_choice", field="channel")
    if channel in SPOKEN_CHANNELS:
        raise InvalidInput(
            _("Nothing can be sent through %(channel)s: write a note instead.")
            % {"channel": Channel(channel).label},
            code="channel_not_writable",
            field="channel",
        )
    identities = list(conversation.customer.identities.all()) if conversation.customer else []
    if address_for(conversation, channel, identities) is None:
        raise InvalidInput(
            _("The customer has no %(channel)s contact to reply to.")
            % {"channel": Channel(channel).label},
            code="no_identity_for_channel",
            field="channel",
        )


def default_reply_channel(conversation: Conversation) -> str:
    """The channel a message to the customer goes through when none is chosen: the
    conversation's own, or, for a web chat whose latest message was left through the
    offline form (the widget is closed), the one the reply box offers first: email. Only a
    web chat costs queries (an acknowledgement of every new WhatsApp conversation asks)."""
    if conversation.channel != Channel.WEBCHAT:
        return conversation.channel
    identities = list(conversation.customer.identities.all()) if conversation.customer else []
    latest = (
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .order_by("-id")
        .first()
    )
    channels = reply_channels_of(conversation, identities, latest_inbound=latest)
    return channels[0] if channels else conversation.channel


def reply(
    conversation: Conversation, *, body_text: str, channel: str | None = None, actor: Actor
) -> Message:
    """Answer the customer through `channel` (default: `default_reply_channel`, as the
    reply box offers it).

    The reply is stored as an outbound message waiting to be sent and handed to the
    channel's sender after commit; its delivery status follows from there. Replying to a
    new conversation opens it; replying to a resolved or closed one reopens it.
    """
    authorise(actor, conversation)
    clean_body(body_text)
    channel = channel or default_reply_channel(conversation)
    _check_reply_channel(conversation, channel)
    now = timezone.now()
    with transaction.atomic():
        locked = lock(conversation)
        before = locked.status
        message = store_message(
            locked,
            direction=Direction.OUTBOUND,
            body_text=body_text,
            channel=channel,
            author=author_of(actor),
            actor=actor,
            at=now,
        )
        changes = []
        if before in (S.NEW, S.RESOLVED, S.CLOSED):
            apply_status(locked, S.OPEN, now)
            save(locked, STATUS_FIELDS)
            record_status_change(locked, before=before, after=S.OPEN, actor=actor, now=now)
            changes.append("status")
        from layani.conversations.tasks import send_reply

        enqueue_on_commit(send_reply, message.pk)
        conversation_event(MESSAGE_CREATED, locked, message=message, changes=changes)
    copy_state(locked, conversation)
    return message


def send_automatic(
    conversation: Conversation, *, body_text: str, kind: str, channel: str | None = None
) -> Message:
    """Send the customer a message written by the system (an intake acknowledgement), as
    the system, through `channel` (default: `default_reply_channel`, as a reply). It goes
    out like a reply but is not an answer: the status stays, and the customer is still
    waiting as far as the SLA is concerned."""
    clean_body(body_text)
    channel = channel or default_reply_channel(conversation)
    now = timezone.now()
    with transaction.atomic():
        locked = lock(conversation)
        message = store_message(
            locked,
            direction=Direction.OUTBOUND,
            body_text=body_text,
            channel=channel,
            author=None,
            actor=None,
            at=now,
            meta={"automatic": kind},
            automatic=True,
            event_details={"automatic": kind},
        )
        from layani.conversations.tasks import send_reply

        enqueue_on_commit(send_reply, message.pk)
        conversation_event(MESSAGE_CREATED, locked, message=message, changes=[])
    copy_state(locked, conversation)
    return message


def _mentioned_users(body_text: str, actor: Actor) -> list[User]:
    names: set[str] = set()
    for match in _MENTION.finditer(body_text):
        name = match.group(1)
        names.update({name, name.rstrip(".-_")})
    if not names:
        return []
    users = (
        User.objects.filter(username__in=names, is_active=True)
        .select_related("staff")
        .order_by("username")
    )
    actor_id = getattr(actor, "pk", None)
    return [u for u in users if u.pk != actor_id and staff_of(u) is not None][:MAX_MENTIONS]


def add_note(conversation: Conversation, *, body_text: str, actor: Actor) -> Message:
    """An internal note, never sent to the customer. Each colleague @mentioned by username
    who can see the conversation gets a mention (their notification, pushed live); one who
    cannot is not told, and the note says so (`meta["not_notified"]`), so its writer knows
    the message did not reach them."""
    authorise(actor, conversation)
    clean_body(body_text)
    now = timezone.now()
    with transaction.atomic():
        locked = lock(conversation)
        notified, unreachable = [], []
        for user in _mentioned_users(body_text, actor):
            if can(user, Capability.VIEW_CONVERSATIONS) and can_see_conversation(user, locked):
                notified.append(user)
            else:
                unreachable.append(user)
        message = store_message(
            locked,
            direction=Direction.NOTE,
            body_text=body_text,
            author=author_of(actor),
            actor=actor,
            at=now,
            event_details={"mentions": [u.get_username() for u in notified]} if notified else None,
            meta=(
                {"not_notified": [u.get_username() for u in unreachable]} if unreachable else None
            ),
        )
        mentions = [
            Mention.objects.create(
                staff=user.staff,
                conversation=locked,
                message=message,
                mentioned_by=message.author,
                created_at=now,
            )
            for user in notified
        ]
        conversation_event(MESSAGE_CREATED, locked, message=message, mentions=mentions)
    copy_state(locked, conversation)
    return message


def update_delivery_status(
    message: Message, *, status: str, at: datetime | None = None, error: str = ""
) -> bool:
    """Apply a delivery receipt (sent, delivered, read, failed) to an outbound message.

    Never moves backwards: a late "delivered" after "read" changes nothing. Returns whether
    the status changed. Called by channel senders and webhooks, as the system.
    """
    if message.direction != Direction.OUTBOUND:
        raise InvalidInput(
            _("Only replies have a delivery status."), code="not_outbound", field="message"
        )
    if status not in _DELIVERY_FROM:
        raise InvalidInput(_("Unknown delivery status."), code="invalid_choice", field="status")
    at = at or timezone.now()
    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message.pk, delivery_status__in=_DELIVERY_FROM[status]
        ).update(delivery_status=status, status_changed_at=at)
        if not updated:
            return False
        message.delivery_status = status
        message.status_changed_at = at
        conversation = message.conversation
        if status == DeliveryStatus.FAILED and error:
            # Why, under the reply itself: the agent sees it where they see "Failed".
            message.meta = {**(message.meta or {}), "delivery_error": error[:500]}
            Message.objects.filter(pk=message.pk).update(meta=message.meta)
        if status == DeliveryStatus.FAILED:
            record_event(
                EventKind.DELIVERY_FAILED,
                actor=None,
                conversation=conversation,
                message=message,
                summary=(error or message.body_text.strip())[:200],
                details={"channel": message.channel, "error": error[:500]}
                if error
                else {"channel": message.channel},
                occurred_at=at,
            )
        conversation_event(
            MESSAGE_UPDATED, conversation, message=message, changes=["delivery_status"]
        )
    return True
