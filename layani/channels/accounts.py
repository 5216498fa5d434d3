"""The account behind a webhook address, kept in process memory for a few seconds.

Every webhook needs its account (the secret that verifies it) before anything else, and
accounts change a few times a year; a query per webhook was a quarter of the intake's
time. Each process keeps what it looked up for `MAX_AGE_SECONDS`; a save or delete of an
account in this process forgets it at once (model signals: cache invalidation, not
business flow). In other processes a new secret or a deactivation applies within
`MAX_AGE_SECONDS`: a provider signing with a rotated secret meanwhile gets 403 and
delivers again later, as providers do, and nothing is lost.
"""

from typing import Any

from django.db.models.signals import post_delete, post_save

from layani.channels.models import ChannelAccount
from layani.core.process_cache import ProcessCache

MAX_AGE_SECONDS = 10.0

_accounts: ProcessCache[ChannelAccount | None] = ProcessCache(MAX_AGE_SECONDS)


def active_account(kind: str, key: str) -> ChannelAccount | None:
    """The active account of this kind at this webhook key, or None."""
    return _accounts.get(
        (kind, key),
        lambda: ChannelAccount.objects.filter(kind=kind, key=key, is_active=True).first(),
    )


def forget_all() -> None:
    _accounts.clear()


def _changed(sender: Any, instance: ChannelAccount, **kwargs: Any) -> None:
    forget_all()


def connect_invalidation() -> None:
    post_save.connect(_changed, sender=ChannelAccount, dispatch_uid="channel-account-save")
    post_delete.connect(_changed, sender=ChannelAccount, dispatch_uid="channel-account-delete")
