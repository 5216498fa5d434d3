from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

NEW_CUSTOMER_DAYS = 90


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")


class MembershipTier(models.TextChoices):
    NONE = "", _("No membership")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")
    PLATINUM = "platinum", _("Platinum")


class Customer(models.Model):
    """One file per person, whatever branch or channel they come through."""

    full_name = models.CharField(_("full name"), max_length=160)
    # Searched with LIKE '%…%' through a trigram index on PostgreSQL (migration 0002).
    # Deliberately no btree index: the planner would walk it in name order to serve
    # ORDER BY and read most of the table for a common first name (see bench/RESULTS.md).
    search_name = models.CharField(max_length=160, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=CustomerStatus.choices, default=CustomerStatus.CUSTOMER
    )
    membership_number = models.CharField(
        _("membership number"), max_length=40, null=True, blank=True, unique=True
    )
    tier = models.CharField(
        _("membership tier"), max_length=20, choices=MembershipTier.choices, blank=True, default=""
    )
    member_since = models.DateField(_("member since"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=5, default="id")
    what_matters = models.TextField(
        _("what matters to this customer"),
        blank=True,
        help_text=_("Their priorities and expectations, shown wherever they are served."),
    )
    what_matters_tags = models.JSONField(_("what matters (tags)"), default=list, blank=True)
    what_matters_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    preferred_staff = models.ForeignKey(
        "staff.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="preferred_by",
        verbose_name=_("preferred staff member"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.full_name

    @property
    def standing(self) -> str:
        """prospect, new or loyal: how staff should read this person at a glance."""
        if self.status == CustomerStatus.PROSPECT:
            return "prospect"
        if self.tier:
            return "loyal"
        if self.created_at and self.created_at > timezone.now() - timedelta(NEW_CUSTOMER_DAYS):
            return "new"
        return "customer"

    @property
    def standing_label(self) -> str:
        """The standing as its badge says it, in the reader's language."""
        standing = self.standing
        if standing == "prospect":
            return gettext("Prospect")
        if standing == "loyal":
            return gettext("Loyal member · %(tier)s") % {"tier": self.get_tier_display()}
        if standing == "new":
            return gettext("New customer")
        return gettext("Customer")


class IdentityKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")


class CustomerIdentity(models.Model):
    """A way to recognise a customer. Each (kind, value) belongs to exactly one customer.

    Values are stored normalised: phone and WhatsApp in E.164, email lower-case.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=254)
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_per_kind")
        ]
        indexes = [models.Index(fields=["customer", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"
