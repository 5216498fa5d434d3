"""Outgoing webhooks' signing secrets sealed in the database (`layani.core.sealed`): the
columns become text and every stored secret is sealed under the current key."""

from typing import Any

from django.db import migrations

import layani.core.sealed


def seal_stored(apps: Any, schema_editor: Any) -> None:
    WebhookEndpoint = apps.get_model("webhooks", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.all():
        # Read as stored (plain text opens as itself), written sealed.
        endpoint.save(update_fields=["secret", "previous_secret"])


def open_stored(apps: Any, schema_editor: Any) -> None:
    """Going back: the plain secrets again (raw SQL: the model field would seal them)."""
    unseal = layani.core.sealed.unseal
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, secret, previous_secret FROM webhooks_webhookendpoint")
        for pk, secret, previous in cursor.fetchall():
            cursor.execute(
                "UPDATE webhooks_webhookendpoint SET secret = %s, previous_secret = %s "
                "WHERE id = %s",
                [unseal(secret), unseal(previous) if previous else "", pk],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookendpoint",
            name="previous_secret",
            field=layani.core.sealed.SealedTextField(blank=True, editable=False),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=layani.core.sealed.SealedTextField(
                editable=False, verbose_name="signing secret"
            ),
        ),
        migrations.RunPython(seal_stored, open_stored),
    ]
