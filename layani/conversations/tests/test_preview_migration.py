"""Migration 0014 fills the inbox preview and "customer last wrote" of the conversations
stored before it, from their messages, as the inbox's per-row subqueries read them."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from layani.conversations.actions import add_message, receive_inbound_message, reply
from layani.conversations.models import Conversation, Message

pytestmark = pytest.mark.django_db

migration = importlib.import_module("layani.conversations.migrations.0014_inbox_preview_on_the_row")


def test_the_migration_fills_each_rows_preview_from_its_messages(customer, other_customer, agent):
    answered = receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Kartu saya hilang", actor=None
    ).conversation
    reply(answered, body_text="Baik, kami blokir sekarang " + "ya " * 80, actor=agent)
    add_message(answered, direction="note", body_text="Sudah diblokir", actor=agent)
    waiting = receive_inbound_message(
        customer=other_customer, channel="email", body_text="Info promo", actor=None
    ).conversation
    # Two messages written in the same instant: the later id is the last one.
    first = Message.objects.get(conversation=waiting)
    add_message(waiting, direction="in", body_text="Dan bunganya?", actor=None)
    Message.objects.filter(conversation=waiting).update(created_at=first.created_at)
    quiet = Conversation.objects.create(customer=customer, channel="phone")
    html_only = receive_inbound_message(
        customer=customer,
        channel="email",
        body_text="",
        body_html="<p>Mohon <b>kirim</b> rekening koran</p>",
        actor=None,
    ).conversation
    expected = {
        c.pk: (c.last_preview, c.last_inbound_at)
        for c in Conversation.objects.filter(pk__in=[answered.pk, quiet.pk, html_only.pk])
    }
    expected[waiting.pk] = ("Dan bunganya?", first.created_at)
    assert len(expected[answered.pk][0]) == 160
    # As before the migration: nothing on the rows.
    Conversation.objects.update(last_preview="", last_inbound_at=None)

    migration.fill(apps, SimpleNamespace(connection=connection))

    stored = {
        c.pk: (c.last_preview, c.last_inbound_at)
        for c in Conversation.objects.filter(pk__in=expected)
    }
    assert stored == expected
    assert stored[answered.pk][0].startswith("Baik, kami blokir")
    assert stored[quiet.pk] == ("", None)
    assert stored[html_only.pk][0] == "Mohon kirim rekening koran"
