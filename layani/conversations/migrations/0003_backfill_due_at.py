"""Existing conversations get `waiting_since`, `due_at` and `first_response_at` from their messages.

The rule is frozen here (default targets), so later changes to the code do not change
what this migration did.
"""

from datetime import timedelta

from django.db import migrations
from django.db.models import Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

ACTIVE = ("new", "open", "pending")
TARGET_HOURS = {1: 72, 2: 24, 3: 4, 4: 1}


def backfill(apps, schema_editor):
    Conversation = apps.get_model("conversations", "Conversation")
    Message = apps.get_model("conversations", "Message")
    unanswered = (
        Message.objects.filter(conversation_id=OuterRef("pk"), direction="in")
        .exclude(
            Exists(
                Message.objects.filter(
                    conversation_id=OuterRef("conversation_id"),
                    direction="out",
                    created_at__gte=OuterRef("created_at"),
                )
            )
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    first_reply = (
        Message.objects.filter(conversation_id=OuterRef("pk"), direction="out", author__isnull=False)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    Conversation.objects.update(first_response_at=Subquery(first_reply))
    Conversation.objects.filter(status__in=ACTIVE).update(waiting_since=Subquery(unanswered))
    for priority, hours in TARGET_HOURS.items():
        Conversation.objects.filter(priority=priority).update(
            due_at=Coalesce(F("waiting_since"), F("last_message_at"), F("created_at"))
            + Value(timedelta(hours=hours))
        )


class Migration(migrations.Migration):
    dependencies = [("conversations", "0002_inbox_lifecycle")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
