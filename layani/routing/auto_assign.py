"""Auto-assignment against the database: load, lock, decide (`assignment.decide`), apply.

`route_conversation` is the one entry point for a single conversation: the routing rules
give it a team and required skills, continuity names the customer's person, the team's
agents are loaded and the decision is applied through `conversations.actions.assign`, with
the reason written on the timeline in words ("Assigned to Sari: skill complaint, load
2/10, priority customer").

Locks, always in this order so that concurrent assignments never deadlock:
1. the conversation's row;
2. the team's `TeamAssignment` row (serialises the team: its round-robin pointer);
3. the presence rows of the candidates who are online, in staff-id order.
Load is counted after the locks are held, and every path that gives an agent work through
auto-assignment takes their presence row first, so two assignments at the same instant,
even through two teams the agent belongs to, never give them more than their capacity.
(Staff assigning by hand may go over it: that is a person's decision.)
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.conversations.models import (
    ACTIVE_STATUSES,
    Conversation,
    Direction,
    EventKind,
    Message,
)
from layani.conversations.timeline import record_event
from layani.core.choices import Purpose
from layani.core.types import Actor
from layani.routing import assignment as decision_rules
from layani.routing.agent_status import WeeklyInterval, within_working_hours
from layani.routing.assignment import (
    ASSIGNED,
    BROKEN,
    HELD,
    HONOURED,
    PAUSED,
    QUEUED,
    Agent,
    ContinuityTarget,
    Decision,
    Request,
    TeamSettings,
    decide,
    work_kind,
)
from layani.routing.models import (
    AgentPresence,
    AgentStatus,
    AssignmentHold,
    ContinuityRecord,
    ContinuitySource,
    PriorityPolicy,
    TeamAssignment,
    WorkingHours,
)
from layani.routing.priority import (
    ConversationFacts,
    PriorityWeights,
    is_priority_customer,
    order_conversations,
)
from layani.routing.rules import Route, RoutingFacts, load_rules, route_for, text_terms
from layani.staff.models import Staff, StaffSkill, Team
from layani.staff.permissions import Capability, can

# Outcomes besides the decision's own.
POOL = "pool"  # no team: stays in the shared pool for agents to take
SKIPPED = "skipped"  # already assigned, or no longer active

WAITING_BATCH = 100  # conversations one team drain looks at


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


# --- Loading ----------------------------------------------------------------------------------


def routing_facts(conversation: Conversation) -> RoutingFacts:
    """What the rules look at (two queries: tags, the customer's latest message)."""
    customer = conversation.customer
    latest = (
        Message.objects.filter(conversation_id=conversation.pk, direction=Direction.INBOUND)
        .order_by("-created_at", "-id")
        .values_list("body_text", flat=True)
        .first()
    )
    service = ""
    if conversation.visit_id is not None and conversation.visit is not None:
        service = conversation.visit.service.code if conversation.visit.service_id else ""
    return RoutingFacts(
        channel=conversation.channel,
        purpose=conversation.purpose,
        service=service,
        language=customer.language if customer else "",
        segment=customer.standing if customer else "",
        tier=customer.tier if customer else "",
        tags=frozenset(conversation.tags.values_list("name", flat=True)),
        terms=text_terms(conversation.subject, latest or ""),
        branch_id=conversation.branch_id,
    )


def priority_facts(conversation: Conversation) -> ConversationFacts:
    customer = conversation.customer
    return ConversationFacts(
        conversation_id=conversation.pk,
        channel=conversation.channel,
        purpose=conversation.purpose,
        waiting_since=conversation.waiting_since or conversation.created_at,
        segment=customer.standing if customer else "",
        tier=customer.tier if customer else "",
        level=conversation.priority,
        due_at=conversation.due_at,
    )


def priority_weights_for(team_id: int | None) -> PriorityWeights:
    """The team's priority policy, else the business's, else the defaults."""
    policies = {
        p.team_id: p
        for p in PriorityPolicy.objects.filter(Q(team_id=team_id) | Q(team__isnull=True))
    }
    policy = policies.get(team_id) or policies.get(None)
    if policy is None:
        return PriorityWeights()
    return weights_of(policy)


def weights_of(policy: PriorityPolicy) -> PriorityWeights:
    def numbers(raw: object) -> dict[str, float]:
        if not isinstance(raw, dict):
            return {}
        return {str(k): float(v) for k, v in raw.items() if isinstance(v, int | float)}

    return PriorityWeights(
        kind_weights=numbers(policy.kind_weights),
        purpose_weights=numbers(policy.purpose_weights),
        segment_weights=numbers(policy.segment_weights),
        tier_weights=numbers(policy.tier_weights),
        level_weights={int(k): v for k, v in numbers(policy.level_weights).items() if k.isdigit()},
        sla_weight=policy.sla_weight,
        sla_horizon_minutes=policy.sla_horizon_minutes,
        aging_per_minute=policy.aging_per_minute,
        max_wait_minutes=policy.max_wait_minutes,
    )


def lock_team(team_id: int) -> TeamAssignment:
    """The team's assignment row under a row lock (created with the defaults if missing)."""
    query = TeamAssignment.objects.select_for_update(of=("self",)).select_related("team")
    state = query.filter(pk=team_id).first()
    if state is None:
        TeamAssignment.objects.get_or_create(team_id=team_id)
        state = query.get(pk=team_id)
    return state


def team_settings(state: TeamAssignment) -> TeamSettings:
    overrides = state.capacity_overrides if isinstance(state.capacity_overrides, dict) else {}
    return TeamSettings(
        mode=state.mode,
        paused=state.is_paused,
        capacity_overrides=overrides,
        continuity_wait_minutes=state.continuity_wait_minutes,
        pointer=state.pointer_staff_id,
    )


def continuity_target(
    conversation: Conversation, state: TeamAssignment, now: datetime
) -> ContinuityTarget | None:
    """Who should serve this customer again: the person it is held for, the customer's
    preferred staff member, or whoever served their latest conversation within the team's
    `continuity_days`."""
    hold = AssignmentHold.objects.filter(conversation_id=conversation.pk).first()
    if hold is not None:
        return ContinuityTarget(staff_id=hold.staff_id, source=hold.source, hold_until=hold.until)
    customer = conversation.customer
    if customer is None:
        return None
    if customer.preferred_staff_id is not None:
        return ContinuityTarget(staff_id=customer.preferred_staff_id, source="preferred")
    if state.continuity_days <= 0:
        return None
    latest = (
        Conversation.objects.filter(
            customer_id=customer.pk, assignee__isnull=False, merged_into__isnull=True
        )
        .exclude(pk=conversation.pk)
        .order_by("-created_at", "-id")
        .values("pk", "assignee_id", "updated_at")
        .first()
    )
    if latest is None or latest["updated_at"] < now - timedelta(days=state.continuity_days):
        return None
    return ContinuityTarget(
        staff_id=latest["assignee_id"], source="recent", previous_conversation_id=latest["pk"]
    )


def load_agents(
    team_id: int, now: datetime, *, extra_staff_id: int | None = None
) -> dict[int, tuple[Agent, Staff]]:
    """The team's online agents (and the continuity person, whatever their status), their
    presence rows locked in staff-id order, with skills, working hours and open work.

    Five queries whatever the team's size."""
    members = Staff.teams.through.objects.filter(team_id=team_id)
    wanted = Q(status=AgentStatus.ONLINE, staff_id__in=members.values("staff_id"))
    if extra_staff_id is not None:
        wanted |= Q(staff_id=extra_staff_id)
    presences = list(
        AgentPresence.objects.select_for_update(of=("self",))
        .select_related("staff__user")
        .filter(wanted)
        .annotate(in_team=Exists(members.filter(staff_id=OuterRef("staff_id"))))
        .order_by("staff_id")
    )
    ids = [p.staff_id for p in presences]
    skills: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for staff_id, kind, value, level in StaffSkill.objects.filter(staff_id__in=ids).values_list(
        "staff_id", "kind", "value", "level"
    ):
        skills[staff_id][(kind, value)] = level
    hours: dict[int, list[WeeklyInterval]] = defaultdict(list)
    for staff_id, weekday, starts, ends in WorkingHours.objects.filter(
        staff_id__in=ids
    ).values_list("staff_id", "weekday", "starts", "ends"):
        hours[staff_id].append(WeeklyInterval(weekday, starts, ends))
    load: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        Conversation.objects.filter(assignee_id__in=ids, status__in=ACTIVE_STATUSES)
        .values("assignee_id", "channel")
        .annotate(n=Count("id"))
    ):
        kind = work_kind(row["channel"])
        counts = load[row["assignee_id"]]
        counts[kind] = counts.get(kind, 0) + row["n"]
    agents: dict[int, tuple[Agent, Staff]] = {}
    for presence in presences:
        staff = presence.staff
        works = (
            staff.is_active
            and staff.user.is_active
            and can(staff.user, Capability.VIEW_CONVERSATIONS)
        )
        capacity = staff.capacity if isinstance(staff.capacity, dict) else {}
        agent = Agent(
            staff_id=staff.pk,
            name=staff.display_name,
            status=presence.status,
            within_hours=within_working_hours(hours[staff.pk], now, presence.timezone),
            is_active=works,
            skills=skills[staff.pk],
            load=load[staff.pk],
            capacity=capacity,
            last_assigned_at=presence.last_assigned_at,
            in_team=bool(getattr(presence, "in_team", False)),
        )
        agents[staff.pk] = (agent, staff)
    return agents


# --- Explaining -------------------------------------------------------------------------------


def unavailable_label(reason: str) -> str:
    labels = {
        decision_rules.UNAVAILABLE_INACTIVE: _("no longer works on conversations"),
        decision_rules.UNAVAILABLE_OUTSIDE_HOURS: _("outside working hours"),
        decision_rules.UNAVAILABLE_MISSING_SKILL: _("lacks a required skill"),
        decision_rules.UNAVAILABLE_AT_CAPACITY: _("has no free slot"),
        decision_rules.AWAY: _("away"),
        decision_rules.ON_BREAK: _("on a break"),
        decision_rules.OFFLINE: _("offline"),
    }
    return str(labels.get(reason, reason))


def skill_label(kind: str, value: str) -> str:
    if kind == "purpose":
        try:
            return str(Purpose(value).label).lower()
        except ValueError:
            return value
    return value


def _continuity_words(decision: Decision, names: dict[int, str]) -> str:
    person = names.get(decision.continuity_staff_id or 0, "")
    if decision.continuity == HONOURED:
        if decision.continuity_source == ContinuitySource.PREFERRED:
            return _("the customer's preferred staff member")
        return _("served this customer recently")
    if decision.continuity == BROKEN:
        return _("continuity broken: %(name)s %(why)s") % {
            "name": person or _("their usual person"),
            "why": unavailable_label(decision.continuity_reason),
        }
    return ""


def explain(
    decision: Decision,
    *,
    names: dict[int, str],
    team_name: str,
    route: Route,
    facts: ConversationFacts,
    weights: PriorityWeights,
) -> str:
    """The decision in words, in the active language (gettext; English source)."""
    if decision.outcome == PAUSED:
        return _("Auto-assignment is paused for %(team)s.") % {"team": team_name}
    if decision.outcome == HELD:
        until = timezone.localtime(decision.hold_until) if decision.hold_until else None
        return _("Held for %(name)s until %(time)s (%(why)s): now %(state)s.") % {
            "name": names.get(decision.continuity_staff_id or 0, "?"),
            "time": f"{until:%H:%M}" if until else "",
            "why": (
                _("the customer's preferred staff member")
                if decision.continuity_source == ContinuitySource.PREFERRED
                else _("served this customer recently")
            ),
            "state": unavailable_label(decision.continuity_reason),
        }
    reasons: list[str] = []
    continuity = _continuity_words(decision, names)
    if decision.outcome == QUEUED:
        if continuity:
            reasons.append(continuity)
        counts = ", ".join(
            f"{count} {unavailable_label(reason)}"
            for reason, count in sorted(decision.unavailable.items())
        )
        reasons.append(counts or _("nobody is online"))
        return _("Waiting for an agent in %(team)s: %(reasons)s.") % {
            "team": team_name,
            "reasons": "; ".join(reasons),
        }
    if continuity:
        reasons.append(continuity)
    for kind, value, _level in decision.skills:
        reasons.append(_("skill %(skill)s") % {"skill": skill_label(kind, value)})
    reasons.append(
        _("load %(load)s/%(capacity)s") % {"load": decision.load + 1, "capacity": decision.capacity}
    )
    if decision.method == decision_rules.ROUND_ROBIN:
        reasons.append(_("round robin"))
    elif decision.method == decision_rules.LEAST_LOADED:
        reasons.append(_("least loaded"))
    if is_priority_customer(facts, weights):
        reasons.append(_("priority customer"))
    if route.rule is not None:
        reasons.append(_("rule “%(rule)s”") % {"rule": route.rule.name})
    return _("Assigned to %(name)s: %(reasons)s") % {
        "name": names.get(decision.staff_id or 0, "?"),
        "reasons": ", ".join(reasons),
    }


def _routed_words(route: Route, team_name: str) -> str:
    if route.rule is None:
        return ""
    return _("Routed to %(team)s by rule “%(rule)s”.") % {
        "team": team_name,
        "rule": route.rule.name,
    }


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


def _count_continuity(conversation: Conversation, decision: Decision, now: datetime) -> None:
    if conversation.customer_id is None or decision.continuity not in (HONOURED, BROKEN):
        return
    ContinuityRecord.objects.get_or_create(customer_id=conversation.customer_id)
    if decision.continuity == HONOURED:
        ContinuityRecord.objects.filter(pk=conversation.customer_id).update(
            honoured=F("honoured") + 1
        )
    else:
        ContinuityRecord.objects.filter(pk=conversation.customer_id).update(
            broken=F("broken") + 1,
            last_broken_at=now,
            last_reason=decision.continuity_reason[:40],
        )


def _routing_details(
    decision: Decision, route: Route, facts: ConversationFacts, weights: PriorityWeights
) -> dict[str, Any]:
    """What the timeline row keeps besides the words: enough to say it again in any
    language and to count continuity in reports."""
    return {
        "outcome": decision.outcome,
        "method": decision.method,
        "rule_id": route.rule.rule_id if route.rule else None,
        "kind": decision.kind,
        "load": decision.load + 1 if decision.outcome == ASSIGNED else None,
        "capacity": decision.capacity if decision.outcome == ASSIGNED else None,
        "skills": [list(s) for s in decision.skills],
        "continuity": decision.continuity,
        "continuity_staff_id": decision.continuity_staff_id,
        "continuity_source": decision.continuity_source,
        "continuity_reason": decision.continuity_reason,
        "priority_customer": is_priority_customer(facts, weights),
        "unavailable": dict(decision.unavailable),
    }


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
        route = route_for(load_rules(), routing_facts(locked))
        team_id = locked.team_id or route.team_id
        if team_id is None:
            return RoutingResult(
                conversation_id=locked.pk,
                outcome=POOL,
                explanation=_("No rule gives it a team: it stays in the shared pool."),
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
        weights = priority_weights_for(team_id)
        explanation = explain(
            decision,
            names=names,
            team_name=state.team.name,
            route=route,
            facts=facts,
            weights=weights,
        )
        result = RoutingResult(
            conversation_id=locked.pk,
            outcome=decision.outcome,
            explanation=explanation,
            team_id=team_id,
            rule_id=route.rule.rule_id if route.rule else None,
            rule_name=route.rule.name if route.rule else "",
            assignee_id=decision.staff_id,
            decision=decision,
            details=_routing_details(decision, route, facts, weights),
        )
        if dry_run:
            return result
        _apply(locked, decision, state, agents, route, result, now, actor)
    conversation.assignee_id = locked.assignee_id
    conversation.team_id = locked.team_id
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
) -> None:
    team = state.team
    team_changes = locked.team_id != team.pk
    routed = _routed_words(route, team.name) if team_changes else ""
    if decision.outcome == ASSIGNED and decision.staff_id is not None:
        _agent, staff = agents[decision.staff_id]
        _assign(locked, assignee=staff, team=team, reason=result.explanation, actor=actor)
        _stamp_routing(locked, result)
        TeamAssignment.objects.filter(pk=team.pk).update(
            pointer_staff_id=decision.next_pointer, last_assigned_at=now
        )
        AgentPresence.objects.filter(pk=staff.pk).update(last_assigned_at=now)
        AssignmentHold.objects.filter(conversation_id=locked.pk).delete()
        _count_continuity(locked, decision, now)
        return
    if decision.outcome == HELD and decision.continuity_staff_id is not None:
        _hold, created = AssignmentHold.objects.update_or_create(
            conversation_id=locked.pk,
            defaults={
                "staff_id": decision.continuity_staff_id,
                "source": decision.continuity_source,
                "reason": decision.continuity_reason[:40],
                "until": decision.hold_until or now,
            },
        )
        if team_changes:
            _assign(
                locked,
                assignee=None,
                team=team,
                reason=" ".join(w for w in (routed, result.explanation) if w),
                actor=actor,
            )
            _stamp_routing(locked, result)
        elif created:
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
        _stamp_routing(locked, result)


def _stamp_routing(conversation: Conversation, result: RoutingResult) -> None:
    """Add the structured decision to the assignment row `assign` just wrote."""
    from layani.conversations.models import TimelineEvent

    event = (
        TimelineEvent.objects.filter(conversation_id=conversation.pk, kind=EventKind.ASSIGNED)
        .order_by("-occurred_at", "-id")
        .first()
    )
    if event is not None:
        event.details = {**event.details, "routing": result.details}
        event.save(update_fields=["details"])


def _record_decision(
    conversation: Conversation, result: RoutingResult, actor: Actor, now: datetime
) -> None:
    """A routing decision that changes no assignment (held for someone) still leaves a row."""
    record_event(
        EventKind.ASSIGNED,
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
    the priority policy (the maximum wait first), and stops trying a kind of work once
    nobody has room for it. Returns how many were assigned."""
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
    assigned = 0
    for facts in ordered:
        kind = work_kind(facts.channel)
        if kind in full:
            continue
        result = route_conversation(by_id[facts.conversation_id], actor=None)
        if result.outcome == ASSIGNED:
            assigned += 1
        elif result.outcome == PAUSED:
            break
        elif result.outcome == QUEUED and result.decision is not None:
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
            reason=_("%(name)s went offline.") % {"name": staff.display_name},
            actor=actor,
        )
        route_conversation(conversation, actor=actor)
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


# --- Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentOverview:
    staff_id: int
    display_name: str
    status: str
    since: datetime | None
    within_working_hours: bool
    load: dict[str, int]
    capacity: dict[str, int]


def team_agents(team: Team, *, now: datetime | None = None) -> list[AgentOverview]:
    """Every active member of the team with status, open work and capacity per kind of
    work (the team's overrides applied). Five queries whatever the team's size."""
    now = now or timezone.now()
    state = TeamAssignment.objects.filter(pk=team.pk).first()
    overrides = (
        state.capacity_overrides if state and isinstance(state.capacity_overrides, dict) else {}
    )
    members = list(
        Staff.objects.filter(teams=team, is_active=True)
        .select_related("presence")
        .order_by("display_name", "id")
    )
    ids = [m.pk for m in members]
    hours: dict[int, list[WeeklyInterval]] = defaultdict(list)
    for staff_id, weekday, starts, ends in WorkingHours.objects.filter(
        staff_id__in=ids
    ).values_list("staff_id", "weekday", "starts", "ends"):
        hours[staff_id].append(WeeklyInterval(weekday, starts, ends))
    load: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        Conversation.objects.filter(assignee_id__in=ids, status__in=ACTIVE_STATUSES)
        .values("assignee_id", "channel")
        .annotate(n=Count("id"))
    ):
        counts = load[row["assignee_id"]]
        kind = work_kind(row["channel"])
        counts[kind] = counts.get(kind, 0) + row["n"]
    kinds = ("phone", "chat", "email")
    overview = []
    for member in members:
        presence = getattr(member, "presence", None)
        capacity = member.capacity if isinstance(member.capacity, dict) else {}
        overview.append(
            AgentOverview(
                staff_id=member.pk,
                display_name=member.display_name,
                status=presence.status if presence else AgentStatus.OFFLINE,
                since=presence.since if presence else None,
                within_working_hours=within_working_hours(
                    hours[member.pk], now, presence.timezone if presence else "Asia/Jakarta"
                ),
                load={k: load[member.pk].get(k, 0) for k in kinds},
                capacity={k: decision_rules.capacity_for(capacity, k, overrides) for k in kinds},
            )
        )
    return overview
