"""What each action writes on the timeline (kind, summary, details), for rows written in bulk.

The generators bypass the actions for speed; these functions keep the rows they write
identical to what `customers.actions`, `conversations.actions` and `branches.actions`
record, and describe the transitions whose actions come with later issues the same way.
"""

from typing import Any

from layani.branches.models import Service
from layani.conversations.models import EventKind
from layani.core.choices import Channel
from layani.customers.models import IdentityKind

Entry = tuple[str, str, dict[str, Any]]  # (kind, summary, details)


def customer_created(full_name: str, status: str) -> Entry:
    return EventKind.CUSTOMER_CREATED, full_name[:500], {"status": status}


def identity_added(kind: str, value: str) -> Entry:
    summary = f"{IdentityKind(kind).label}: {value}"
    return EventKind.IDENTITY_ADDED, summary, {"kind": kind, "value": value}


def what_matters_changed(text: str, tags: list[str]) -> Entry:
    details = {"before": {"text": "", "tags": []}, "after": {"text": text, "tags": tags}}
    return EventKind.WHAT_MATTERS_CHANGED, text[:200], details


def conversation_created(subject: str, channel: str, purpose: str) -> Entry:
    summary = subject[:200] or str(Channel(channel).label)
    return EventKind.CONVERSATION_CREATED, summary, {"channel": channel, "purpose": purpose}


MESSAGE_KIND = {"in": EventKind.MESSAGE_IN, "out": EventKind.MESSAGE_OUT, "note": EventKind.NOTE}


def message(direction: str, body_text: str) -> Entry:
    return MESSAGE_KIND[direction], body_text.strip()[:200], {}


def assigned(staff_id: int, staff_name: str, team_id: int | None) -> Entry:
    """An agent took a conversation that waited with `team_id` (or in the pool)."""
    before = {"assignee": None, "team": team_id}
    return EventKind.ASSIGNED, staff_name, {"assignee": staff_id, "team": team_id, "before": before}


def tags_changed(added: list[str]) -> Entry:
    summary = " ".join(f"+{name}" for name in added)[:200]
    return EventKind.TAGS_CHANGED, summary, {"added": added, "removed": []}


def status_changed(before: str, after: str) -> Entry:
    return EventKind.STATUS_CHANGED, f"{before} → {after}", {"before": before, "after": after}


def visit_checked_in(
    ticket: str, service: Service, branch_name: str, note: str, estimated_minutes: int
) -> Entry:
    details: dict[str, Any] = {
        "service": service.code,
        "purpose": service.purpose,
        "source": "kiosk",
        "estimated_minutes": estimated_minutes,
    }
    if note:
        details["note"] = note
    return EventKind.VISIT_CHECKED_IN, f"{ticket} · {service.name_id} · {branch_name}", details


def visit_called(ticket: str, counter_name: str, reason: str, group: str) -> Entry:
    details = {"counter": counter_name, "reason": reason, "group": group}
    return EventKind.VISIT_CALLED, f"{ticket} → {counter_name}", details


def visit_finished(
    summary: str, service_code: str, waited_seconds: int, served_seconds: int
) -> Entry:
    details = {
        "service": service_code,
        "waited_seconds": waited_seconds,
        "served_seconds": served_seconds,
    }
    return EventKind.VISIT_FINISHED, summary[:200], details


def visit_no_show(ticket: str, recalls: int) -> Entry:
    return EventKind.VISIT_NO_SHOW, ticket, {"recalls": recalls}
