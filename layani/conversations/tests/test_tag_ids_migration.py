"""Migration 0011 fills `tag_ids` of the conversations tagged before it, from the tags table."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from layani.conversations.actions import receive_inbound_message
from layani.conversations.models import Conversation, Tag

# Outside a test transaction: SQLite opens its schema editor only there.
pytestmark = pytest.mark.django_db(transaction=True)

migration = importlib.import_module("layani.conversations.migrations.0011_conversation_tag_ids")


def test_the_migration_copies_each_conversations_tags_onto_its_row(customer, other_customer):
    tagged = receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Kartu saya hilang", actor=None
    ).conversation
    untagged = receive_inbound_message(
        customer=other_customer, channel="email", body_text="Info promo", actor=None
    ).conversation
    vip, blokir = Tag.objects.create(name="vip"), Tag.objects.create(name="blokir")
    tagged.tags.add(vip, blokir)  # as before the migration: the tags table only
    assert Conversation.objects.get(pk=tagged.pk).tag_ids == []

    with connection.schema_editor() as editor:
        migration.fill(apps, editor)

    assert Conversation.objects.get(pk=tagged.pk).tag_ids == sorted([vip.pk, blokir.pk])
    assert Conversation.objects.get(pk=untagged.pk).tag_ids == []
