"""Channel credentials sealed in the database (`layani.core.sealed`): the column becomes
text and every stored value is sealed under the current key."""

from typing import Any

from django.db import migrations

import layani.core.sealed


def seal_stored(apps: Any, schema_editor: Any) -> None:
    ChannelAccount = apps.get_model("layani_channels", "ChannelAccount")
    for account in ChannelAccount.objects.all():
        account.save(update_fields=["secrets"])  # read as stored, written sealed


class Migration(migrations.Migration):
    dependencies = [
        ("layani_channels", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="channelaccount",
            name="secrets",
            field=layani.core.sealed.SealedJSONField(
                blank=True, default=dict, verbose_name="credentials"
            ),
        ),
        migrations.RunPython(seal_stored, migrations.RunPython.noop),
    ]
