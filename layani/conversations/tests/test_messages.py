import pytest
from django.db import transaction

from layani.conversations import senders
from layani.conversations.actions import (
    add_note,
    assign,
    receive_inbound_message,
    reply,
    update_delivery_status,
)
from layani.conversations.models import (
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    EventKind,
    Mention,
    Message,
    OutboxMessage,
    OutboxStatus,
    TimelineEvent,
)
from layani.conversations.senders import register_sender, unregister_sender
from layani.core.errors import InvalidInput, NotFound
from layani.staff.models import Role
from layani.testing.realtime import GroupListener

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(customer):
    return receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Saldo terpotong dua kali", actor=None
    ).conversation


@pytest.mark.django_db(transaction=True)
def test_a_reply_is_stored_then_sent_through_the_outbox_after_commit(conversation, agent):
    with transaction.atomic():
        message = reply(conversation, body_text="Kami cek dulu ya, Kak", actor=agent)
        assert message.delivery_status == DeliveryStatus.PENDING
        assert not OutboxMessage.objects.exists()  # nothing leaves before commit
    message.refresh_from_db()
    sent = OutboxMessage.objects.get()
    assert sent.recipient == "+6281234567890"
    assert sent.channel == "whatsapp"
    assert sent.body == "Kami cek dulu ya, Kak"
    assert sent.reason == "reply"
    assert sent.message == message
    assert sent.status == OutboxStatus.SENT
    assert message.delivery_status == DeliveryStatus.SENT
    assert message.author == agent.staff
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    assert TimelineEvent.objects.filter(kind=EventKind.MESSAGE_OUT, message=message).exists()


def test_the_agent_may_answer_through_another_of_the_customers_channels(
    conversation, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(
            conversation, body_text="Rincian kami kirim lewat email", channel="email", actor=agent
        )
    assert message.channel == "email"
    assert OutboxMessage.objects.get().recipient == "wulan@contoh.co.id"
    event = TimelineEvent.objects.get(kind=EventKind.MESSAGE_OUT)
    assert event.details == {"channel": "email"}


@pytest.mark.parametrize(
    ("channel", "code"),
    [
        ("telegram", "no_identity_for_channel"),
        ("phone", "channel_not_writable"),
        ("webchat", "no_identity_for_channel"),
        ("pigeon", "invalid_choice"),
    ],
)
def test_a_channel_the_customer_cannot_be_reached_on_is_refused(conversation, agent, channel, code):
    before = Message.objects.count()
    with pytest.raises(InvalidInput) as caught:
        reply(conversation, body_text="Halo", channel=channel, actor=agent)
    assert caught.value.field == "channel"
    assert caught.value.code == code
    assert Message.objects.count() == before


def test_a_sender_registered_for_the_channel_takes_the_reply(
    conversation, agent, django_capture_on_commit_callbacks
):
    handed: list[Message] = []
    previous = senders._SENDERS.get("whatsapp")  # the channel adapter's, put back after
    register_sender("whatsapp", handed.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = reply(conversation, body_text="Halo", actor=agent)
    finally:
        unregister_sender("whatsapp")
        if previous is not None:
            register_sender("whatsapp", previous)
    assert [m.pk for m in handed] == [message.pk]
    assert not OutboxMessage.objects.exists()


def test_delivery_status_never_moves_backwards(conversation, agent):
    message = reply(conversation, body_text="Sudah kami proses", actor=agent)
    assert update_delivery_status(message, status=DeliveryStatus.SENT)
    assert update_delivery_status(message, status=DeliveryStatus.READ)
    assert not update_delivery_status(message, status=DeliveryStatus.DELIVERED)
    assert not update_delivery_status(message, status=DeliveryStatus.FAILED)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.READ
    assert message.status_changed_at is not None


def test_a_failed_delivery_is_on_the_timeline(conversation, agent):
    message = reply(conversation, body_text="Sudah kami proses", actor=agent)
    update_delivery_status(message, status=DeliveryStatus.SENT)
    assert update_delivery_status(message, status=DeliveryStatus.FAILED, error="131026")
    failed = TimelineEvent.objects.get(kind=EventKind.DELIVERY_FAILED)
    assert failed.message == message
    assert failed.details == {"channel": "whatsapp", "error": "131026"}
    message.refresh_from_db()
    assert message.meta["delivery_error"] == "131026"  # shown under the reply
    with pytest.raises(InvalidInput):
        update_delivery_status(
            Message.objects.filter(direction="in").first(), status=DeliveryStatus.READ
        )


def test_a_reply_whose_contact_was_removed_fails_visibly(
    conversation, customer, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = reply(conversation, body_text="Halo", actor=agent)
    customer.identities.all().delete()
    for callback in callbacks:
        callback()
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert not OutboxMessage.objects.exists()


def test_a_note_mentions_colleagues_who_can_see_the_conversation(
    conversation, agent_x, agent_y, team_x, make_person, django_capture_on_commit_callbacks
):
    assign(conversation, team=team_x, actor=None)
    agent_y.username = "yudi"  # in another team: cannot see this conversation
    agent_y.save()
    helper = make_person(Role.AGENT, name="Rina")
    helper.username = "rina"
    helper.save()
    helper.staff.teams.add(team_x)
    personal = GroupListener(f"user-{helper.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        note = add_note(
            conversation,
            body_text="@rina tolong cek mutasi, cc @yudi dan @tidakada.",
            actor=agent_x,
        )
    assert note.direction == "note"
    mention = Mention.objects.get()
    assert mention.staff == helper.staff
    assert mention.mentioned_by == agent_x.staff
    assert mention.message == note
    pushed = personal.receive()
    assert pushed["event"] == "mention.created"
    assert pushed["payload"]["conversation_id"] == conversation.pk
    event = TimelineEvent.objects.get(kind=EventKind.NOTE, message=note)
    assert event.details == {"mentions": ["rina"]}
    # Yudi was named but cannot see it: not told, and the note says so to its readers.
    assert note.meta == {"not_notified": ["yudi"]}
    assert not OutboxMessage.objects.exists()  # notes never leave


def test_an_agent_outside_the_scope_cannot_write_and_nothing_changes(
    conversation, agent_x, agent_y, team_y
):
    assign(conversation, team=team_y, actor=None)
    before = (Message.objects.count(), TimelineEvent.objects.count())
    for attempt in (
        lambda: reply(conversation, body_text="Halo", actor=agent_x),
        lambda: add_note(conversation, body_text="Halo", actor=agent_x),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert (Message.objects.count(), TimelineEvent.objects.count()) == before
    add_note(conversation, body_text="Saya pegang", actor=agent_y)
    assert Conversation.objects.get(pk=conversation.pk).messages.count() == 2
