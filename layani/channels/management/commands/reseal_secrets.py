"""Seal every stored channel credential and webhook signing secret again under the first key
of LAYANI_SECRETS_KEYS (after a key rotation; any listed key still opens what it sealed)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from layani.channels.models import ChannelAccount
from layani.webhooks.models import WebhookEndpoint


class Command(BaseCommand):
    help = "Seal stored channel credentials and webhook secrets again under the current key."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for account in ChannelAccount.objects.select_for_update():
                account.save(update_fields=["secrets"])
                count += 1
            endpoints = 0
            for endpoint in WebhookEndpoint.objects.select_for_update():
                endpoint.save(update_fields=["secret", "previous_secret"])
                endpoints += 1
        self.stdout.write(
            f"Sealed the credentials of {count} channel accounts and the secrets of "
            f"{endpoints} webhook endpoints again."
        )
