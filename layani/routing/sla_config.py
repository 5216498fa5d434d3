"""The SLA policies and calendars, kept in process memory as plain values.

Every conversation change asks which policy applies and on which calendar; the answer
changes a few times a year. Each process keeps what it loaded, stamped with the version
of `SlaConfigStamp`, and reloads when the version has moved: a change costs one small query
per conversation change, the configuration none. Every save or delete of a policy, calendar
or closed day moves the version (`connect_invalidation`, cache invalidation, not business
flow); bulk `.update()` calls bypass that, so the configuration also expires after
`MAX_AGE_SECONDS`.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from layani.core.process_cache import ProcessCache
from layani.routing.business_hours import Calendar, CalendarError
from layani.routing.models import BusinessCalendar, ClosedDay, SlaConfigStamp, SlaPolicy
from layani.routing.sla_clock import Targets

logger = logging.getLogger(__name__)

MAX_AGE_SECONDS = 300.0
AROUND_THE_CLOCK = Calendar.around_the_clock()


@dataclass(frozen=True)
class Facts:
    """What a policy's conditions look at."""

    channel: str
    purpose: str
    priority: int
    branch_id: int | None
    customer_status: str | None = None  # None: no customer
    tier: str | None = None


@dataclass(frozen=True)
class PolicyRule:
    id: int
    name: str
    order: int
    channels: frozenset[str]
    purposes: frozenset[str]
    priorities: frozenset[int]
    customer_statuses: frozenset[str]
    tiers: frozenset[str]
    branch_ids: frozenset[int]
    targets: Targets
    calendar_id: int | None
    pause_while_pending: bool
    notify_supervisors: bool
    escalate_to_team_id: int | None
    raise_priority: bool

    @property
    def looks_at_customer(self) -> bool:
        return bool(self.customer_statuses or self.tiers)

    def matches(self, facts: Facts) -> bool:
        """Every condition that is set holds (an empty condition matches anything)."""
        return (
            (not self.channels or facts.channel in self.channels)
            and (not self.purposes or facts.purpose in self.purposes)
            and (not self.priorities or facts.priority in self.priorities)
            and (not self.branch_ids or facts.branch_id in self.branch_ids)
            and (not self.customer_statuses or facts.customer_status in self.customer_statuses)
            and (not self.tiers or (facts.tier is not None and facts.tier in self.tiers))
        )


@dataclass(frozen=True)
class SlaConfig:
    version: int
    policies: tuple[PolicyRule, ...]
    calendars: dict[int, Calendar]
    branch_calendars: dict[int, int]  # branch id -> calendar id
    default_calendar_id: int | None

    @property
    def looks_at_customers(self) -> bool:
        return any(p.looks_at_customer for p in self.policies)

    def policy_for(self, facts: Facts) -> PolicyRule | None:
        return next((p for p in self.policies if p.matches(facts)), None)

    def policy_by_id(self, policy_id: int | None) -> PolicyRule | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def calendar_for(self, policy: PolicyRule | None, branch_id: int | None) -> Calendar:
        """The policy's calendar, else the branch's, else the default one, else 24/7."""
        for calendar_id in (
            policy.calendar_id if policy else None,
            self.branch_calendars.get(branch_id) if branch_id is not None else None,
            self.default_calendar_id,
        ):
            if calendar_id is not None and calendar_id in self.calendars:
                return self.calendars[calendar_id]
        return AROUND_THE_CLOCK


def _minutes(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(minutes=value)


def rule_of(policy: SlaPolicy, branch_ids: frozenset[int]) -> PolicyRule:
    return PolicyRule(
        id=policy.pk,
        name=policy.name,
        order=policy.order,
        channels=frozenset(policy.channels or ()),
        purposes=frozenset(policy.purposes or ()),
        priorities=frozenset(int(p) for p in policy.priorities or ()),
        customer_statuses=frozenset(policy.customer_statuses or ()),
        tiers=frozenset(policy.tiers or ()),
        branch_ids=branch_ids,
        targets=Targets(
            first_response=_minutes(policy.first_response_minutes),
            next_response=_minutes(policy.next_response_minutes),
            resolution=_minutes(policy.resolution_minutes),
            warn_before=timedelta(minutes=policy.warn_before_minutes or 0),
        ),
        calendar_id=policy.calendar_id,
        pause_while_pending=policy.pause_while_pending,
        notify_supervisors=policy.notify_supervisors,
        escalate_to_team_id=policy.escalate_to_team_id,
        raise_priority=policy.raise_priority,
    )


def calendar_of(row: BusinessCalendar, closed: list[date]) -> Calendar:
    """The pure calendar of a stored one (24/7 when its hours cannot be read)."""
    if row.always_open:
        return Calendar.around_the_clock(row.timezone)
    try:
        return Calendar.from_hours(
            {day: [tuple(i) for i in intervals] for day, intervals in row.weekly_hours.items()},
            timezone=row.timezone,
            closed_dates=closed,
            indonesian_holidays=row.use_indonesian_holidays,
            joint_leave=row.include_joint_leave,
        )
    except (CalendarError, AttributeError, TypeError, ValueError):
        logger.warning("business calendar %s has no usable hours; counting 24/7", row.pk)
        return Calendar.around_the_clock(row.timezone)


def load_config(version: int) -> SlaConfig:
    """Read the configuration from the database (four queries)."""
    branches: dict[int, set[int]] = defaultdict(set)
    for policy_id, branch_id in SlaPolicy.branches.through.objects.values_list(
        "slapolicy_id", "branch_id"
    ):
        branches[policy_id].add(branch_id)
    policies = tuple(
        rule_of(p, frozenset(branches.get(p.pk, ())))
        for p in SlaPolicy.objects.filter(is_active=True).order_by("order", "id")
    )
    closed: dict[int, list[date]] = defaultdict(list)
    for calendar_id, day in ClosedDay.objects.values_list("calendar_id", "date"):
        closed[calendar_id].append(day)
    calendars, branch_calendars, default_id = {}, {}, None
    for row in BusinessCalendar.objects.all():
        calendars[row.pk] = calendar_of(row, closed.get(row.pk, []))
        if row.branch_id is not None:
            branch_calendars[row.branch_id] = row.pk
        if row.is_default:
            default_id = row.pk
    return SlaConfig(
        version=version,
        policies=policies,
        calendars=calendars,
        branch_calendars=branch_calendars,
        default_calendar_id=default_id,
    )


_config: ProcessCache[SlaConfig] = ProcessCache(MAX_AGE_SECONDS)


def current_version() -> int:
    stamp = SlaConfigStamp.objects.filter(pk=1).values_list("version", flat=True).first()
    return 0 if stamp is None else stamp


def sla_config() -> SlaConfig:
    """The configuration in force (one query when nothing changed)."""
    version = current_version()
    return _config.get(None, lambda: load_config(version), version=version)


def bump_version() -> None:
    """Make every process reload the SLA configuration on its next use."""
    version = SlaConfigStamp.new_version()
    if not SlaConfigStamp.objects.filter(pk=1).update(version=version):
        SlaConfigStamp.objects.update_or_create(pk=1, defaults={"version": version})


def forget() -> None:
    """Drop this process's copy (tests that change rows with bulk updates)."""
    _config.clear()


def _changed(**_kwargs: Any) -> None:
    bump_version()


def connect_invalidation() -> None:
    for model in (SlaPolicy, BusinessCalendar, ClosedDay):
        post_save.connect(_changed, sender=model, dispatch_uid=f"sla-config-save-{model}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"sla-config-del-{model}")
    m2m_changed.connect(
        _changed, sender=SlaPolicy.branches.through, dispatch_uid="sla-config-m2m-branches"
    )
