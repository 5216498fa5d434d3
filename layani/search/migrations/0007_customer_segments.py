"""Customer rows of the search index in segments of their own, by customer id
(`layani.search.segments.CUSTOMERS`), instead of one GIN index over every customer row:
a common name is found among the newest customers without visiting all of its rows.

PostgreSQL only. Built CONCURRENTLY (customers keep being indexed): this migration is not
atomic. Going back builds the single index again and drops the segments.
"""

from django.db import migrations

from layani.search import segments

SINGLE = "search_document_customer_vector"


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    how = "" if connection.in_atomic_block else "CONCURRENTLY "
    segments.ensure_segments(families=(segments.CUSTOMERS,))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {how}IF EXISTS {SINGLE}")


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    how = "" if connection.in_atomic_block else "CONCURRENTLY "
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX {how}IF NOT EXISTS {SINGLE} ON search_searchdocument "
            "USING gin (search_vector) WITH (fastupdate = off) WHERE customer_id IS NOT NULL"
        )
    segments.drop_segments((segments.CUSTOMERS,))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("search", "0006_segment_levels")]

    operations = [migrations.RunPython(forward, backward)]
