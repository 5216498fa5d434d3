"""Building the search index from the tables, in batches (`layani reindex`, the demo seed).

Conversation rows get the conversation's facet fields as they are now (a run also repairs
copies that went stale, e.g. after a team or staff member was deleted). Runs online: each
batch is upserted in its own transaction, so searches keep working while it runs and a
second run changes nothing. Entries whose text no longer yields any term are removed. On
PostgreSQL each new row also updates the GIN index (about 0.15 ms a row); bulk loaders that
write millions of rows drop the indexes, COPY the rows (`DOCUMENT_COLUMNS`, `document_row`)
and create the indexes again, as bench/search_bench.py does.
"""

from collections.abc import Callable, Iterator
from typing import Any

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
from layani.search.models import FACET_FIELDS, SearchDocument
from layani.search.segments import ensure_segments

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


# The conversation's facet fields, read with each message (one join).
_MESSAGE_FACETS = [f"conversation__{name}" for name in FACET_FIELDS]


def index_messages(batch_size: int) -> int:
    def after(last: int) -> list[Any]:
        return list(
            Message.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list(
                "pk",
                "conversation_id",
                "direction",
                "body_text",
                "body_html",
                "created_at",
                *_MESSAGE_FACETS,
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
                facets=dict(zip(FACET_FIELDS, facets, strict=True)),
            )
            for pk, conversation_id, direction, body_text, body_html, created_at, *facets in rows
        ]
        count += _store(documents, [message_key(row[0]) for row in rows])
    return count


def index_subjects(batch_size: int) -> int:
    def after(last: int) -> list[Any]:
        return list(
            Conversation.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "subject", "created_at", *FACET_FIELDS)[:batch_size]
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
                Prefetch(
                    "identities",
                    queryset=CustomerIdentity.objects.only("customer_id", "kind", "value"),
                )
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


def rebuild_index(*, parts: tuple[str, ...] = PARTS, batch_size: int = 2000) -> dict[str, int]:
    """Index every message, subject and customer (or only `parts`); how many of each. Then
    the conversation rows' segment indexes reach the newest rows (`segments.py`)."""
    counts = {part: INDEXERS[part](batch_size) for part in parts}
    ensure_segments()
    return counts
