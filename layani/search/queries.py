"""Searching conversations and customers in Indonesian, through the database's full-text index.

The caller passes `base`, a queryset already limited to what the person may see and to the
filters they chose (`conversations_for(user)` plus channel, status...). The text query is
combined with it in SQL, so scope and filters hold and pages stay full.

How a search runs (two reading queries whatever the data: the ranked ids, then the rows):

1. The terms of the text (`layani.language.normalise.query_terms`) must all match one
   document: a message, an internal note or a conversation subject (AND); the last term may
   be the start of a word while it is being typed.
2. Candidates: the newest `CANDIDATE_LIMIT` matching documents inside the scope.
3. Only the candidates are ranked (PostgreSQL `ts_rank`, SQLite `bm25`), each conversation
   by its best document, ties newest first; pages are offsets into that ranking.

The trade-off of step 2: a common word ("transfer") may match millions of messages, and
ranking all of them would take seconds; ranking only the newest matches keeps a search fast
whatever the size of the history, but an old conversation that matches only common words
ranks among the newest CANDIDATE_LIMIT matches or not at all. More specific words bring it
back, and filters narrow the scope before the cap applies.

Finding the newest matches. SQLite's FTS5 reads its index in rowid order: nothing to choose.
PostgreSQL's GIN index returns matches in no useful order, so the newest N cost a heap visit
for every match (~2.5 µs each here); walking the primary key backwards and testing each row
costs ~0.5 µs a row and stops after N matches. Which is cheaper depends on how common the
words are, and the planner's own guess was wrong by orders of magnitude both ways (3 s for a
word in 85 of 6 million documents). So the query decides itself, from the statistics ANALYZE
keeps for the column (`pg_stats.most_common_elems`), in the same statement:

- a word's share of documents: its frequency there, or 0 when it is not among them (then it
  is rare); an AND of words is at most as common as its rarest word;
- share >= sqrt(WALK_COST_RATIO * N / documents) (the point where both ways cost the same;
  0.25 % at 6 million documents): walk the newest documents, at most 4 * N / share of them
  (four times what the share predicts); if the walk found fewer than N and the index holds
  at most FALLBACK_POSTINGS entries for the words, the GIN index looks further back;
- otherwise: the GIN index, every match, newest N kept.

Either way the cost is bounded by about sqrt(N * documents) row visits. The second trade-off:
when the words are common alone but rare together ("dana belum masuk"), or the scope keeps
few of the matches (a supervisor's two branches, a status filter), the walk ends after its
window and older matches are not candidates. Storing the scope columns (branch, team,
assignee) on the index rows would let the index apply the scope itself; not done yet.

JIT compilation is turned off for the statement: the generic estimates
of the branches that do not run are high enough to trigger it, and it costs 100-200 ms.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL
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
CANDIDATE_LIMIT = 200
# PostgreSQL: reading one more row while walking the newest documents costs about a fifth of
# fetching one more match found through the GIN index (measured: ~0.5 vs ~2.5 µs).
WALK_COST_RATIO = 0.2
# PostgreSQL: after a walk that found too few matches (words common alone, rare together),
# the GIN index looks further back only if it has at most this many entries to read for the
# words (~0.5 µs each); otherwise the walk's matches are all the candidates.
FALLBACK_POSTINGS = 100_000
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
    """The newest matching documents (at most CANDIDATE_LIMIT) with their rank.

    Columns: id, conversation_id, customer_id, kind, message_id, rank. Parameters: a dict
    (`_candidate_params`); the scope's own parameters must be named, see `_named`.
    """
    table = SearchDocument._meta.db_table
    scope = f" AND {scope_sql}" if scope_sql else ""
    columns = "d.id, d.conversation_id, d.customer_id, d.kind, d.message_id"
    if not _is_postgresql():
        # FTS5 walks its index in rowid order itself: newest first, whatever the term.
        return (
            f"SELECT {columns}, -bm25(search_document_fts) AS rank "
            f"FROM search_document_fts JOIN {table} d ON d.id = search_document_fts.rowid "
            f"WHERE search_document_fts MATCH %(match)s AND d.{scope_column} IS NOT NULL{scope} "
            "ORDER BY search_document_fts.rowid DESC LIMIT %(limit)s"
        )
    return f"""
WITH q AS MATERIALIZED (SELECT to_tsquery('simple', %(match)s) AS query),
stats AS MATERIALIZED (
    SELECT GREATEST(c.reltuples, 1)::float8 AS total,
        s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs AS freqs,
        (SELECT max(id) FROM {table}) AS newest
    FROM pg_class c LEFT JOIN pg_stats s ON s.schemaname = current_schema()
        AND s.tablename = '{table}' AND s.attname = 'search_vector'
    WHERE c.oid = '{table}'::regclass
),
term_share AS (
    SELECT COALESCE((
        SELECT CASE WHEN t.prefix THEN sum(m.f) ELSE max(m.f) END
        FROM unnest(st.elems, st.freqs) AS m(e, f)
        WHERE m.e = t.term OR (t.prefix AND starts_with(m.e, t.term))
    ), 0) AS share
    FROM stats st, unnest(%(terms)s::text[], %(prefixes)s::bool[]) AS t(term, prefix)
),
choice AS MATERIALIZED (
    SELECT p.*, p.postings <= {FALLBACK_POSTINGS} AS index_affordable,
        p.newest - (4 * %(limit)s / GREATEST(p.share, p.walk_from))::bigint AS walk_floor
    FROM (
        SELECT st.total, COALESCE(st.newest, 0) AS newest,
            (SELECT min(share) FROM term_share) AS share,
            (SELECT sum(share) FROM term_share) * st.total AS postings,
            LEAST(1, sqrt({WALK_COST_RATIO} * %(limit)s / st.total)) AS walk_from
        FROM stats st
    ) p
),
walked AS MATERIALIZED (
    SELECT {columns}, d.search_vector FROM {table} d, q
    WHERE (SELECT share >= walk_from FROM choice)
        AND d.id > (SELECT walk_floor FROM choice)
        AND ts_match_vq(d.search_vector, q.query) AND d.{scope_column} IS NOT NULL{scope}
    ORDER BY d.id DESC LIMIT %(limit)s
),
indexed AS MATERIALIZED (
    SELECT {columns}, d.search_vector FROM {table} d, q
    WHERE (SELECT share < walk_from OR index_affordable FROM choice)
        AND (SELECT count(*) < %(limit)s FROM walked)
        AND d.search_vector @@ q.query AND d.{scope_column} IS NOT NULL{scope}
        AND d.id + 0 <= (SELECT CASE WHEN share >= walk_from THEN walk_floor ELSE newest END
                         FROM choice)
    ORDER BY d.id + 0 DESC LIMIT %(limit)s
)
SELECT c.id, c.conversation_id, c.customer_id, c.kind, c.message_id,
    ts_rank(c.search_vector, q.query, 1) AS rank
FROM (
    SELECT * FROM walked UNION ALL SELECT * FROM indexed ORDER BY id DESC LIMIT %(limit)s
) AS c, q
"""


def _named(sql: str, params: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """Django's positional `%s` placeholders as named ones, so the SQL can be used twice."""
    names: dict[str, Any] = {}

    def name(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%%"
        key = f"scope_{len(names)}"
        names[key] = params[len(names)]
        return f"%({key})s"

    return re.sub(r"%%|%s", name, sql), names


def _scope_sql(
    base: QuerySet[Any], model: type[Model], column: str
) -> tuple[str, dict[str, Any]] | None:
    """A condition on the index row `d`: its `column` is one of `base`'s rows.

    "" when `base` is the whole table, None when it is empty. Written as a correlated EXISTS
    that PostgreSQL may not turn into a join (OFFSET 0): each candidate is checked with one
    primary-key lookup, instead of first listing every row of the scope (a supervisor's scope
    at a million conversations took 300 ms to list).
    """
    if base.model is not model:
        raise TypeError(f"base must be a queryset of {model.__name__}")
    if base.query.is_sliced:
        raise TypeError("base must not be sliced")
    if base.query.is_empty():
        return None
    if not base.query.where and not base.query.combinator and not base.query.distinct:
        return "", {}
    same_row = base.order_by().filter(pk=RawSQL(f"d.{column}", ())).values("pk")
    sql, params = same_row.query.sql_with_params()
    named, names = _named(sql, params)
    fence = " OFFSET 0" if _is_postgresql() else ""
    return f"EXISTS ({named}{fence})", names


def _candidate_params(query: QueryTerms) -> dict[str, Any]:
    params: dict[str, Any] = {"match": _match_expression(query), "limit": CANDIDATE_LIMIT}
    if _is_postgresql():
        last = len(query.terms) - 1
        params["terms"] = query.terms
        params["prefixes"] = [query.prefix_last and i == last for i in range(len(query.terms))]
    return params


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        if not _is_postgresql():
            cursor.execute(sql, params)
            return cursor.fetchall()
        # The planner's generic estimates for this query are high enough to trigger JIT
        # compilation, which costs 100-200 ms to save a few: off for this transaction.
        with transaction.atomic():
            cursor.execute("SET LOCAL jit = off")
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
    scope = _scope_sql(base, Conversation, "conversation_id")
    if not query.terms or scope is None:
        return ConversationResults(hits=[], next_cursor=None)
    scope_sql, scope_params = scope
    message_table = Message._meta.db_table
    sql = (
        f"WITH candidates AS ({_candidates_sql('conversation_id', scope_sql)}), "
        "best AS (SELECT conversation_id, kind, message_id, rank, ROW_NUMBER() OVER ("
        "PARTITION BY conversation_id ORDER BY rank DESC, id DESC) AS n FROM candidates), "
        "page AS (SELECT conversation_id, kind, message_id, rank FROM best WHERE n = 1 "
        "ORDER BY rank DESC, conversation_id DESC LIMIT %(page)s OFFSET %(offset)s) "
        "SELECT p.conversation_id, p.kind, p.message_id, p.rank, m.body_text, m.body_html "
        f"FROM page p LEFT JOIN {message_table} m ON m.id = p.message_id "
        "ORDER BY p.rank DESC, p.conversation_id DESC"
    )
    rows = _fetch(
        sql, {**_candidate_params(query), **scope_params, "page": limit + 1, "offset": offset}
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
    scope = _scope_sql(base, Customer, "customer_id")
    if not query.terms or scope is None:
        return []
    scope_sql, scope_params = scope
    sql = (
        f"WITH candidates AS ({_candidates_sql('customer_id', scope_sql)}) "
        "SELECT customer_id, rank FROM candidates "
        "ORDER BY rank DESC, customer_id DESC LIMIT %(page)s"
    )
    rows = _fetch(sql, {**_candidate_params(query), **scope_params, "page": limit})
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
