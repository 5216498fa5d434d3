import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from layani.branches.models.branch import Branch, Service
from layani.core.choices import Purpose


def new_public_token() -> str:
    """The unguessable part of a visitor's own links (live status, feedback)."""
    return secrets.token_urlsafe(16)


class VisitStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    SERVING = "serving", _("Being served")
    DONE = "done", _("Done")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_AT_COUNTER = [VisitStatus.CALLED, VisitStatus.SERVING]


class VisitSource(models.TextChoices):
    KIOSK = "kiosk", _("Kiosk")
    REMOTE = "remote", _("Remote join")
    APPOINTMENT = "appointment", _("Appointment")
    STAFF = "staff", _("Staff")
    API = "api", _("API")


class PriorityCategory(models.TextChoices):
    """Who may be served ahead, by the branch's policy weights. Tiers come from the customer."""

    NONE = "", _("None")
    ELDERLY = "elderly", _("Elderly")
    DISABLED = "disabled", _("Disabled")
    PREGNANT = "pregnant", _("Pregnant")


class Visit(models.Model):
    """A walk-in at a branch: one ticket, from check-in to the end of service."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="visits")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="visits")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("customer"),
    )
    service_day = models.DateField(_("service day"), help_text=_("In the branch's time zone."))
    ticket_sequence = models.PositiveIntegerField(_("ticket sequence"))
    ticket_number = models.CharField(_("ticket number"), max_length=12)
    status = models.CharField(
        _("status"), max_length=20, choices=VisitStatus.choices, default=VisitStatus.WAITING
    )
    source = models.CharField(
        _("source"), max_length=20, choices=VisitSource.choices, default=VisitSource.KIOSK
    )
    priority_category = models.CharField(
        _("priority category"),
        max_length=20,
        choices=PriorityCategory.choices,
        blank=True,
        default="",
    )
    customer_tier = models.CharField(
        _("membership tier at check-in"), max_length=20, blank=True, default=""
    )
    appointment = models.OneToOneField(
        "branches.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visit",
        verbose_name=_("appointment"),
    )
    note = models.TextField(_("visitor's note"), blank=True)
    counter = models.ForeignKey(
        "branches.Counter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("counter"),
    )
    reserved_counter = models.ForeignKey(
        "branches.Counter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reserved_visits",
        verbose_name=_("transferred to counter"),
        help_text=_("Only this counter may call the visitor (after a transfer to a counter)."),
    )
    served_by = models.ForeignKey(
        "staff.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="served_visits",
        verbose_name=_("served by"),
    )
    checked_in_at = models.DateTimeField(_("checked in at"))
    queue_since = models.DateTimeField(
        _("in the queue since"),
        help_text=_(
            "Arrival used for fairness: check-in time, or the slot of an on-time appointment. "
            "Kept across transfers."
        ),
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    serving_started_at = models.DateTimeField(_("service started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    recall_count = models.PositiveSmallIntegerField(_("recalls"), default=0)
    transfer_count = models.PositiveSmallIntegerField(_("transfers"), default=0)
    outcome_note = models.TextField(_("outcome"), blank=True)
    public_token = models.CharField(max_length=32, unique=True, default=new_public_token)
    near_front_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            # The display calls tickets by number: one number means one visitor per day.
            models.UniqueConstraint(
                fields=["branch", "service_day", "ticket_number"],
                name="visit_ticket_unique_per_day",
            ),
            # One counter never holds two visitors at once.
            models.UniqueConstraint(
                fields=["counter"],
                condition=models.Q(status__in=["called", "serving"]),
                name="visit_one_active_per_counter",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "status", "queue_since"]),
            models.Index(fields=["customer", "-checked_in_at"]),
            models.Index(fields=["branch", "service_day", "status"]),
            # Call-next walks this from one group of equal visitors to the next
            # (`branches/call_statements.py`), reading one row per group.
            models.Index(
                fields=[
                    "branch",
                    "service",
                    "purpose",
                    "priority_category",
                    "customer_tier",
                    "queue_since",
                    "id",
                ],
                condition=models.Q(status="waiting", reserved_counter__isnull=True),
                name="visit_waiting_groups",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number} ({self.branch_id})"


class WaitEstimate(models.Model):
    """Every wait estimate we gave a visitor, and how long they then really waited.

    The mean absolute error of these is how we judge whether our estimates are honest.
    """

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="estimates")
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    given_at = models.DateTimeField()
    position = models.PositiveIntegerField()
    estimated_seconds = models.PositiveIntegerField()
    actual_seconds = models.PositiveIntegerField(null=True, blank=True)
    shown_on = models.CharField(max_length=20)

    class Meta:
        verbose_name = _("wait estimate")
        verbose_name_plural = _("wait estimates")
        indexes = [models.Index(fields=["branch", "service", "given_at"])]

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.estimated_seconds}s"


class TicketSequence(models.Model):
    """The last ticket number issued per branch, ticket prefix and day; locked while issuing.

    Services normally have their own prefix, so this is a sequence per service; two services
    sharing a prefix share the sequence, so a ticket number is never issued twice a day.
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE)
    prefix = models.CharField(max_length=3)
    service_day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "prefix", "service_day"], name="ticket_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}/{self.prefix}/{self.service_day}: {self.last_value}"
