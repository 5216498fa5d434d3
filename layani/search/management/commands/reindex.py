"""`layani reindex`: (re)build the search index from messages, subjects and customers.

    layani reindex                      # everything, after an install, an import or a seed
    layani reindex --only customers     # one part
    layani reindex --batch-size 5000

Runs online: each batch is upserted in its own transaction, so searches keep working while
it runs and a second run changes nothing. Entries whose text no longer yields any term are
removed.
"""

import time
from collections.abc import Callable, Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Prefetch

from layani.conversations.models import Conversation, Message
from layani.customers.models import Customer, CustomerIdentity
from layani.search.indexing import (
    customer_document,
    customer_key,
    message_document,
    message_key,
    subject_document,
    subject_key,
    upsert_documents,
)
from layani.search.models import SearchDocument

PARTS = ("messages", "subjects", "customers")


def _batches(ids_after: Callable[[int], list[Any]]) -> Iterator[list[Any]]:
    """Batches by ascending primary key: each is one index range scan however far in."""
    last = 0
    while True:
        rows = ids_after(last)
        if not rows:
            return
        yield rows
        last = rows[-1][0] if isinstance(rows[-1], tuple) else rows[-1].pk


def _store(documents: list[SearchDocument | None], keys: list[str]) -> int:
    kept = [d for d in documents if d is not None]
    empty = [key for key, d in zip(keys, documents, strict=True) if d is None]
    with transaction.atomic():
        upsert_documents(kept)
        if empty:
            SearchDocument.objects.filter(key__in=empty).delete()
    return len(kept)


def index_messages(batch_size: int) -> int:
    def after(last: int) -> list[Any]:
        return list(
            Message.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list(
                "pk", "conversation_id", "direction", "body_text", "body_html", "created_at"
            )[:batch_size]
        )

    count = 0
    for rows in _batches(after):
        documents = [
            message_document(
                message_id=pk,
                conversation_id=conversation_id,
                direction=direction,
                body_text=body_text,
                body_html=body_html,
                created_at=created_at,
            )
            for pk, conversation_id, direction, body_text, body_html, created_at in rows
        ]
        count += _store(documents, [message_key(row[0]) for row in rows])
    return count


def index_subjects(batch_size: int) -> int:
    def after(last: int) -> list[Any]:
        return list(
            Conversation.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "subject", "created_at")[:batch_size]
        )

    count = 0
    for conversations in _batches(after):
        documents = [subject_document(c) for c in conversations]
        count += _store(documents, [subject_key(c.pk) for c in conversations])
    return count


def index_customers(batch_size: int) -> int:
    def after(last: int) -> list[Any]:
        return list(
            Customer.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "full_name", "membership_number", "created_at")
            .prefetch_related(
                Prefetch("identities", queryset=CustomerIdentity.objects.only("kind", "value"))
            )[:batch_size]
        )

    count = 0
    for customers in _batches(after):
        documents = [customer_document(c, c.identities.all()) for c in customers]
        count += _store(documents, [customer_key(c.pk) for c in customers])
    return count


INDEXERS: dict[str, Callable[[int], int]] = {
    "messages": index_messages,
    "subjects": index_subjects,
    "customers": index_customers,
}


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
