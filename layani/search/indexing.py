"""Keeping the search index up to date. Each function is one statement in the caller's
transaction, so a message and its index entry commit or roll back together.

The conversation and customer actions call these right after they write:

    message = Message.objects.create(...)
    index_message(message)

A conversation's rows carry copies of its scope and filter fields (`FACET_FIELDS`); the
conversation actions' one `save()` calls `sync_conversation_documents` after it writes, so
the copies change in the same transaction as the conversation.

`layani reindex` (re)builds the whole index from the tables with `documents_for_messages` and
friends, in batches.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.utils.html import strip_tags

from layani.conversations.models import Conversation, Direction, Message
from layani.customers.models import Customer, CustomerIdentity, IdentityKind
from layani.language.normalise import normalise_for_index, plain_words
from layani.search.models import FACET_FIELDS, DocumentKind, SearchDocument

# About 15,000 words: PostgreSQL keeps word positions up to 16,383 and a tsvector under 1 MB.
MAX_CONTENT_LENGTH = 100_000

_UPSERT_FIELDS = [
    "kind",
    "message",
    "conversation",
    "customer",
    "created_at",
    "content",
    *FACET_FIELDS,
]

Facets = Mapping[str, object]


def message_key(message_id: int) -> str:
    return f"m:{message_id}"


def subject_key(conversation_id: int) -> str:
    return f"s:{conversation_id}"


def customer_key(customer_id: int) -> str:
    return f"c:{customer_id}"


def _bounded(content: str) -> str:
    if len(content) <= MAX_CONTENT_LENGTH:
        return content
    return content[:MAX_CONTENT_LENGTH].rsplit(" ", 1)[0]


def message_text(body_text: str, body_html: str) -> str:
    """What a message says: its text, or the text of its (sanitised) HTML when it has none."""
    return body_text if body_text.strip() else strip_tags(body_html)


def conversation_facets(conversation: Conversation) -> dict[str, object]:
    """The conversation's values of the fields copied onto its index rows."""
    return {name: getattr(conversation, name) for name in FACET_FIELDS}


def message_document(
    *,
    message_id: int,
    conversation_id: int,
    direction: str,
    body_text: str,
    body_html: str,
    created_at: datetime,
    facets: Facets,
) -> SearchDocument | None:
    content = _bounded(normalise_for_index(message_text(body_text, body_html)))
    if not content:
        return None
    return SearchDocument(
        key=message_key(message_id),
        kind=DocumentKind.NOTE if direction == Direction.NOTE else DocumentKind.MESSAGE,
        message_id=message_id,
        conversation_id=conversation_id,
        created_at=created_at,
        content=content,
        **facets,
    )


def subject_document(conversation: Conversation) -> SearchDocument | None:
    content = _bounded(normalise_for_index(conversation.subject))
    if not content:
        return None
    return SearchDocument(
        key=subject_key(conversation.pk),
        kind=DocumentKind.SUBJECT,
        conversation_id=conversation.pk,
        created_at=conversation.created_at,
        content=content,
        **conversation_facets(conversation),
    )


def _identity_words(identity: CustomerIdentity) -> list[str]:
    if identity.kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
        digits = "".join(c for c in identity.value if c.isdigit())
        words = [digits]
        if digits.startswith("62"):
            words.append("0" + digits[2:])  # as Indonesians write it: 0812...
        return words
    return plain_words(identity.value)


def customer_document(
    customer: Customer, identities: Iterable[CustomerIdentity]
) -> SearchDocument | None:
    """Name (normalised and as written), member number and every identity as written."""
    words = normalise_for_index(customer.full_name).split()
    words += plain_words(customer.full_name)
    words += plain_words(customer.membership_number or "")
    for identity in identities:
        words += _identity_words(identity)
    content = _bounded(" ".join(dict.fromkeys(w for w in words if w)))
    if not content:
        return None
    return SearchDocument(
        key=customer_key(customer.pk),
        kind=DocumentKind.CUSTOMER,
        customer_id=customer.pk,
        created_at=customer.created_at,
        content=content,
    )


# For bulk loaders (`layani.demo.bulk_load.write_rows`): the columns and one row's values.
DOCUMENT_COLUMNS = (
    "key",
    "kind",
    "message_id",
    "conversation_id",
    "customer_id",
    "created_at",
    "content",
    *FACET_FIELDS,
)


def document_row(document: SearchDocument) -> tuple[object, ...]:
    return (
        document.key,
        document.kind,
        document.message_id,
        document.conversation_id,
        document.customer_id,
        document.created_at,
        document.content,
        *(getattr(document, name) for name in FACET_FIELDS),
    )


def upsert_documents(documents: list[SearchDocument]) -> None:
    """Insert the documents, replacing any with the same key (one statement)."""
    if documents:
        SearchDocument.objects.bulk_create(
            documents, update_conflicts=True, unique_fields=["key"], update_fields=_UPSERT_FIELDS
        )


def _replace(key: str, document: SearchDocument | None) -> None:
    if document is None:
        SearchDocument.objects.filter(key=key).delete()
    else:
        upsert_documents([document])


def index_message(message: Message) -> None:
    """Index (or re-index) one message or internal note, with its conversation's facets
    (no query when the message was created with its conversation object)."""
    _replace(message_key(message.pk), document_of_message(message))


def document_of_message(message: Message) -> SearchDocument | None:
    """The index row of a saved message, with its conversation's facets (unsaved)."""
    return message_document(
        message_id=message.pk,
        conversation_id=message.conversation_id,
        direction=message.direction,
        body_text=message.body_text,
        body_html=message.body_html,
        created_at=message.created_at,
        facets=conversation_facets(message.conversation),
    )


def index_conversation(conversation: Conversation) -> None:
    """Index (or re-index) a conversation's subject; a blank subject leaves the index."""
    _replace(subject_key(conversation.pk), subject_document(conversation))


def index_customer(customer: Customer) -> None:
    """Index (or re-index) a customer's name, member number and identities.

    Reads the identities (one query, none when they are prefetched) and writes one row.
    """
    _replace(customer_key(customer.pk), customer_document(customer, customer.identities.all()))


def sync_conversation_documents(conversation: Conversation, fields: Iterable[str]) -> int:
    """After `conversation` was saved with `fields`: when any of them is copied onto its
    index rows, give the rows that differ the conversation's values (one UPDATE; none when
    no copied field was saved). Returns how many rows changed.

    Only differing rows are written: on PostgreSQL each written row goes into the GIN index
    again with all its words (about 0.15 ms a row).
    """
    names = set(fields)
    saved = names | {f"{name}_id" for name in names}  # "assignee" saves "assignee_id"
    if not saved.intersection(FACET_FIELDS):
        return 0
    facets = conversation_facets(conversation)
    return (
        SearchDocument.objects.filter(conversation_id=conversation.pk)
        .exclude(**facets)
        .update(**facets)
    )


def move_conversation_documents(source_conversation_id: int, target: Conversation) -> int:
    """After a merge: everything found in the source conversation now leads to the target,
    scoped and filtered as the target. Returns how many index rows moved.
    """
    return SearchDocument.objects.filter(conversation_id=source_conversation_id).update(
        conversation_id=target.pk, **conversation_facets(target)
    )


def remove_for_message(message_id: int) -> None:
    SearchDocument.objects.filter(key=message_key(message_id)).delete()


def remove_for_customer(customer_id: int) -> None:
    SearchDocument.objects.filter(key=customer_key(customer_id)).delete()
