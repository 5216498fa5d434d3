from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from layani.conversations.actions import (
    TRANSITIONS,
    add_note,
    change_status,
    merge_conversations,
    receive_inbound_message,
    reply,
    start_conversation,
)
from layani.conversations.models import (
    Conversation,
    ConversationStatus,
    EventKind,
    Message,
    Priority,
    TimelineEvent,
)
from layani.core.errors import Conflict, InvalidInput
from layani.testing.realtime import GroupListener

pytestmark = pytest.mark.django_db
S = ConversationStatus


def inbound(customer, text="Halo", channel="whatsapp", **kwargs):
    return receive_inbound_message(
        customer=customer, channel=channel, body_text=text, actor=None, **kwargs
    )


def status_events(conversation):
    return list(
        TimelineEvent.objects.filter(conversation=conversation, kind=EventKind.STATUS_CHANGED)
        .order_by("id")
        .values_list("details", flat=True)
    )


def test_allowed_transitions_stamp_their_moments_and_leave_a_trace(customer, agent):
    conversation = inbound(customer).conversation
    change_status(conversation, status=S.OPEN, actor=agent)
    change_status(conversation, status=S.RESOLVED, reason="Dana sudah kembali", actor=agent)
    conversation.refresh_from_db()
    assert conversation.status == S.RESOLVED
    assert conversation.resolved_at is not None
    assert conversation.waiting_since is None
    change_status(conversation, status=S.CLOSED, actor=agent)
    conversation.refresh_from_db()
    assert conversation.closed_at is not None and conversation.resolved_at is not None
    change_status(conversation, status=S.OPEN, reason="Nasabah minta dibuka lagi", actor=agent)
    conversation.refresh_from_db()
    assert conversation.resolved_at is None and conversation.closed_at is None
    assert status_events(conversation) == [
        {"before": "new", "after": "open"},
        {"before": "open", "after": "resolved", "reason": "Dana sudah kembali"},
        {"before": "resolved", "after": "closed"},
        {"before": "closed", "after": "open", "reason": "Nasabah minta dibuka lagi"},
    ]
    event = TimelineEvent.objects.filter(kind=EventKind.STATUS_CHANGED).last()
    assert event.actor == agent and event.customer == customer


BAD = [
    (before, after) for before in S.values for after in S.values if after not in TRANSITIONS[before]
]


@pytest.mark.parametrize(("before", "after"), BAD)
def test_a_bad_transition_is_a_conflict_and_changes_nothing(customer, agent, before, after):
    conversation = start_conversation(customer=customer, channel="email", actor=None)
    Conversation.objects.filter(pk=conversation.pk).update(status=before)
    conversation.refresh_from_db()
    events = TimelineEvent.objects.count()
    with pytest.raises(Conflict) as caught:
        change_status(conversation, status=after, actor=agent)
    assert caught.value.code == "invalid_transition"
    assert Conversation.objects.get(pk=conversation.pk).status == before
    assert TimelineEvent.objects.count() == events


def test_an_unknown_status_is_invalid_input(customer, agent):
    conversation = start_conversation(customer=customer, channel="email", actor=None)
    with pytest.raises(InvalidInput) as caught:
        change_status(conversation, status="archived", actor=agent)
    assert caught.value.field == "status"


def test_the_customer_writing_again_appends_and_moves_pending_back_to_open(customer, agent):
    first = inbound(customer, "Kartu saya tertelan ATM")
    assert first.outcome == "created"
    reply(first.conversation, body_text="Baik, kami cek", actor=agent)
    change_status(first.conversation, status=S.PENDING, actor=agent)
    second = inbound(customer, "Sudah saya kirim fotonya")
    assert second.outcome == "appended"
    assert second.conversation.pk == first.conversation.pk
    conversation = Conversation.objects.get(pk=first.conversation.pk)
    assert conversation.status == S.OPEN
    assert conversation.messages.count() == 3
    assert status_events(conversation)[-1] == {"before": "pending", "after": "open"}


def test_a_resolved_conversation_reopens_within_the_window(customer, agent, settings):
    settings.LAYANI_REOPEN_WINDOW_DAYS = 7
    first = inbound(customer).conversation
    change_status(first, status=S.RESOLVED, actor=agent)
    Conversation.objects.filter(pk=first.pk).update(resolved_at=timezone.now() - timedelta(days=6))
    again = inbound(customer, "Masih belum masuk dananya")
    assert again.outcome == "reopened"
    assert again.conversation.pk == first.pk
    first.refresh_from_db()
    assert first.status == S.OPEN and first.resolved_at is None
    assert first.waiting_since == again.message.created_at
    assert status_events(first)[-1] == {"before": "resolved", "after": "open", "reopened": True}


def test_after_the_window_a_new_conversation_starts_linked_to_the_old_one(
    customer, agent, settings
):
    settings.LAYANI_REOPEN_WINDOW_DAYS = 2
    first = inbound(customer).conversation
    change_status(first, status=S.CLOSED, actor=agent)
    Conversation.objects.filter(pk=first.pk).update(closed_at=timezone.now() - timedelta(days=3))
    later = inbound(customer, "Mau tanya lagi soal kartu")
    assert later.outcome == "created"
    assert later.conversation.pk != first.pk
    assert later.conversation.previous_id == first.pk
    assert later.conversation.status == S.NEW
    created = TimelineEvent.objects.get(
        conversation=later.conversation, kind=EventKind.CONVERSATION_CREATED
    )
    assert created.details["previous"] == first.pk
    first.refresh_from_db()
    assert first.status == S.CLOSED


def test_another_channel_is_another_conversation(customer):
    on_whatsapp = inbound(customer, channel="whatsapp").conversation
    by_email = inbound(customer, channel="email").conversation
    assert on_whatsapp.pk != by_email.pk
    assert by_email.previous_id is None


def test_a_sender_of_unproven_identity_never_joins_the_customers_latest_conversation(
    customer, agent, settings
):
    """A web chat visitor who typed the customer's email: their message goes into the
    conversation named (theirs) or a new one, never into the customer's own open one."""
    settings.LAYANI_REOPEN_WINDOW_DAYS = 2
    hers = inbound(customer, "Kartu saya terblokir", channel="webchat").conversation
    claimed = inbound(customer, "Halo", channel="webchat", join_latest=False)
    assert claimed.outcome == "created"
    assert claimed.conversation.pk != hers.pk and claimed.conversation.previous_id is None
    theirs = claimed.conversation
    again = inbound(customer, "Lagi", channel="webchat", conversation=theirs, join_latest=False)
    assert again.outcome == "appended" and again.conversation.pk == theirs.pk
    change_status(theirs, status=S.CLOSED, actor=agent)
    Conversation.objects.filter(pk=theirs.pk).update(closed_at=timezone.now() - timedelta(days=3))
    later = inbound(
        customer, "Mau tanya", channel="webchat", conversation=theirs, join_latest=False
    )
    assert later.outcome == "created" and later.conversation.previous_id == theirs.pk
    assert list(hers.messages.values_list("body_text", flat=True)) == ["Kartu saya terblokir"]


def test_a_repeated_external_message_is_refused_and_nothing_is_stored(customer):
    inbound(customer, external_id="wamid.1")
    counts = (Conversation.objects.count(), Message.objects.count(), TimelineEvent.objects.count())
    with pytest.raises(Conflict) as caught:
        inbound(customer, external_id="wamid.1")
    assert caught.value.code == "duplicate_message"
    after = (Conversation.objects.count(), Message.objects.count(), TimelineEvent.objects.count())
    assert after == counts


def test_due_at_counts_the_response_target_from_when_the_customer_started_waiting(
    customer, agent, settings
):
    settings.LAYANI_RESPONSE_TARGET_HOURS = {"urgent": 1, "high": 4, "normal": 24, "low": 72}
    received = inbound(customer)
    conversation = received.conversation
    assert conversation.waiting_since == received.message.created_at
    assert conversation.due_at == received.message.created_at + timedelta(hours=24)
    inbound(customer, "Halo? Tolong dibalas")  # still waiting since the first message
    conversation.refresh_from_db()
    assert conversation.waiting_since == received.message.created_at

    answer = reply(conversation, body_text="Maaf menunggu, kami bantu", actor=agent)
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert conversation.first_response_at == answer.created_at
    assert conversation.due_at == answer.created_at + timedelta(hours=24)

    again = inbound(customer, "Terima kasih, tapi saldo belum masuk")
    conversation.refresh_from_db()
    assert conversation.waiting_since == again.message.created_at
    assert conversation.first_response_at == answer.created_at  # the first one stays


def test_urgent_conversations_are_due_sooner(customer, settings):
    settings.LAYANI_RESPONSE_TARGET_HOURS = {"urgent": 1}
    received = inbound(customer, priority=Priority.URGENT)
    assert received.conversation.due_at == received.message.created_at + timedelta(hours=1)


def test_a_merged_conversation_never_changes_again(customer, agent):
    source = inbound(customer, channel="email").conversation
    target = inbound(customer, channel="whatsapp").conversation
    merge_conversations(source, into=target, actor=agent)
    for attempt in (
        lambda: change_status(source, status=S.OPEN, actor=agent),
        lambda: add_note(source, body_text="catatan", actor=agent),
    ):
        with pytest.raises(Conflict) as caught:
            attempt()
        assert caught.value.code == "conversation_merged"


@pytest.mark.django_db(transaction=True)
def test_changes_are_published_after_commit_and_not_on_rollback(customer, agent):
    # A listener is read once, to the end: on Redis one that timed out cannot read again.
    created = GroupListener("inbox-all")
    received = inbound(customer)
    conversation = received.conversation
    assert created.events() == ["conversation.created", "message.created"]

    inbox = GroupListener("inbox-all")
    room = GroupListener("inbox-pool")
    with pytest.raises(RuntimeError), transaction.atomic():
        change_status(conversation, status=S.OPEN, actor=agent)
        raise RuntimeError("the surrounding work failed")
    assert inbox.events() == []
    assert room.events() == []
    assert Conversation.objects.get(pk=conversation.pk).status == S.NEW
    assert status_events(conversation) == []

    inbox = GroupListener("inbox-all")
    room = GroupListener("inbox-pool")
    change_status(conversation, status=S.OPEN, actor=agent)
    message = room.receive()
    assert message["event"] == "conversation.updated"
    assert message["payload"]["changes"] == ["status"]
    assert message["payload"]["status"] == "open"
    assert "body_text" not in str(message["payload"])
    assert inbox.events() == ["conversation.updated"]


def test_messages_are_searchable_as_soon_as_they_are_stored_and_follow_a_merge(customer, agent):
    from layani.conversations.queries import ConversationScope
    from layani.search.queries import search_conversations

    def found(text):
        hits = search_conversations(text, scope=ConversationScope(sees_all=True)).hits
        return [hit.conversation.pk for hit in hits]

    source = inbound(customer, "Kartu ATM saya tertelan di Sudirman", channel="email")
    target = inbound(customer, "Halo", channel="whatsapp")
    add_note(target.conversation, body_text="Nasabah minta blokir kartu", actor=agent)
    assert found("tertelan") == [source.conversation.pk]
    assert found("blokir") == [target.conversation.pk]
    merge_conversations(source.conversation, into=target.conversation, actor=agent)
    assert found("tertelan") == [target.conversation.pk]
