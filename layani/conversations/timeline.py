"""Writing the timeline: every action that changes something calls `record_event`."""

from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from layani.conversations.models import TimelineEvent


def record_event(
    kind: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    customer: Any = None,
    conversation: Any = None,
    visit: Any = None,
    message: Any = None,
    branch: Any = None,
    summary: str = "",
    details: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    if branch is None:
        branch = getattr(visit, "branch", None) or getattr(conversation, "branch", None)
    if customer is None:
        customer = getattr(conversation, "customer", None) or getattr(visit, "customer", None)
    return TimelineEvent.objects.create(
        kind=kind,
        occurred_at=occurred_at or timezone.now(),
        customer=customer,
        conversation=conversation,
        visit=visit,
        message=message,
        branch=branch,
        actor=actor if isinstance(actor, User) else None,
        summary=summary[:500],
        details=details or {},
    )
