"""Writes on SLA configuration: business calendars, their closed days, and SLA policies.

Admins (`configure`) manage everything. Supervisors (`sla.business_hours`) manage the
calendars of their own branches and those calendars' closed days: a local holiday, a
branch closed for renovation. Every change moves the configuration version, so the next
conversation change everywhere uses it (`sla_config`).
"""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.branches.models import Branch
from layani.core.errors import Conflict, InvalidInput, PermissionDenied
from layani.core.types import Actor
from layani.routing.models import BusinessCalendar, ClosedDay, SlaPolicy
from layani.staff.models import Staff, Team
from layani.staff.permissions import Capability, can, is_branch_scoped, require, staff_of

CALENDAR_FIELDS = (
    "name",
    "timezone",
    "always_open",
    "weekly_hours",
    "use_indonesian_holidays",
    "include_joint_leave",
    "branch_id",
    "is_default",
)
POLICY_FIELDS = (
    "name",
    "order",
    "is_active",
    "channels",
    "purposes",
    "priorities",
    "customer_statuses",
    "tiers",
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "calendar_id",
    "pause_while_pending",
    "warn_before_minutes",
    "notify_supervisors",
    "escalate_to_team_id",
    "raise_priority",
)


def _invalid(exc: ValidationError) -> InvalidInput:
    """The first field error of a model validation, as the API reports it."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    field, messages = next(iter(errors.items()))
    field = {"branch": "branch_id", "calendar": "calendar_id"}.get(field, field)
    return InvalidInput(messages[0], code="invalid", field=None if field == "__all__" else field)


def _validated_save(instance: Model, *, exclude: tuple[str, ...] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=True)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Conflict(
            _("This clashes with an existing one (same name or date, or a second default)."),
            code="duplicate",
        ) from exc


# --- Calendars ------------------------------------------------------------------------------


def _own_branch_ids(actor: Actor) -> set[int]:
    staff = staff_of(actor)
    if staff is None:
        return set()
    return set(
        Staff.branches.through.objects.filter(staff_id=staff.pk).values_list("branch_id", flat=True)
    )


def may_manage_calendar(actor: Actor, calendar: BusinessCalendar) -> bool:
    """Admins manage every calendar; supervisors those of their own branches."""
    if can(actor, Capability.CONFIGURE):
        return True
    if not can(actor, Capability.MANAGE_BUSINESS_HOURS):
        return False
    if not is_branch_scoped(actor):
        return True
    return calendar.branch_id is not None and calendar.branch_id in _own_branch_ids(actor)


def _check_calendar_rights(actor: Actor, calendar: BusinessCalendar) -> None:
    require(actor, Capability.MANAGE_BUSINESS_HOURS)
    if calendar.is_default and not can(actor, Capability.CONFIGURE):
        raise PermissionDenied(_("Only an admin can set the default calendar."))
    if not may_manage_calendar(actor, calendar):
        raise PermissionDenied(_("You can only manage the calendars of your own branches."))


def _check_branch(branch_id: Any) -> None:
    if branch_id is not None and not Branch.objects.filter(pk=branch_id).exists():
        raise InvalidInput(_("Not found: check the id."), code="unknown_id", field="branch_id")


def create_calendar(*, actor: Actor, **values: Any) -> BusinessCalendar:
    """A business calendar from `CALENDAR_FIELDS` values (weekly hours as
    `{"monday": [["08:00", "17:00"]], ...}`)."""
    unknown = set(values) - set(CALENDAR_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field."), code="unknown_field", field=sorted(unknown)[0])
    calendar = BusinessCalendar(**values)
    _check_calendar_rights(actor, calendar)
    _check_branch(calendar.branch_id)
    _validated_save(calendar)
    return calendar


def update_calendar(
    calendar: BusinessCalendar, *, actor: Actor, **changes: Any
) -> BusinessCalendar:
    _check_calendar_rights(actor, calendar)
    unknown = set(changes) - set(CALENDAR_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field."), code="unknown_field", field=sorted(unknown)[0])
    for name, value in changes.items():
        setattr(calendar, name, value)
    _check_calendar_rights(actor, calendar)  # a supervisor cannot move it out of their branches
    _check_branch(calendar.branch_id)
    calendar.updated_at = timezone.now()
    _validated_save(calendar)
    return calendar


def delete_calendar(calendar: BusinessCalendar, *, actor: Actor) -> None:
    _check_calendar_rights(actor, calendar)
    try:
        calendar.delete()
    except ProtectedError as exc:
        raise Conflict(
            _("SLA policies use this calendar: give them another one first."),
            code="calendar_in_use",
        ) from exc


def add_closed_day(
    calendar: BusinessCalendar, *, day: date, reason: str = "", actor: Actor
) -> ClosedDay:
    """Close the business on `day` (besides the public holidays)."""
    _check_calendar_rights(actor, calendar)
    closed = ClosedDay(calendar=calendar, date=day, reason=(reason or "").strip())
    if ClosedDay.objects.filter(calendar=calendar, date=day).exists():
        raise Conflict(_("This day is already closed."), code="duplicate", field="date")
    _validated_save(closed, exclude=("calendar",))
    return closed


def remove_closed_day(closed: ClosedDay, *, actor: Actor) -> None:
    _check_calendar_rights(actor, closed.calendar)
    closed.delete()


# --- Policies -------------------------------------------------------------------------------


def _policy_references(values: dict[str, Any]) -> None:
    calendar_id = values.get("calendar_id")
    if calendar_id is not None and not BusinessCalendar.objects.filter(pk=calendar_id).exists():
        raise InvalidInput(_("Not found: check the id."), code="unknown_id", field="calendar_id")
    team_id = values.get("escalate_to_team_id")
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise InvalidInput(
            _("Not found: check the id."), code="unknown_id", field="escalate_to_team_id"
        )


def _branches(branch_ids: list[int] | None) -> list[Branch] | None:
    if branch_ids is None:
        return None
    found = list(Branch.objects.filter(pk__in=branch_ids))
    if len(found) != len(set(branch_ids)):
        raise InvalidInput(_("Not found: check the id."), code="unknown_id", field="branch_ids")
    return found


def create_policy(*, actor: Actor, branch_ids: list[int] | None = None, **values: Any) -> SlaPolicy:
    """An SLA policy from `POLICY_FIELDS` values; `branch_ids` limits it to those branches."""
    require(actor, Capability.CONFIGURE)
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field."), code="unknown_field", field=sorted(unknown)[0])
    _policy_references(values)
    branches = _branches(branch_ids)
    with transaction.atomic():
        policy = SlaPolicy(**values)
        _validated_save(policy)
        if branches:
            policy.branches.set(branches)
    return policy


def update_policy(
    policy: SlaPolicy, *, actor: Actor, branch_ids: list[int] | None = None, **changes: Any
) -> SlaPolicy:
    require(actor, Capability.CONFIGURE)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field."), code="unknown_field", field=sorted(unknown)[0])
    _policy_references(changes)
    branches = _branches(branch_ids)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(policy, name, value)
        policy.updated_at = timezone.now()
        _validated_save(policy)
        if branches is not None:
            policy.branches.set(branches)
    return policy


def delete_policy(policy: SlaPolicy, *, actor: Actor) -> None:
    """Conversations under it keep their SLA history; their clocks stop until a change
    gives them another policy."""
    require(actor, Capability.CONFIGURE)
    policy.delete()
