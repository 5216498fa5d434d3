"""/api/v1/routing: routing rules, agent status and working hours, team assignment settings,
the priority policy, and running assignment for one conversation (with its explanation).

Thin handlers: parse, find in scope, call one action or query, render."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from layani.conversations import queries as conversation_queries
from layani.core.errors import InvalidInput, NotFound
from layani.routing import agent_status, assignment_settings, auto_assign
from layani.routing.assignment_loading import team_agents as team_board
from layani.routing.assignment_schemas import (
    AgentLoadOut,
    AgentStatusIn,
    AgentStatusOut,
    AssignRunIn,
    IntervalSchema,
    PriorityPolicyIn,
    PriorityPolicyOut,
    RoutingResultOut,
    RoutingRuleIn,
    RoutingRuleOut,
    RoutingRulePatch,
    TeamAssignmentOut,
    TeamAssignmentPatch,
    WorkingHoursIn,
    WorkingHoursOut,
)
from layani.routing.models import PriorityPolicy, RoutingRule, TeamAssignment
from layani.staff.models import Staff, Team
from layani.staff.permissions import Capability, require, staff_of

router = Router(tags=["routing"])


# --- Rules ------------------------------------------------------------------------------------


def _rule_out(rule: RoutingRule) -> RoutingRuleOut:
    return RoutingRuleOut(
        id=rule.pk,
        name=rule.name,
        position=rule.position,
        is_active=rule.is_active,
        channels=rule.channels,
        purposes=rule.purposes,
        services=rule.services,
        languages=rule.languages,
        segments=rule.segments,
        tiers=rule.tiers,
        tags=rule.tags,
        keywords=rule.keywords,
        branch_ids=sorted(b.pk for b in rule.branches.all()),
        team_id=rule.team_id,
        required_skills=rule.required_skills,
        set_purpose=rule.set_purpose,
        updated_at=rule.updated_at,
    )


def _rule_values(payload: Schema, *, partial: bool) -> assignment_settings.RuleValues:
    given = payload.model_dump(exclude_unset=partial)
    branch_ids = given.pop("branch_ids", None)
    team_given = "team_id" in given
    team_id = given.pop("team_id", None)
    if partial:
        given = {k: v for k, v in given.items() if v is not None}
    return assignment_settings.RuleValues(
        values=given, branch_ids=branch_ids, team_id=team_id, team_given=team_given
    )


@router.get("/rules", response=list[RoutingRuleOut], summary="Routing rules, in order")
def list_rules(request: HttpRequest) -> list[RoutingRuleOut]:
    return [_rule_out(rule) for rule in assignment_settings.rules_for(request.user)]


@router.post("/rules", response={201: RoutingRuleOut}, summary="Add a routing rule")
def create_rule(request: HttpRequest, payload: RoutingRuleIn) -> Status:
    rule = assignment_settings.create_rule(
        values=_rule_values(payload, partial=False), actor=request.user
    )
    return Status(201, _rule_out(rule))


@router.get("/rules/{rule_id}", response=RoutingRuleOut, summary="One routing rule")
def get_rule(request: HttpRequest, rule_id: int) -> RoutingRuleOut:
    return _rule_out(assignment_settings.rule_by_id(request.user, rule_id))


@router.patch("/rules/{rule_id}", response=RoutingRuleOut, summary="Change a routing rule")
def update_rule(request: HttpRequest, rule_id: int, payload: RoutingRulePatch) -> RoutingRuleOut:
    rule = assignment_settings.rule_by_id(request.user, rule_id)
    rule = assignment_settings.update_rule(
        rule, values=_rule_values(payload, partial=True), actor=request.user
    )
    return _rule_out(assignment_settings.rule_by_id(request.user, rule.pk))


@router.delete("/rules/{rule_id}", response={204: None}, summary="Delete a routing rule")
def delete_rule(request: HttpRequest, rule_id: int) -> Status:
    rule = assignment_settings.rule_by_id(request.user, rule_id)
    assignment_settings.delete_rule(rule, actor=request.user)
    return Status(204, None)


# --- Agent status and working hours -----------------------------------------------------------


def _staff(request: HttpRequest, staff_id: int) -> Staff:
    staff = Staff.objects.filter(pk=staff_id, is_active=True).first()
    if staff is None:
        raise NotFound(_("Staff member not found."), code="staff_not_found")
    agent_status.require_manage_agent(request.user, staff)
    return staff


def _me(request: HttpRequest) -> Staff:
    staff = staff_of(request.user)
    if staff is None:
        raise NotFound(_("You have no staff profile."), code="staff_not_found")
    return staff


def _status_out(staff: Staff, now: datetime | None = None) -> AgentStatusOut:
    presence = agent_status.presence_of(staff)
    return AgentStatusOut(
        staff_id=staff.pk,
        display_name=staff.display_name,
        status=presence.status,
        since=presence.since if presence.pk else None,
        within_working_hours=agent_status.within_working_hours(
            agent_status.working_hours_of(staff), now or timezone.now(), presence.timezone
        ),
        timezone=presence.timezone,
    )


@router.get("/status", response=AgentStatusOut, summary="My status")
def my_status(request: HttpRequest) -> AgentStatusOut:
    return _status_out(_me(request))


@router.put("/status", response=AgentStatusOut, summary="Set my status")
def set_my_status(request: HttpRequest, payload: AgentStatusIn) -> AgentStatusOut:
    staff = _me(request)
    agent_status.set_agent_status(
        staff, status=payload.status, reason=payload.reason, actor=request.user
    )
    return _status_out(staff)


@router.get("/agents/{staff_id}/status", response=AgentStatusOut, summary="An agent's status")
def get_agent_status(request: HttpRequest, staff_id: int) -> AgentStatusOut:
    return _status_out(_staff(request, staff_id))


@router.put("/agents/{staff_id}/status", response=AgentStatusOut, summary="Set an agent's status")
def set_agent_status(request: HttpRequest, staff_id: int, payload: AgentStatusIn) -> AgentStatusOut:
    staff = _staff(request, staff_id)
    agent_status.set_agent_status(
        staff, status=payload.status, reason=payload.reason, actor=request.user
    )
    return _status_out(staff)


def _hours_out(staff: Staff) -> WorkingHoursOut:
    presence = agent_status.presence_of(staff)
    return WorkingHoursOut(
        staff_id=staff.pk,
        timezone=presence.timezone,
        intervals=[
            IntervalSchema(weekday=i.weekday, starts=i.starts, ends=i.ends)
            for i in agent_status.working_hours_of(staff)
        ],
    )


@router.get(
    "/agents/{staff_id}/working-hours", response=WorkingHoursOut, summary="Weekly working hours"
)
def get_working_hours(request: HttpRequest, staff_id: int) -> WorkingHoursOut:
    return _hours_out(_staff(request, staff_id))


@router.put(
    "/agents/{staff_id}/working-hours",
    response=WorkingHoursOut,
    summary="Replace weekly working hours",
)
def set_working_hours(
    request: HttpRequest, staff_id: int, payload: WorkingHoursIn
) -> WorkingHoursOut:
    staff = _staff(request, staff_id)
    agent_status.set_working_hours(
        staff,
        intervals=[
            agent_status.WeeklyInterval(i.weekday, i.starts, i.ends) for i in payload.intervals
        ],
        timezone_name=payload.timezone,
        actor=request.user,
    )
    return _hours_out(staff)


# --- Teams ------------------------------------------------------------------------------------


def _team(request: HttpRequest, team_id: int, *, members_too: bool = False) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("Team not found."), code="team_not_found")
    if assignment_settings.can_supervise_team(request.user, team):
        return team
    me = staff_of(request.user)
    if members_too and me is not None and me.teams.filter(pk=team.pk).exists():
        return team
    raise NotFound(_("Team not found."), code="team_not_found")


def _team_out(state: TeamAssignment) -> TeamAssignmentOut:
    return TeamAssignmentOut(
        team_id=state.team.pk,
        team_name=state.team.name,
        mode=state.mode,
        is_paused=state.is_paused,
        paused_at=state.paused_at,
        capacity_overrides=state.capacity_overrides or {},
        reassign_on_offline=state.reassign_on_offline,
        continuity_days=state.continuity_days,
        continuity_wait_minutes=state.continuity_wait_minutes,
        last_assigned_at=state.last_assigned_at,
    )


@router.get(
    "/teams/{team_id}/assignment", response=TeamAssignmentOut, summary="Team assignment settings"
)
def get_team_assignment(request: HttpRequest, team_id: int) -> TeamAssignmentOut:
    team = _team(request, team_id, members_too=True)
    return _team_out(assignment_settings.team_assignment_of(team))


@router.patch(
    "/teams/{team_id}/assignment",
    response=TeamAssignmentOut,
    summary="Change team assignment settings (mode, pause, capacity, continuity)",
)
def update_team_assignment(
    request: HttpRequest, team_id: int, payload: TeamAssignmentPatch
) -> TeamAssignmentOut:
    team = _team(request, team_id, members_too=True)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    state = assignment_settings.update_team_assignment(team, changes=changes, actor=request.user)
    return _team_out(state)


@router.get(
    "/teams/{team_id}/agents",
    response=list[AgentLoadOut],
    summary="The team's agents: status, open work and capacity",
)
def team_agents(request: HttpRequest, team_id: int) -> list[AgentLoadOut]:
    team = _team(request, team_id, members_too=True)
    return [AgentLoadOut(**vars(a)) for a in team_board(team)]


# --- Running assignment -----------------------------------------------------------------------


@router.post(
    "/conversations/{conversation_id}/assign",
    response=RoutingResultOut,
    summary="Route and assign one conversation now, with the reason",
)
def run_assignment(
    request: HttpRequest, conversation_id: int, payload: AssignRunIn
) -> RoutingResultOut:
    require(request.user, Capability.WORK_CONVERSATIONS)
    conversation = conversation_queries.access_conversation(request.user, conversation_id)
    result = auto_assign.route_conversation(
        conversation, actor=request.user, dry_run=payload.dry_run
    )
    return RoutingResultOut(
        conversation_id=result.conversation_id,
        outcome=result.outcome,
        explanation=result.explanation,
        team_id=result.team_id,
        rule_id=result.rule_id,
        rule_name=result.rule_name,
        assignee_id=result.assignee_id,
        dry_run=payload.dry_run,
        purpose=result.purpose,
        details=result.details,
    )


# --- Priority policy --------------------------------------------------------------------------


class PolicyQuery(Schema):
    team_id: int | None = None


def _policy_team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise InvalidInput(_("Not found: check the id."), code="unknown_id", field="team_id")
    return team


def _policy_out(policy: PriorityPolicy) -> PriorityPolicyOut:
    def numbers(raw: Any) -> dict[str, float]:
        return {str(k): float(v) for k, v in (raw or {}).items()}

    return PriorityPolicyOut(
        team_id=policy.team_id,
        stored=policy.pk is not None,
        kind_weights=numbers(policy.kind_weights),
        purpose_weights=numbers(policy.purpose_weights),
        segment_weights=numbers(policy.segment_weights),
        tier_weights=numbers(policy.tier_weights),
        level_weights=numbers(policy.level_weights),
        sla_weight=policy.sla_weight,
        sla_horizon_minutes=policy.sla_horizon_minutes,
        aging_per_minute=policy.aging_per_minute,
        max_wait_minutes=policy.max_wait_minutes,
    )


@router.get("/priority-policy", response=PriorityPolicyOut, summary="The priority policy")
def get_priority_policy(request: HttpRequest, query: Query[PolicyQuery]) -> PriorityPolicyOut:
    require(request.user, Capability.VIEW_CONVERSATIONS)
    return _policy_out(assignment_settings.priority_policy_for(_policy_team(query.team_id)))


@router.put("/priority-policy", response=PriorityPolicyOut, summary="Change the priority policy")
def set_priority_policy(
    request: HttpRequest, query: Query[PolicyQuery], payload: PriorityPolicyIn
) -> PriorityPolicyOut:
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    policy = assignment_settings.update_priority_policy(
        _policy_team(query.team_id), changes=changes, actor=request.user
    )
    return _policy_out(policy)
