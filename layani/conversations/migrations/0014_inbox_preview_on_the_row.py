"""The inbox row's preview and when the customer last wrote, on the conversation itself.

Before, each inbox row read them from the messages with two subqueries per row; at a million
conversations those rows' messages are scattered over the table (bench/RESULTS.md). From now
on every path that stores a message keeps them (`actions.lifecycle.note_message`); this
fills them once for the conversations already stored, from their messages, as the inbox's
subqueries read them (the text of the last message to or from the customer, cut to 160
characters; the time of the customer's last message)."""

from django.db import migrations, models

TABLE = "conversations_conversation"
MESSAGES = "conversations_message"

FILL = f"""
UPDATE {TABLE} SET
    last_preview = COALESCE((
        SELECT substr(m.body_text, 1, 160) FROM {MESSAGES} m
        WHERE m.conversation_id = {TABLE}.id AND m.direction IN ('in', 'out')
        ORDER BY m.created_at DESC, m.id DESC LIMIT 1
    ), ''),
    last_inbound_at = (
        SELECT max(m.created_at) FROM {MESSAGES} m
        WHERE m.conversation_id = {TABLE}.id AND m.direction = 'in'
    )
WHERE last_message_at IS NOT NULL
"""


class Migration(migrations.Migration):
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
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
    ]
