"""Outgoing webhooks: where events go (endpoints) and each attempt to get one there (deliveries).

A delivery row is written in the same transaction as the change it reports, so a committed
event is never lost and a rolled-back one is never sent. The worker sends it later.
"""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layani.core.sealed import SealedTextField

ALL_EVENTS = "*"
PING_EVENT = "ping"
DEFAULT_FAILURE_LIMIT = 5


class WebhookEvent(models.TextChoices):
    """The events an endpoint can subscribe to (or "*" for all of them)."""

    CONVERSATION_CREATED = "conversation.created", _("Conversation created")
    CONVERSATION_UPDATED = "conversation.updated", _("Conversation updated")
    MESSAGE_CREATED = "message.created", _("Message created")
    MESSAGE_UPDATED = "message.updated", _("Message delivery status changed")


validate_webhook_url = URLValidator(schemes=["http", "https"])


def subscribes(events: object, event: str) -> bool:
    """Whether an endpoint's `events` list takes `event`."""
    return isinstance(events, list) and (ALL_EVENTS in events or event in events)


class WebhookEndpoint(models.Model):
    """An address outside Layani that receives signed event notifications."""

    name = models.CharField(_("name"), max_length=120)
    url = models.CharField(_("URL"), max_length=500, validators=[validate_webhook_url])
    # A shared secret, needed as is to sign every request: stored sealed (core/sealed.py),
    # so a database dump alone does not let anyone forge our requests.
    secret = SealedTextField(_("signing secret"), editable=False)
    # The secret before the last rotation still signs requests until this time, so a
    # receiver can switch to the new secret without rejecting anything in between.
    previous_secret = SealedTextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    events = models.JSONField(
        _("events"),
        default=list,
        help_text=_('Event names this endpoint receives, or ["*"] for every event.'),
    )
    is_active = models.BooleanField(_("active"), default=True)
    failure_limit = models.PositiveSmallIntegerField(
        _("disable after failed deliveries"),
        default=DEFAULT_FAILURE_LIMIT,
        help_text=_(
            "The endpoint is switched off after this many deliveries in a row fail "
            "(after all their retries). 0 never switches it off."
        ),
    )
    consecutive_failures = models.PositiveIntegerField(
        _("failed deliveries in a row"), default=0, editable=False
    )
    last_success_at = models.DateTimeField(_("last delivered"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failed attempt"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("switched off at"), null=True, blank=True)
    disabled_reason = models.CharField(_("switched off because"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    secret_rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def subscribes_to(self, event: str) -> bool:
        return subscribes(self.events, event)

    def signing_secrets(self, now) -> list[str]:
        """The current secret, and the previous one while its grace period lasts."""
        secrets = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at is not None
            and self.previous_secret_expires_at > now
        ):
            secrets.append(self.previous_secret)
        return secrets


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event on its way to one endpoint, with the outcome of its last attempt."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
        db_index=False,  # the (endpoint, -id) index below starts with it
    )
    event = models.CharField(_("event"), max_length=60)
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4, editable=False)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When a pending delivery is due. While an attempt is in flight it holds the end of that
    # attempt's lease, so no other worker picks the delivery up.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("last duration (ms)"), null=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
