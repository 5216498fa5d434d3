"""Channel accounts (a mailbox, a WhatsApp number, a bot...) and the raw inbound record.

An `InboundRecord` is written, with its idempotency key, in the transaction that answers
the provider 2xx; a provider retry or a double POST finds the same key and stores nothing
new. The worker turns a record into domain events; a record that cannot be parsed stays,
marked with the reason, and can be reprocessed after a fix.
"""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layani.core.choices import Channel
from layani.core.sealed import SealedJSONField


class AccountKind(models.TextChoices):
    EMAIL = "email", _("Email mailbox")
    WHATSAPP = "whatsapp", _("WhatsApp Cloud API")
    MESSENGER = "messenger", _("Facebook Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    TELEGRAM = "telegram", _("Telegram bot")
    CTI = "cti", _("Phone system (CTI webhook)")
    TWILIO = "twilio", _("Twilio voice")
    WEBCHAT = "webchat", _("Web chat widget")


# The conversation channel each kind of account speaks for.
CHANNEL_OF_KIND: dict[str, str] = {
    AccountKind.EMAIL: Channel.EMAIL,
    AccountKind.WHATSAPP: Channel.WHATSAPP,
    AccountKind.MESSENGER: Channel.MESSENGER,
    AccountKind.INSTAGRAM: Channel.INSTAGRAM,
    AccountKind.TELEGRAM: Channel.TELEGRAM,
    AccountKind.CTI: Channel.PHONE,
    AccountKind.TWILIO: Channel.PHONE,
    AccountKind.WEBCHAT: Channel.WEBCHAT,
}


def new_account_key() -> str:
    return secrets.token_urlsafe(12)


class ChannelAccount(models.Model):
    """One configured endpoint of a channel. `key` names it in its webhook address
    (`/channels/<kind>/<key>/`); `settings` holds what an admin sets (addresses, ids,
    auto-acknowledgement), `secrets` the credentials (tokens, app secret, passwords)."""

    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    name = models.CharField(_("name"), max_length=120)
    key = models.SlugField(_("webhook key"), max_length=40, unique=True, default=new_account_key)
    is_active = models.BooleanField(_("active"), default=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    # Sealed in the database (`core.sealed`): a dump or backup alone gives no tokens away.
    secrets = SealedJSONField(_("credentials"), default=dict, blank=True)
    team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    branch = models.ForeignKey(
        "branches.Branch",
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    @property
    def channel(self) -> str:
        return CHANNEL_OF_KIND[self.kind]

    def setting(self, name: str, default: object = None) -> object:
        return (self.settings or {}).get(name, default)

    def secret(self, name: str) -> str:
        value = (self.secrets or {}).get(name, "")
        return value if isinstance(value, str) else ""


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Could not be processed")


class InboundRecord(models.Model):
    """A request from a provider exactly as it came (body bytes and the headers we need)."""

    account = models.ForeignKey(
        ChannelAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=255)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"))
    status = models.CharField(
        _("status"), max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    reason = models.TextField(_("reason"), blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    # Replays of the same request (provider retries, double POSTs) counted, not stored.
    duplicates = models.PositiveIntegerField(_("repeated deliveries"), default=0)

    class Meta:
        verbose_name = _("inbound record")
        verbose_name_plural = _("inbound records")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"], name="inbound_once_per_account"
            )
        ]
        indexes = [
            # The sweep reads only what still waits.
            models.Index(
                fields=["received_at"],
                condition=models.Q(status="received"),
                name="inbound_waiting",
            ),
            models.Index(
                fields=["status", "received_at"],
                condition=models.Q(status="failed"),
                name="inbound_failed",
            ),
            # A drain takes the oldest waiting records by id (`batch.drain`).
            models.Index(
                fields=["id"], condition=models.Q(status="received"), name="inbound_waiting_by_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.idempotency_key}"

    def body_bytes(self) -> bytes:
        return bytes(self.body)
