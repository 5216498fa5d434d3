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
    event = timeline_event(
        kind,
        actor=actor,
        customer=customer,
        conversation=conversation,
        visit=visit,
        message=message,
        branch=branch,
        summary=summary,
        details=details,
        occurred_at=occurred_at,
    )
    event.save(force_insert=True)
    return event


def amend_last_event(
    conversation_id: int, kind: str, *, details: dict[str, Any], new_kind: str | None = None
) -> None:
    """Add facts to the row of `kind` an action just wrote on the conversation (and give it
    a kind of its own): for a caller that knows more than the action it went through (the
    routing decision behind an assignment, the SLA breach behind a raised priority)."""
    event = (
        TimelineEvent.objects.filter(conversation_id=conversation_id, kind=kind)
        .order_by("-occurred_at", "-id")
        .first()
    )
    if event is None:
        return
    event.details = {**event.details, **details}
    event.kind = new_kind or event.kind
    event.save(update_fields=["kind", "details"])


def timeline_event(
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
    """The timeline row `record_event` writes, unsaved (for writers of many at once)."""
    # Ids, not objects: reading `conversation.customer` would load a row only to name it.
    branch_id = _id(branch) or _attr_id(visit, "branch_id") or _attr_id(conversation, "branch_id")
    customer_id = (
        _id(customer) or _attr_id(conversation, "customer_id") or _attr_id(visit, "customer_id")
    )
    return TimelineEvent(
        kind=kind,
        occurred_at=occurred_at or timezone.now(),
        customer_id=customer_id,
        conversation=conversation,
        visit=visit,
        message=message,
        branch_id=branch_id,
        actor=actor if isinstance(actor, User) else None,
        summary=summary[:500],
        details=details or {},
    )


def _id(instance: Any) -> Any:
    return None if instance is None else getattr(instance, "pk", instance)


def _attr_id(instance: Any, name: str) -> Any:
    return None if instance is None else getattr(instance, name, None)
