"""Read markers: up to when a staff member has read a conversation."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from layani.conversations.actions._common import authorise
from layani.conversations.models import Conversation, ConversationRead, Mention
from layani.conversations.notify import read_marker_event
from layani.core.types import Actor
from layani.staff.permissions import staff_of


def mark_read(conversation: Conversation, *, actor: Actor, at: datetime | None = None) -> None:
    """The actor has read the conversation up to now: its unread marker goes, and so do
    their unseen mentions in it. Not a change to the conversation: no timeline row."""
    authorise(actor, conversation)
    staff = staff_of(actor)
    if staff is None:
        return
    at = at or timezone.now()
    with transaction.atomic():
        ConversationRead.objects.bulk_create(
            [ConversationRead(staff=staff, conversation=conversation, read_at=at)],
            update_conflicts=True,
            unique_fields=["staff", "conversation"],
            update_fields=["read_at"],
        )
        Mention.objects.filter(staff=staff, conversation=conversation, seen_at__isnull=True).update(
            seen_at=at
        )
        read_marker_event(conversation, user_id=staff.user_id)
