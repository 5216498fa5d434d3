import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from layani.core.choices import Purpose
from layani.core.formatting import INDONESIAN_TIMEZONES


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone: %(zone)s"), params={"zone": value}) from exc


class Branch(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    address = models.TextField(_("address"), blank=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=40,
        default="Asia/Jakarta",
        choices=INDONESIAN_TIMEZONES,
        validators=[validate_timezone],
    )
    services: "models.ManyToManyField[Service, Any]" = models.ManyToManyField(
        "Service", blank=True, related_name="branches", verbose_name=_("services")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """One opening period of a branch on a weekday, in the branch's own time zone.

    A day with no row is closed; a day may have two rows (e.g. around Friday prayers).
    """

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["branch", "weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="opening_hours_closes_after_opens",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H.%M}-{self.closes_at:%H.%M}"

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("Closing time must be after opening time.")})


class Service(models.Model):
    """A configurable service under one of the four purposes, e.g. "Ganti kartu" (routine)."""

    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    ticket_prefix = models.CharField(
        _("ticket prefix"),
        max_length=3,
        help_text=_("Letters before the ticket number, e.g. B for B017."),
    )
    default_handling_minutes = models.PositiveSmallIntegerField(
        _("default handling time (minutes)"), default=10
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["purpose", "sort_order", "name_id"]

    def __str__(self) -> str:
        return self.name_id

    def clean(self) -> None:
        if self.ticket_prefix and not self.ticket_prefix.isalpha():
            raise ValidationError({"ticket_prefix": _("Use letters only.")})
        self.ticket_prefix = (self.ticket_prefix or "").upper()

    def name_in(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_id


class VisitStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    SERVING = "serving", _("Being served")
    DONE = "done", _("Done")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


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
    note = models.TextField(_("visitor's note"), blank=True)
    served_by = models.ForeignKey(
        "staff.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="served_visits",
        verbose_name=_("served by"),
    )
    checked_in_at = models.DateTimeField(_("checked in at"))
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    serving_started_at = models.DateTimeField(_("service started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome_note = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "service", "service_day", "ticket_sequence"],
                name="visit_ticket_unique_per_day",
            )
        ]
        indexes = [
            models.Index(fields=["branch", "status", "checked_in_at"]),
            models.Index(fields=["customer", "-checked_in_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number} ({self.branch.code})"


class TicketSequence(models.Model):
    """The last ticket number issued per branch, service and day; locked while issuing."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE)
    service = models.ForeignKey(Service, on_delete=models.CASCADE)
    service_day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "service", "service_day"], name="ticket_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}/{self.service_id}/{self.service_day}: {self.last_value}"
