"""The ordered full-text index of conversation rows (RUM), where PostgreSQL can have it.

Only on PostgreSQL, and only when the server offers the `rum` extension (Debian:
`postgresql-<version>-rum`); elsewhere, or when the extension cannot be created (not a
superuser), nothing happens and search keeps its GIN path. `layani.search.ordered_index`
explains what the index is for and reads its name (`INDEX`, the same as there). Built
CONCURRENTLY (outside a transaction), so a large table keeps taking new messages meanwhile.

The package installed later? `layani migrate search 0003 && layani migrate search` runs this
again (going back drops only the ordered index).
"""

from django.db import migrations, transaction

INDEX = "search_document_ordered"
CREATE = (
    "CREATE INDEX {how} IF NOT EXISTS " + INDEX + " ON search_searchdocument "
    "USING rum (search_vector rum_tsvector_addon_ops, id) "
    "WITH (attach = 'id', to = 'search_vector') WHERE conversation_id IS NOT NULL"
)


def rum_offered(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        return cursor.fetchone() is not None


def create_ordered_index(connection, *, concurrently: bool) -> bool:
    """Create the extension and the index if the server offers RUM; whether it exists."""
    if connection.vendor != "postgresql" or not rum_offered(connection):
        return False
    try:
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS rum")
    except Exception as error:  # not allowed to (extensions need a superuser): no RUM
        print(f"\n  search: the rum extension could not be created ({error}); skipped.")
        return False
    with connection.cursor() as cursor:
        # A concurrent build that failed leaves an invalid index behind: build it again.
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)", [INDEX]
        )
        row = cursor.fetchone()
        if row is not None and not row[0]:
            cursor.execute(f"DROP INDEX {INDEX}")
        cursor.execute(CREATE.format(how="CONCURRENTLY" if concurrently else ""))
        cursor.execute("ANALYZE search_searchdocument")
    return True


def drop_ordered_index(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def forward(apps, schema_editor):
    create_ordered_index(schema_editor.connection, concurrently=True)


def backward(apps, schema_editor):
    drop_ordered_index(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("search", "0003_conversation_facets")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
