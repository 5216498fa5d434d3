"""PostgreSQL's full-text index of conversation rows, cut into segments of ids.

The newest page of matches is what a search needs. One GIN index over every conversation
row answers "which rows match" in no useful order, so finding the newest 200 matches of
common words meant reading every match of them, and words common alone but rare together
("dana belum masuk") meant reading all of their rows' lists: hundreds of ms at 1M
conversations (bench/RESULTS.md).

So the rows are cut by id into segments of SEGMENT_ROWS, each with its own partial GIN
index over `(search_vector, facets)`:

    CREATE INDEX search_document_segment_<n> ON search_searchdocument
        USING gin (search_vector, facets) WHERE conversation_id IS NOT NULL
        AND id >= <n * SEGMENT_ROWS> AND id < <(n + 1) * SEGMENT_ROWS>

Ids grow with time, so the segments are the history in slices, newest last. A search asks
the newest segment first and the next older one only while the page is not full
(`candidates.py`: one statement, a UNION ALL whose parts PostgreSQL runs in turn and stops
after the limit). A segment's index holds only its own rows, so each part reads only its
share of the words' lists: a search stops as soon as it has a page, and a search whose
matches are few reads about what the one index read, never more than once.

Segments are created ahead of the rows (`ensure_segments`, AHEAD of them beyond the newest
id): by migration `search.0005`, by `layani reindex`, and every ten minutes by the worker
(`tasks.py`). An empty partial index costs nothing. Should the rows outrun them anyway (a
huge import between two runs), the rows above the last segment are still searched, by a
part without an index of its own: slower, never wrong. A new message is written into
exactly one segment's index, as it was into the one index before.

Which segments exist is read from the catalogue at most once every CATALOGUE_SECONDS per
process; a stale answer only makes the newest rows' part slower, never misses a row.
"""

from typing import Any

from django.db import connection

from layani.core.process_cache import ProcessCache
from layani.search.models import SearchDocument

TABLE = SearchDocument._meta.db_table
SEGMENT_ROWS = 500_000
AHEAD = 2
PREFIX = "search_document_segment_"
CATALOGUE_SECONDS = 60.0

# connection alias -> the segment numbers with a valid index, ascending
_known: ProcessCache[tuple[int, ...]] = ProcessCache(CATALOGUE_SECONDS)


def index_name(number: int) -> str:
    return f"{PREFIX}{number}"


def bounds(number: int) -> tuple[int, int]:
    """The ids of segment `number`: [low, high)."""
    return number * SEGMENT_ROWS, (number + 1) * SEGMENT_ROWS


def create_statement(number: int, *, concurrently: bool) -> str:
    low, high = bounds(number)
    how = "CONCURRENTLY " if concurrently else ""
    return (
        f"CREATE INDEX {how}IF NOT EXISTS {index_name(number)} ON {TABLE} "
        "USING gin (search_vector, facets) WITH (fastupdate = off) "
        f"WHERE conversation_id IS NOT NULL AND id >= {low} AND id < {high}"
    )


def _catalogue(cursor: Any) -> dict[int, bool]:
    """Segment number -> whether its index is valid, as the catalogue says now."""
    cursor.execute(
        "SELECT c.relname, i.indisvalid AND i.indisready FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND c.relname LIKE %s",
        [TABLE, PREFIX.replace("_", r"\_") + "%"],
    )
    found = {}
    for name, valid in cursor.fetchall():
        suffix = name[len(PREFIX) :]
        if suffix.isdigit():
            found[int(suffix)] = bool(valid)
    return found


def ensure_segments(*, concurrently: bool | None = None) -> list[int]:
    """Create the missing segment indexes, up to AHEAD segments beyond the newest id; the
    numbers created. PostgreSQL only. Built CONCURRENTLY (new messages keep arriving)
    unless inside a transaction, where PostgreSQL does not allow it (a test, a migration
    run atomically)."""
    if connection.vendor != "postgresql":
        return []
    if concurrently is None:
        concurrently = not connection.in_atomic_block
    how = "CONCURRENTLY " if concurrently else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {TABLE}")
        newest = cursor.fetchone()[0]
        known = _catalogue(cursor)
        created = []
        for number in range(newest // SEGMENT_ROWS + AHEAD + 1):
            if known.get(number):
                continue
            if number in known:  # a concurrent build that failed leaves an invalid index
                cursor.execute(f"DROP INDEX {how}{index_name(number)}")
            cursor.execute(create_statement(number, concurrently=concurrently))
            created.append(number)
    forget_segments()
    return created


def drop_segments() -> None:
    """Drop every segment index (bulk loads, going back a migration, tests)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for number in _catalogue(cursor):
            cursor.execute(f"DROP INDEX IF EXISTS {index_name(number)}")
    forget_segments()


def known_segments() -> tuple[int, ...]:
    """The segments with a valid index, ascending (PostgreSQL; cached per process)."""

    def read() -> tuple[int, ...]:
        with connection.cursor() as cursor:
            return tuple(sorted(n for n, valid in _catalogue(cursor).items() if valid))

    return _known.get(connection.alias, read)


def forget_segments() -> None:
    _known.clear()


def segmented_search(columns: str, where: str, segments: tuple[int, ...]) -> str:
    """The `indexed` part of the conversation candidates' statement (candidates.py: its `q`,
    `choice` and `walked`): the newest matches at or below the walk's window, segment by
    segment, newest first, stopping when a page is full. `where`: the scope and filters.

    Each part names its id range in constants, so PostgreSQL proves it may use that
    segment's partial index; `d.id + 0` in the order keeps it from walking the primary key
    instead. A segment wholly above the window is skipped before it is read (a one-time
    condition on the window's end)."""
    top = max(segments) + 1 if segments else 0
    bound = "(SELECT CASE WHEN share >= walk_from THEN walk_floor ELSE newest END FROM choice)"

    def part(low: int, high: int | None) -> str:
        upper = f" AND d.id < {high}" if high is not None else ""
        return f"""(
        SELECT {columns}, d.search_vector FROM {TABLE} d
        WHERE {bound} >= {low} AND d.id >= {low}{upper}
            AND d.search_vector @@ (SELECT query FROM q) AND d.conversation_id IS NOT NULL{where}
            AND d.id + 0 <= {bound}
        ORDER BY d.id + 0 DESC LIMIT %(limit)s)"""

    parts = [part(bounds(top)[0], None)]
    parts += [part(*bounds(n)) for n in range(top - 1, -1, -1)]
    union = "\n        UNION ALL ".join(parts)
    return f"""
    SELECT * FROM ({union}
    ) AS s WHERE (SELECT count(*) < %(limit)s FROM walked) LIMIT %(limit)s
"""
