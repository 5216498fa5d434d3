"""A web chat visitor: an anonymous browser, recognised again by a signed token it keeps,
linked to the customer their messages go to (created without an identity while anonymous;
the customer found or recorded by email/phone once they say who they are)."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_public_id() -> str:
    return secrets.token_urlsafe(16)


class WebchatVisitor(models.Model):
    account = models.ForeignKey(
        "layani_channels.ChannelAccount",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    public_id = models.CharField(_("visitor id"), max_length=40, unique=True, default=new_public_id)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("web chat visitor")
        verbose_name_plural = _("web chat visitors")
        indexes = [models.Index(fields=["customer", "account"], name="webchat_visitor_customer")]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or self.public_id

    @property
    def group(self) -> str:
        """The realtime group of this visitor's open widgets."""
        return f"webchat-visitor-{self.pk}"
