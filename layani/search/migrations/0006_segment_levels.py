"""The search index's segments in levels (`layani.search.segments`): small for the newest
rows, merged into larger ones as they fill.

PostgreSQL only. The segments of 0005 (`search_document_segment_<n>`, 500,000 ids each)
are the level-1 segments of the new layout, so they are renamed, not built again; then
`ensure_segments` builds the level-0 segments of the newest rows and drops every segment
the layout does not keep (the 500,000-id ones not yet full, and those made ahead). Built
CONCURRENTLY (new messages keep arriving): this migration is not atomic. Going back builds
the 0005 segments again and drops the levelled ones.
"""

from django.db import migrations

from layani.search import segments

OLD_ROWS = 500_000
OLD_NAME = "search_document_segment_"


def _old_segments(cursor) -> list[int]:
    cursor.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = 'search_searchdocument'::regclass AND c.relname LIKE %s",
        [OLD_NAME.replace("_", r"\_") + "%"],
    )
    suffixes = [name[len(OLD_NAME) :] for (name,) in cursor.fetchall()]
    return sorted(int(s) for s in suffixes if s.isdigit())


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    level = segments.LEVELS.index(OLD_ROWS)
    how = "" if connection.in_atomic_block else "CONCURRENTLY "
    with connection.cursor() as cursor:
        present = set(segments.known_segments())
        for number in _old_segments(cursor):
            segment = segments.Segment.at(level, number)
            if segment in present:  # built by the new layout already (a bulk load)
                cursor.execute(f"DROP INDEX {how}{OLD_NAME}{number}")
            else:
                cursor.execute(f"ALTER INDEX {OLD_NAME}{number} RENAME TO {segment.name}")
    segments.forget_segments()
    segments.ensure_segments()


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    how = "" if connection.in_atomic_block else "CONCURRENTLY "
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) FROM search_searchdocument")
        newest = cursor.fetchone()[0]
        for number in range(newest // OLD_ROWS + 3):
            low, high = number * OLD_ROWS, (number + 1) * OLD_ROWS
            cursor.execute(
                f"CREATE INDEX {how}IF NOT EXISTS {OLD_NAME}{number} ON search_searchdocument "
                "USING gin (search_vector, facets) WITH (fastupdate = off) "
                f"WHERE conversation_id IS NOT NULL AND id >= {low} AND id < {high}"
            )
    segments.drop_segments()


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("search", "0005_segments")]

    operations = [migrations.RunPython(forward, backward)]
