"""Where IMAP polling of a mailbox stands: the folder's UIDVALIDITY and the highest UID
stored. Written only after the mails up to that UID are stored (`intake.store_raw`), so a
poll cut short fetches them again and the idempotency key drops the repeats."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MailboxPollState(models.Model):
    account = models.OneToOneField(
        "layani_channels.ChannelAccount",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("account"),
    )
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    uid_validity = models.BigIntegerField(_("UIDVALIDITY"), default=0)
    last_uid = models.BigIntegerField(_("last stored UID"), default=0)
    polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mailbox poll state")
        verbose_name_plural = _("mailbox poll states")

    def __str__(self) -> str:
        return f"{self.account_id} {self.folder} uid>{self.last_uid}"
