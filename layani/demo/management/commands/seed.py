"""`layani seed`: load the demo business, or (with --customers/--conversations) bulk data.

    layani seed                                    # the demo bank with four months of history
    layani seed --customers 200000 --conversations 1000000   # benchmark volume
    layani seed --customers 200000 --conversations 1000000 --messages-per-conversation 5

Safe to run again: the demo is loaded once; volume is added on top of what is there.
"""

import random
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from layani.channels.demo import seed_channel_accounts
from layani.demo.bulk_load import analyze, is_postgresql
from layani.demo.business import demo_business_exists
from layani.demo.demo_seed import DEFAULT_SEED, create_base, seed_demo_history
from layani.demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from layani.demo.staff_roster import load_roster
from layani.demo.volume import generate_volume, rows_written
from layani.search.segments import ensure_segments


class Command(BaseCommand):
    help = "Load the demo business (Bank Sentosa Nusantara), or generate bulk benchmark data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=None,
            help="Generate this many customers (benchmark volume).",
        )
        parser.add_argument(
            "--conversations",
            type=int,
            default=None,
            help="Generate this many conversations (benchmark volume).",
        )
        parser.add_argument(
            "--messages-per-conversation",
            type=float,
            default=None,
            help="Average messages per conversation (default: as the demo scripts go, about 3).",
        )
        parser.add_argument(
            "--no-search-index",
            action="store_true",
            help="Volume mode: do not write search index rows (build them later with "
            "`layani reindex`).",
        )
        parser.add_argument(
            "--random-seed",
            type=int,
            default=DEFAULT_SEED,
            help="Seed of the random generator (same seed, same data).",
        )

    def handle(
        self,
        *args: Any,
        customers: int | None,
        conversations: int | None,
        messages_per_conversation: float | None,
        no_search_index: bool,
        random_seed: int,
        **options: Any,
    ) -> None:
        rng = random.Random(random_seed)
        if messages_per_conversation is not None and messages_per_conversation < 1:
            raise CommandError("--messages-per-conversation must be at least 1.")
        if customers is None and conversations is None:
            self._demo(rng, messages_per_conversation)
            return
        if (customers or 0) < 0 or (conversations or 0) < 0:
            raise CommandError("Counts must not be negative.")
        self._volume(
            rng,
            customers or 0,
            conversations or 0,
            messages_per_conversation=messages_per_conversation,
            search_index=not no_search_index,
        )

    def _demo(self, rng: random.Random, messages_per_conversation: float | None) -> None:
        if demo_business_exists():
            self.stdout.write("The demo business is already loaded; nothing to do.")
            return
        started = timezone.now()
        business, roster = create_base(rng)
        counts = seed_demo_history(
            business, roster, rng, messages_per_conversation=messages_per_conversation
        )
        accounts = seed_channel_accounts()
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo business in {seconds:.1f} s: {len(business.branches)} branches, "
                f"{len(business.services)} services, {counts.customers} customers, "
                f"{counts.conversations} conversations ({counts.messages} messages), "
                f"{counts.visits} visits."
            )
        )
        self.stdout.write(
            "Channel accounts (replies go to the outbox; try `layani channel_sample whatsapp`): "
            + ", ".join(f"/channels/{a.kind}/{a.key}/" for a in accounts)
        )
        self.stdout.write(
            f"Sign in with (password {DEMO_PASSWORD}): "
            + ", ".join(username for username, _role, _text in DEMO_LOGINS)
        )

    def _volume(
        self,
        rng: random.Random,
        customers: int,
        conversations: int,
        *,
        messages_per_conversation: float | None,
        search_index: bool,
    ) -> None:
        if not demo_business_exists():
            self.stdout.write("Creating the demo business (branches, services, staff) first.")
            create_base(rng)
        try:
            counts = generate_volume(
                load_roster(),
                customers=customers,
                conversations=conversations,
                rng=rng,
                now=timezone.now(),
                messages_per_conversation=messages_per_conversation,
                search_index=search_index,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if search_index:
            ensure_segments()  # the search index's segments reach the loaded rows
        if counts.indexes_rebuilt:
            self.stdout.write(
                f"Built {counts.indexes_rebuilt} secondary indexes after the load "
                f"(in the {counts.seconds:.1f} s below)."
            )
        analyze_seconds = analyze_tables()
        what = "VACUUM (ANALYZE)" if is_postgresql() else "ANALYZE"
        self.stdout.write(f"{what} of the loaded tables took {analyze_seconds:.1f} s.")
        for name, count in rows_written(counts):
            self.stdout.write(f"  {name:<16} {count:>10,}")
        rate = counts.rows / counts.seconds if counts.seconds else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {counts.rows:,} rows in {counts.seconds:.1f} s ({rate:,.0f} rows/s)."
            )
        )


def analyze_tables() -> float:
    from time import monotonic

    from layani.demo.volume import LOADED_MODELS

    began = monotonic()
    analyze(LOADED_MODELS)
    return monotonic() - began
