"""PostgreSQL's ordered full-text index of conversation rows (the RUM extension), when present.

Migration `search.0004` creates it where the server offers RUM: the rows' words with their
id attached, so a scan reads each match's id from the index itself (`ORDER BY id <=| FAR`)
and returns the matches newest first. What RUM 1.3 does NOT do (measured at 1M
conversations, bench/RESULTS.md): stop after the first page. It collects every match of the
words and sorts them by id before returning the first; cheap per match (no table visit),
but it grows with the number of matches. The scope and filters are tested on the table rows
in that order (an index with the facets as well was measured slower: RUM combines the
scope's many facet lists at a high CPU cost).

So it does not replace the walk over the newest rows (`layani.search.candidates`), which
stays the fast way for common words. It takes the GIN index's place, and makes the answer
exact: after a walk that found fewer than a page of matches, it always looks further back,
with no limit on what it reads, so a match in the scope is never missed however wrong the
statistics' estimate was. That costs time where the old path gave up early (words common
alone and rare together: 0.3-0.6 s at 1M).

Whether the index is there is asked once per database connection (a catalogue lookup).
"""

from django.db import connection

# The migration's name for it (search.0004 `INDEX`; a test compares them).
INDEX = "search_document_ordered"
# The far end of the id order: `id <=| FAR` is FAR - id, so the smallest is the newest.
# Below 2**53, where float8 (the distance's type) still tells every id apart.
FAR = 2**52

# connection alias -> (which server connection it was asked on, whether the index is usable)
_known: dict[str, tuple[tuple[int, int], bool]] = {}


def ordered_index_present() -> bool:
    """Whether this database has a valid ordered index (PostgreSQL with RUM)."""
    if connection.vendor != "postgresql":
        return False
    connection.ensure_connection()
    raw = connection.connection
    current = (id(raw), getattr(getattr(raw, "info", None), "backend_pid", 0))
    known = _known.get(connection.alias)
    if known is not None and known[0] == current:
        return known[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid AND i.indisready FROM pg_index i "
            "WHERE i.indexrelid = to_regclass(%s)",
            [INDEX],
        )
        row = cursor.fetchone()
    present = bool(row and row[0])
    _known[connection.alias] = (current, present)
    return present


def forget_ordered_index() -> None:
    """Ask again on the next search (after the index was created or dropped)."""
    _known.clear()


def ordered_search(walk_where: str) -> str:
    """The `indexed` part of the conversation candidates' statement (see candidates.py: its
    `q`, `choice` and `walked`; `walk_where` its scope and filters as functions, tested on
    the table rows), through the ordered index: the newest matches older than the walk's
    window, or of all rows when there was no walk. No estimate limits it: it runs whenever
    the walk found fewer than a page. `id + 0`: the window's end is a filter (the few
    matches the walk already saw come first and are dropped), so that no plan walks the
    primary key instead."""
    return f"""
    SELECT d.id, d.conversation_id, d.customer_id, d.kind, d.message_id, d.search_vector
    FROM search_searchdocument d
    WHERE (SELECT count(*) < %(limit)s FROM walked)
        AND d.search_vector @@ (SELECT query FROM q)
        AND d.conversation_id IS NOT NULL{walk_where}
        AND d.id + 0 <= (SELECT CASE WHEN share >= walk_from THEN walk_floor ELSE newest END
                         FROM choice)
    ORDER BY d.id <=| {FAR}::bigint LIMIT %(limit)s
"""
