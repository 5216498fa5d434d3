import pytest

from layani.conversations.actions import add_message, start_conversation
from layani.conversations.models import EventKind, Message, TimelineEvent
from layani.core.errors import Conflict, InvalidInput
from layani.customers.actions import CustomerDetails, create_customer
from layani.testing.realtime import GroupListener

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def customer():
    return create_customer(CustomerDetails.from_values({"full_name": "Wulan"}), actor=None)


def test_a_conversation_and_its_messages_are_on_the_customer_timeline(customer, agent):
    inbox = GroupListener("inbox-all")
    conversation = start_conversation(
        customer=customer,
        channel="whatsapp",
        purpose="complaint",
        subject="Saldo terpotong",
        actor=agent,
    )
    add_message(conversation, direction="in", body_text="Saldo saya terpotong dua kali", actor=None)
    add_message(conversation, direction="note", body_text="Cek mutasi", actor=agent)
    kinds = list(
        TimelineEvent.objects.filter(customer=customer, conversation=conversation)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [EventKind.CONVERSATION_CREATED, EventKind.MESSAGE_IN, EventKind.NOTE]
    conversation.refresh_from_db()
    assert conversation.last_message_at is not None
    assert inbox.events() == ["conversation.created", "message.created", "message.created"]


def test_inbound_html_is_sanitised_before_it_is_stored(customer):
    conversation = start_conversation(customer=customer, channel="email", actor=None)
    message = add_message(
        conversation,
        direction="in",
        body_text="Halo",
        body_html=(
            '<p onclick="steal()">Halo</p><script>alert(1)</script><a href="javascript:x">x</a>'
        ),
        actor=None,
    )
    assert "<script" not in message.body_html
    assert "onclick" not in message.body_html
    assert "javascript:" not in message.body_html
    assert "<p>Halo</p>" in message.body_html


def test_the_same_external_message_twice_is_refused_and_stored_once(customer):
    conversation = start_conversation(customer=customer, channel="whatsapp", actor=None)
    add_message(conversation, direction="in", body_text="a", external_id="wamid.1", actor=None)
    with pytest.raises(Conflict):
        add_message(conversation, direction="in", body_text="a", external_id="wamid.1", actor=None)
    assert Message.objects.count() == 1
    assert TimelineEvent.objects.filter(kind=EventKind.MESSAGE_IN).count() == 1


def test_unknown_channel_and_empty_message_are_refused(customer):
    with pytest.raises(InvalidInput):
        start_conversation(customer=customer, channel="pigeon", actor=None)
    conversation = start_conversation(customer=customer, channel="email", actor=None)
    with pytest.raises(InvalidInput):
        add_message(conversation, direction="in", body_text="   ", actor=None)
