"""The `layani` console command: Django's management commands with Layani's settings."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layani.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["layani", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
