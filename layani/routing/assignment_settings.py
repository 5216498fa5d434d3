"""Configuring routing: rules, a team's auto-assignment settings, the priority policy.

Who may do what:
- routing rules and priority policies: admins (`configure`); supervisors may read rules;
- a team's assignment settings (mode, pause, capacity overrides, continuity): admins, and
  supervisors of the team (a member of it, or working in one of its branches).
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.branches.models import Branch
from layani.core.errors import InvalidInput, NotFound, PermissionDenied
from layani.core.events import enqueue_on_commit
from layani.core.types import Actor
from layani.routing.models import AssignmentMode, PriorityPolicy, RoutingRule, TeamAssignment
from layani.routing.models.assignment import RULE_LIST_FIELDS, rule_problems
from layani.staff.models import Staff, Team
from layani.staff.permissions import Capability, can, require, staff_of

TEAM_SETTING_FIELDS = (
    "mode",
    "is_paused",
    "capacity_overrides",
    "reassign_on_offline",
    "continuity_days",
    "continuity_wait_minutes",
)
POLICY_FIELDS = (
    "kind_weights",
    "purpose_weights",
    "segment_weights",
    "tier_weights",
    "level_weights",
    "sla_weight",
    "sla_horizon_minutes",
    "aging_per_minute",
    "max_wait_minutes",
)


def _first_problem(problems: dict[str, list[str]]) -> InvalidInput:
    field, messages = next(iter(problems.items()))
    return InvalidInput(messages[0], code="invalid", field=field)


# --- Teams ------------------------------------------------------------------------------------


def can_supervise_team(actor: Actor, team: Team) -> bool:
    if can(actor, Capability.CONFIGURE):
        return True
    if not can(actor, Capability.SUPERVISE):
        return False
    me = staff_of(actor)
    if me is None:
        return False
    return (
        Staff.teams.through.objects.filter(staff_id=me.pk, team_id=team.pk).exists()
        or Team.branches.through.objects.filter(
            team_id=team.pk,
            branch_id__in=Staff.branches.through.objects.filter(staff_id=me.pk).values("branch_id"),
        ).exists()
    )


def team_assignment_of(team: Team) -> TeamAssignment:
    state, _created = TeamAssignment.objects.get_or_create(team=team)
    return state


def update_team_assignment(team: Team, *, changes: dict[str, Any], actor: Actor) -> TeamAssignment:
    """Change a team's assignment settings; give only what changes. Resuming a paused team
    assigns what waits (in the background)."""
    if not can_supervise_team(actor, team):
        raise PermissionDenied(_("You do not supervise this team."))
    unknown = set(changes) - set(TEAM_SETTING_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field."), code="invalid", field=sorted(unknown)[0])
    if "mode" in changes and changes["mode"] not in AssignmentMode.values:
        raise InvalidInput(_("Unknown mode."), code="invalid_choice", field="mode")
    for name in ("continuity_days", "continuity_wait_minutes"):
        if name in changes and not (isinstance(changes[name], int) and 0 <= changes[name] <= 32767):
            raise InvalidInput(_("Give a whole number of 0 or more."), code="invalid", field=name)
    now = timezone.now()
    with transaction.atomic():
        TeamAssignment.objects.get_or_create(team=team)
        state = TeamAssignment.objects.select_for_update().get(pk=team.pk)
        was_paused = state.is_paused
        for name, value in changes.items():
            setattr(state, name, value)
        if "capacity_overrides" in changes:
            from django.core.exceptions import ValidationError

            try:
                state.clean()
            except ValidationError as exc:
                raise InvalidInput(
                    exc.message_dict["capacity_overrides"][0],
                    code="invalid",
                    field="capacity_overrides",
                ) from exc
        if state.is_paused and not was_paused:
            state.paused_at = now
            state.paused_by = actor if isinstance(actor, User) else None
        elif was_paused and not state.is_paused:
            state.paused_at = None
            state.paused_by = None
        state.save()
        if was_paused and not state.is_paused:
            from layani.routing.assignment_tasks import assign_waiting_in_teams

            enqueue_on_commit(assign_waiting_in_teams, [team.pk])
    return state


# --- Rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleValues:
    """A rule's fields as given by a form or the API (lists of words, skills as dicts)."""

    values: dict[str, Any]
    branch_ids: list[int] | None = None
    team_id: int | None = None
    team_given: bool = False


def _check_rule(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise InvalidInput(_("Give the rule a name."), code="required", field="name")
    if isinstance(cleaned.get("set_purpose"), str):
        cleaned["set_purpose"] = cleaned["set_purpose"].strip()
    for name in RULE_LIST_FIELDS:
        if name in cleaned and isinstance(cleaned[name], list):
            cleaned[name] = [str(v).strip() for v in cleaned[name]]
    problems = rule_problems(cleaned)
    if problems:
        raise _first_problem(problems)
    return cleaned


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise InvalidInput(_("Not found: check the id."), code="unknown_id", field="team_id")
    return team


def _branches(branch_ids: list[int]) -> list[Branch]:
    branches = list(Branch.objects.filter(pk__in=branch_ids))
    if len(branches) != len(set(branch_ids)):
        raise InvalidInput(_("Not found: check the id."), code="unknown_id", field="branch_ids")
    return branches


def create_rule(*, values: RuleValues, actor: Actor) -> RoutingRule:
    require(actor, Capability.CONFIGURE)
    cleaned = _check_rule({"name": "", **values.values})
    team = _team(values.team_id)
    branches = _branches(values.branch_ids or [])
    with transaction.atomic():
        rule = RoutingRule.objects.create(team=team, **cleaned)
        if branches:
            rule.branches.set(branches)
    return rule


def update_rule(rule: RoutingRule, *, values: RuleValues, actor: Actor) -> RoutingRule:
    require(actor, Capability.CONFIGURE)
    cleaned = _check_rule(values.values)
    # The purpose to give is checked against the conditions it will have, given or kept.
    together = {
        name: cleaned.get(name, getattr(rule, name)) for name in ("purposes", "set_purpose")
    }
    problems = rule_problems(together)
    if problems:
        raise _first_problem(problems)
    team = _team(values.team_id) if values.team_given else None
    branches = _branches(values.branch_ids) if values.branch_ids is not None else None
    with transaction.atomic():
        for name, value in cleaned.items():
            setattr(rule, name, value)
        if values.team_given:
            rule.team = team
        rule.updated_at = timezone.now()
        rule.save()
        if branches is not None:
            rule.branches.set(branches)
    return rule


def delete_rule(rule: RoutingRule, *, actor: Actor) -> None:
    require(actor, Capability.CONFIGURE)
    rule.delete()


def rule_by_id(actor: Actor, rule_id: int) -> RoutingRule:
    if not (can(actor, Capability.CONFIGURE) or can(actor, Capability.SUPERVISE)):
        raise PermissionDenied(_("You are not allowed to do this."))
    rule = RoutingRule.objects.prefetch_related("branches").filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Routing rule not found."), code="rule_not_found")
    return rule


def rules_for(actor: Actor) -> list[RoutingRule]:
    if not (can(actor, Capability.CONFIGURE) or can(actor, Capability.SUPERVISE)):
        raise PermissionDenied(_("You are not allowed to do this."))
    return list(RoutingRule.objects.prefetch_related("branches").order_by("position", "id"))


# --- Priority policy --------------------------------------------------------------------------


def priority_policy_for(team: Team | None) -> PriorityPolicy:
    """The stored policy of the team (or of the business), or an unsaved default."""
    policy = PriorityPolicy.objects.filter(team=team).first()
    return policy or PriorityPolicy(team=team)


def update_priority_policy(
    team: Team | None, *, changes: dict[str, Any], actor: Actor
) -> PriorityPolicy:
    require(actor, Capability.CONFIGURE)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field."), code="invalid", field=sorted(unknown)[0])
    from django.core.exceptions import ValidationError

    with transaction.atomic():
        policy = PriorityPolicy.objects.select_for_update().filter(team=team).first()
        policy = policy or PriorityPolicy(team=team)
        for name, value in changes.items():
            setattr(policy, name, value)
        try:
            policy.clean()
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise InvalidInput(messages[0], code="invalid", field=field) from exc
        policy.save()
    return policy
