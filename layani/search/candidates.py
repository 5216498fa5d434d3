"""The SQL that finds a search's candidates: the newest index rows matching every term and
the conditions, at most CANDIDATE_LIMIT, with their rank. One statement per search.

Conversations: the scope and filters are conditions on the index rows themselves (their
copied facet fields, `layani.search.facets`), so no match is checked against the
conversations table; only a tag filter looks at the conversation's tags.

SQLite's FTS5 reads its index in rowid order: newest first, nothing to choose; the
conditions are tested on each match's row.

PostgreSQL's GIN indexes return matches in no useful order, so the newest N cost a heap
visit for every match (~2.5 µs each here); walking the primary key backwards and testing
each row costs ~0.5-1.5 µs a row and stops after N matches. So the statement runs in two
stages:

1. The walk, when the words (and the scope) look common enough, from the statistics ANALYZE
   keeps (`pg_stats.most_common_elems` of `search_vector` and of `facets`):
   - a word's share of rows: its frequency there, or 0 when it is not among them (then it
     is rare); an AND of words: the product of their shares (taken as independent, as
     the filters are: words common alone but rare together, "transfer gagal" in a
     supervisor's scope, no longer walk 5,000 rows in vain; a phrase whose words go
     together is underestimated and found through the small newest segments instead);
   - the scope's share: the sum of its facets' frequencies (any of them, at most 1); each
     filter multiplies it by its facet's frequency (filters taken as independent);
   - share = words' share * scope's share. When share >= sqrt(WALK_COST_RATIO * N / rows),
     rows being the table's or a level-0 segment's, the fewer (the index reads the matches
     of the newest segment, not of the table: where both ways cost the same; at 1M the
     common words in a supervisor's scope no longer walk, "kartu" 10.3 -> 5.8 ms), walk
     the newest rows: 4 * N / share of them, at most
     WALK_MAX_ROWS (the estimate can be wrong by orders of magnitude: words common alone
     and rare together, "dana belum masuk").
2. The segments (`layani.search.segments`), when the walk did not find N: the older rows,
   one id range at a time, newest first, each through its own GIN index over
   `(search_vector, facets)`, which matches the words and the scope together. PostgreSQL
   stops reading segments as soon as N are found, so a search reads about as much as the
   newest page needs. No limit on how far back: a search that answers "nothing found"
   while a match exists is worse than a slow one. The slowest searches are the ones with
   few matches among common words: every segment is read (about 80-130 ms at 1M
   conversations, bench/RESULTS.md).

Customers: the newest N matching customer rows, through segments of their own by customer
id (`segments.CUSTOMERS`), newest first, stopping when N are found.
"""

import re
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL

from layani.conversations.models import Conversation, Tag
from layani.language.normalise import QueryTerms
from layani.search import segments
from layani.search.facets import POOL, IndexConditions
from layani.search.models import SearchDocument
from layani.search.segments import cover, known_segments, segmented_search

CANDIDATE_LIMIT = 200
# PostgreSQL: reading one more row while walking the newest documents costs about a fifth of
# fetching one more match found through the GIN index (measured: ~0.5 vs ~2.5 µs).
WALK_COST_RATIO = 0.2
# The walk reads at most this many of the newest rows (~1.5 µs each with a scope to test);
# the segments take over below it. Measured at 1M conversations: 5,000 kept common words
# fast and stopped mis-estimated walks from reading 200,000 rows (bench/RESULTS.md).
WALK_MAX_ROWS = 5_000

# Server-binding cursors prepare a statement on its own after this many runs; search asks
# for it at once (`prepare=True`). Django's client-binding cursors never prepare.
PREPARE_THRESHOLD = 1_000_000

TABLE = SearchDocument._meta.db_table
COLUMNS = "d.id, d.conversation_id, d.customer_id, d.kind, d.message_id"


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _quoted(term: str) -> str:
    if is_postgresql():
        return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
    return '"' + term.replace('"', '""') + '"'


def match_expression(query: QueryTerms) -> str:
    """The text of the full-text match for this database (passed as a parameter)."""
    last = len(query.terms) - 1
    star = ":*" if is_postgresql() else "*"
    parts = [
        _quoted(term) + (star if i == last and query.prefix_last else "")
        for i, term in enumerate(query.terms)
    ]
    return (" & " if is_postgresql() else " ").join(parts)


def _match_params(query: QueryTerms) -> dict[str, Any]:
    params: dict[str, Any] = {"match": match_expression(query), "limit": CANDIDATE_LIMIT}
    if is_postgresql():
        last = len(query.terms) - 1
        params["terms"] = query.terms
        params["prefixes"] = [query.prefix_last and i == last for i in range(len(query.terms))]
    return params


def _typed_word_params(query: QueryTerms) -> dict[str, Any]:
    """PostgreSQL, conversations: the match split into the whole words and the last one, so
    the statement can widen an unfinished last word to its common completions (`_QUERY`)."""
    return {
        "head": " & ".join(_quoted(term) for term in query.terms[:-1]),
        "last": query.terms[-1],
        "last_quoted": _quoted(query.terms[-1]),
        "typing": query.prefix_last,
    }


def _tag_condition() -> str:
    through = Conversation.tags.through._meta.db_table
    tags = Tag._meta.db_table
    return (
        f" AND EXISTS (SELECT 1 FROM {through} ct JOIN {tags} t ON t.id = ct.tag_id "
        "WHERE ct.conversation_id = d.conversation_id AND t.name = %(tag)s)"
    )


# --- Conversations ----------------------------------------------------------------------------


def conversation_candidates(
    query: QueryTerms, conditions: IndexConditions
) -> tuple[str, dict[str, Any]]:
    """SQL and parameters of the candidates. Columns: id, conversation_id, customer_id,
    kind, message_id, rank."""
    params = _match_params(query)
    if conditions.tag:
        params["tag"] = conditions.tag
    if is_postgresql():
        params.update(_typed_word_params(query))
        return _postgresql_conversations(conditions, params), params
    return _sqlite_conversations(conditions, params), params


def _sqlite_conversations(conditions: IndexConditions, params: dict[str, Any]) -> str:
    def equals(facet_column: str, value: object) -> str:
        name = f"facet_{len(params)}"
        params[name] = value
        return f"d.{facet_column} = %({name})s"

    where = ""
    if conditions.any_of is not None:
        arms = [
            "(d.assignee_id IS NULL AND d.team_id IS NULL)"
            if f.column == POOL
            else equals(f.column, f.value)
            for f in conditions.any_of
        ]
        where += " AND (" + " OR ".join(arms) + ")"
    for f in conditions.all_of:
        where += " AND " + equals(f.column, f.value)
    if conditions.tag:
        where += _tag_condition()
    return (
        f"SELECT {COLUMNS}, -bm25(search_document_fts) AS rank "
        f"FROM search_document_fts JOIN {TABLE} d ON d.id = search_document_fts.rowid "
        f"WHERE search_document_fts MATCH %(match)s AND d.conversation_id IS NOT NULL{where} "
        "ORDER BY search_document_fts.rowid DESC LIMIT %(limit)s"
    )


# The conversation search's `q`, after `stats`. An unfinished last word ("typing") that is a
# common word or the start of one (`most_common_elems` of the statistics) is matched as
# itself or as one of those common words; otherwise as the start of any word.
# GIN finds a word's start by reading every posting list of every word that starts so into
# a bitmap, in each segment, and cannot skip through them as it skips through a whole
# word's: "dana belum masuk" took 6.5 ms per 500,000-id segment with `masuk:*` against
# 1.8 ms with `masuk` (bench/RESULTS.md). The price: while a common word is being typed,
# rarer words that begin with it are not matched; once typed whole, they are.
_QUERY = r"""q AS MATERIALIZED (
    SELECT CASE WHEN %(head)s::text = '' THEN w.last
        ELSE to_tsquery('simple', %(head)s::text) && w.last END AS query
    FROM (
        SELECT CASE
            WHEN NOT %(typing)s THEN to_tsquery('simple', %(last_quoted)s::text)
            WHEN NOT c.common THEN to_tsquery('simple', %(last_quoted)s::text || ':*')
            ELSE to_tsquery('simple', concat_ws(' | ', %(last_quoted)s::text, c.words))
        END AS last
        FROM (
            SELECT bool_or(starts_with(m.e, %(last)s::text)) IS TRUE AS common, string_agg(
                '''' || replace(replace(m.e, '\', '\\'), '''', '''''') || '''', ' | '
            ) FILTER (WHERE m.e <> %(last)s::text) AS words
            FROM stats st, unnest(st.elems) AS m(e)
            WHERE starts_with(m.e, %(last)s::text)
        ) c
    ) w
)"""


def _postgresql_conversations(conditions: IndexConditions, params: dict[str, Any]) -> str:
    # The walk tests the facets with functions, which the planner cannot answer from a GIN
    # index (it would otherwise use one and lose the order); the segments with operators,
    # so each segment's index matches the words and the scope together.
    walk_where = index_where = ""
    if conditions.any_of is not None:
        params["any_of"] = [f.key for f in conditions.any_of]
        walk_where += " AND arrayoverlap(d.facets, %(any_of)s::text[])"
        index_where += " AND d.facets && %(any_of)s::text[]"
    if conditions.all_of:
        params["all_of"] = [f.key for f in conditions.all_of]
        walk_where += " AND arraycontains(d.facets, %(all_of)s::text[])"
        index_where += " AND d.facets @> %(all_of)s::text[]"
    if conditions.tag:
        walk_where += _tag_condition()
        index_where += _tag_condition()
    any_share = (
        "LEAST(1, COALESCE((SELECT sum(m.f) FROM unnest(st.facet_elems, st.facet_freqs) "
        "AS m(e, f) WHERE m.e = ANY(%(any_of)s::text[])), 0))"
        if conditions.any_of is not None
        else "1"
    )
    all_share = (
        "(SELECT exp(sum(ln(GREATEST(COALESCE(m.f, 0), 1e-6)))) FROM unnest(%(all_of)s::text[]) "
        "AS k(e) LEFT JOIN unnest(st.facet_elems, st.facet_freqs) AS m(e, f) ON m.e = k.e)"
        if conditions.all_of
        else "1"
    )
    indexed = segmented_search(COLUMNS, index_where, known_segments())
    # The index reads the matches of the newest segments, not of the whole table.
    newest_segment = segments.LEVELS[0]
    return f"""
WITH stats AS MATERIALIZED (
    SELECT GREATEST(c.reltuples, 1)::float8 AS total,
        s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs AS freqs,
        f.most_common_elems::text::text[] AS facet_elems,
        f.most_common_elem_freqs AS facet_freqs,
        (SELECT max(id) FROM {TABLE}) AS newest
    FROM pg_class c
    LEFT JOIN pg_stats s ON s.schemaname = current_schema()
        AND s.tablename = '{TABLE}' AND s.attname = 'search_vector'
    LEFT JOIN pg_stats f ON f.schemaname = current_schema()
        AND f.tablename = '{TABLE}' AND f.attname = 'facets'
    WHERE c.oid = '{TABLE}'::regclass
),
{_QUERY},
term_share AS (
    SELECT COALESCE((
        SELECT CASE WHEN t.prefix THEN sum(m.f) ELSE max(m.f) END
        FROM unnest(st.elems, st.freqs) AS m(e, f)
        WHERE m.e = t.term OR (t.prefix AND starts_with(m.e, t.term))
    ), 0) AS share
    FROM stats st, unnest(%(terms)s::text[], %(prefixes)s::bool[]) AS t(term, prefix)
),
choice AS MATERIALIZED (
    SELECT p.*,
        p.newest - LEAST(4 * %(limit)s / GREATEST(p.share, p.walk_from), {WALK_MAX_ROWS})::bigint
            AS walk_floor
    FROM (
        SELECT st.total, COALESCE(st.newest, 0) AS newest,
            (SELECT exp(sum(ln(GREATEST(share, 1e-9)))) FROM term_share)
                * {any_share} * {all_share} AS share,
            LEAST(1, sqrt({WALK_COST_RATIO} * %(limit)s / LEAST(st.total, {newest_segment})))
                AS walk_from
        FROM stats st
    ) p
),
walked AS MATERIALIZED (
    SELECT {COLUMNS}, d.search_vector FROM {TABLE} d, q
    WHERE (SELECT share >= walk_from FROM choice)
        AND d.id > (SELECT walk_floor FROM choice)
        AND ts_match_vq(d.search_vector, q.query) AND d.conversation_id IS NOT NULL{walk_where}
    ORDER BY d.id DESC LIMIT %(limit)s
),
indexed AS MATERIALIZED ({indexed})
SELECT c.id, c.conversation_id, c.customer_id, c.kind, c.message_id,
    ts_rank(c.search_vector, q.query, 1) AS rank
FROM (
    SELECT * FROM walked UNION ALL SELECT * FROM indexed ORDER BY id DESC LIMIT %(limit)s
) AS c, q
"""


# --- Customers --------------------------------------------------------------------------------


def customer_candidates(
    query: QueryTerms, scope_sql: str, scope_params: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """SQL and parameters of the newest matching customers. Columns as for conversations."""
    params = {**_match_params(query), **scope_params}
    scope = f" AND {scope_sql}" if scope_sql else ""
    if not is_postgresql():
        return (
            f"SELECT {COLUMNS}, -bm25(search_document_fts) AS rank "
            f"FROM search_document_fts JOIN {TABLE} d ON d.id = search_document_fts.rowid "
            f"WHERE search_document_fts MATCH %(match)s AND d.customer_id IS NOT NULL{scope} "
            "ORDER BY search_document_fts.rowid DESC LIMIT %(limit)s"
        ), params

    # The newest matching customers, segment by segment (`segments.CUSTOMERS`), newest
    # first, stopping when N are found. Each part names its customer id range in constants,
    # so PostgreSQL proves it may use that segment's partial index; `customer_id + 0` keeps
    # it from walking the customer id index instead.
    def part(low: int, high: int | None) -> str:
        upper = f" AND d.customer_id < {high}" if high is not None else ""
        return f"""(
        SELECT {COLUMNS}, d.search_vector FROM {TABLE} d
        WHERE d.customer_id IS NOT NULL AND d.customer_id >= {low}{upper}
            AND d.search_vector @@ (SELECT query FROM q){scope}
        ORDER BY d.customer_id + 0 DESC LIMIT %(limit)s)"""

    ranges = cover(known_segments(segments.CUSTOMERS))
    union = "\n        UNION ALL ".join(part(low, high) for low, high in ranges)
    return (
        f"""
WITH q AS MATERIALIZED (SELECT to_tsquery('simple', %(match)s) AS query),
found AS MATERIALIZED (
    SELECT * FROM ({union}
    ) AS s LIMIT %(limit)s
)
SELECT c.id, c.conversation_id, c.customer_id, c.kind, c.message_id,
    ts_rank(c.search_vector, q.query, 1) AS rank
FROM found c, q
""",
        params,
    )


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


def scope_sql(
    base: QuerySet[Any], model: type[Model], column: str
) -> tuple[str, dict[str, Any]] | None:
    """A condition on the index row `d`: its `column` is one of `base`'s rows.

    "" when `base` is the whole table, None when it is empty. Written as a correlated EXISTS
    that PostgreSQL may not turn into a join (OFFSET 0): each candidate is checked with one
    primary-key lookup, instead of first listing every row of the scope.
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
    fence = " OFFSET 0" if is_postgresql() else ""
    return f"EXISTS ({named}{fence})", names


def fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run a search statement. On PostgreSQL as a prepared statement with a generic plan,
    planned once per connection (connections are pooled, settings.py) instead of at every
    search.

    Planning is what grows with the history: every UNION ALL part of the segmented search
    is checked against every segment's partial index, so the parts times the indexes. At 1M
    conversations that was about 10 ms of a 15 ms statement ("kartu": planning 9.7 ms,
    execution 4.4 ms; 2.8 and 3.0 ms at 10k), bench/RESULTS.md. The statement's text is
    the same for every search of one shape (the words, scope and filters are parameters,
    the choices between walk and segments are made at execution from the statistics), so
    one plan serves them all; a new segment index changes the text and PostgreSQL re-plans
    by itself when an index of the table is created or dropped. (JIT compilation, which
    the generic estimates would trigger at 100-200 ms a time, is off for every connection:
    settings.py.)"""
    with connection.cursor() as cursor:
        if not is_postgresql():
            cursor.execute(sql, params)
            return cursor.fetchall()
        with transaction.atomic():
            cursor.execute("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)")
            return _prepared(sql, params)


def _prepared(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """`sql` through a psycopg cursor that binds on the server and prepares the statement
    (Django's cursors bind on the client, and Django turns psycopg's automatic preparing
    off: `prepare_threshold` None, which also refuses `prepare=True`). Logged like
    Django's own queries when they are being recorded (tests count them)."""
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Only cursors that bind on the server prepare; Django's never do.
        raw.prepare_threshold = PREPARE_THRESHOLD
    began = time.monotonic()
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True)
        rows = cursor.fetchall()
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"EXECUTE (prepared) {sql}", "time": f"{time.monotonic() - began:.3f}"}
        )
    return rows
