"""What every seeded conversation must satisfy, whichever loader wrote it: the lifecycle
moments the actions would have stored, a status history the lifecycle allows, and read
markers and tags in place. Shared by the demo and the volume-mode tests."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Count

from layani.conversations.actions.lifecycle import TRANSITIONS
from layani.conversations.due import recompute_due_in_bulk, response_target
from layani.conversations.models import (
    ACTIVE_STATUSES,
    PREVIEW_LENGTH,
    Conversation,
    ConversationRead,
    ConversationStatus,
    Direction,
    EventKind,
    Message,
    TimelineEvent,
)

S = ConversationStatus


def assert_lifecycle_consistent() -> None:
    """Every conversation in the database, checked against the actions' rules."""
    rows = list(
        Conversation.objects.values(
            "id",
            "status",
            "priority",
            "created_at",
            "updated_at",
            "last_message_at",
            "waiting_since",
            "due_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "assignee_id",
        )
    )
    assert rows
    last_message = {
        cid: at
        for cid, at in Message.objects.order_by("conversation_id", "created_at").values_list(
            "conversation_id", "created_at"
        )
    }
    # Open conversations under an SLA policy are due when the SLA says (routing/sla.py).
    under_sla = _sla_governed()
    for row in rows:
        _check_moments(row, last_message.get(row["id"]), sla=row["id"] in under_sla)
    _check_status_history({row["id"]: row["status"] for row in rows})
    # What the bulk rule derives from the messages agrees with what the loader stored.
    stored = {r["id"]: (r["waiting_since"], r["first_response_at"]) for r in rows}
    recompute_due_in_bulk(Conversation.objects.all())
    derived = {
        cid: (waiting, first)
        for cid, waiting, first in Conversation.objects.values_list(
            "id", "waiting_since", "first_response_at"
        )
    }
    assert derived == stored
    # A read marker is the assignee's, at a moment of the conversation (unless an SLA
    # breach handed the conversation to another team since).
    by_id = {r["id"]: r for r in rows}
    escalated = set(
        TimelineEvent.objects.filter(kind=EventKind.SLA_ESCALATED).values_list(
            "conversation_id", flat=True
        )
    )
    for staff_id, conversation_id, read_at in ConversationRead.objects.values_list(
        "staff_id", "conversation_id", "read_at"
    ):
        row = by_id[conversation_id]
        assert staff_id == row["assignee_id"] or conversation_id in escalated
        assert row["created_at"] <= read_at <= row["updated_at"]
    assert_assignees_in_their_teams()
    assert_inbox_previews_match_the_messages()


def assert_assignees_in_their_teams() -> None:
    """Whoever has a conversation of a team is a member of it ("Sari Lestari · Penanganan
    Keluhan" with Sari not in that team is a state no action or routing leaves)."""
    from layani.staff.models import Staff

    members = set(Staff.teams.through.objects.values_list("team_id", "staff_id"))
    outside = [
        f"L-{pk}"
        for pk, team_id, staff_id in Conversation.objects.filter(
            team__isnull=False, assignee__isnull=False
        ).values_list("id", "team_id", "assignee_id")
        if (team_id, staff_id) not in members
    ]
    assert not outside, outside[:10]


def _sla_governed() -> set[int]:
    from layani.routing.models import ConversationSla

    return set(
        ConversationSla.objects.filter(
            policy__isnull=False, conversation__status__in=ACTIVE_STATUSES
        ).values_list("conversation_id", flat=True)
    )


def _check_moments(row: dict[str, Any], last_message_at: datetime | None, *, sla: bool) -> None:
    status, target = row["status"], response_target(row["priority"])
    reference = f"L-{row['id']} ({status})"
    assert row["last_message_at"] == last_message_at, reference
    assert row["created_at"] <= row["updated_at"], reference
    if status in ACTIVE_STATUSES:
        assert row["resolved_at"] is None and row["closed_at"] is None, reference
    if status == S.RESOLVED:
        assert row["resolved_at"] is not None and row["closed_at"] is None, reference
        assert row["due_at"] == row["resolved_at"] + target, reference
    if status == S.CLOSED:
        assert row["closed_at"] is not None, reference
        assert row["resolved_at"] is None or row["resolved_at"] <= row["closed_at"], reference
        assert row["due_at"] == row["closed_at"] + target, reference
    if status not in ACTIVE_STATUSES or status == S.PENDING:
        assert row["waiting_since"] is None, reference
    if row["waiting_since"] is not None:
        # Someone waits for an answer: due a target after they started waiting.
        assert sla or row["due_at"] == row["waiting_since"] + target, reference
        assert row["created_at"] <= row["waiting_since"] <= row["updated_at"], reference
    elif not sla:
        # Nobody waits: look again a target after the last change that set it.
        assert row["created_at"] <= row["due_at"] - target <= row["updated_at"], reference
    if status == S.PENDING and not sla:
        assert row["due_at"] == row["updated_at"] + target, reference
    if row["first_response_at"] is not None:
        assert row["created_at"] <= row["first_response_at"] <= row["updated_at"], reference


def _check_status_history(statuses: dict[int, str]) -> None:
    """Replaying each conversation's status changes from "new" follows the lifecycle's
    transitions and ends at its stored status."""
    changes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    events = TimelineEvent.objects.filter(kind=EventKind.STATUS_CHANGED).order_by(
        "conversation_id", "occurred_at", "id"
    )
    for conversation_id, details in events.values_list("conversation_id", "details"):
        changes[conversation_id].append((details["before"], details["after"]))
    for conversation_id, status in statuses.items():
        current = S.NEW
        for before, after in changes.get(conversation_id, []):
            assert before == current, conversation_id
            assert after in TRANSITIONS[before], (conversation_id, before, after)
            current = after
        assert current == status, conversation_id


def message_directions() -> dict[str, int]:
    counts = Message.objects.order_by().values("direction").annotate(n=Count("id"))
    return {row["direction"]: row["n"] for row in counts}


def assert_inbox_previews_match_the_messages() -> None:
    """The inbox's preview and "customer last wrote" on each row are what
    `note_message` would have kept: the last message to or from the customer, cut to
    PREVIEW_LENGTH, and the customer's last message's time."""
    expected: dict[int, tuple[str, datetime | None]] = {}
    for cid, direction, text, at in (
        Message.objects.exclude(direction=Direction.NOTE)
        .order_by("conversation_id", "created_at", "id")
        .values_list("conversation_id", "direction", "body_text", "created_at")
    ):
        _text, inbound = expected.get(cid, ("", None))
        expected[cid] = (text[:PREVIEW_LENGTH], at if direction == Direction.INBOUND else inbound)
    stored = {
        cid: (preview, inbound)
        for cid, preview, inbound in Conversation.objects.values_list(
            "id", "last_preview", "last_inbound_at"
        )
    }
    assert stored == {cid: expected.get(cid, ("", None)) for cid in stored}
