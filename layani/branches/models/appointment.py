import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from layani.branches.models.branch import Branch, Service


def new_reference() -> str:
    return secrets.token_hex(3).upper()


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    CANCELLED = "cancelled", _("Cancelled")


class Appointment(models.Model):
    """A booked slot for a service at a branch."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    name = models.CharField(_("name"), max_length=160)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    reference = models.CharField(
        _("booking code"), max_length=12, unique=True, default=new_reference
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [models.Index(fields=["branch", "service", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.starts_at:%Y-%m-%d %H:%M}"
