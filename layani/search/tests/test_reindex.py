import pytest
from django.core.management import call_command

from layani.conversations.models import Message
from layani.conversations.queries import ConversationScope
from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.models import Customer
from layani.search.models import SearchDocument
from layani.search.queries import search_conversations, search_customers

pytestmark = pytest.mark.django_db


def test_reindex_builds_the_index_from_the_tables(conversation_with, capsys):
    refund = conversation_with("Dana saya blm dikembalikan", subject="Refund kartu")
    conversation_with("🙏")
    customer = create_customer(
        CustomerDetails.from_values({"full_name": "Budi Santoso", "phone": "081234567890"}),
        actor=None,
    )
    SearchDocument.objects.all().delete()

    call_command("reindex", batch_size=1)

    assert "messages: 1 indexed" in capsys.readouterr().out
    hits = search_conversations("pengembalian dana", scope=ConversationScope(sees_all=True)).hits
    assert [h.conversation.pk for h in hits] == [refund.pk]
    found = search_customers("081234567890", base=Customer.objects.all())
    assert [h.customer.pk for h in found] == [customer.pk]
    rows = SearchDocument.objects.count()

    call_command("reindex")  # again: nothing new, nothing doubled
    assert SearchDocument.objects.count() == rows


def test_reindex_drops_entries_whose_text_lost_its_terms(conversation_with):
    conversation = conversation_with("Kartu tertelan")
    Message.objects.filter(conversation=conversation).update(body_text="🙏")
    call_command("reindex", only=["messages"])
    assert not SearchDocument.objects.filter(kind="message").exists()


def test_reindexing_customers_reads_their_identities_in_one_query_per_batch(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from layani.search.rebuild import rebuild_index
    from layani.search.segments import ensure_segments

    def add_customers(start, count):
        for i in range(start, start + count):
            create_customer(
                CustomerDetails.from_values(
                    {"full_name": f"Nasabah {i}", "phone": f"08123456{i:04d}"}
                ),
                actor=None,
            )

    def queries_to_rebuild():
        # The segments the rows need are made first (a database whose ids grew past them,
        # as the whole suite's does): what is counted is the reading and writing.
        ensure_segments()
        with CaptureQueriesContext(connection) as captured:
            counts = rebuild_index(parts=("customers",), batch_size=100)
        return len(captured), counts

    add_customers(0, 3)
    few, counts = queries_to_rebuild()
    assert counts == {"customers": 3}
    add_customers(3, 20)
    many, counts = queries_to_rebuild()
    assert counts == {"customers": 23}
    assert few == many
