"""On PostgreSQL, a trigram GIN index lets name search use `LIKE '%...%'` without a scan.

SQLite has no such index; there the name search scans, which is fine at embedded sizes.
`fastupdate = off`: new names go straight into the index instead of a pending list that
makes searches slow until the next VACUUM.
"""

from django.db import migrations


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customer_search_name_trgm "
        "ON customers_customer USING gin (search_name gin_trgm_ops) WITH (fastupdate = off)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS customer_search_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
