"""Seal every stored channel credential again under the first key of LAYANI_SECRETS_KEYS
(after a key rotation; any listed key still opens what it sealed)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from layani.channels.models import ChannelAccount


class Command(BaseCommand):
    help = "Seal stored channel credentials again under the current key."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for account in ChannelAccount.objects.select_for_update():
                account.save(update_fields=["secrets"])
                count += 1
        self.stdout.write(f"Sealed the credentials of {count} channel accounts again.")
