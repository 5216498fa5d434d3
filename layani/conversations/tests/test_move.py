"""Filing a conversation under another customer: its story goes along, the customer it
leaves keeps a row saying where it went, and a refused move changes nothing."""

import pytest

from layani.conversations.actions import (
    add_note,
    assign,
    merge_conversations,
    move_conversation,
    receive_inbound_message,
)
from layani.conversations.models import Conversation, EventKind, TimelineEvent
from layani.core.errors import Conflict, NotFound
from layani.customers.models import Customer
from layani.feedback.models import SurveyResponse

pytestmark = pytest.mark.django_db


def chat_of(customer: Customer, channel: str = "webchat") -> Conversation:
    return receive_inbound_message(
        customer=customer, channel=channel, body_text="Pesanan saya belum sampai", actor=None
    ).conversation


def test_the_conversation_and_its_story_go_to_the_other_customer(customer, agent):
    visitor = Customer.objects.create(full_name="Pengunjung situs")
    chat = chat_of(visitor)
    add_note(chat, body_text="Tanyakan nomor pesanan", actor=agent)
    SurveyResponse.objects.create(rating=5, channel="webchat", conversation=chat, customer=visitor)
    story = set(chat.timeline.values_list("pk", flat=True))

    move_conversation(chat, to=customer, actor=agent)

    assert chat.customer == customer
    assert Conversation.objects.get(pk=chat.pk).customer == customer
    assert story <= set(customer.timeline.values_list("pk", flat=True))
    assert SurveyResponse.objects.get().customer == customer
    details = {"conversation": chat.pk, "from": visitor.pk, "to": customer.pk}
    [in_thread] = chat.timeline.filter(kind=EventKind.CONVERSATION_MOVED)
    assert in_thread.customer == customer and in_thread.details == details
    assert in_thread.actor == agent
    [left_behind] = visitor.timeline.all()  # all it keeps of the chat: where it went
    assert left_behind.kind == EventKind.CONVERSATION_MOVED and left_behind.conversation is None
    assert left_behind.details == details and chat.reference in left_behind.summary
    assert Customer.objects.filter(pk=visitor.pk).exists()


def test_a_conversation_already_there_changes_nothing(customer, agent):
    chat = chat_of(customer)
    before = TimelineEvent.objects.count()
    move_conversation(chat, to=customer, actor=agent)
    assert TimelineEvent.objects.count() == before


def test_a_merged_conversation_and_one_out_of_sight_stay_where_they_are(
    customer, other_customer, agent_x, team_y
):
    first, second = chat_of(other_customer), chat_of(other_customer, "email")
    merge_conversations(second, into=first, actor=None)
    with pytest.raises(Conflict) as caught:
        move_conversation(second, to=customer, actor=None)
    assert caught.value.code == "conversation_merged"
    assign(first, team=team_y, actor=None)
    with pytest.raises(NotFound):
        move_conversation(first, to=customer, actor=agent_x)  # team X's agent, team Y's chat
    assert set(Conversation.objects.values_list("customer", flat=True)) == {other_customer.pk}
    assert not TimelineEvent.objects.filter(kind=EventKind.CONVERSATION_MOVED).exists()
