"""`layani seed --customers N --conversations M`: a contact centre's conversations at volume.

Small scale, on whichever database the run uses (SQLite or PostgreSQL): the seeded data
must look like the actions wrote it (lifecycle moments, status history, read markers),
have the requested number of messages on average, and be found by search and the inbox.
"""

import random
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from layani.conversations.models import (
    Conversation,
    ConversationRead,
    ConversationStatus,
    EventKind,
    Message,
    Tag,
    TimelineEvent,
)
from layani.conversations.queries import InboxFilters, inbox, scope_of
from layani.demo.bulk_load import is_postgresql
from layani.demo.staff_roster import load_roster
from layani.demo.tests.lifecycle_checks import assert_lifecycle_consistent, message_directions
from layani.demo.volume import LOADED_MODELS, generate_volume
from layani.search.models import FACET_FIELDS, SearchDocument
from layani.search.queries import search_conversations

pytestmark = pytest.mark.django_db
S = ConversationStatus


def _seed(**options: Any) -> str:
    out = StringIO()
    call_command("seed", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def _documents() -> set[tuple[Any, ...]]:
    return set(
        SearchDocument.objects.values_list(
            "key",
            "kind",
            "message_id",
            "conversation_id",
            "customer_id",
            "created_at",
            "content",
            *FACET_FIELDS,  # the conversation's scope and filter fields, as the actions keep them
        )
    )


def test_conversations_follow_the_lifecycle_the_actions_write() -> None:
    _seed(customers=300, conversations=1_500, messages_per_conversation=5)

    assert_lifecycle_consistent()
    statuses = dict(
        Conversation.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    # Mostly history, and live work in every state.
    assert set(statuses) == set(S.values)
    assert statuses[S.RESOLVED] + statuses[S.CLOSED] > 0.8 * 1_500
    live = Conversation.objects.filter(status__in=[S.NEW, S.OPEN, S.PENDING])
    # The shared pool: new, neither team nor assignee. Answered work has an assignee.
    assert live.filter(status=S.NEW, assignee__isnull=True, team__isnull=True).exists()
    assert not Conversation.objects.exclude(status=S.NEW).filter(assignee__isnull=True).exists()
    assert Conversation.objects.filter(team__isnull=False).count() > 1_300
    # Some customers wait (and some of them longer than the target), some were answered.
    assert live.filter(waiting_since__isnull=False, due_at__lt=timezone.now()).exists()
    assert Conversation.objects.filter(first_response_at__isnull=False).count() > 900
    assert Tag.objects.filter(conversations__isnull=False).distinct().count() >= 10
    assert Conversation.tags.through.objects.count() > 300
    assert ConversationRead.objects.count() > 1_000
    # Customer and agent turns, sometimes a note; every message on the timeline.
    directions = message_directions()
    assert directions["in"] > directions["out"] > directions["note"] > 0
    message_events = TimelineEvent.objects.filter(
        kind__in=[EventKind.MESSAGE_IN, EventKind.MESSAGE_OUT, EventKind.NOTE],
        message__isnull=False,
    )
    assert message_events.count() == Message.objects.count()
    assert TimelineEvent.objects.filter(kind=EventKind.ASSIGNED).count() == (
        Conversation.objects.filter(assignee__isnull=False).count()
    )


@pytest.mark.parametrize("average", [5, 2.5])
def test_messages_per_conversation_is_the_average_asked_for(average: float) -> None:
    output = _seed(customers=200, conversations=800, messages_per_conversation=average)

    messages = Message.objects.count()
    assert abs(messages / 800 - average) < 0.1 * average
    assert f"{messages:,}" in output
    per_conversation = Conversation.objects.annotate(n=Count("messages")).values_list(
        "n", flat=True
    )
    assert min(per_conversation) >= 1
    assert max(per_conversation) > 2 * average  # a long tail, as in real life


def test_without_an_average_conversations_go_as_their_scripts() -> None:
    _seed(customers=200, conversations=600)

    assert 2 <= Message.objects.count() / 600 <= 4.5


def test_search_finds_seeded_phrases_and_the_index_is_what_reindex_writes() -> None:
    _seed(customers=200, conversations=600, messages_per_conversation=4)
    admin = User.objects.get(username="admin")

    results = search_conversations("kartu atm tertelan", scope=scope_of(admin), limit=20)
    assert results.hits
    assert all("tertelan" in hit.snippet.lower() for hit in results.hits)
    slang = search_conversations("blm masuk", scope=scope_of(admin), limit=20)
    assert slang.hits  # "belum" and "blm" are one term in the index
    written = _documents()
    # Every message, subject and customer has its row, exactly as `layani reindex` makes it.
    assert len(written) == Message.objects.count() + Conversation.objects.count() + 200
    call_command("reindex", stdout=StringIO())
    assert _documents() == written


def test_no_search_index_leaves_it_to_reindex() -> None:
    _seed(customers=50, conversations=100, no_search_index=True)

    assert not SearchDocument.objects.exists()
    call_command("reindex", stdout=StringIO())
    assert SearchDocument.objects.count() == Message.objects.count() + 100 + 50


def test_the_inbox_shows_each_view_due_first() -> None:
    _seed(customers=300, conversations=2_000, messages_per_conversation=5)
    agent = User.objects.get(username="agent")
    admin = User.objects.get(username="admin")

    mine = inbox(agent, view="mine", limit=50).items
    assert mine
    assert {row.conversation.assignee.user_id for row in mine} == {agent.pk}
    everything = inbox(admin, view="all", limit=50).items
    assert [r.due_at for r in everything] == sorted(r.due_at for r in everything)
    assert any(row.unread for row in everything)
    assert inbox(agent, view="unassigned", limit=50).items
    closed = inbox(admin, view="all", filters=InboxFilters(status=S.CLOSED), limit=50)
    assert len(closed.items) == 50 and closed.next_cursor
    tagged = inbox(admin, view="all", filters=InboxFilters(status=S.RESOLVED, tag="refund"))
    assert tagged.items and all("refund" in row.tags for row in tagged.items)


def test_adding_volume_to_existing_customers_keeps_ids_and_external_ids_unique() -> None:
    _seed(customers=100, conversations=300, messages_per_conversation=3)
    _seed(conversations=200, messages_per_conversation=3)  # on the customers already there

    assert Conversation.objects.count() == 500
    external = Message.objects.exclude(external_id=None).values("channel", "external_id")
    assert external.distinct().count() == external.count()
    assert_lifecycle_consistent()


@pytest.mark.skipif(not is_postgresql(), reason="indexes are rebuilt on PostgreSQL only")
def test_secondary_indexes_are_built_again_after_a_deferred_load() -> None:
    _seed(customers=20, conversations=10)  # the demo base (staff, teams, branches)

    def definitions() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                [[m._meta.db_table for m in LOADED_MODELS]],
            )
            return {row[0] for row in cursor.fetchall()}

    before = definitions()
    assert any("USING gin" in d for d in before)
    counts = generate_volume(
        load_roster(),
        customers=50,
        conversations=200,
        rng=random.Random(3),
        now=timezone.now(),
        messages_per_conversation=4,
        defer_indexes=True,
    )

    assert counts.indexes_rebuilt > 20
    assert definitions() == before
    assert Conversation.objects.count() == 210
    admin = User.objects.get(username="admin")
    assert search_conversations("rekening", scope=scope_of(admin), limit=5).hits
