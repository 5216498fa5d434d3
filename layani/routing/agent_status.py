"""Agent presence: online, away, on a break or offline, and weekly working hours.

Who may change a status: the staff member themself; a supervisor for the people who share
a branch or a team with them; an admin for anyone. Every change writes an
`AgentStatusChange` row (the audit trail) and is pushed to the agent's teams after commit.

Going offline hands on the agent's open work in teams that ask for it
(`TeamAssignment.reassign_on_offline`): each conversation goes back to its team and through
auto-assignment, in its own transaction after the status change has committed. Coming
online assigns the conversations waiting in the agent's teams (a background task).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.core.errors import InvalidInput, PermissionDenied
from layani.core.events import enqueue_on_commit, publish_on_commit
from layani.core.types import Actor
from layani.routing.models import AgentPresence, AgentStatus, AgentStatusChange, WorkingHours
from layani.staff.models import Staff
from layani.staff.permissions import Capability, can, staff_of

AGENT_STATUS_EVENT = "agent.status"
MAX_REASON_LENGTH = 500


# Every agent's status changes, for listeners of no one team (a web chat account without a
# team: anyone online can answer it).
ALL_PRESENCE_GROUP = "presence-all"


def team_presence_group(team_id: int) -> str:
    """Realtime group of a team's presence board."""
    return f"presence-team-{team_id}"


# --- Working hours (pure) ---------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyInterval:
    weekday: int  # 0 = Monday
    starts: time
    ends: time


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Jakarta")


def within_working_hours(intervals: Iterable[WeeklyInterval], at: datetime, tz_name: str) -> bool:
    """True when `at` falls in one of the weekly intervals, read in `tz_name`. No intervals:
    no limit by the clock."""
    listed = list(intervals)
    if not listed:
        return True
    local = at.astimezone(zone(tz_name))
    moment = local.time()
    return any(i.weekday == local.weekday() and i.starts <= moment < i.ends for i in listed)


# --- Who may change whose status --------------------------------------------------------------


def _shares_branch_or_team(manager: Staff, staff: Staff) -> bool:
    branches = Staff.branches.through.objects.filter(staff_id=manager.pk).values("branch_id")
    teams = Staff.teams.through.objects.filter(staff_id=manager.pk).values("team_id")
    return (
        Staff.branches.through.objects.filter(staff_id=staff.pk, branch_id__in=branches).exists()
        or Staff.teams.through.objects.filter(staff_id=staff.pk, team_id__in=teams).exists()
    )


def can_manage_agent(actor: Actor, staff: Staff) -> bool:
    """The agent themself, their supervisor (same branch or team), or an admin."""
    if actor is None:
        return True
    if can(actor, Capability.CONFIGURE):
        return True
    me = staff_of(actor)
    if me is None:
        return False
    if me.pk == staff.pk:
        return True
    return can(actor, Capability.SUPERVISE) and _shares_branch_or_team(me, staff)


def require_manage_agent(actor: Actor, staff: Staff) -> None:
    if not can_manage_agent(actor, staff):
        raise PermissionDenied(_("You may not change this person's status."))


# --- Reading ----------------------------------------------------------------------------------


def presence_of(staff: Staff) -> AgentPresence:
    """The staff member's presence; offline (unsaved) when they never set one."""
    presence = AgentPresence.objects.filter(staff_id=staff.pk).first()
    return presence or AgentPresence(staff=staff, status=AgentStatus.OFFLINE)


def working_hours_of(staff: Staff) -> list[WeeklyInterval]:
    return [
        WeeklyInterval(weekday=w, starts=s, ends=e)
        for w, s, e in WorkingHours.objects.filter(staff_id=staff.pk).values_list(
            "weekday", "starts", "ends"
        )
    ]


# --- Changing ---------------------------------------------------------------------------------


def set_agent_status(staff: Staff, *, status: str, reason: str = "", actor: Actor) -> AgentPresence:
    """Set `staff`'s status. Setting the same status again changes nothing."""
    require_manage_agent(actor, staff)
    if status not in AgentStatus.values:
        raise InvalidInput(_("Unknown status."), code="invalid_choice", field="status")
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(_("The reason is too long."), code="too_long", field="reason")
    now = timezone.now()
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        AgentPresence.objects.get_or_create(staff=staff)
        presence = AgentPresence.objects.select_for_update().get(staff=staff)
        before = presence.status
        if before == status:
            return presence
        presence.status = status
        presence.since = now
        presence.updated_by = user
        presence.save(update_fields=["status", "since", "updated_by"])
        change = AgentStatusChange.objects.create(
            staff=staff, before=before, after=status, reason=reason, actor=user, occurred_at=now
        )
        team_ids = list(staff.teams.values_list("id", flat=True))
        payload = {
            "staff_id": staff.pk,
            "name": staff.display_name,
            "status": status,
            "since": now.isoformat(),
        }
        for team_id in team_ids:
            publish_on_commit(team_presence_group(team_id), AGENT_STATUS_EVENT, payload)
        publish_on_commit(ALL_PRESENCE_GROUP, AGENT_STATUS_EVENT, payload)
        if status == AgentStatus.ONLINE:
            from layani.routing.assignment_tasks import assign_waiting_in_teams

            enqueue_on_commit(assign_waiting_in_teams, team_ids)
    if status == AgentStatus.OFFLINE:
        from layani.routing.auto_assign import hand_on_work

        handed_on = hand_on_work(staff, actor=actor)
        if handed_on:
            AgentStatusChange.objects.filter(pk=change.pk).update(reassigned=handed_on)
    return presence


def set_working_hours(
    staff: Staff,
    *,
    intervals: Iterable[WeeklyInterval],
    timezone_name: str | None = None,
    actor: Actor,
) -> list[WeeklyInterval]:
    """Replace `staff`'s weekly working hours (an empty list: no limit by the clock)."""
    require_manage_agent(actor, staff)
    rows = list(intervals)
    for interval in rows:
        if not 0 <= interval.weekday <= 6:
            raise InvalidInput(
                _("A weekday is 0 (Monday) to 6 (Sunday)."), code="invalid", field="intervals"
            )
        if interval.starts >= interval.ends:
            raise InvalidInput(
                _("Each interval must end after it starts; split overnight shifts in two."),
                code="invalid",
                field="intervals",
            )
    if timezone_name is not None:
        try:
            ZoneInfo(timezone_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(_("Unknown time zone."), code="invalid", field="timezone") from exc
    with transaction.atomic():
        presence, _created = AgentPresence.objects.get_or_create(staff=staff)
        if timezone_name is not None and presence.timezone != timezone_name:
            presence.timezone = timezone_name
            presence.save(update_fields=["timezone"])
        WorkingHours.objects.filter(staff=staff).delete()
        WorkingHours.objects.bulk_create(
            [
                WorkingHours(staff=staff, weekday=i.weekday, starts=i.starts, ends=i.ends)
                for i in rows
            ]
        )
    return sorted(rows, key=lambda i: (i.weekday, i.starts))
