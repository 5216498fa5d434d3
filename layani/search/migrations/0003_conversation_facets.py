"""The conversation's scope and filter fields on its index rows (see models.py).

1. Seven nullable columns (plain ALTER TABLE ADD COLUMN on both databases: on SQLite the
   table is not rebuilt, so the FTS5 triggers of 0002 stay).
2. Filled from the conversations in one UPDATE ... FROM.
3. PostgreSQL only: the GIN index over every row is replaced by two partial ones: the
   conversation rows' words together with their `facets` (a stored generated column
   spelling the copied fields as terms), and the customer rows' words. The old index is
   dropped before the UPDATE, which would otherwise re-insert every row's words into it,
   and adding the generated column rewrites the table, so the UPDATE leaves no bloat.

A facet term is "<letter>:<value>": b: branch, t: team, a: assignee, s: status, c: channel,
p: purpose, r: priority; "pool" when the conversation has neither an assignee nor a team.
`layani.search.facets.facet_key` writes the same terms for queries; a test compares them.
"""

from django.db import migrations, models

FILL = (
    "UPDATE search_searchdocument SET status = c.status, channel = c.channel, "
    "purpose = c.purpose, priority = c.priority, branch_id = c.branch_id, "
    "team_id = c.team_id, assignee_id = c.assignee_id "
    "FROM conversations_conversation c WHERE c.id = search_searchdocument.conversation_id"
)

FACETS = (
    "ALTER TABLE search_searchdocument ADD COLUMN facets text[] GENERATED ALWAYS AS ("
    "CASE WHEN conversation_id IS NULL THEN '{}'::text[] ELSE array_remove(ARRAY["
    "'b:' || branch_id::text, 't:' || team_id::text, 'a:' || assignee_id::text, "
    "'s:' || status, 'c:' || channel, 'p:' || purpose, 'r:' || priority::text, "
    "CASE WHEN assignee_id IS NULL AND team_id IS NULL THEN 'pool' END], NULL) END) STORED"
)

POSTGRESQL_FORWARD = [
    "DROP INDEX IF EXISTS search_document_vector",
    FILL,
    FACETS,
    "CREATE INDEX search_document_conversation_vector ON search_searchdocument "
    "USING gin (search_vector, facets) WITH (fastupdate = off) "
    "WHERE conversation_id IS NOT NULL",
    "CREATE INDEX search_document_customer_vector ON search_searchdocument "
    "USING gin (search_vector) WITH (fastupdate = off) WHERE customer_id IS NOT NULL",
    "ANALYZE search_searchdocument",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS search_document_customer_vector",
    "DROP INDEX IF EXISTS search_document_conversation_vector",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS facets",
    "CREATE INDEX search_document_vector ON search_searchdocument "
    "USING gin (search_vector) WITH (fastupdate = off)",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_FORWARD)
    else:
        _run(schema_editor, [FILL])  # SQLite 3.33+ knows UPDATE ... FROM


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_full_text_index"),
        ("conversations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="status",
            field=models.CharField(blank=True, max_length=20, null=True),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="channel",
            field=models.CharField(blank=True, max_length=20, null=True),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="purpose",
            field=models.CharField(blank=True, max_length=20, null=True),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="priority",
            field=models.SmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="branch_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="team_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="assignee_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
