"""PostgreSQL's full-text index of conversation rows, cut into segments of ids, small for
the newest rows and larger for older ones; customer rows likewise, by customer id.

The newest page of matches is what a search needs. One GIN index over every conversation
row answers "which rows match" in no useful order, so finding the newest 200 matches of
common words meant reading every match of them, and words common alone but rare together
("dana belum masuk") meant reading all of their rows' lists: hundreds of ms at 1M
conversations (bench/RESULTS.md).

So the rows are cut by id into segments, each with its own partial GIN index over
`(search_vector, facets)`:

    CREATE INDEX search_document_segment_<level>_<n> ON search_searchdocument
        USING gin (search_vector, facets) WHERE conversation_id IS NOT NULL
        AND id >= <low> AND id < <high>

Ids grow with time, so the segments are the history in slices, newest last. A search asks
the newest segment first and the next older one only while the page is not full
(`candidates.py`: one statement, a UNION ALL whose parts PostgreSQL runs in turn and stops
after the limit). A part reads its segment's share of the words' lists and visits every
match in it, so what a typical search costs is the size of the newest segments, not of the
history.

Segments come in levels (`LEVELS`): the newest rows are in level-0 segments (62,500 rows,
about what 10,000 conversations write), and once FAN neighbouring ones are full they are
merged into one level-1 segment of 500,000 (its index built, then theirs dropped). So the
newest rows are always in small indexes: a common word's newest page costs about what it
costs in a small database. There is no larger level: a search that must read into older
history reads a segment whole, and one of 4,000,000 made such searches slower ("dana blm
masuk" at 1M: 84 -> 120 ms, bench/RESULTS.md). The planner's cost of the many parts is paid
once per connection (`candidates.fetch` prepares each statement with a generic plan).
`layout(newest)` is the set of segments the rows should have; `ensure_segments` builds
what is missing (level-0 segments AHEAD of the rows too) and drops what a larger segment
replaced: by migration, by `layani reindex` and every ten minutes by the worker (`tasks.py`).
An empty partial index costs nothing.

Customer rows are segmented the same way by customer id (`CUSTOMERS`, levels of 25,000 and
200,000 customers, index on `search_vector` only): a common name ("Rahayu", about 1% of
customers) was found by visiting every one of its rows, ~1,900 table pages at 200,000
customers; through the segments a search visits the newest matches only (~240 pages),
and a rare name costs a few more index lookups.

Which segments exist is read from the catalogue at most once every CATALOGUE_SECONDS per
process. A search reads through the segments that exist (`cover`), the largest where
several overlap; a range with no index (a build that failed, rows that outran the worker)
is still read, by a part without an index of its own: slower, never wrong. A process whose
catalogue is stale names ranges whose index was merged away; PostgreSQL then uses the
larger segment that contains them.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connection

from layani.core.process_cache import ProcessCache
from layani.search.models import SearchDocument

TABLE = SearchDocument._meta.db_table
# Rows per segment at each level; each level is FAN times the one below (tests use less).
FAN = 8
LEVELS = (62_500, 62_500 * FAN)
CUSTOMER_LEVELS = (25_000, 25_000 * FAN)
# Level-0 segments made ahead of the newest row.
AHEAD = 2
CATALOGUE_SECONDS = 60.0


@dataclass(frozen=True, order=True)
class Family:
    """Which index rows a family's segments hold and how they are cut."""

    prefix: str  # of the index names
    column: str  # the id cut into ranges
    rows: str  # the rows of the family (the partial indexes' first condition)
    keys: str  # what the GIN indexes cover
    sizes: str  # the name of this module's tuple of sizes per level (tests shrink them)
    # Whether the newest rows, as many as the largest segment holds, stay in level-0
    # segments: merged only once that many more rows came after them.
    newest_small: bool = False

    @property
    def levels(self) -> tuple[int, ...]:
        levels: tuple[int, ...] = globals()[self.sizes]
        return levels


CONVERSATIONS = Family(
    "search_document_segment_",
    "id",
    "conversation_id IS NOT NULL",
    "search_vector, facets",
    "LEVELS",
)
CUSTOMERS = Family(
    "search_customer_segment_",
    "customer_id",
    "customer_id IS NOT NULL",
    "search_vector",
    "CUSTOMER_LEVELS",
    # A common name's newest matches are among the newest 25,000 customers; without this,
    # 200,000 customers would be one segment whose every match is visited.
    newest_small=True,
)
FAMILIES = (CONVERSATIONS, CUSTOMERS)


@dataclass(frozen=True, order=True)
class Segment:
    """Rows `low <= <family's column> < high`, indexed at `level`."""

    low: int
    high: int
    level: int
    family: Family = CONVERSATIONS

    @classmethod
    def at(cls, level: int, number: int, family: Family = CONVERSATIONS) -> "Segment":
        size = family.levels[level]
        return cls(number * size, (number + 1) * size, level, family)

    @property
    def name(self) -> str:
        return f"{self.family.prefix}{self.level}_{self.low // self.family.levels[self.level]}"

    def contains(self, other: "Segment") -> bool:
        return self.low <= other.low and other.high <= self.high


# (connection alias, family) -> the segments with a valid index, ascending
_known: ProcessCache[tuple[Segment, ...]] = ProcessCache(CATALOGUE_SECONDS)


def layout(newest: int, family: Family = CONVERSATIONS) -> list[Segment]:
    """The segments rows up to `newest` (of the family's column) should have, ascending:
    each range that is full (a row beyond it exists) at the largest level it fills, the
    rest in level-0 segments, AHEAD more of them beyond the newest row. With the
    family's `newest_small`, a range is merged only once the rows beyond it would fill a
    segment of the largest level."""
    levels = family.levels
    merged_below = newest - levels[-1] if family.newest_small else newest
    wanted = []
    low = 0
    for level in range(len(levels) - 1, 0, -1):
        size = levels[level]
        while low + size <= merged_below:
            wanted.append(Segment(low, low + size, level, family))
            low += size
    size = levels[0]
    end = (newest // size + 1 + AHEAD) * size
    while low < end:
        wanted.append(Segment(low, low + size, 0, family))
        low += size
    return wanted


def parse(name: str, family: Family = CONVERSATIONS) -> Segment | None:
    """The family's segment an index name stands for, or None for any other index."""
    level, _, number = name[len(family.prefix) :].partition("_")
    if not (name.startswith(family.prefix) and level.isdigit() and number.isdigit()):
        return None
    if int(level) >= len(family.levels):
        return None
    return Segment.at(int(level), int(number), family)


def create_statement(segment: Segment, *, concurrently: bool) -> str:
    how = "CONCURRENTLY " if concurrently else ""
    family = segment.family
    return (
        f"CREATE INDEX {how}IF NOT EXISTS {segment.name} ON {TABLE} "
        f"USING gin ({family.keys}) WITH (fastupdate = off) WHERE {family.rows} "
        f"AND {family.column} >= {segment.low} AND {family.column} < {segment.high}"
    )


def _catalogue(cursor: Any, family: Family) -> dict[Segment, bool]:
    """Segment -> whether its index is valid, as the catalogue says now."""
    cursor.execute(
        "SELECT c.relname, i.indisvalid AND i.indisready FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND c.relname LIKE %s",
        [TABLE, family.prefix.replace("_", r"\_") + "%"],
    )
    found = {}
    for name, valid in cursor.fetchall():
        segment = parse(name, family)
        if segment is not None:
            found[segment] = bool(valid)
    return found


def ensure_segments(
    *, concurrently: bool | None = None, families: tuple[Family, ...] = FAMILIES
) -> list[Segment]:
    """Build the segments of `layout()` that are missing, then drop every other segment
    index; the segments built. PostgreSQL only. Built CONCURRENTLY (new messages keep
    arriving) unless inside a transaction, where PostgreSQL does not allow it (a test, a
    migration run atomically)."""
    if connection.vendor != "postgresql":
        return []
    if concurrently is None:
        concurrently = not connection.in_atomic_block
    how = "CONCURRENTLY " if concurrently else ""
    created = []
    with connection.cursor() as cursor:
        for family in families:
            cursor.execute(f"SELECT COALESCE(max({family.column}), 0) FROM {TABLE}")
            wanted = layout(cursor.fetchone()[0], family)
            known = _catalogue(cursor, family)
            if connection.in_atomic_block and any(not known.get(s) for s in wanted):
                # CREATE INDEX refuses a table with deferred foreign-key checks pending in
                # this transaction (rows written before, in a test or a migration): checked
                # now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for segment in wanted:
                if known.get(segment):
                    continue
                if segment in known:  # a concurrent build that failed leaves an invalid index
                    cursor.execute(f"DROP INDEX {how}{segment.name}")
                cursor.execute(create_statement(segment, concurrently=concurrently))
                created.append(segment)
            # The wanted segments now cover every row; the rest were merged into larger
            # ones, or are larger ones not yet full (a database from before the levels).
            for segment in known:
                if segment not in wanted:
                    cursor.execute(f"DROP INDEX {how}IF EXISTS {segment.name}")
    forget_segments()
    return created


def drop_segments(families: tuple[Family, ...] = FAMILIES) -> None:
    """Drop every segment index (bulk loads, going back a migration, tests)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for family in families:
            for segment in _catalogue(cursor, family):
                cursor.execute(f"DROP INDEX IF EXISTS {segment.name}")
    forget_segments()


def known_segments(family: Family = CONVERSATIONS) -> tuple[Segment, ...]:
    """The family's segments with a valid index, ascending (PostgreSQL; cached per
    process)."""

    def read() -> tuple[Segment, ...]:
        with connection.cursor() as cursor:
            return tuple(sorted(s for s, valid in _catalogue(cursor, family).items() if valid))

    return _known.get((connection.alias, family), read)


def forget_segments() -> None:
    _known.clear()


def cover(segments: tuple[Segment, ...]) -> list[tuple[int, int | None]]:
    """The id ranges a search reads, newest first, from 0 up without a gap: each segment
    that no larger one contains, the gaps between them, and everything above the last
    (no upper bound)."""
    chosen = [s for s in segments if not any(o.contains(s) and o != s for o in segments)]
    ranges: list[tuple[int, int | None]] = []
    low = 0
    for segment in sorted(chosen):
        if segment.low < low:  # overlaps one already taken (not aligned): skip it
            continue
        if segment.low > low:
            ranges.append((low, segment.low))
        ranges.append((segment.low, segment.high))
        low = segment.high
    ranges.append((low, None))
    return ranges[::-1]


def segmented_search(columns: str, where: str, segments: tuple[Segment, ...]) -> str:
    """The `indexed` part of the conversation candidates' statement (candidates.py: its `q`,
    `choice` and `walked`): the newest matches at or below the walk's window, range by
    range (`cover`), newest first, stopping when a page is full. `where`: the scope and
    filters.

    Each part names its id range in constants, so PostgreSQL proves it may use that
    segment's partial index; `d.id + 0` in the order keeps it from walking the primary key
    instead. A range wholly above the window is skipped before it is read (a one-time
    condition on the window's end)."""
    bound = "(SELECT CASE WHEN share >= walk_from THEN walk_floor ELSE newest END FROM choice)"

    def part(low: int, high: int | None) -> str:
        upper = f" AND d.id < {high}" if high is not None else ""
        return f"""(
        SELECT {columns}, d.search_vector FROM {TABLE} d
        WHERE {bound} >= {low} AND d.id >= {low}{upper}
            AND d.search_vector @@ (SELECT query FROM q) AND d.conversation_id IS NOT NULL{where}
            AND d.id + 0 <= {bound}
        ORDER BY d.id + 0 DESC LIMIT %(limit)s)"""

    union = "\n        UNION ALL ".join(part(low, high) for low, high in cover(segments))
    return f"""
    SELECT * FROM ({union}
    ) AS s WHERE (SELECT count(*) < %(limit)s FROM walked) LIMIT %(limit)s
"""
