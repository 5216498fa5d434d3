"""Routing rules, agent presence and working hours, team assignment settings and state,
continuity holds and counts, and the priority policy's weights (all data, STYLE: what is
configurable is data)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layani.core.choices import Purpose
from layani.routing import assignment as decision
from layani.routing import priority


class AgentStatus(models.TextChoices):
    ONLINE = decision.ONLINE, _("Online")
    AWAY = decision.AWAY, _("Away")
    ON_BREAK = decision.ON_BREAK, _("On a break")
    OFFLINE = decision.OFFLINE, _("Offline")


class AssignmentMode(models.TextChoices):
    ROUND_ROBIN = decision.ROUND_ROBIN, _("Round robin")
    LEAST_LOADED = decision.LEAST_LOADED, _("Least loaded")


class ContinuitySource(models.TextChoices):
    PREFERRED = "preferred", _("Preferred staff member")
    RECENT = "recent", _("Served the customer recently")


def check_capacity_map(value: object, field: str) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in value.items()
    ):
        raise ValidationError({field: _("Map a kind of work to a whole number, e.g. {'chat': 3}.")})


def check_weights(value: object, field: str) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()
    ):
        raise ValidationError({field: _("Map each value to a number.")})


class AgentPresence(models.Model):
    """Whether a staff member takes work now. A staff member without a row is offline."""

    staff = models.OneToOneField(
        "staff.Staff",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="presence",
        verbose_name=_("staff member"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=AgentStatus.choices, default=AgentStatus.OFFLINE
    )
    since = models.DateTimeField(_("since"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    timezone = models.CharField(
        _("time zone of the working hours"), max_length=40, default="Asia/Jakarta"
    )
    last_assigned_at = models.DateTimeField(
        _("last given work"),
        null=True,
        blank=True,
        help_text=_("Least-loaded ties go to the longest idle."),
    )

    class Meta:
        verbose_name = _("agent status")
        verbose_name_plural = _("agent statuses")

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.status}"


class AgentStatusChange(models.Model):
    """The audit trail of status changes: who changed whose status, when and why."""

    staff = models.ForeignKey(
        "staff.Staff", on_delete=models.CASCADE, related_name="status_changes"
    )
    before = models.CharField(_("before"), max_length=20, choices=AgentStatus.choices)
    after = models.CharField(_("after"), max_length=20, choices=AgentStatus.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    reassigned = models.PositiveIntegerField(
        _("conversations reassigned"),
        default=0,
        help_text=_("Open work handed on at going offline."),
    )

    class Meta:
        verbose_name = _("agent status change")
        verbose_name_plural = _("agent status changes")
        indexes = [models.Index(fields=["staff", "-occurred_at"], name="agent_status_history")]

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.before} → {self.after}"


class WorkingHours(models.Model):
    """One weekly interval a staff member works, in their presence's time zone. Nobody
    listed: no limit by the clock (the status alone decides). Overnight shifts are two rows."""

    staff = models.ForeignKey("staff.Staff", on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text=_("0 = Monday … 6 = Sunday"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["staff", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="working_hours_weekday_0_6"
            ),
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")),
                name="working_hours_start_before_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts:%H:%M}-{self.ends:%H:%M}"


class TeamAssignment(models.Model):
    """A team's auto-assignment settings and running state. Its row lock serialises the
    team's assignments (like the branch queue's `QueueState`)."""

    team = models.OneToOneField(
        "staff.Team",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="assignment",
        verbose_name=_("team"),
    )
    mode = models.CharField(
        _("mode"), max_length=20, choices=AssignmentMode.choices, default=AssignmentMode.ROUND_ROBIN
    )
    is_paused = models.BooleanField(
        _("paused"), default=False, help_text=_("Supervisors pause auto-assignment for the team.")
    )
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("paused by"),
    )
    capacity_overrides = models.JSONField(
        _("capacity overrides"),
        default=dict,
        blank=True,
        help_text=_('Capacity per kind of work for every member in this team, e.g. {"chat": 2}.'),
    )
    reassign_on_offline = models.BooleanField(
        _("hand on open work when an agent goes offline"), default=True
    )
    continuity_days = models.PositiveSmallIntegerField(
        _("continuity: recent means within (days)"),
        default=30,
        help_text=_(
            "Whoever served the customer's last conversation within this many days gets "
            "the next one. 0 = off."
        ),
    )
    continuity_wait_minutes = models.PositiveSmallIntegerField(
        _("continuity: wait for them (minutes)"),
        default=0,
        help_text=_(
            "Hold the conversation this long for the preferred or recent person. 0 = do not wait."
        ),
    )
    # Running state.
    pointer_staff_id = models.BigIntegerField(null=True, blank=True, editable=False)
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("team assignment")
        verbose_name_plural = _("team assignment")

    def __str__(self) -> str:
        return str(self.team)

    def clean(self) -> None:
        check_capacity_map(self.capacity_overrides, "capacity_overrides")


RULE_LIST_FIELDS = (
    "channels",
    "purposes",
    "services",
    "languages",
    "segments",
    "tiers",
    "tags",
    "keywords",
)
SEGMENTS = ("prospect", "new", "loyal", "customer")
# What a rule may make a routine conversation: every purpose but routine itself.
SETTABLE_PURPOSES = [(p.value, p.label) for p in Purpose if p != Purpose.ROUTINE]


def _allowed_values() -> dict[str, frozenset[str]]:
    from layani.core.choices import Channel, Language
    from layani.customers.models import MembershipTier

    return {
        "channels": frozenset(Channel.values) | frozenset(decision.WORK_KINDS.values()),
        "purposes": frozenset(Purpose.values),
        "languages": frozenset(Language.values),
        "segments": frozenset(SEGMENTS),
        "tiers": frozenset(v for v in MembershipTier.values if v),
    }


def rule_problems(values: dict[str, object]) -> dict[str, list[str]]:
    """What is wrong with a rule's conditions and skills, by field (empty: nothing)."""
    from layani.staff.models import SkillKind

    problems: dict[str, list[str]] = {}
    allowed = _allowed_values()
    for name in RULE_LIST_FIELDS:
        if name not in values:
            continue
        items = values[name]
        if not isinstance(items, list) or not all(
            isinstance(v, str) and v.strip() and len(v) <= 120 for v in items
        ):
            problems[name] = [str(_("Give a list of words."))]
        elif name in allowed and not set(items) <= allowed[name]:
            unknown = ", ".join(sorted(set(items) - allowed[name]))
            problems[name] = [str(_("Unknown values: %(values)s.") % {"values": unknown})]
    purpose = values.get("set_purpose", "")
    purposes = values.get("purposes")
    if purpose and purpose not in dict(SETTABLE_PURPOSES):
        problems["set_purpose"] = [
            str(_("Choose complaint, special_request or prospect, or leave it empty."))
        ]
    elif purpose and isinstance(purposes, list) and purposes and Purpose.ROUTINE not in purposes:
        # Only a routine conversation is given a purpose: this rule would never give one.
        problems["set_purpose"] = [
            str(
                _(
                    "This rule matches only conversations whose purpose is already set, so "
                    "it would never give one: add routine to its purposes, or leave this "
                    "empty."
                )
            )
        ]
    skills = values.get("required_skills", [])
    if not isinstance(skills, list) or not all(
        isinstance(item, dict)
        and item.get("kind") in SkillKind.values
        and isinstance(item.get("value"), str)
        and item["value"].strip()
        and isinstance(item.get("min_level", 1), int)
        and 1 <= item.get("min_level", 1) <= 5
        and set(item) <= {"kind", "value", "min_level"}
        for item in skills
    ):
        problems["required_skills"] = [
            str(_("Each skill needs a kind, a value and a minimum level from 1 to 5."))
        ]
    return problems


class RoutingRule(models.Model):
    """Where a conversation goes: the first active rule (by position) whose conditions all
    hold sends it to its team with its required skills. Empty conditions hold for all."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=100, help_text=_("Lower first."))
    is_active = models.BooleanField(_("active"), default=True)
    channels = models.JSONField(
        _("channels"), default=list, blank=True, help_text=_('e.g. ["whatsapp"] or ["chat"]')
    )
    purposes = models.JSONField(_("purposes"), default=list, blank=True)
    services = models.JSONField(
        _("services"), default=list, blank=True, help_text=_("Service codes or words.")
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    segments = models.JSONField(
        _("customer segments"),
        default=list,
        blank=True,
        help_text=_("prospect, new, loyal or customer"),
    )
    tiers = models.JSONField(_("membership tiers"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    keywords = models.JSONField(
        _("keywords"),
        default=list,
        blank=True,
        help_text=_('Any of these in the subject or the message, e.g. "kartu hilang".'),
    )
    branches = models.ManyToManyField(
        "branches.Branch", blank=True, related_name="+", verbose_name=_("branches")
    )
    team = models.ForeignKey(
        "staff.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name=_("team"),
    )
    set_purpose = models.CharField(
        _("purpose to give"),
        max_length=20,
        blank=True,
        default="",
        choices=SETTABLE_PURPOSES,
        help_text=_(
            "A routine conversation this rule matches is given this purpose (a complaint, a "
            "special request, not a customer yet). A purpose a person or the kiosk chose is "
            "kept."
        ),
    )
    required_skills = models.JSONField(
        _("required skills"),
        default=list,
        blank=True,
        help_text=_('e.g. [{"kind": "purpose", "value": "complaint", "min_level": 3}]'),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        problems = rule_problems(
            {
                name: getattr(self, name)
                for name in (*RULE_LIST_FIELDS, "required_skills", "set_purpose")
            }
        )
        if problems:
            raise ValidationError(problems)


class AssignmentHold(models.Model):
    """A conversation kept for its continuity person until `until`; the periodic task
    gives it to them when they are free, or to someone else at the deadline."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="assignment_hold",
    )
    staff = models.ForeignKey(
        "staff.Staff", on_delete=models.CASCADE, related_name="assignment_holds"
    )
    source = models.CharField(_("why them"), max_length=20, choices=ContinuitySource.choices)
    reason = models.CharField(_("why they could not take it"), max_length=40, blank=True)
    until = models.DateTimeField(_("held until"), db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("held for continuity")
        verbose_name_plural = _("held for continuity")

    def __str__(self) -> str:
        return f"{self.conversation_id} → {self.staff_id} until {self.until:%H:%M}"


class ContinuityRecord(models.Model):
    """Per customer: how often continuity held and broke (a churn-risk signal)."""

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="continuity",
        verbose_name=_("customer"),
    )
    honoured = models.PositiveIntegerField(_("continuity kept"), default=0)
    broken = models.PositiveIntegerField(_("continuity broken"), default=0)
    last_broken_at = models.DateTimeField(_("last broken at"), null=True, blank=True)
    last_reason = models.CharField(_("last reason"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("continuity record")
        verbose_name_plural = _("continuity records")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.honoured} kept, {self.broken} broken"


def default_kind_weights() -> dict[str, float]:
    return dict(priority.DEFAULT_KIND_WEIGHTS)


def default_purpose_weights() -> dict[str, float]:
    return dict(priority.DEFAULT_PURPOSE_WEIGHTS)


def default_segment_weights() -> dict[str, float]:
    return dict(priority.DEFAULT_SEGMENT_WEIGHTS)


def default_tier_weights() -> dict[str, float]:
    return dict(priority.DEFAULT_TIER_WEIGHTS)


def default_level_weights() -> dict[str, float]:
    return {str(level): weight for level, weight in priority.DEFAULT_LEVEL_WEIGHTS.items()}


class PriorityPolicy(models.Model):
    """The weights of the conversation priority score (`routing/priority.py`): one for the
    business (no team) and optionally one per team."""

    team = models.OneToOneField(
        "staff.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="priority_policy",
        verbose_name=_("team"),
        help_text=_("Empty: the business's policy, used by teams without their own."),
    )
    kind_weights = models.JSONField(
        _("kind of work weights"), default=default_kind_weights, blank=True
    )
    purpose_weights = models.JSONField(
        _("purpose weights"), default=default_purpose_weights, blank=True
    )
    segment_weights = models.JSONField(
        _("segment weights"), default=default_segment_weights, blank=True
    )
    tier_weights = models.JSONField(
        _("membership tier weights"), default=default_tier_weights, blank=True
    )
    level_weights = models.JSONField(
        _("priority level weights"),
        default=default_level_weights,
        blank=True,
        help_text=_('By level: {"1": low, "2": normal, "3": high, "4": urgent}.'),
    )
    sla_weight = models.FloatField(_("weight of a due answer"), default=30.0)
    sla_horizon_minutes = models.FloatField(
        _("due answers count from (minutes before)"), default=60.0
    )
    aging_per_minute = models.FloatField(_("aging per minute waited"), default=1.0)
    max_wait_minutes = models.FloatField(
        _("maximum wait (minutes)"),
        default=120.0,
        help_text=_("After this wait a conversation goes first, whatever others' scores."),
    )

    class Meta:
        verbose_name = _("priority policy")
        verbose_name_plural = _("priority policies")
        constraints = [
            # At most one business policy (no team): NULLs are otherwise all distinct.
            models.UniqueConstraint(
                Coalesce("team", models.Value(0)), name="one_priority_policy_per_team"
            )
        ]

    def __str__(self) -> str:
        return str(self.team) if self.team_id else str(_("Business"))

    def clean(self) -> None:
        for name in (
            "kind_weights",
            "purpose_weights",
            "segment_weights",
            "tier_weights",
            "level_weights",
        ):
            check_weights(getattr(self, name), name)
        if self.aging_per_minute < 0:
            raise ValidationError({"aging_per_minute": _("Waiting must never lower a score.")})
        if self.max_wait_minutes <= 0:
            raise ValidationError({"max_wait_minutes": _("Must be more than zero.")})
