"""Searching conversations and customers in Indonesian, through the database's full-text index.

The caller passes `base`, a queryset already limited to what the person may see and to the
filters they chose (`conversations_for(user)` plus channel, status...). The text query is
combined with it in SQL, so scope and filters hold and pages stay full.

How a search runs (two queries whatever the data: the ranked ids, then the rows):

1. The terms of the text (`layani.language.normalise.query_terms`) must all match one
   document: a message, an internal note or a conversation subject (AND); the last term may
   be the start of a word while it is being typed.
2. Candidates: the newest `CANDIDATE_LIMIT` matching documents inside the scope, found
   through the full-text index (PostgreSQL GIN over a tsvector, SQLite FTS5).
3. Only the candidates are ranked (PostgreSQL `ts_rank`, SQLite `bm25`), each conversation
   by its best document, ties newest first.

The trade-off of step 2: a common word ("transfer") may match millions of messages, and
ranking all of them would take seconds; ranking only the newest matches keeps a search fast
whatever the size of the history, but an old conversation that matches a common word can
rank below newer ones or fall outside the candidates. More specific words bring it back, and
filters narrow the candidates before the cap applies.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from layani.conversations.models import Conversation, Message
from layani.core.errors import InvalidInput
from layani.core.pagination import decode_cursor, encode_cursor
from layani.customers.identities import looks_like_phone, normalise_phone
from layani.customers.models import Customer
from layani.language.normalise import QueryTerms, query_terms, term_spans
from layani.search.indexing import message_text
from layani.search.models import DocumentKind, SearchDocument

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# A prefix shorter than this matches too many words to help.
MIN_PREFIX_LENGTH = 2
CANDIDATE_LIMIT = 2000
MAX_LIMIT = 100
SNIPPET_LENGTH = 160
SNIPPET_LEAD = 50


@dataclass(frozen=True)
class ConversationHit:
    """A conversation found by a search, with the text that matched best."""

    conversation: Conversation
    kind: str  # DocumentKind: message, note or subject
    message_id: int | None
    snippet: str  # the original text around the first matching word
    highlights: list[tuple[int, int]]  # [start, end) of matching words in `snippet`
    rank: float

    @property
    def kind_label(self) -> str:
        return str(DocumentKind(self.kind).label)


@dataclass(frozen=True)
class ConversationResults:
    hits: list[ConversationHit]
    next_cursor: str | None


@dataclass(frozen=True)
class CustomerHit:
    customer: Customer
    rank: float


def parse_search_text(text: str) -> QueryTerms:
    """The terms of a search box's text; a blank or overlong text is a field error on `q`."""
    if not text.strip():
        raise InvalidInput(_("Type something to search for."), code="required", field="q")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            _("Search text is too long (at most %(max)s characters).") % {"max": MAX_QUERY_LENGTH},
            code="too_long",
            field="q",
        )
    parsed = query_terms(text)
    terms = parsed.terms[:MAX_TERMS]
    prefix = (
        parsed.prefix_last
        and len(terms) == len(parsed.terms)
        and len(terms[-1]) >= MIN_PREFIX_LENGTH
    )
    return QueryTerms(terms, prefix_last=prefix)


# --- SQL pieces per database ------------------------------------------------------------------


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _match_expression(query: QueryTerms) -> str:
    """The text of the full-text match for this database (passed as a parameter)."""
    last = len(query.terms) - 1
    if _is_postgresql():
        parts = []
        for i, term in enumerate(query.terms):
            quoted = "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
            parts.append(quoted + (":*" if i == last and query.prefix_last else ""))
        return " & ".join(parts)
    parts = []
    for i, term in enumerate(query.terms):
        quoted = '"' + term.replace('"', '""') + '"'
        parts.append(quoted + ("*" if i == last and query.prefix_last else ""))
    return " ".join(parts)


def _candidates_sql(scope_column: str, scope_sql: str) -> str:
    """Newest matching documents with their rank: columns id, conversation_id, customer_id,
    kind, message_id, rank. Parameters: match, [scope params], limit."""
    table = SearchDocument._meta.db_table
    scope = f" AND d.{scope_column} IN ({scope_sql})" if scope_sql else ""
    if _is_postgresql():
        # Rank only after the LIMIT: ts_rank reads the whole vector of every row it ranks.
        return (
            "SELECT c.id, c.conversation_id, c.customer_id, c.kind, c.message_id, "
            "ts_rank(c.search_vector, c.query, 1) AS rank FROM ("
            "SELECT d.id, d.conversation_id, d.customer_id, d.kind, d.message_id, "
            "d.search_vector, q.query "
            f"FROM {table} d, to_tsquery('simple', %s) AS q(query) "
            f"WHERE d.search_vector @@ q.query AND d.{scope_column} IS NOT NULL{scope} "
            "ORDER BY d.id DESC LIMIT %s) AS c"
        )
    return (
        "SELECT d.id, d.conversation_id, d.customer_id, d.kind, d.message_id, "
        "-bm25(search_document_fts) AS rank "
        f"FROM search_document_fts JOIN {table} d ON d.id = search_document_fts.rowid "
        f"WHERE search_document_fts MATCH %s AND d.{scope_column} IS NOT NULL{scope} "
        "ORDER BY search_document_fts.rowid DESC LIMIT %s"
    )


def _scope_sql(base: QuerySet[Any], model: type[Model]) -> tuple[str, list[Any]] | None:
    """The SQL of `base`'s ids, "" when `base` is the whole table, None when it is empty."""
    if base.model is not model:
        raise TypeError(f"base must be a queryset of {model.__name__}")
    if base.query.is_sliced:
        raise TypeError("base must not be sliced")
    if base.query.is_empty():
        return None
    if not base.query.where and not base.query.combinator and not base.query.distinct:
        return "", []
    sql, params = base.order_by().values("pk").query.sql_with_params()
    return sql, list(params)


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- Conversations ----------------------------------------------------------------------------


def search_conversations(
    text: str, *, base: QuerySet[Conversation], cursor: str | None = None, limit: int = 50
) -> ConversationResults:
    """Conversations in `base` with a message, note or subject matching every term of
    `text`, best match first, `limit` per page. Two queries, whatever the data."""
    if limit < 1 or limit > MAX_LIMIT:
        raise InvalidInput(
            _("Page size must be between 1 and %(max)s.") % {"max": MAX_LIMIT},
            code="invalid_limit",
            field="limit",
        )
    query = parse_search_text(text)
    offset = 0
    if cursor:
        (offset,) = decode_cursor(cursor, 1)
        if not isinstance(offset, int) or offset < 0 or offset > CANDIDATE_LIMIT:
            raise InvalidInput(_("Invalid cursor."), code="invalid_cursor", field="cursor")
    scope = _scope_sql(base, Conversation)
    if not query.terms or scope is None:
        return ConversationResults(hits=[], next_cursor=None)
    scope_sql, scope_params = scope
    message_table = Message._meta.db_table
    sql = (
        f"WITH candidates AS ({_candidates_sql('conversation_id', scope_sql)}), "
        "best AS (SELECT conversation_id, kind, message_id, rank, ROW_NUMBER() OVER ("
        "PARTITION BY conversation_id ORDER BY rank DESC, id DESC) AS n FROM candidates) "
        "SELECT b.conversation_id, b.kind, b.message_id, b.rank, m.body_text, m.body_html "
        f"FROM best b LEFT JOIN {message_table} m ON m.id = b.message_id "
        "WHERE b.n = 1 ORDER BY b.rank DESC, b.conversation_id DESC LIMIT %s OFFSET %s"
    )
    rows = _fetch(
        sql, [_match_expression(query), *scope_params, CANDIDATE_LIMIT, limit + 1, offset]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    conversations = base.filter(pk__in=[row[0] for row in rows]).select_related(
        "customer", "assignee", "branch"
    )
    by_id = {c.pk: c for c in conversations}
    hits = []
    for conversation_id, kind, message_id, rank, body_text, body_html in rows:
        conversation = by_id.get(conversation_id)
        if conversation is None:  # changed scope between the two queries
            continue
        if kind == DocumentKind.SUBJECT:
            original = conversation.subject
        else:
            original = message_text(body_text or "", body_html or "")
        snippet, highlights = make_snippet(original, query)
        hits.append(
            ConversationHit(
                conversation=conversation,
                kind=kind,
                message_id=message_id,
                snippet=snippet,
                highlights=highlights,
                rank=float(rank),
            )
        )
    next_cursor = encode_cursor([offset + limit]) if has_more else None
    return ConversationResults(hits=hits, next_cursor=next_cursor)


# --- Customers --------------------------------------------------------------------------------


def _customer_query(text: str) -> QueryTerms:
    if looks_like_phone(text):
        try:
            digits = normalise_phone(text).lstrip("+")
        except InvalidInput:
            pass
        else:
            return QueryTerms([digits], prefix_last=False)
    return parse_search_text(text)


def search_customers(text: str, *, base: QuerySet[Customer], limit: int = 10) -> list[CustomerHit]:
    """Customers in `base` whose name, member number, phone, email or channel account
    matches every term of `text`, best first. Two queries, whatever the data."""
    if limit < 1 or limit > MAX_LIMIT:
        raise InvalidInput(
            _("Page size must be between 1 and %(max)s.") % {"max": MAX_LIMIT},
            code="invalid_limit",
            field="limit",
        )
    query = _customer_query(text)
    scope = _scope_sql(base, Customer)
    if not query.terms or scope is None:
        return []
    scope_sql, scope_params = scope
    sql = (
        f"WITH candidates AS ({_candidates_sql('customer_id', scope_sql)}) "
        "SELECT customer_id, rank FROM candidates "
        "ORDER BY rank DESC, customer_id DESC LIMIT %s"
    )
    rows = _fetch(sql, [_match_expression(query), *scope_params, CANDIDATE_LIMIT, limit])
    by_id = base.in_bulk([row[0] for row in rows])
    return [
        CustomerHit(customer=by_id[customer_id], rank=float(rank))
        for customer_id, rank in rows
        if customer_id in by_id
    ]


# --- Snippets ---------------------------------------------------------------------------------


def _matches(term: str, query: QueryTerms) -> bool:
    if term in query.terms:
        return True
    return query.prefix_last and term.startswith(query.terms[-1])


def make_snippet(text: str, query: QueryTerms) -> tuple[str, list[tuple[int, int]]]:
    """About SNIPPET_LENGTH characters of `text` around the first word matching the query,
    and where the matching words are in it. Plain text: the page escapes it."""
    first = next((s.start for s in term_spans(text) if any(_matches(t, query) for t in s.terms)), 0)
    start = 0
    if first > SNIPPET_LEAD:
        space = text.find(" ", first - SNIPPET_LEAD, first)
        start = space + 1 if space != -1 else first - SNIPPET_LEAD
    end = min(len(text), start + SNIPPET_LENGTH)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    snippet = prefix + " ".join(text[start:end].split()) + suffix
    # Found again in the snippet itself, whose spacing was collapsed.
    highlights = [
        (s.start, s.end) for s in term_spans(snippet) if any(_matches(t, query) for t in s.terms)
    ]
    return snippet, highlights
