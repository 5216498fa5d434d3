"""`layani demo_logins`: print the demo business's sign-ins (after `layani seed`)."""

from typing import Any

from django.core.management.base import BaseCommand

from layani.demo.logins import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the demo sign-ins created by `layani seed`."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for username, role, description in DEMO_LOGINS:
            self.stdout.write(f"  {username:<12} {role:<13} {description}")
