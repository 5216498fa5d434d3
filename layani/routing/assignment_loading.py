"""What auto-assignment reads: the facts rules and priorities look at, the team's lock and
settings, the customer's continuity person, and the candidates with their presence rows
locked (see `auto_assign` for the lock order); and the team board, which locks nothing."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from layani.conversations.models import (
    ACTIVE_STATUSES,
    Conversation,
    Direction,
    Message,
)
from layani.routing import assignment as decision_rules
from layani.routing.agent_status import WeeklyInterval, within_working_hours
from layani.routing.assignment import (
    Agent,
    ContinuityTarget,
    TeamSettings,
    work_kind,
)
from layani.routing.models import (
    AgentPresence,
    AgentStatus,
    AssignmentHold,
    PriorityPolicy,
    TeamAssignment,
    WorkingHours,
)
from layani.routing.priority import (
    ConversationFacts,
    PriorityWeights,
)
from layani.routing.rules import RoutingFacts, text_terms
from layani.staff.models import Staff, StaffSkill, Team
from layani.staff.permissions import Capability, can

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
    """The team's online agents (and the continuity person, whatever their status and
    team, so that a break can name them; `in_team` says whether they may be chosen), their
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
