"""Search index rows for bulk-loaded messages, subjects and customers.

The rows are the ones `layani reindex` writes (`layani.search.indexing`): the same keys,
kinds and normalised content, so a loaded database searches as if every message had come
through the actions (a test compares the two). Normalising (Sastrawi stemming) is the
expensive part, and loaded texts repeat: a text is a tuple of parts (a script line with
the customer's name, an added detail), and each distinct part is normalised once. Joining
the parts' terms gives the text's terms, because no word spans a space.

A conversation's rows end with its facet values (`FACET_FIELDS` order: status, channel,
purpose, priority, branch, team, assignee), as the actions keep them; customer rows with
None for each.
"""

from collections.abc import Iterable
from datetime import datetime

from layani.conversations.models import Direction
from layani.customers.models import Customer, CustomerIdentity
from layani.language.normalise import normalise_for_index
from layani.search.indexing import (
    DOCUMENT_COLUMNS,
    customer_document,
    message_key,
    subject_key,
)
from layani.search.indexing import document_row as indexed_row
from layani.search.models import DocumentKind

SEARCH_COLUMNS = DOCUMENT_COLUMNS
# Distinct parts kept normalised; parts beyond it (mostly one-off details) are normalised
# each time they occur.
CACHE_LIMIT = 400_000

Row = tuple[object, ...]


class IndexText:
    """Normalised content of texts made of parts, each distinct part normalised once."""

    def __init__(self) -> None:
        self._parts: dict[str, str] = {}

    def content(self, parts: Iterable[str]) -> str:
        cache = self._parts
        terms = []
        for part in parts:
            normalised = cache.get(part)
            if normalised is None:
                normalised = normalise_for_index(part)
                if len(cache) < CACHE_LIMIT:
                    cache[part] = normalised
            if normalised:
                terms.append(normalised)
        return " ".join(terms)

    def message_row(
        self,
        *,
        message_id: int,
        conversation_id: int,
        direction: str,
        parts: Iterable[str],
        created_at: datetime,
        facets: Row,
    ) -> Row | None:
        content = self.content(parts)
        if not content:
            return None
        kind = DocumentKind.NOTE if direction == Direction.NOTE else DocumentKind.MESSAGE
        return (
            message_key(message_id),
            kind,
            message_id,
            conversation_id,
            None,
            created_at,
            content,
            *facets,
        )

    def subject_row(
        self, *, conversation_id: int, subject: str, created_at: datetime, facets: Row
    ) -> Row | None:
        content = self.content((subject,))
        if not content:
            return None
        return (
            subject_key(conversation_id),
            DocumentKind.SUBJECT,
            None,
            conversation_id,
            None,
            created_at,
            content,
            *facets,
        )


def customer_row(customer: Customer, identities: list[CustomerIdentity]) -> Row | None:
    """The customer's index row, built by the search app itself from unsaved objects."""
    document = customer_document(customer, identities)
    return None if document is None else indexed_row(document)
