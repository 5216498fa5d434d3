"""Changing how a conversation is handled: assignment, purpose, priority, tags, linked visit.

Each change writes one timeline row with what it was before and after (STYLE rule 7).
"""

from collections.abc import Iterable
from enum import Enum
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.conversations.actions._common import (
    authorise,
    check_in_team,
    clean_reason,
    copy_state,
    in_team,
    lock,
    refresh_due,
    refresh_tag_ids,
    save,
)
from layani.conversations.models import (
    Conversation,
    EventKind,
    Priority,
    Tag,
    TimelineEvent,
    tag_name,
)
from layani.conversations.notify import CONVERSATION_UPDATED, conversation_event
from layani.conversations.timeline import record_event
from layani.core.choices import Purpose
from layani.core.errors import Conflict, InvalidInput, NotFound
from layani.core.types import Actor
from layani.staff.models import Staff, Team
from layani.staff.permissions import Capability, can

MAX_TAGS = 20
MAX_TAG_LENGTH = 40


class Keep(Enum):
    """Leave this part of the assignment as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


def _check_assignee(assignee: Staff) -> None:
    if not assignee.is_active or not can(assignee.user, Capability.VIEW_CONVERSATIONS):
        raise InvalidInput(
            _("%(name)s cannot work on conversations.") % {"name": assignee.display_name},
            code="invalid_assignee",
            field="assignee_id",
        )


def _team_of(assignee: Staff, conversation: Conversation) -> Team | None:
    """The team a conversation follows its new holder into when they are not in its team:
    their only team; of several, one that serves the conversation's branch (by name);
    none when they are in no team (it is then theirs alone). One query."""
    teams = list(
        Team.objects.filter(members=assignee)
        .annotate(
            serves=Count("branches", filter=Q(branches=conversation.branch_id)),
            anywhere=~Exists(Team.branches.through.objects.filter(team_id=OuterRef("pk"))),
        )
        .order_by("name")
    )
    teams.sort(key=lambda team: (not team.serves, not team.anywhere))
    return teams[0] if teams else None


def assign(
    conversation: Conversation,
    *,
    assignee: Staff | Keep | None = KEEP,
    team: Team | Keep | None = KEEP,
    reason: str = "",
    held_by: int | Keep | None = KEEP,
    actor: Actor,
) -> Conversation:
    """Assign to an agent and/or a team, reassign, or unassign (None). Parts left as KEEP
    stay as they are; assigning what is already assigned changes nothing.

    `held_by`: who the person saw holding the conversation (a staff id, None for nobody)
    when they chose to take it; when someone else took it meanwhile, a Conflict instead of
    taking it from them unseen (two agents pressing "assign to me" at once).

    A person always holds a conversation of a team they are in (or of no team): given
    with a team they are not in, or kept while the conversation moves to a team they are
    not in, an error; given alone, the conversation follows them into their team
    (`_team_of`) when they are not in its own or it has none (taken from the pool)."""
    authorise(actor, conversation)
    if isinstance(assignee, Staff):
        _check_assignee(assignee)
    reason = clean_reason(reason, required=False)
    now = timezone.now()
    with transaction.atomic():
        locked = lock(conversation)
        wanted = assignee.pk if isinstance(assignee, Staff) else None
        if not isinstance(held_by, Keep) and locked.assignee_id not in (held_by, wanted):
            holder = locked.assignee.display_name if locked.assignee else ""
            raise Conflict(
                _("%(name)s took this conversation a moment ago.") % {"name": holder},
                code="taken",
                field="held_by",
            )
        before = {"assignee": locked.assignee_id, "team": locked.team_id}
        if not isinstance(assignee, Keep):
            locked.assignee = assignee
        if not isinstance(team, Keep):
            locked.team = team
        changes_team = isinstance(team, Team) and team.pk != before["team"]
        if isinstance(team, Team) and locked.assignee is not None and (wanted or changes_team):
            # Given with the team, or kept while the team changes: they must be in it.
            check_in_team(locked.assignee, team, field="assignee_id" if wanted else "team_id")
        elif isinstance(assignee, Staff) and (
            (locked.team_id is not None and not in_team(assignee, locked.team_id))
            # Taken from the shared pool: it joins the holder's team, so their team sees
            # it and it goes back there if they go offline.
            or (locked.team_id is None and isinstance(team, Keep))
        ):
            locked.team = _team_of(assignee, locked)
        after = {"assignee": locked.assignee_id, "team": locked.team_id}
        changes = [name for name in after if before[name] != after[name]]
        if not changes:
            return conversation
        locked.updated_at = now
        save(locked, [f"{name}_id" for name in changes])
        # Names, not words: the thread says "Unassigned" in the reader's language.
        summary = (
            locked.assignee.display_name
            if locked.assignee
            else (locked.team.name if locked.team else "")
        )
        if locked.assignee and locked.team and "team" in changes:
            summary = f"{summary} · {locked.team.name}"
        record_event(
            EventKind.ASSIGNED,
            actor=actor,
            conversation=locked,
            summary=summary,
            details={**after, "before": before, **({"reason": reason} if reason else {})},
            occurred_at=now,
        )
        conversation_event(CONVERSATION_UPDATED, locked, changes=changes, previous=before)
    copy_state(locked, conversation)
    return conversation


def _change_field(
    conversation: Conversation,
    *,
    field: str,
    value: Any,
    kind: str,
    reason: str,
    actor: Actor,
    facts: dict[str, Any] | None = None,
    publish: bool = True,
) -> Conversation:
    reason = clean_reason(reason, required=True)
    now = timezone.now()
    with transaction.atomic():
        locked = lock(conversation)
        before = getattr(locked, field)
        if before == value:
            raise InvalidInput(
                _("Nothing to change: it is already so."), code="unchanged", field=field
            )
        setattr(locked, field, value)
        locked.updated_at = now
        fields = [field]
        if field in ("priority", "purpose"):  # both can change the SLA policy
            refresh_due(locked, now)
            fields.append("due_at")
        save(locked, fields)
        record_event(
            kind,
            actor=actor,
            conversation=locked,
            summary=f"{before} → {value}",
            details={"before": before, "after": value, "reason": reason, **(facts or {})},
            occurred_at=now,
        )
        if publish:
            conversation_event(CONVERSATION_UPDATED, locked, changes=[field])
    copy_state(locked, conversation)
    return conversation


def change_purpose(
    conversation: Conversation, *, purpose: str, reason: str, actor: Actor
) -> Conversation:
    """Correct why the customer came (routine, complaint, special request, prospect)."""
    authorise(actor, conversation)
    if purpose not in Purpose.values:
        raise InvalidInput(_("Unknown purpose."), code="invalid_choice", field="purpose")
    return _change_field(
        conversation,
        field="purpose",
        value=purpose,
        kind=EventKind.PURPOSE_CHANGED,
        reason=reason,
        actor=actor,
    )


def purpose_left_to_rules(conversation: Conversation) -> bool:
    """Whether nobody has said why the customer came: still routine, not a walk-in (the
    kiosk asked them), not opened by a person who chose it (`start_conversation`), its
    purpose never changed (at most one query)."""
    if conversation.purpose != Purpose.ROUTINE or conversation.visit_id is not None:
        return False
    said = Q(kind=EventKind.PURPOSE_CHANGED) | Q(
        kind=EventKind.CONVERSATION_CREATED, details__purpose_chosen=True
    )
    return not TimelineEvent.objects.filter(said, conversation=conversation).exists()


def purpose_from_rule(
    conversation: Conversation, *, purpose: str, rule_name: str, publish: bool = True
) -> bool:
    """Routing: a routine conversation a rule recognises becomes `purpose` (a complaint, a
    special request, a prospect), with that purpose's SLA; the thread names the rule. A
    purpose someone chose is kept (`purpose_left_to_rules`, asked of the locked row): an
    agent who made a rule's "complaint" routine again is not overruled when it is routed
    again. `publish=False` while the conversation is being created: its creation event,
    published after, carries the purpose. Whether it changed."""
    if purpose not in Purpose.values or purpose == Purpose.ROUTINE:
        raise InvalidInput(_("Unknown purpose."), code="invalid_choice", field="purpose")
    with transaction.atomic():
        locked = lock(conversation)
        if not purpose_left_to_rules(locked):
            return False
        _change_field(
            locked,
            field="purpose",
            value=purpose,
            kind=EventKind.PURPOSE_CHANGED,
            reason=rule_name,
            actor=None,
            facts={"routing_rule": rule_name},
            publish=publish,
        )
    copy_state(locked, conversation)
    return True


def change_priority(
    conversation: Conversation, *, priority: int, reason: str, actor: Actor
) -> Conversation:
    """Raise or lower the priority; the answer's due time follows."""
    authorise(actor, conversation)
    if priority not in Priority.values:
        raise InvalidInput(_("Unknown priority."), code="invalid_choice", field="priority")
    return _change_field(
        conversation,
        field="priority",
        value=priority,
        kind=EventKind.PRIORITY_CHANGED,
        reason=reason,
        actor=actor,
    )


def normalise_tag(name: str) -> str:
    """`  Kartu Hilang ` → `kartu-hilang`."""
    text = tag_name(name)
    if not text:
        raise InvalidInput(_("A tag cannot be empty."), code="required", field="tags")
    if len(text) > MAX_TAG_LENGTH:
        raise InvalidInput(_("A tag is too long."), code="too_long", field="tags")
    return text


def _tags_named(names: list[str]) -> list[Tag]:
    if not names:
        return []
    # Concurrent writers may create the same tag: ignore the conflict, then read them back.
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=names))


def change_tags(
    conversation: Conversation,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    actor: Actor,
) -> list[str]:
    """Add and remove tags by name (stored lower-case); returns the tags after the change."""
    authorise(actor, conversation)
    to_add = list(dict.fromkeys(normalise_tag(n) for n in add))
    to_remove = list(dict.fromkeys(normalise_tag(n) for n in remove))
    now = timezone.now()
    with transaction.atomic():
        locked = lock(conversation)
        current = set(locked.tags.values_list("name", flat=True))
        added = [n for n in to_add if n not in current and n not in to_remove]
        removed = [n for n in to_remove if n in current]
        after = (current | set(added)) - set(removed)
        if len(after) > MAX_TAGS:
            raise InvalidInput(_("Too many tags."), code="too_many", field="tags")
        if not added and not removed:
            return sorted(current)
        if added:
            locked.tags.add(*_tags_named(added))
        if removed:
            locked.tags.remove(*Tag.objects.filter(name__in=removed))
        refresh_tag_ids(locked)
        locked.updated_at = now
        save(locked, ["tag_ids"])
        record_event(
            EventKind.TAGS_CHANGED,
            actor=actor,
            conversation=locked,
            summary=" ".join([f"+{n}" for n in added] + [f"-{n}" for n in removed])[:200],
            details={"added": added, "removed": removed},
            occurred_at=now,
        )
        conversation_event(CONVERSATION_UPDATED, locked, changes=["tags"])
    copy_state(locked, conversation)
    return sorted(after)


def link_visit(conversation: Conversation, *, visit: Any, actor: Actor) -> Conversation:
    """Link the conversation to a branch visit (or unlink with None). A visit of another
    customer is refused."""
    from layani.branches.queries import visits_for

    authorise(actor, conversation)
    if (
        visit is not None
        and actor is not None
        and not visits_for(actor).filter(pk=visit.pk).exists()
    ):
        raise NotFound(_("Visit not found."), code="visit_not_found")
    if (
        visit is not None
        and visit.customer_id is not None
        and conversation.customer_id is not None
        and visit.customer_id != conversation.customer_id
    ):
        raise Conflict(
            _("This visit belongs to another customer."),
            code="different_customers",
            field="visit_id",
        )
    now = timezone.now()
    with transaction.atomic():
        locked = lock(conversation)
        before = locked.visit_id
        after = visit.pk if visit is not None else None
        if before == after:
            return conversation
        locked.visit = visit
        locked.updated_at = now
        save(locked, ["visit_id"])
        record_event(
            EventKind.VISIT_LINKED,
            actor=actor,
            conversation=locked,
            visit=visit,
            branch=visit.branch if visit is not None else locked.branch,
            summary=visit.ticket_number if visit is not None else "",
            details={"before": before, "after": after},
            occurred_at=now,
        )
        conversation_event(CONVERSATION_UPDATED, locked, changes=["visit"])
    copy_state(locked, conversation)
    return conversation
