"""Searching conversations and customers in Indonesian, through the database's full-text index.

A conversation search is given the person's scope (`ConversationScope`, from
`conversations.queries.scope_of`) and the filters they chose; both are applied on the index
rows themselves, which carry the conversation's scope and filter fields
(`layani.search.facets`), so pages stay full and the cost does not depend on how much of
the history lies outside the scope. The conversations of a page are then read through
`conversations_for(scope)` and the filters: the conversation table stays the authority, so
an index row that went stale could hide a conversation but never show one to someone
outside its scope.

How a search runs (two reading queries whatever the data: the ranked ids, then the rows):

1. The terms of the text (`layani.language.normalise.query_terms`) must all match one
   document: a message, an internal note or a conversation subject (AND); the last term may
   be the start of a word while it is being typed (on PostgreSQL, of a common word when it
   starts one: `candidates._QUERY`).
2. Candidates: the newest `CANDIDATE_LIMIT` matching documents inside the scope and filters
   (`layani.search.candidates`, which explains how PostgreSQL finds them).
3. Only the candidates are ranked (PostgreSQL `ts_rank`, SQLite `bm25`), each conversation
   by its best document, ties newest first; pages are offsets into that ranking.

The trade-off of step 2: a common word ("transfer") may match millions of messages, and
ranking all of them would take seconds; ranking only the newest matches keeps a search fast
whatever the size of the history, but an old conversation that matches only common words
ranks among the newest CANDIDATE_LIMIT matches or not at all. More specific words bring it
back, and filters narrow the scope before the cap applies.

On PostgreSQL the statements are prepared, planned once per connection
(`candidates.fetch`).
"""

import re
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from layani.conversations.models import Conversation, Message
from layani.conversations.queries import ConversationScope, conversations_for
from layani.core.errors import InvalidInput
from layani.core.pagination import decode_cursor, encode_cursor
from layani.customers.identities import looks_like_phone, normalise_phone
from layani.customers.models import Customer
from layani.language.normalise import QueryTerms, query_terms, term_spans
from layani.search.candidates import (
    CANDIDATE_LIMIT,
    conversation_candidates,
    customer_candidates,
    fetch,
    scope_sql,
)
from layani.search.facets import index_conditions
from layani.search.filters import ConversationFilters, filter_conversations
from layani.search.indexing import message_text
from layani.search.models import DocumentKind

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# A prefix shorter than this matches too many words to help.
MIN_PREFIX_LENGTH = 2
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


# --- Conversations ----------------------------------------------------------------------------


def search_conversations(
    text: str,
    *,
    scope: ConversationScope,
    filters: ConversationFilters | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> ConversationResults:
    """Conversations inside `scope` passing `filters` with a message, note or subject
    matching every term of `text`, best match first, `limit` per page. Two queries,
    whatever the data. A conversation's reference (`L-12345`) finds that conversation
    when the person may see it (one query more); its number alone (`12345`) lists it first
    on the first page, then the word matches without it."""
    if limit < 1 or limit > MAX_LIMIT:
        raise InvalidInput(
            _("Page size must be between 1 and %(max)s.") % {"max": MAX_LIMIT},
            code="invalid_limit",
            field="limit",
        )
    query = parse_search_text(text)
    filters = filters or ConversationFilters()
    by_reference = _conversation_by_reference(text, scope, filters) if not cursor else None
    bare_number = _bare_number(text)
    if by_reference is not None and bare_number is None:
        return ConversationResults(hits=[by_reference], next_cursor=None)
    offset = 0
    if cursor:
        (offset,) = decode_cursor(cursor, 1)
        if not isinstance(offset, int) or offset < 0 or offset > CANDIDATE_LIMIT:
            raise InvalidInput(_("Invalid cursor."), code="invalid_cursor", field="cursor")
    conditions = index_conditions(scope, filters)
    if not query.terms or conditions.sees_nothing:
        return ConversationResults(hits=[], next_cursor=None)
    candidates, params = conversation_candidates(query, conditions)
    message_table = Message._meta.db_table
    sql = (
        f"WITH candidates AS ({candidates}), "
        "best AS (SELECT conversation_id, kind, message_id, rank, ROW_NUMBER() OVER ("
        "PARTITION BY conversation_id ORDER BY rank DESC, id DESC) AS n FROM candidates), "
        "page AS (SELECT conversation_id, kind, message_id, rank FROM best WHERE n = 1 "
        "ORDER BY rank DESC, conversation_id DESC LIMIT %(page)s OFFSET %(offset)s) "
        "SELECT p.conversation_id, p.kind, p.message_id, p.rank, m.body_text, m.body_html "
        f"FROM page p LEFT JOIN {message_table} m ON m.id = p.message_id "
        "ORDER BY p.rank DESC, p.conversation_id DESC"
    )
    rows = fetch(sql, {**params, "page": limit + 1, "offset": offset})
    has_more = len(rows) > limit
    rows = rows[:limit]
    # The conversation table decides: an index row that went stale hides, never shows.
    base = filter_conversations(conversations_for(None, scope), filters)
    conversations = base.filter(pk__in=[row[0] for row in rows]).select_related(
        "customer", "assignee", "branch"
    )
    by_id = {c.pk: c for c in conversations}
    hits = []
    for conversation_id, kind, message_id, rank, body_text, body_html in rows:
        conversation = by_id.get(conversation_id)
        if conversation is None:  # changed scope between the two queries, or a stale row
            continue
        if conversation_id == bare_number:  # first on the first page, when it may be seen
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
    if by_reference is not None:
        hits.insert(0, by_reference)
    next_cursor = encode_cursor([offset + limit]) if has_more else None
    return ConversationResults(hits=hits, next_cursor=next_cursor)


# A conversation's reference as agents and customers write it: L-12345, #L-12345, l12345;
# or its number alone (12345, #12345), which may as well be an amount or part of a phone
# number: then the conversation comes first and the words are searched too.
_REFERENCE = re.compile(r"^\s*\[?#?(L-?)?(\d{1,12})\]?\s*$", re.IGNORECASE)


def _bare_number(text: str) -> int | None:
    """The number typed without its L, if the text is only that."""
    match = _REFERENCE.match(text)
    return int(match.group(2)) if match is not None and not match.group(1) else None


def _conversation_by_reference(
    text: str, scope: ConversationScope, filters: ConversationFilters
) -> ConversationHit | None:
    """The conversation a reference or a bare number names, when it is in the scope and the
    filters (one query); otherwise None and the text is searched as words."""
    match = _REFERENCE.match(text)
    if match is None:
        return None
    base = filter_conversations(conversations_for(None, scope), filters)
    conversation = (
        base.filter(pk=int(match.group(2))).select_related("customer", "assignee", "branch").first()
    )
    if conversation is None:
        return None
    return ConversationHit(
        conversation=conversation,
        kind=DocumentKind.SUBJECT,
        message_id=None,
        snippet=conversation.subject,
        highlights=[],
        rank=1.0,
    )


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
    scope = scope_sql(base, Customer, "customer_id")
    if not query.terms or scope is None:
        return []
    candidates, params = customer_candidates(query, *scope)
    sql = (
        f"WITH candidates AS ({candidates}) "
        "SELECT customer_id, rank FROM candidates "
        "ORDER BY rank DESC, customer_id DESC LIMIT %(page)s"
    )
    rows = fetch(sql, {**params, "page": limit})
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
