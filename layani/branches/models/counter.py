from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from layani.branches.models.branch import Branch, Service


class Counter(models.Model):
    """A place in the branch where one staff member serves one visitor at a time."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="counters")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=60, help_text=_("e.g. Loket 3"))
    services = models.ManyToManyField(
        Service,
        blank=True,
        related_name="counters",
        verbose_name=_("services"),
        help_text=_("Leave empty to serve every service the staff member is skilled for."),
    )
    is_open = models.BooleanField(_("open"), default=False)
    staff = models.OneToOneField(
        "staff.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="counter",
        verbose_name=_("staff at the counter"),
    )

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        ordering = ["branch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "number"], name="counter_number_per_branch")
        ]

    def __str__(self) -> str:
        return self.name


def default_purpose_weights() -> dict[str, float]:
    return {"routine": 0, "complaint": 5, "special_request": 0, "prospect": 2}


def default_category_weights() -> dict[str, float]:
    return {
        "elderly": 20,
        "disabled": 20,
        "pregnant": 20,
        "appointment": 30,
        "tier_gold": 5,
        "tier_platinum": 10,
    }


def _check_weights(value: object, field: str) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, int | float) for k, v in value.items()
    ):
        raise ValidationError({field: _("Use a mapping of names to numbers.")})


class QueuePolicy(models.Model):
    """How a branch orders its queue: data, edited in the back office, never code.

    Score = minutes waited x aging + purpose, service, category and tier weights
    + the staff member's skill level x skill weight. Highest score is called first; equal
    scores go strictly first come, first served. Anyone who has waited `max_wait_minutes`
    is called before everyone who has not, whatever their category.
    """

    branch = models.OneToOneField(Branch, on_delete=models.CASCADE, related_name="queue_policy")
    purpose_weights = models.JSONField(_("purpose weights"), default=default_purpose_weights)
    service_weights = models.JSONField(
        _("service weights"), default=dict, blank=True, help_text=_("By service code.")
    )
    category_weights = models.JSONField(
        _("priority category weights"),
        default=default_category_weights,
        help_text=_(
            "elderly, disabled, pregnant, appointment (on time), tier_silver/gold/platinum."
        ),
    )
    skill_weight = models.FloatField(_("weight per staff skill level"), default=1.0)
    aging_per_minute = models.FloatField(_("weight per minute waited"), default=1.0)
    max_wait_minutes = models.PositiveSmallIntegerField(
        _("maximum wait (minutes)"),
        default=45,
        help_text=_("After this wait a visitor is called first, whatever their category."),
    )
    ratio_normal = models.PositiveSmallIntegerField(
        _("ratio: normal calls"),
        default=0,
        help_text=_(
            "Normal calls per cycle; with 1 priority call and 2 normal calls the branch calls "
            "1 priority visitor, then 2 others, and so on. 0 = no ratio."
        ),
    )
    ratio_priority = models.PositiveSmallIntegerField(_("ratio: priority calls"), default=1)
    recall_limit = models.PositiveSmallIntegerField(_("recalls before no-show"), default=2)
    appointment_early_minutes = models.PositiveSmallIntegerField(
        _("appointment: earliest check-in before the slot (minutes)"), default=30
    )
    appointment_grace_minutes = models.PositiveSmallIntegerField(
        _("appointment: latest on-time check-in after the slot starts (minutes)"), default=10
    )
    appointments_per_slot = models.PositiveSmallIntegerField(
        _("appointments per slot and service"), default=2
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("appointment slot length (minutes)"), default=15
    )
    near_front_position = models.PositiveSmallIntegerField(
        _("tell remote visitors to come when their place in line reaches"), default=3
    )

    class Meta:
        verbose_name = _("queue policy")
        verbose_name_plural = _("queue policies")

    def __str__(self) -> str:
        return f"{self.branch}"

    def clean(self) -> None:
        _check_weights(self.purpose_weights, "purpose_weights")
        _check_weights(self.service_weights, "service_weights")
        _check_weights(self.category_weights, "category_weights")
        if self.aging_per_minute < 0:
            raise ValidationError({"aging_per_minute": _("Waiting must never lower a score.")})
        if self.ratio_normal and not self.ratio_priority:
            raise ValidationError({"ratio_priority": _("Must be at least 1 when a ratio is set.")})


class QueueState(models.Model):
    """Per-branch running state of the queue; its row lock serialises call-next."""

    branch = models.OneToOneField(Branch, on_delete=models.CASCADE, related_name="queue_state")
    ratio_position = models.PositiveIntegerField(default=0)
    last_called_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.branch_id}: {self.ratio_position}"


class QueueConfigStamp(models.Model):
    """One row whose version changes whenever anything call-next reads as configuration
    changes (policies, services, counter services, staff skills).

    Call-next reads the version in the same statement that takes its locks and keeps the
    configuration it derived in process memory until the version moves
    (`branches/call_config.py`), so a call costs no configuration queries.
    """

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.version)
