"""The index follows the tables: one row per text, replaced, moved and removed with it."""

import pytest

from layani.conversations.models import DeliveryStatus, Direction, Message
from layani.conversations.queries import ConversationScope
from layani.core.choices import Channel
from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.models import Customer
from layani.search.indexing import (
    index_conversation,
    index_customer,
    index_message,
    move_conversation_documents,
    remove_for_customer,
    remove_for_message,
)
from layani.search.models import SearchDocument
from layani.search.queries import search_conversations, search_customers

pytestmark = pytest.mark.django_db


def found(text):
    hits = search_conversations(text, scope=ConversationScope(sees_all=True)).hits
    return [h.conversation.pk for h in hits]


def customers_found(text):
    return [h.customer.pk for h in search_customers(text, base=Customer.objects.all())]


def test_a_message_is_one_row_of_normalised_text(conversation_with, django_assert_num_queries):
    conversation = conversation_with()
    message = Message.objects.create(
        conversation=conversation,
        channel=Channel.WHATSAPP,
        direction=Direction.INBOUND,
        body_text="Dana saya BLM dikembalikan!!",
        delivery_status=DeliveryStatus.RECEIVED,
    )
    with django_assert_num_queries(1):
        index_message(message)
    document = SearchDocument.objects.get(message=message)
    assert document.content == "dana belum kembali"
    assert document.kind == "message"
    assert document.conversation_id == conversation.pk
    assert document.created_at == message.created_at


def test_indexing_again_replaces_the_row(conversation_with, django_assert_num_queries):
    conversation = conversation_with("Kartu hilang")
    message = Message.objects.select_related("conversation").get(conversation=conversation)
    message.body_text = "Kartu tertelan"
    with django_assert_num_queries(1):
        index_message(message)
    assert SearchDocument.objects.filter(message=message).count() == 1
    assert found("tertelan") == [conversation.pk]
    assert found("hilang") == []


def test_html_only_messages_are_indexed_by_their_text(conversation_with):
    conversation = conversation_with()
    message = Message.objects.create(
        conversation=conversation,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        body_html="<p>Mohon <b>pengembalian</b> dana</p>",
        delivery_status=DeliveryStatus.RECEIVED,
    )
    index_message(message)
    assert found("dikembalikan dana") == [conversation.pk]


def test_a_message_without_terms_leaves_no_row(conversation_with):
    conversation = conversation_with("Kartu hilang")
    message = Message.objects.get(conversation=conversation)
    message.body_text = "🙏🙏 ya kak"
    index_message(message)
    assert not SearchDocument.objects.filter(message=message).exists()


def test_subject_is_indexed_and_a_blank_subject_removed(conversation_with):
    conversation = conversation_with(subject="Kartu tertelan")
    assert found("tertelan") == [conversation.pk]
    conversation.subject = ""
    index_conversation(conversation)
    assert found("tertelan") == []


def test_merge_moves_everything_to_the_target(conversation_with):
    source = conversation_with("Dana belum dikembalikan", subject="Refund tiket")
    target = conversation_with("Halo, saya mau tanya")
    assert move_conversation_documents(source.pk, target) == 2
    assert found("pengembalian dana") == [target.pk]
    assert found("tiket") == [target.pk]


def test_removed_and_deleted_messages_are_no_longer_found(conversation_with):
    first = conversation_with("Kartu tertelan")
    second = conversation_with("Kartu tertelan juga")
    remove_for_message(Message.objects.get(conversation=first).pk)
    assert found("tertelan") == [second.pk]
    Message.objects.filter(conversation=second).delete()
    assert found("tertelan") == []
    assert not SearchDocument.objects.filter(kind="message").exists()


def test_deleting_a_conversation_removes_its_rows(conversation_with):
    conversation = conversation_with("Kartu tertelan", subject="ATM")
    conversation.delete()
    assert not SearchDocument.objects.exists()
    assert found("tertelan") == []


def test_customer_by_name_member_number_phone_and_email(django_assert_num_queries):
    customer = create_customer(
        CustomerDetails.from_values(
            {
                "full_name": "Budi Kurniawan",
                "phone": "0812-3456-7890",
                "email": "budi.k@contoh.co.id",
                "membership_number": "BSN-000123",
            }
        ),
        actor=None,
    )
    with django_assert_num_queries(2):  # the identities, and the one row
        index_customer(customer)
    other = create_customer(CustomerDetails.from_values({"full_name": "Siti"}), actor=None)
    index_customer(other)
    for text in [
        "budi",
        "Kurniaw",  # still typing
        "BSN-000123",
        "0812-3456-7890",
        "+62 812 3456 7890",
        "6281234567890",
        "08123456",  # the start of the number
        "budi.k@contoh.co.id",
    ]:
        assert customers_found(text) == [customer.pk], text
    remove_for_customer(customer.pk)
    assert customers_found("budi") == []
