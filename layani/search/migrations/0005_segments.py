"""The conversation rows' full-text index cut into segments of ids (`layani.search.segments`).

PostgreSQL only: the segment indexes are built (CONCURRENTLY, so a live table keeps taking
messages: this migration is not atomic), then the one GIN index over every conversation row
(0003) and the ordered RUM index (0004, where it was built) are dropped: the segments answer
exactly what they answered, faster (bench/RESULTS.md). Going back builds the one GIN index
again and drops the segments.
"""

from django.db import migrations

from layani.search.segments import drop_segments, ensure_segments

DROPPED = ("search_document_ordered", "search_document_conversation_vector")
ONE_INDEX = (
    "CREATE INDEX IF NOT EXISTS search_document_conversation_vector ON search_searchdocument "
    "USING gin (search_vector, facets) WITH (fastupdate = off) "
    "WHERE conversation_id IS NOT NULL"
)


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    ensure_segments()
    with connection.cursor() as cursor:
        how = "" if connection.in_atomic_block else "CONCURRENTLY "
        for name in DROPPED:
            cursor.execute(f"DROP INDEX {how}IF EXISTS {name}")


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(ONE_INDEX)
    drop_segments()


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("search", "0004_ordered_index")]

    operations = [migrations.RunPython(forward, backward)]
