"""The SLA sweep: warn before a breach, escalate at the breach, once each.

Run every minute by the worker (`sla_tasks.sweep_slas`). It reads only the conversations
whose SLA row has `next_check_at <= now` (the partial index `sla_next_check` holds only the
rows still ticking), a batch at a time, so its cost follows what is about to change, not
how many conversations are open.

Each batch runs in one transaction and first locks the conversation rows it takes, with
`SKIP LOCKED` on PostgreSQL: two workers never handle the same conversation, and an action
that holds a conversation (it locks the conversation before its SLA row, as the sweep
does) is simply left for the next run. Then it re-reads the SLA rows: a warning or breach
already recorded is never handled again.

- warning (`warn_before` business time before the due instant): a timeline row and a
  realtime `sla.warning` to those who see the conversation (assignee, team, branch).
- breach: a timeline row, a realtime `sla.breached` to the same people and, per the policy,
  to the supervisors of its branch and of the assignee's and team's branches; the policy
  may also hand the conversation to a team (through `assign`) and raise its priority one
  step (through `change_priority`), with the breach as the reason.
"""

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import JSONField
from django.utils import timezone

from layani.conversations.models import Conversation, EventKind, Priority, TimelineEvent
from layani.conversations.notify import audience_groups, user_group
from layani.core.errors import LayaniError
from layani.core.events import publish_now
from layani.routing.models import ConversationSla
from layani.routing.routing_events import (
    record_escalation,
    sla_breach_reason,
    sla_target_words,
    stamp_sla_breach,
)
from layani.routing.sla import FIELDS, evaluate_conversation, next_check, policy_for
from layani.routing.sla_clock import Target, TargetState, TargetStatus, nearest_open_due
from layani.routing.sla_config import PolicyRule, SlaConfig, sla_config
from layani.staff.models import Role, Staff, Team

SWEEP_BATCH = 200  # conversations locked together: escalations hold them ~12 ms each
# One run stops taking new batches after this long; the next run (a minute later) goes on.
RUN_BUDGET_SECONDS = 45.0

# Timeline event kinds written by the sweep.
SLA_WARNING = EventKind.SLA_WARNING
SLA_BREACHED = EventKind.SLA_BREACHED


SLA_ROW_FIELDS = [
    "policy",
    "first_contact_at",
    "pauses",
    "paused_since",
    "next_response_since",
    *[name for names in FIELDS.values() for name in names],
    "next_responses",
    "next_response_breaches",
    "next_check_at",
    "updated_at",
]


@dataclass
class SweepResult:
    checked: int = 0
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0

    def add(self, other: "SweepResult") -> None:
        self.checked += other.checked
        self.warnings += other.warnings
        self.breaches += other.breaches
        self.escalations += other.escalations


@dataclass
class _Handled:
    conversation: Conversation
    policy: PolicyRule | None
    warnings: list[TargetState] = field(default_factory=list)
    breaches: list[TargetState] = field(default_factory=list)
    due_moved: bool = False


def run_sla_sweep(*, now: datetime, batch: int = SWEEP_BATCH) -> SweepResult:
    """Handle everything due at `now`, batch after batch, within the run's time budget."""
    result = SweepResult()
    started = time.monotonic()
    while True:
        done = sweep_batch(now=now, limit=batch)
        result.add(done)
        if done.checked < batch or time.monotonic() - started > RUN_BUDGET_SECONDS:
            return result


def _claim(now: datetime, limit: int) -> list[int]:
    return list(
        Conversation.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(sla__next_check_at__lte=now)
        .order_by("sla__next_check_at")
        .values_list("pk", flat=True)[:limit]
    )


def sweep_batch(*, now: datetime, limit: int = SWEEP_BATCH) -> SweepResult:
    """One batch in one transaction: claim, re-read, warn and breach, escalate."""
    config = sla_config()
    with transaction.atomic():
        ids = _claim(now, limit)
        if not ids:
            return SweepResult()
        conversations = Conversation.objects.filter(pk__in=ids)
        if config.looks_at_customers:
            conversations = conversations.select_related("customer")
        by_id = {c.pk: c for c in conversations}
        rows = list(ConversationSla.objects.filter(pk__in=ids))
        handled, moved = [], []
        for row in rows:
            conversation = by_id[row.pk]
            outcome = _handle(conversation, row, config=config, now=now)
            if outcome.warnings or outcome.breaches:
                handled.append(outcome)
            if outcome.due_moved:
                moved.append(conversation)
        save_rows(rows)
        if moved:
            Conversation.objects.bulk_update(moved, ["due_at"])
        _record_and_notify(handled, now=now)
        escalations = _escalate([h for h in handled if h.breaches])
    return SweepResult(
        checked=len(rows),
        warnings=sum(len(h.warnings) for h in handled),
        breaches=sum(len(h.breaches) for h in handled),
        escalations=escalations,
    )


def save_rows(rows: list[ConversationSla]) -> None:
    """Write the SLA rows back in one statement: on PostgreSQL an UPDATE from arrays of
    values (`bulk_update` builds a CASE per field and row, seconds of Python for a batch of
    500); elsewhere one prepared UPDATE executed per row."""
    if not rows:
        return
    meta = ConversationSla._meta
    fields = [meta.get_field(name) for name in SLA_ROW_FIELDS]
    quote = connection.ops.quote_name
    columns = [str(f.column) for f in fields]  # type: ignore[union-attr]
    key = quote(str(meta.pk.column))
    table = quote(meta.db_table)
    if connection.vendor == "postgresql":
        types = [f.db_type(connection) for f in fields]  # type: ignore[union-attr]
        # psycopg adapts aware datetimes and integers itself; JSON needs Django's wrapper.
        arrays = [
            [
                f.get_db_prep_save(getattr(row, f.attname), connection)
                if isinstance(f, JSONField)
                else getattr(row, f.attname)  # type: ignore[union-attr]
                for row in rows
            ]
            for f in fields
        ]
        names = ", ".join(quote(c) for c in columns)
        unnest = ", ".join(f"%s::{t}[]" for t in types)
        assignments = ", ".join(f"{quote(c)} = v.{quote(c)}" for c in columns)
        sql = (
            f"UPDATE {table} SET {assignments} FROM unnest(%s::integer[], {unnest}) "
            f"AS v(_key, {names}) WHERE {table}.{key} = v._key"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [[row.pk for row in rows], *arrays])
        return
    assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"
    params = [
        [
            f.get_db_prep_save(getattr(row, f.attname), connection)  # type: ignore[union-attr]
            for f in fields
        ]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _handle(
    conversation: Conversation, row: ConversationSla, *, config: SlaConfig, now: datetime
) -> _Handled:
    policy = policy_for(conversation, config)
    evaluation = evaluate_conversation(conversation, row, config=config, policy=policy, now=now)
    outcome = _Handled(conversation=conversation, policy=policy)
    for target, state in evaluation.states.items():
        _due, warned, breached = FIELDS[target]
        if state.met_at is not None or getattr(row, breached) is not None:
            continue
        if state.status == TargetStatus.BREACHED:
            setattr(row, breached, state.due_at)
            if target == Target.NEXT_RESPONSE:
                row.next_response_breaches += 1
            outcome.breaches.append(state)
        elif (
            state.status == TargetStatus.RUNNING
            and state.warn_at is not None
            and state.warn_at <= now
            and getattr(row, warned) is None
        ):
            setattr(row, warned, now)
            outcome.warnings.append(state)
    row.next_check_at = next_check(row, evaluation.states)
    due = nearest_open_due(evaluation.states)
    if due is not None and due != conversation.due_at:
        conversation.due_at = due
        outcome.due_moved = True
    return outcome


def _payload(
    conversation: Conversation, state: TargetState, policy: PolicyRule | None
) -> dict[str, object]:
    return {
        "id": conversation.pk,
        "reference": conversation.reference,
        "target": state.target.value,
        "due_at": state.due_at.isoformat(),
        "time_left_seconds": int(state.time_left.total_seconds()),
        "late_by_seconds": int(state.late_by.total_seconds()),
        "policy": policy.name if policy else None,
    }


def _event(
    kind: str,
    conversation: Conversation,
    state: TargetState,
    policy: PolicyRule | None,
    now: datetime,
) -> TimelineEvent:
    summary = sla_target_words(kind, state.target.value)
    return TimelineEvent(
        kind=kind,
        occurred_at=now,
        customer_id=conversation.customer_id,
        conversation_id=conversation.pk,
        branch_id=conversation.branch_id,
        summary=summary,
        details={
            "target": state.target.value,
            "due_at": state.due_at.isoformat(),
            "policy": policy.id if policy else None,
        },
    )


def _record_and_notify(handled: list[_Handled], *, now: datetime) -> None:
    """One timeline row per warning and breach (written together), and the realtime
    messages after commit."""
    events = []
    messages: list[tuple[str, str, dict[str, object]]] = []
    needs_supervisors = [h.conversation for h in handled if h.breaches and _notifies(h.policy)]
    supervisors = supervisors_of(needs_supervisors)
    for h in handled:
        c = h.conversation
        groups = audience_groups(
            assignee_id=c.assignee_id, team_id=c.team_id, branch_id=c.branch_id
        )
        for kind, states in ((SLA_WARNING, h.warnings), (SLA_BREACHED, h.breaches)):
            for state in states:
                events.append(_event(kind, c, state, h.policy, now))
                payload = _payload(c, state, h.policy)
                event = "sla.warning" if kind == SLA_WARNING else "sla.breached"
                messages += [(group, event, payload) for group in groups]
                if kind == SLA_BREACHED and _notifies(h.policy):
                    messages += [
                        (user_group(user_id), event, payload)
                        for user_id in supervisors.get(c.pk, ())
                    ]
    TimelineEvent.objects.bulk_create(events)
    if messages:
        transaction.on_commit(lambda: publish_all(messages))


def publish_all(messages: list[tuple[str, str, dict[str, object]]]) -> None:
    """Send the batch's realtime messages through the one publishing path."""
    for group, event, payload in messages:
        publish_now(group, event, payload)


def _notifies(policy: PolicyRule | None) -> bool:
    return policy is not None and policy.notify_supervisors


def supervisors_of(conversations: Iterable[Conversation]) -> dict[int, list[int]]:
    """The user ids of the active supervisors of each conversation: those who work in its
    branch, or in a branch of its assignee or of its team (three queries in all)."""
    conversations = list(conversations)
    if not conversations:
        return {}
    assignee_ids = {c.assignee_id for c in conversations if c.assignee_id}
    team_ids = {c.team_id for c in conversations if c.team_id}
    staff_branches: dict[int, set[int]] = defaultdict(set)
    for staff_id, branch_id in Staff.branches.through.objects.filter(
        staff_id__in=assignee_ids
    ).values_list("staff_id", "branch_id"):
        staff_branches[staff_id].add(branch_id)
    team_branches: dict[int, set[int]] = defaultdict(set)
    for team_id, branch_id in Team.branches.through.objects.filter(
        team_id__in=team_ids
    ).values_list("team_id", "branch_id"):
        team_branches[team_id].add(branch_id)
    wanted: dict[int, set[int]] = {}
    for c in conversations:
        branches = {c.branch_id} if c.branch_id else set()
        branches |= staff_branches.get(c.assignee_id or 0, set())
        branches |= team_branches.get(c.team_id or 0, set())
        wanted[c.pk] = branches
    all_branches = set().union(*wanted.values())
    by_branch: dict[int, set[int]] = defaultdict(set)
    for user_id, branch_id in Staff.branches.through.objects.filter(
        branch_id__in=all_branches,
        staff__role=Role.SUPERVISOR,
        staff__is_active=True,
        staff__user__is_active=True,
    ).values_list("staff__user_id", "branch_id"):
        by_branch[branch_id].add(user_id)
    return {
        pk: sorted(set().union(*(by_branch.get(b, set()) for b in branches)))
        for pk, branches in wanted.items()
    }


def _escalate(breached: list[_Handled]) -> int:
    """Hand to a team and raise the priority, as the policy says: once per conversation and
    run, through the conversation actions (timeline, realtime and webhooks as always)."""
    from layani.conversations.actions import assign, change_priority

    done = 0
    team_ids = {h.policy.escalate_to_team_id for h in breached if h.policy}
    teams = {t.pk: t for t in Team.objects.filter(pk__in=team_ids - {None})}
    for h in breached:
        policy, conversation = h.policy, h.conversation
        if policy is None:
            continue
        targets = [s.target.value for s in h.breaches]
        facts = {"policy": policy.name, "targets": targets}
        reason = sla_breach_reason(facts)
        team = teams.get(policy.escalate_to_team_id or 0)
        handed_to = raised_to = None
        try:
            if team is not None and conversation.team_id != team.pk:
                assign(conversation, team=team, assignee=None, reason=reason, actor=None)
                stamp_sla_breach(conversation, EventKind.ASSIGNED, facts)
                handed_to = team.name
                done += 1
            if policy.raise_priority and conversation.priority < Priority.URGENT:
                raised = conversation.priority + 1
                change_priority(conversation, priority=raised, reason=reason, actor=None)
                stamp_sla_breach(conversation, EventKind.PRIORITY_CHANGED, facts)
                raised_to = raised
                done += 1
        except LayaniError:
            # A merged conversation cannot change: the breach stays recorded all the same.
            continue
        if handed_to or raised_to:
            record_escalation(
                conversation,
                policy_name=policy.name,
                targets=targets,
                team_name=handed_to,
                raised_to=raised_to,
                occurred_at=timezone.now(),
            )
    return done
