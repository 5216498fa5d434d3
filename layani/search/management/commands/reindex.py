"""`layani reindex`: (re)build the search index from messages, subjects and customers.

    layani reindex                      # everything, after an install, an import or a seed
    layani reindex --only customers     # one part
    layani reindex --batch-size 5000

Online and repeatable: see `layani.search.rebuild`.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from layani.search.rebuild import INDEXERS, PARTS
from layani.search.segments import ensure_segments


class Command(BaseCommand):
    help = "Build or rebuild the search index from messages, subjects and customers."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--only", choices=PARTS, action="append", help="Index only this part (repeatable)."
        )
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, only: list[str] | None, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        for part in only or PARTS:
            began = time.monotonic()
            count = INDEXERS[part](batch_size)
            self.stdout.write(f"{part}: {count} indexed in {time.monotonic() - began:.1f} s")
        created = ensure_segments()
        if created:
            self.stdout.write(f"search segments created: {', '.join(s.name for s in created)}")
