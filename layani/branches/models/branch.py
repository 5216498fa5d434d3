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
