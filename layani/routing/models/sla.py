"""SLA configuration (business calendars, policies) and each conversation's SLA state."""

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layani.branches.models.branch import validate_timezone
from layani.core.formatting import INDONESIAN_TIMEZONES
from layani.routing.business_hours import WEEKDAYS, CalendarError, Interval, normalise_day


def validate_weekly_hours(value: Any) -> None:
    """`{"monday": [["08:00", "12:00"], ["13:00", "17:00"]], ...}`; a missing day is closed."""
    if not isinstance(value, dict):
        raise ValidationError(_("Opening hours must map weekdays to lists of intervals."))
    for day, intervals in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(_("Unknown weekday: %(day)s"), params={"day": day})
        if not isinstance(intervals, list):
            raise ValidationError(_("Give a list of intervals for %(day)s."), params={"day": day})
        parsed = []
        for interval in intervals:
            if not (isinstance(interval, list | tuple) and len(interval) == 2):
                raise ValidationError(
                    _("An interval is an opening and a closing time, e.g. 08:00-17:00.")
                )
            try:
                parsed.append(Interval.parse(str(interval[0]), str(interval[1])))
            except CalendarError as exc:
                raise ValidationError(
                    _("Bad interval on %(day)s: use HH:MM, closing after opening."),
                    params={"day": day},
                ) from exc
        if len(normalise_day(parsed)) != len(parsed):
            raise ValidationError(
                _("The intervals of %(day)s overlap."), params={"day": day}, code="overlap"
            )


class BusinessCalendar(models.Model):
    """When the business counts SLA time: weekly hours in a time zone, minus closed days."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=40,
        default="Asia/Jakarta",
        choices=INDONESIAN_TIMEZONES,
        validators=[validate_timezone],
    )
    always_open = models.BooleanField(
        _("open 24/7"), default=False, help_text=_("For channels that never close.")
    )
    weekly_hours = models.JSONField(
        _("weekly hours"),
        default=dict,
        blank=True,
        validators=[validate_weekly_hours],
        help_text=_('e.g. {"monday": [["08:00", "12:00"], ["13:00", "17:00"]]}'),
    )
    use_indonesian_holidays = models.BooleanField(
        _("closed on Indonesian public holidays"), default=True
    )
    include_joint_leave = models.BooleanField(
        _("closed on joint leave days (cuti bersama)"), default=False
    )
    branch = models.OneToOneField(
        "branches.Branch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="business_calendar",
        verbose_name=_("branch"),
        help_text=_("The calendar of this branch's conversations."),
    )
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Used when no branch calendar applies.")
    )
    created_at = models.DateTimeField(_("created at"), default=now)
    updated_at = models.DateTimeField(_("updated at"), default=now)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        hours = self.weekly_hours if isinstance(self.weekly_hours, dict) else {}
        if not self.always_open and not any(hours.values()):
            raise ValidationError(
                {"weekly_hours": _("Give opening hours, or mark the calendar open 24/7.")}
            )


class ClosedDay(models.Model):
    """A date the business is closed besides the public holidays (e.g. a company event)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closed_days"
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="closed_day_once")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


class SlaPolicy(models.Model):
    """Response and resolution targets for the conversations that match its conditions.

    The first active policy in `order` whose conditions all match applies; an empty
    condition matches anything. Targets are minutes of business time on the calendar (the
    policy's, else the branch's, else the default calendar, else 24/7).
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    order = models.PositiveIntegerField(_("order"), default=100, help_text=_("Lower first."))
    is_active = models.BooleanField(_("active"), default=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    purposes = models.JSONField(_("purposes"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    customer_statuses = models.JSONField(
        _("customer statuses"), default=list, blank=True, help_text=_("prospect, customer")
    )
    tiers = models.JSONField(
        _("membership tiers"),
        default=list,
        blank=True,
        help_text=_('silver, gold, platinum; "" for customers without membership'),
    )
    branches = models.ManyToManyField(
        "branches.Branch", blank=True, related_name="+", verbose_name=_("branches")
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response (minutes)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response (minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (minutes)"), null=True, blank=True
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("calendar"),
        help_text=_("Empty: the branch's calendar, else the default one."),
    )
    pause_while_pending = models.BooleanField(
        _("pause while waiting on the customer"), default=True
    )
    warn_before_minutes = models.PositiveIntegerField(
        _("warn before breach (minutes)"), default=30, help_text=_("0: no warning.")
    )
    notify_supervisors = models.BooleanField(_("at breach: notify supervisors"), default=True)
    escalate_to_team = models.ForeignKey(
        "staff.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("at breach: hand to team"),
    )
    raise_priority = models.BooleanField(_("at breach: raise priority"), default=False)
    created_at = models.DateTimeField(_("created at"), default=now)
    updated_at = models.DateTimeField(_("updated at"), default=now)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from layani.conversations.models import Priority
        from layani.core.choices import Channel, Purpose
        from layani.customers.models import CustomerStatus, MembershipTier

        allowed: dict[str, list[Any]] = {
            "channels": Channel.values,
            "purposes": Purpose.values,
            "priorities": Priority.values,
            "customer_statuses": CustomerStatus.values,
            "tiers": MembershipTier.values,
        }
        errors: dict[str, Any] = {}
        for name, values in allowed.items():
            chosen = getattr(self, name)
            if not isinstance(chosen, list) or any(v not in values for v in chosen):
                errors[name] = _("Choose from: %(values)s") % {
                    "values": ", ".join(str(v) or '""' for v in values)
                }
        if (
            self.first_response_minutes is None
            and self.next_response_minutes is None
            and self.resolution_minutes is None
        ):
            errors["first_response_minutes"] = _("Give at least one target.")
        for name in ("first_response_minutes", "next_response_minutes", "resolution_minutes"):
            if getattr(self, name) == 0:
                errors[name] = _("A target must be at least one minute.")
        if errors:
            raise ValidationError(errors)


class ConversationSla(models.Model):
    """One conversation's SLA: its policy, the clock's history, due instants, and what the
    sweep has done (warned, breached: at most once per target and response).

    `next_check_at` is the earliest instant at which the sweep has something to do (a warning
    or a breach not yet handled); NULL when nothing is ticking. The sweep reads only rows with
    `next_check_at <= now`, through a partial index that holds only the ticking rows.
    """

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sla",
    )
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_contact_at = models.DateTimeField(null=True, blank=True)
    # Closed pauses as [[start, end], ...] ISO instants; the open one is `paused_since`.
    pauses = models.JSONField(default=list, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    # The customer message the next-response target currently counts from.
    next_response_since = models.DateTimeField(null=True, blank=True)

    first_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_warned_at = models.DateTimeField(null=True, blank=True)
    next_response_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    next_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    next_responses = models.PositiveIntegerField(default=0)
    next_response_breaches = models.PositiveIntegerField(default=0)

    next_check_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("conversation SLA")
        verbose_name_plural = _("conversation SLAs")
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=Q(next_check_at__isnull=False),
                name="sla_next_check",
            ),
        ]

    def __str__(self) -> str:
        return f"SLA L-{self.conversation_id}"


class SlaConfigStamp(models.Model):
    """One row whose version changes whenever SLA configuration changes, so each process
    reloads the policies and calendars it keeps in memory (`routing/sla_config.py`)."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.version)

    @staticmethod
    def new_version() -> int:
        # Random, not a counter: tests that roll back cannot make two configurations share one.
        return secrets.randbits(62)
