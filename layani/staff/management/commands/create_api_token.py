"""`layani create_api_token USERNAME --name NAME`: issue a bearer token for an integration."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from layani.staff.tokens import issue_token


class Command(BaseCommand):
    help = "Issue an API token for a user. The token is printed once and stored only hashed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the token is for.")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        issued = issue_token(user, name=name)
        self.stdout.write(issued.secret)
