"""When a conversation is due: the default response target per priority (pure rules).

Until the SLA issue brings policies per channel, purpose and segment on business hours,
every conversation gets one target by priority, counted from the moment the customer
started waiting. `due_at` is never empty: when nobody is waiting (staff replied, or the
conversation waits on the customer), it is when somebody should look again, counted from
the last change the same way.

Configure with the Django settings `LAYANI_RESPONSE_TARGET_HOURS` (a mapping of priority
name to hours) and `LAYANI_REOPEN_WINDOW_DAYS`.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from layani.conversations.models import (
    ACTIVE_STATUSES,
    Conversation,
    Direction,
    Message,
    Priority,
)

DEFAULT_RESPONSE_TARGET_HOURS: dict[str, float] = {
    "urgent": 1,
    "high": 4,
    "normal": 24,
    "low": 72,
}
DEFAULT_REOPEN_WINDOW_DAYS = 7


def response_target(priority: int) -> timedelta:
    """How long a customer of this priority should wait at most for an answer."""
    configured = getattr(settings, "LAYANI_RESPONSE_TARGET_HOURS", None) or {}
    name = Priority(priority).name.lower()
    hours = configured.get(name, DEFAULT_RESPONSE_TARGET_HOURS[name])
    return timedelta(hours=float(hours))


def reopen_window() -> timedelta:
    """A resolved or closed conversation reopens when the customer writes within this time."""
    days = getattr(settings, "LAYANI_REOPEN_WINDOW_DAYS", DEFAULT_REOPEN_WINDOW_DAYS)
    return timedelta(days=float(days))


def due_at_for(*, priority: int, waiting_since: datetime | None, now: datetime) -> datetime:
    """The answer is due `target` after the customer started waiting; with nobody waiting,
    somebody should look again `target` after now."""
    return (waiting_since or now) + response_target(priority)


def recompute_due_in_bulk(conversations: QuerySet[Conversation]) -> None:
    """Set `waiting_since`, `due_at` and `first_response_at` from the stored messages, for
    rows written in bulk (demo and benchmark loaders) that bypass the actions.

    Active conversations wait since their first inbound message that no outbound reply
    followed; `due_at` counts the target from then, or from the last message.
    """
    unanswered = (
        Message.objects.filter(conversation_id=OuterRef("pk"), direction=Direction.INBOUND)
        .exclude(
            Exists(
                Message.objects.filter(
                    conversation_id=OuterRef("conversation_id"),
                    direction=Direction.OUTBOUND,
                    created_at__gte=OuterRef("created_at"),
                )
            )
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    first_reply = (
        Message.objects.filter(
            conversation_id=OuterRef("pk"), direction=Direction.OUTBOUND, author__isnull=False
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    conversations.update(first_response_at=Subquery(first_reply))
    conversations.filter(status__in=ACTIVE_STATUSES).update(waiting_since=Subquery(unanswered))
    conversations.exclude(status__in=ACTIVE_STATUSES).update(waiting_since=None)
    for priority in Priority:
        conversations.filter(priority=priority).update(
            due_at=Coalesce(F("waiting_since"), F("last_message_at"), F("created_at"))
            + Value(response_target(priority))
        )
