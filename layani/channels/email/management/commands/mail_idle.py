import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from layani.channels.email.imap import IDLE_SECONDS, poll_account, wait_for_mail
from layani.channels.models import AccountKind, ChannelAccount


class Command(BaseCommand):
    help = (
        "Fetch a mailbox's mail as it arrives (IMAP IDLE), polling once on each announcement; "
        "falls back to polling every minute when the server has no IDLE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account", help="the email channel account's key")

    def handle(self, *args: Any, **options: Any) -> None:
        account = ChannelAccount.objects.filter(
            kind=AccountKind.EMAIL, key=options["account"], is_active=True
        ).first()
        if account is None:
            raise CommandError(f"no active email account with key {options['account']!r}")
        while True:
            try:
                result = poll_account(account)
                if result.stored:
                    self.stdout.write(f"stored {result.stored} new mail")
                announced = wait_for_mail(account, IDLE_SECONDS)
            except Exception as exc:  # a dropped connection: wait a little, then again
                self.stderr.write(f"{type(exc).__name__}: {exc}")
                announced = None
            if announced is None:
                time.sleep(60)
