"""Each conversation's tag ids on its row (`Conversation.tag_ids`), filled from the tags
table, and on PostgreSQL a partial GIN index over the active conversations' ids."""

from typing import Any

from django.db import migrations, models

ACTIVE = "('new', 'open', 'pending')"


def fill(apps: Any, schema_editor: Any) -> None:
    conversation = apps.get_model("conversations", "Conversation")
    table = conversation._meta.db_table
    through = conversation.tags.through._meta.db_table
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"UPDATE {table} c SET tag_ids = t.ids FROM ("
            f"SELECT conversation_id, jsonb_agg(tag_id ORDER BY tag_id) AS ids FROM {through} "
            "GROUP BY conversation_id) t WHERE c.id = t.conversation_id"
        )
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS inbox_tags ON {table} USING gin (tag_ids jsonb_path_ops) "
            f"WHERE status IN {ACTIVE}"
        )
    else:
        schema_editor.execute(
            f"UPDATE {table} SET tag_ids = (SELECT json_group_array(tag_id) FROM "
            f"(SELECT tag_id FROM {through} WHERE conversation_id = {table}.id ORDER BY tag_id)) "
            f"WHERE id IN (SELECT conversation_id FROM {through})"
        )


def drop_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS inbox_tags")


class Migration(migrations.Migration):
    dependencies = [("conversations", "0010_inbox_channel_index")]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="tag_ids",
            field=models.JSONField(
                blank=True, default=list, editable=False, verbose_name="tag ids"
            ),
        ),
        migrations.RunPython(fill, drop_index),
    ]
