"""Auto-assignment against the database: load, lock, decide (`assignment.decide`), apply.

`route_conversation` is the one entry point for a single conversation: the routing rules
give a routine one its purpose when nobody has said why the customer came, then a team and
required skills (a rule that gives neither only says why: the next match routes it),
continuity names the customer's person, the team's agents are loaded and the decision is
applied through `conversations.actions.assign`, with the reason written on the timeline in
words ("Assigned to Sari: skill complaint, load 2/10, priority customer").

Locks, always in this order so that concurrent assignments never deadlock:
1. the conversation's row;
2. the team's `TeamAssignment` row (serialises the team: its round-robin pointer);
3. the presence rows of the candidates who are online, in staff-id order.
Load is counted after the locks are held, and every path that gives an agent work through
auto-assignment takes their presence row first, so two assignments at the same instant,
even through two teams the agent belongs to, never give them more than their capacity.
(Staff assigning by hand may go over it: that is a person's decision.)

What is read lives in `assignment_loading`, the words of the explanation in
`assignment_explain`, the decision itself in `assignment` (pure).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.conversations.models import (
    ACTIVE_STATUSES,
    Conversation,
    EventKind,
)
from layani.conversations.timeline import amend_last_event, record_event
from layani.core.types import Actor
from layani.routing import assignment as decision_rules
from layani.routing.assignment import (
    ASSIGNED,
    BROKEN,
    HELD,
    HONOURED,
    PAUSED,
    QUEUED,
    Agent,
    Decision,
    Request,
    decide,
    work_kind,
)
from layani.routing.assignment_explain import decision_details, explain_details, routed_words
from layani.routing.assignment_loading import (
    continuity_target,
    load_agents,
    lock_team,
    priority_facts,
    priority_weights_for,
    routing_facts,
    team_settings,
)
from layani.routing.models import (
    AgentPresence,
    AssignmentHold,
    ContinuityRecord,
    RoutingRule,
    TeamAssignment,
)
from layani.routing.models.assignment import SETTABLE_PURPOSES
from layani.routing.priority import (
    order_conversations,
)
from layani.routing.routing_events import record_continuity
from layani.routing.rules import Route, load_rules, route_for
from layani.staff.models import Staff, Team

# Outcomes besides the decision's own.
POOL = "pool"  # no team: stays in the shared pool for agents to take
SKIPPED = "skipped"  # already assigned, or no longer active

WAITING_BATCH = 100  # conversations one team drain looks at
MAX_MISSES_IN_A_ROW = 10  # a drain stops after this many conversations nobody could take

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoutingResult:
    conversation_id: int
    outcome: str  # ASSIGNED, HELD, QUEUED, PAUSED, POOL or SKIPPED
    explanation: str
    team_id: int | None = None
    rule_id: int | None = None
    rule_name: str = ""
    assignee_id: int | None = None
    decision: Decision | None = None
    details: dict[str, Any] = field(default_factory=dict)
    continuity_name: str = ""  # the customer's usual person, when continuity was weighed
    purpose: str = ""  # what the rule made (in a dry run: would make) a routine conversation


def purpose_on_arrival(conversation: Conversation) -> str:
    """A new conversation's purpose from the first routing rule it matches, as it arrives:
    the customer is told at once when to expect an answer (the channels' acknowledgement),
    and a complaint's answer is due sooner than a routine question's. Routing finds it said
    (`_purpose_by_rule`). One query when no active rule sets a purpose."""
    if not RoutingRule.objects.filter(is_active=True).exclude(set_purpose="").exists():
        return ""
    route = route_for(load_rules(), routing_facts(conversation))
    # Not published on its own: the conversation's creation event, after this, carries it.
    return _purpose_by_rule(conversation, route, dry_run=False, publish=False)


def _purpose_by_rule(
    conversation: Conversation, route: Route, *, dry_run: bool, publish: bool = True
) -> str:
    """The purpose the route's rule gives the conversation, when nobody has said why the
    customer came (`purpose_left_to_rules`); "" when it stays as it is. A stored value no
    purpose has (written around the validation) is logged and skipped: a customer's
    message is never refused for a rule's mistake."""
    from layani.conversations.actions import purpose_from_rule, purpose_left_to_rules

    rule = route.rule
    if rule is None or not rule.set_purpose:
        return ""
    if rule.set_purpose not in dict(SETTABLE_PURPOSES):
        logger.warning("rule %s gives an unknown purpose %r", rule.rule_id, rule.set_purpose)
        return ""
    if dry_run:
        return rule.set_purpose if purpose_left_to_rules(conversation) else ""
    changed = purpose_from_rule(
        conversation, purpose=rule.set_purpose, rule_name=rule.name, publish=publish
    )
    return rule.set_purpose if changed else ""


# --- Applying ---------------------------------------------------------------------------------


def _assign(
    conversation: Conversation,
    *,
    assignee: Staff | None,
    team: Team | None,
    reason: str,
    actor: Actor,
) -> None:
    from layani.conversations.actions import KEEP, assign

    assign(
        conversation,
        assignee=assignee if assignee is not None else KEEP,
        team=team if team is not None and conversation.team_id != team.pk else KEEP,
        reason=reason[:500],
        actor=actor,
    )


def _count_continuity(
    conversation: Conversation, result: RoutingResult, now: datetime, actor: Actor
) -> None:
    """One more kept or broken continuity on the customer's record (one query, two the
    first time), and its timeline row (`routing_events.record_continuity`)."""
    decision = result.decision
    if (
        decision is None
        or conversation.customer_id is None
        or decision.continuity not in (HONOURED, BROKEN)
    ):
        return
    if decision.continuity == HONOURED:
        changes: dict[str, Any] = {"honoured": F("honoured") + 1}
        first: dict[str, Any] = {"honoured": 1}
    else:
        changes = {
            "broken": F("broken") + 1,
            "last_broken_at": now,
            "last_reason": decision.continuity_reason[:40],
        }
        first = {"broken": 1, "last_broken_at": now, "last_reason": decision.continuity_reason[:40]}
    if not ContinuityRecord.objects.filter(pk=conversation.customer_id).update(**changes):
        with transaction.atomic():  # a concurrent first record wins; count on top of it
            _record, created = ContinuityRecord.objects.get_or_create(
                customer_id=conversation.customer_id, defaults=first
            )
        if not created:
            ContinuityRecord.objects.filter(pk=conversation.customer_id).update(**changes)
    record_continuity(conversation, decision, person=result.continuity_name, actor=actor)


def route_conversation(
    conversation: Conversation, *, actor: Actor = None, dry_run: bool = False
) -> RoutingResult:
    """Give a waiting, unassigned conversation to its team and, when someone is available,
    to an agent; explain the decision on the timeline. With `dry_run`, decide and explain
    but change nothing."""
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("customer", "visit__service", "team")
            .filter(pk=conversation.pk)
            .first()
        )
        if (
            locked is None
            or locked.merged_into_id is not None
            or locked.status not in ACTIVE_STATUSES
            or locked.assignee_id is not None
        ):
            return RoutingResult(
                conversation_id=conversation.pk,
                outcome=SKIPPED,
                explanation=_("Nothing to assign: it is assigned already or no longer open."),
                team_id=locked.team_id if locked else None,
                assignee_id=locked.assignee_id if locked else None,
            )
        rules = load_rules()
        facts_for_rules = routing_facts(locked)
        route = route_for(rules, facts_for_rules)
        # Why the customer came decides the SLA and the place in the team's queue: said
        # before anyone is chosen.
        purpose = _purpose_by_rule(locked, route, dry_run=dry_run)
        if route.rule is not None and route.rule.only_says_why:
            route = route_for(
                [rule for rule in rules if not rule.only_says_why],
                replace(facts_for_rules, purpose=purpose or facts_for_rules.purpose),
            )
        team_id = locked.team_id or route.team_id
        if team_id is None:
            return RoutingResult(
                conversation_id=locked.pk,
                outcome=POOL,
                explanation=_("No rule gives it a team: it stays in the shared pool."),
                purpose=purpose,
            )
        if route.team_id not in (None, team_id):
            route = Route(rule=None, team_id=team_id)  # its team stays; the rule was for another
        state = lock_team(team_id)
        target = continuity_target(locked, state, now)
        agents = load_agents(team_id, now, extra_staff_id=target.staff_id if target else None)
        request = Request(
            conversation_id=locked.pk,
            channel=locked.channel,
            required_skills=route.required_skills,
            continuity=target,
        )
        decision = decide(request, [a for a, _s in agents.values()], team_settings(state), now)
        names = {pk: agent.name for pk, (agent, _s) in agents.items()}
        if target is not None and target.staff_id not in names:
            names[target.staff_id] = (
                Staff.objects.filter(pk=target.staff_id).values_list("display_name", flat=True)
            ).first() or ""
        facts = priority_facts(locked)
        if dry_run and purpose:  # as the real run will weigh it
            facts = replace(facts, purpose=purpose)
        weights = priority_weights_for(team_id)
        details = decision_details(
            decision,
            names=names,
            team_name=state.team.name,
            route=route,
            facts=facts,
            weights=weights,
        )
        explanation = explain_details(details)
        result = RoutingResult(
            conversation_id=locked.pk,
            outcome=decision.outcome,
            explanation=explanation,
            team_id=team_id,
            rule_id=route.rule.rule_id if route.rule else None,
            rule_name=route.rule.name if route.rule else "",
            assignee_id=decision.staff_id,
            decision=decision,
            details=details,
            continuity_name=names.get(decision.continuity_staff_id or 0, ""),
            purpose=purpose,
        )
        if dry_run:
            return result
        _apply(
            locked,
            decision,
            state,
            agents,
            route,
            result,
            now,
            actor,
            was_held=target is not None and target.hold_until is not None,
        )
    from layani.conversations.actions._common import copy_state

    copy_state(locked, conversation)  # assignee, team, and a purpose given with its due time
    return result


def _apply(
    locked: Conversation,
    decision: Decision,
    state: TeamAssignment,
    agents: dict[int, tuple[Agent, Staff]],
    route: Route,
    result: RoutingResult,
    now: datetime,
    actor: Actor,
    *,
    was_held: bool,
) -> None:
    team = state.team
    team_changes = locked.team_id != team.pk
    if (
        was_held
        and decision.continuity == BROKEN
        and decision.continuity_reason in decision_rules.PERMANENT_REASONS
    ):
        # Held for someone who can no longer take it (handed to a team they are not in,
        # no longer active, lacking a skill): nothing is kept for them any more.
        AssignmentHold.objects.filter(conversation_id=locked.pk).delete()
        was_held = False
    routed = routed_words(result.rule_name, team.name) if team_changes else ""
    if routed and decision.outcome != ASSIGNED:
        result.details["routed"] = True  # the row's words begin with the rule's routing
    if decision.outcome == ASSIGNED and decision.staff_id is not None:
        _agent, staff = agents[decision.staff_id]
        _assign(locked, assignee=staff, team=team, reason=result.explanation, actor=actor)
        _stamp_routing(locked, result, EventKind.AUTO_ASSIGNED)
        TeamAssignment.objects.filter(pk=team.pk).update(
            pointer_staff_id=decision.next_pointer, last_assigned_at=now
        )
        AgentPresence.objects.filter(pk=staff.pk).update(last_assigned_at=now)
        if was_held:
            AssignmentHold.objects.filter(conversation_id=locked.pk).delete()
        _count_continuity(locked, result, now, actor)
        return
    if decision.outcome == HELD and decision.continuity_staff_id is not None:
        if was_held:
            return  # still held for them, as said when it was first held
        AssignmentHold.objects.create(
            conversation_id=locked.pk,
            staff_id=decision.continuity_staff_id,
            source=decision.continuity_source,
            reason=decision.continuity_reason[:40],
            until=decision.hold_until or now,
        )
        if team_changes:
            _assign(
                locked,
                assignee=None,
                team=team,
                reason=" ".join(w for w in (routed, result.explanation) if w),
                actor=actor,
            )
            _stamp_routing(locked, result, EventKind.ASSIGNMENT_HELD)
        else:
            _record_decision(locked, result, actor, now)
        return
    # Queued or paused: the conversation waits with the team; said once, when it arrives.
    if team_changes:
        _assign(
            locked,
            assignee=None,
            team=team,
            reason=" ".join(w for w in (routed, result.explanation) if w),
            actor=actor,
        )
        _stamp_routing(locked, result, EventKind.ROUTED)


def _stamp_routing(conversation: Conversation, result: RoutingResult, kind: str) -> None:
    """Make the assignment row `assign` just wrote a routing decision of its own kind
    (assigned automatically, routed to a team, held) with the structured decision."""
    amend_last_event(
        conversation.pk, EventKind.ASSIGNED, details={"routing": result.details}, new_kind=kind
    )


def _record_decision(
    conversation: Conversation, result: RoutingResult, actor: Actor, now: datetime
) -> None:
    """A routing decision that changes no assignment (held for someone) still leaves a row."""
    record_event(
        EventKind.ASSIGNMENT_HELD,
        actor=actor,
        conversation=conversation,
        summary=conversation.team.name if conversation.team else "",
        details={
            "assignee": conversation.assignee_id,
            "team": conversation.team_id,
            "reason": result.explanation[:500],
            "routing": result.details,
        },
        occurred_at=now,
    )


# --- Many at once -----------------------------------------------------------------------------


def assign_waiting(team_id: int, *, limit: int = WAITING_BATCH) -> int:
    """Assign the team's waiting conversations in priority order while agents have room.

    Looks at the `limit` conversations due first (the inbox's team index), orders them by
    the priority policy (the maximum wait first), stops trying a kind of work once nobody
    has room for it, and stops altogether after `MAX_MISSES_IN_A_ROW` conversations in a
    row that nobody could take. Returns how many were assigned."""
    state = TeamAssignment.objects.filter(pk=team_id).first()
    if state is not None and state.is_paused:
        return 0
    now = timezone.now()
    waiting = list(
        Conversation.objects.filter(
            team_id=team_id,
            assignee__isnull=True,
            status__in=ACTIVE_STATUSES,
            merged_into__isnull=True,
        )
        .select_related("customer")
        .order_by("due_at", "id")[:limit]
    )
    if not waiting:
        return 0
    by_id = {c.pk: c for c in waiting}
    weights = priority_weights_for(team_id)
    ordered = order_conversations([priority_facts(c) for c in waiting], weights, now)
    full: set[str] = set()
    assigned = misses = 0
    for facts in ordered:
        kind = work_kind(facts.channel)
        if kind in full:
            continue
        result = route_conversation(by_id[facts.conversation_id], actor=None)
        if result.outcome == ASSIGNED:
            assigned += 1
            misses = 0
            continue
        if result.outcome == PAUSED:
            break
        misses += 1
        if misses >= MAX_MISSES_IN_A_ROW:
            break  # nobody can take what waits (skills, continuity): try again next sweep
        if result.outcome == QUEUED and result.decision is not None:
            reasons = set(result.decision.unavailable)
            if decision_rules.UNAVAILABLE_MISSING_SKILL not in reasons:
                full.add(kind)
    return assigned


def release_due_holds(*, limit: int = 500) -> int:
    """Holds past their deadline: the conversation goes to someone else (continuity broken)
    or waits with the team. Holds on conversations assigned meanwhile are dropped."""
    now = timezone.now()
    handled = 0
    AssignmentHold.objects.filter(
        Q(conversation__assignee__isnull=False) | ~Q(conversation__status__in=ACTIVE_STATUSES)
    ).delete()
    due = list(
        AssignmentHold.objects.filter(until__lte=now)
        .order_by("until")
        .values_list("conversation_id", flat=True)[:limit]
    )
    for conversation in Conversation.objects.filter(pk__in=due):
        route_conversation(conversation, actor=None)
        handled += 1
    return handled


def went_offline_words(name: str) -> str:
    """The reason on a conversation handed on because its holder went offline."""
    return _("%(name)s went offline.") % {"name": name}


def hand_on_work(staff: Staff, *, actor: Actor) -> int:
    """An agent went offline: their open conversations go back to their team (or the shared
    pool) and through auto-assignment, except in teams that keep work with its agent
    (`reassign_on_offline` off). Returns how many were handed on."""
    from layani.conversations.actions import KEEP, assign

    keeping = set(
        TeamAssignment.objects.filter(reassign_on_offline=False).values_list("team_id", flat=True)
    )
    mine = (
        Conversation.objects.filter(
            assignee_id=staff.pk, status__in=ACTIVE_STATUSES, merged_into__isnull=True
        )
        .exclude(team_id__in=keeping)
        .order_by("due_at", "id")
    )
    handed_on = 0
    for conversation in mine:
        assign(
            conversation,
            assignee=None,
            team=KEEP,
            reason=went_offline_words(staff.display_name),
            actor=actor,
        )
        # The name on the row, so the thread gives the reason in the reader's language.
        amend_last_event(
            conversation.pk, EventKind.ASSIGNED, details={"went_offline": staff.display_name}
        )
        # Routing, not the person going offline, chooses who takes it next.
        route_conversation(conversation, actor=None)
        handed_on += 1
    return handed_on


def teams_with_waiting_work(team_ids: Iterable[int] | None = None) -> list[int]:
    """Teams not paused that have an unassigned open conversation (one query per team at
    most: an index probe on the inbox's team index)."""
    teams = Team.objects.exclude(assignment__is_paused=True)
    if team_ids is not None:
        teams = teams.filter(pk__in=list(team_ids))
    return [
        pk
        for pk in teams.values_list("pk", flat=True)
        if Conversation.objects.filter(
            team_id=pk, assignee__isnull=True, status__in=ACTIVE_STATUSES
        ).exists()
    ]
