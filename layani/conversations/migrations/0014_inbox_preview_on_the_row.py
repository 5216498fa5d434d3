"""The inbox row's preview and when the customer last wrote, on the conversation itself.

Before, each inbox row read them from the messages with two subqueries per row; at a million
conversations those rows' messages are scattered over the table (bench/RESULTS.md). From now
on every path that stores a message keeps them (`actions.lifecycle.note_message`); this
fills them once for the conversations already stored, from their messages, as
`note_message` would have: the text of the last message to or from the customer (the text
of its HTML when it has no plain text), cut to 160 characters, and the time of the
customer's last message.

Not atomic: the conversations are filled BATCH ids at a time, each batch committed, so a
large history does not hold every conversation's row lock for the whole fill (about 80 s
for a million conversations)."""

from django.db import migrations, models

TABLE = "conversations_conversation"
MESSAGES = "conversations_message"
BATCH = 20_000
PREVIEW_LENGTH = 160

FILL = f"""
UPDATE {TABLE} SET
    last_preview = COALESCE((
        SELECT substr(m.body_text, 1, {PREVIEW_LENGTH}) FROM {MESSAGES} m
        WHERE m.conversation_id = {TABLE}.id AND m.direction IN ('in', 'out')
        ORDER BY m.created_at DESC, m.id DESC LIMIT 1
    ), ''),
    last_inbound_at = (
        SELECT max(m.created_at) FROM {MESSAGES} m
        WHERE m.conversation_id = {TABLE}.id AND m.direction = 'in'
    )
WHERE last_message_at IS NOT NULL AND id >= %s AND id < %s
"""

# The conversations whose last message to or from the customer has only HTML.
HTML_ONLY = f"""
SELECT c.id, (
    SELECT m.body_html FROM {MESSAGES} m
    WHERE m.conversation_id = c.id AND m.direction IN ('in', 'out')
    ORDER BY m.created_at DESC, m.id DESC LIMIT 1
) FROM {TABLE} c
WHERE trim(c.last_preview) = '' AND c.last_message_at IS NOT NULL AND c.id >= %s AND c.id < %s
"""


def fill(apps, schema_editor):
    from django.utils.html import strip_tags

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {TABLE}")
        low, high = cursor.fetchone()
    if low is None:
        return
    for start in range(low, high + 1, BATCH):
        end = start + BATCH
        with connection.cursor() as cursor:
            cursor.execute(FILL, [start, end])
            cursor.execute(HTML_ONLY, [start, end])
            previews = [
                (strip_tags(html)[:PREVIEW_LENGTH], pk)
                for pk, html in cursor.fetchall()
                if html and strip_tags(html).strip()
            ]
            if previews:
                cursor.executemany(f"UPDATE {TABLE} SET last_preview = %s WHERE id = %s", previews)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("conversations", "0013_identity_claimed_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="last_inbound_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="customer last wrote at"
            ),
        ),
        migrations.AddField(
            model_name="conversation",
            name="last_preview",
            field=models.CharField(
                blank=True, default="", max_length=160, verbose_name="last message preview"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
