"""The database's own full-text index over SearchDocument.content.

PostgreSQL: a stored generated tsvector column with a GIN index. 'simple' configuration: the
text is already normalised and stemmed in Python. `fastupdate = off` puts new messages
straight into the index instead of a pending list that slows searches until a VACUUM.

SQLite: an FTS5 table whose content is search_searchdocument (external content, nothing
stored twice), kept in sync by triggers. A later migration that alters this table on SQLite
(Django rebuilds the table to alter it, which drops its triggers) must create them again.
"""

from django.db import migrations

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE search_document_fts USING fts5("
    "content, content='search_searchdocument', content_rowid='id')",
    "CREATE TRIGGER search_document_fts_insert AFTER INSERT ON search_searchdocument BEGIN "
    "INSERT INTO search_document_fts(rowid, content) VALUES (new.id, new.content); END",
    "CREATE TRIGGER search_document_fts_delete AFTER DELETE ON search_searchdocument BEGIN "
    "INSERT INTO search_document_fts(search_document_fts, rowid, content) "
    "VALUES ('delete', old.id, old.content); END",
    "CREATE TRIGGER search_document_fts_update AFTER UPDATE OF content "
    "ON search_searchdocument BEGIN "
    "INSERT INTO search_document_fts(search_document_fts, rowid, content) "
    "VALUES ('delete', old.id, old.content); "
    "INSERT INTO search_document_fts(rowid, content) VALUES (new.id, new.content); END",
    "INSERT INTO search_document_fts(search_document_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_document_fts_update",
    "DROP TRIGGER IF EXISTS search_document_fts_delete",
    "DROP TRIGGER IF EXISTS search_document_fts_insert",
    "DROP TABLE IF EXISTS search_document_fts",
]
POSTGRESQL_CREATE = [
    "ALTER TABLE search_searchdocument ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, content)) STORED",
    "CREATE INDEX search_document_vector ON search_searchdocument "
    "USING gin (search_vector) WITH (fastupdate = off)",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS search_document_vector",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create_full_text_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_CREATE)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)


def drop_full_text_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_DROP)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(create_full_text_index, drop_full_text_index)]
