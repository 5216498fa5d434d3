"""Search results: ranked, paginated, filtered by the base queryset, in a fixed number of
queries, with a snippet of the original text."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layani.conversations.actions import change_tags
from layani.conversations.models import ConversationStatus, Message
from layani.conversations.queries import ConversationScope
from layani.core.errors import InvalidInput
from layani.customers.models import Customer
from layani.language.normalise import query_terms
from layani.search.filters import ConversationFilters
from layani.search.indexing import index_message
from layani.search.queries import make_snippet, search_conversations, search_customers

pytestmark = pytest.mark.django_db

ALL = ConversationScope(sees_all=True)
NOTHING = ConversationScope(sees_nothing=True)


def count_queries(text, filters):
    """Statements that read data; PostgreSQL adds its transaction's settings (and, inside
    the test's transaction, a savepoint around them) to every search, a fixed number, and
    reads which segment indexes exist at most once a minute (segments.py)."""
    with CaptureQueriesContext(connection) as captured:
        results = search_conversations(text, scope=ALL, filters=filters, limit=5)
    housekeeping = ("SAVEPOINT", "RELEASE SAVEPOINT", "SELECT set_config(", "SELECT c.relname")
    reads = [q for q in captured.captured_queries if not q["sql"].startswith(housekeeping)]
    return len(reads), results


@pytest.mark.parametrize("base", ["all", "filtered"])
def test_the_number_of_queries_does_not_grow_with_the_data(conversation_with, branch, base):
    def scope():
        if base == "filtered":
            return ConversationFilters(branch_id=branch.pk, status=ConversationStatus.NEW)
        return ConversationFilters()

    conversation_with("Transfer gagal", branch=branch)
    few, results = count_queries("transfer", scope())
    assert len(results.hits) == 1
    for i in range(30):
        conversation_with(f"Transfer gagal nomor {i}", "transfer lagi", branch=branch)
    many, results = count_queries("transfer", scope())
    assert len(results.hits) == 5
    assert few == many == 2


def test_pages_follow_each_other_without_gaps_or_repeats(conversation_with):
    created = {conversation_with(f"Kartu ATM tertelan ke-{i}").pk for i in range(7)}
    seen, cursor, pages = [], None, 0
    while True:
        results = search_conversations("tertelan", scope=ALL, cursor=cursor, limit=3)
        seen += [h.conversation.pk for h in results.hits]
        pages += 1
        cursor = results.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))


def test_ties_are_newest_first(conversation_with):
    older = conversation_with("Kartu tertelan")
    newer = conversation_with("Kartu tertelan")
    hits = search_conversations("tertelan", scope=ALL).hits
    assert [h.conversation.pk for h in hits] == [newer.pk, older.pk]


def test_filters_in_the_base_combine_with_the_text(conversation_with, branch, other_branch):
    here = conversation_with("Kartu tertelan", branch=branch)
    conversation_with("Kartu tertelan", branch=other_branch)
    resolved = conversation_with(
        "Kartu tertelan", branch=branch, status=ConversationStatus.RESOLVED
    )
    hits = search_conversations(
        "tertelan", scope=ALL, filters=ConversationFilters(branch_id=branch.pk)
    ).hits
    assert {h.conversation.pk for h in hits} == {here.pk, resolved.pk}
    hits = search_conversations(
        "tertelan", scope=ALL, filters=ConversationFilters(status=ConversationStatus.RESOLVED)
    ).hits
    assert [h.conversation.pk for h in hits] == [resolved.pk]


def test_the_tag_filter_takes_the_tag_as_it_was_typed_when_tagging(conversation_with):
    tagged = conversation_with("Kartu tertelan")
    conversation_with("Kartu tertelan")
    change_tags(tagged, add=["Kartu ATM"], actor=None)
    for typed in ("Kartu ATM", "kartu-atm", " KARTU   atm "):
        hits = search_conversations("tertelan", scope=ALL, filters=ConversationFilters(tag=typed))
        assert [h.conversation.pk for h in hits.hits] == [tagged.pk], typed


def test_a_reference_finds_its_conversation_within_the_scope(conversation_with, branch):
    wanted = conversation_with("Kartu tertelan", branch=branch)
    conversation_with("Kartu tertelan")
    for typed in (f"L-{wanted.pk}", f"#l{wanted.pk}", f"[#L-{wanted.pk}]"):
        hits = search_conversations(typed, scope=ALL).hits
        assert [h.conversation.pk for h in hits] == [wanted.pk], typed
    elsewhere = ConversationScope(branch_ids=(branch.pk + 1000,))
    assert search_conversations(f"L-{wanted.pk}", scope=elsewhere).hits == []
    resolved_only = ConversationFilters(status=ConversationStatus.RESOLVED)
    assert search_conversations(f"L-{wanted.pk}", scope=ALL, filters=resolved_only).hits == []


def _rewrite(conversation, text):
    """Its messages say `text` (its number is known only once it exists)."""
    for message in Message.objects.filter(conversation=conversation):
        message.body_text = text
        message.save(update_fields=["body_text"])
        index_message(message)


def test_a_bare_number_finds_its_conversation_first_then_the_words(conversation_with, branch):
    """Digits alone may be a conversation's number, an amount or part of a phone number:
    the conversation it numbers comes first (when the person may see it), the word matches
    follow, and it is not listed twice."""
    wanted = conversation_with("Kartu tertelan", branch=branch)
    # The same digits as a word: an amount, once in the wanted conversation itself too.
    amount = conversation_with(f"Sudah transfer {wanted.pk} ribu kemarin")
    conversation_with(f"Saldo tinggal {wanted.pk} rupiah", branch=branch)
    _rewrite(wanted, f"Kartu {wanted.pk} tertelan")

    for typed in (str(wanted.pk), f"#{wanted.pk}", f" {wanted.pk} "):
        hits = search_conversations(typed, scope=ALL).hits
        assert hits[0].conversation.pk == wanted.pk, typed
        found = [h.conversation.pk for h in hits]
        assert len(found) == 3 and len(set(found)) == 3 and amount.pk in found, typed

    # Out of the person's scope, or not kept by the filters: not listed (nor are the words
    # of conversations in no branch, for a person who sees one other branch only).
    elsewhere = ConversationScope(branch_ids=(branch.pk + 1000,))
    assert search_conversations(str(wanted.pk), scope=elsewhere).hits == []
    in_branch = ConversationScope(branch_ids=(branch.pk,))
    by_branch = search_conversations(str(wanted.pk), scope=in_branch).hits
    assert by_branch[0].conversation.pk == wanted.pk and amount.pk not in {
        h.conversation.pk for h in by_branch
    }
    resolved_only = ConversationFilters(status=ConversationStatus.RESOLVED)
    assert search_conversations(str(wanted.pk), scope=ALL, filters=resolved_only).hits == []
    # A number no conversation has: the words alone.
    nobody = wanted.pk + amount.pk + 1000
    lonely = conversation_with(f"Nomor rekening {nobody}")
    assert [h.conversation.pk for h in search_conversations(str(nobody), scope=ALL).hits] == [
        lonely.pk
    ]


def test_a_bare_number_is_not_listed_again_on_a_later_page(conversation_with):
    wanted = conversation_with("Kartu tertelan")
    others = [conversation_with(f"Transfer {wanted.pk} gagal ke-{i}") for i in range(4)]
    _rewrite(wanted, f"Transfer {wanted.pk}")
    seen, cursor = [], None
    while True:
        results = search_conversations(str(wanted.pk), scope=ALL, cursor=cursor, limit=2)
        seen += [h.conversation.pk for h in results.hits]
        cursor = results.next_cursor
        if cursor is None:
            break
    assert seen[0] == wanted.pk
    assert sorted(seen) == sorted([wanted.pk] + [c.pk for c in others])


def test_a_bare_number_costs_one_query_more_whatever_the_data(conversation_with):
    wanted = conversation_with("Kartu tertelan")
    conversation_with(f"Transfer {wanted.pk} gagal")
    few, results = count_queries(str(wanted.pk), ConversationFilters())
    assert results.hits[0].conversation.pk == wanted.pk
    for i in range(20):
        conversation_with(f"Transfer {wanted.pk} gagal nomor {i}")
    many, results = count_queries(str(wanted.pk), ConversationFilters())
    assert few == many == 3


def test_an_empty_scope_runs_no_query(conversation_with, django_assert_num_queries):
    conversation_with("Kartu tertelan")
    with django_assert_num_queries(0):
        assert search_conversations("tertelan", scope=NOTHING).hits == []


def test_only_stopwords_find_nothing(conversation_with, django_assert_num_queries):
    conversation_with("yang ini dan itu")
    with django_assert_num_queries(0):
        assert search_conversations("yang itu", scope=ALL).hits == []


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
def test_blank_or_overlong_text_is_a_field_error(text):
    with pytest.raises(InvalidInput) as error:
        search_conversations(text, scope=ALL)
    assert error.value.field == "q"


def test_a_bad_cursor_is_a_field_error(conversation_with):
    with pytest.raises(InvalidInput) as error:
        search_conversations("kartu", scope=ALL, cursor="bukan-cursor")
    assert error.value.field == "cursor"


def test_the_snippet_is_the_original_text_around_the_match(conversation_with):
    filler = "Selamat siang, saya nasabah lama cabang Makassar dan sudah lama menabung. " * 3
    conversation_with(filler + "Dana saya blm dikembalikan sejak tanggal 3. " + filler)
    (hit,) = search_conversations("pengembalian dana", scope=ALL).hits
    assert hit.kind == "message"
    assert "Dana saya blm dikembalikan" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert len(hit.snippet) <= 170
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["Dana", "dikembalikan"]


def test_snippet_of_a_short_text_is_the_whole_text():
    snippet, highlights = make_snippet("Kartu  tertelan!", query_terms("ditelan "))
    assert snippet == "Kartu tertelan!"
    assert [snippet[s:e] for s, e in highlights] == ["tertelan"]


def test_customer_search_respects_its_base(db):
    from layani.customers.actions import CustomerDetails, create_customer
    from layani.search.indexing import index_customer

    budi = create_customer(CustomerDetails.from_values({"full_name": "Budi Santoso"}), actor=None)
    other = create_customer(CustomerDetails.from_values({"full_name": "Budi Hartono"}), actor=None)
    for customer in (budi, other):
        index_customer(customer)
    everyone = {h.customer.pk for h in search_customers("budi", base=Customer.objects.all())}
    assert everyone == {budi.pk, other.pk}
    assert search_customers("budi", base=Customer.objects.none()) == []
    only = search_customers("budi", base=Customer.objects.filter(pk=other.pk))
    assert [h.customer.pk for h in only] == [other.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL chooses a plan")
def test_common_and_rare_words_find_the_same_through_either_plan(conversation_with):
    """With statistics, PostgreSQL walks the newest documents for a common word and uses the
    GIN index for a rare one; without, it always uses the index. Same answers either way."""
    for i in range(120):
        conversation_with(f"Transfer gagal nomor {i}")
        conversation_with(f"Kartu hilang nomor {i}")
    rare = conversation_with("Transfer ke rekening deposito berjangka")

    def everything(text):
        seen, cursor = [], None
        while True:
            results = search_conversations(text, scope=ALL, cursor=cursor, limit=50)
            seen += [h.conversation.pk for h in results.hits]
            if results.next_cursor is None:
                return seen
            cursor = results.next_cursor

    without_statistics = {t: everything(t) for t in ("transfer", "deposito", "transfer gagal")}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    with_statistics = {t: everything(t) for t in ("transfer", "deposito", "transfer gagal")}
    assert with_statistics == without_statistics
    assert len(with_statistics["transfer"]) == 121
    assert with_statistics["deposito"] == [rare.pk]
    assert len(with_statistics["transfer gagal"]) == 120


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_a_word_being_typed_is_matched_through_the_common_words_it_starts(conversation_with):
    """An unfinished last word that starts a common word is matched as itself or as the
    common words it starts (GIN reads every list of a word's start whole); a word that
    starts no common word, as the start of any word. Before statistics: any word."""
    transfers = {conversation_with(f"Transfer gagal nomor {i}").pk for i in range(30)}
    rare_completion = conversation_with("Pakai transferwise kemarin").pk
    itself = conversation_with("Naik trans kota").pk

    def everything(text):
        seen, cursor = set(), None
        while True:
            results = search_conversations(text, scope=ALL, cursor=cursor, limit=50)
            seen |= {h.conversation.pk for h in results.hits}
            if results.next_cursor is None:
                return seen
            cursor = results.next_cursor

    assert everything("transf") == transfers | {rare_completion}
    with connection.cursor() as cursor:
        # Few common words, as in a large history: only words in more than a few rows.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER refuses pending checks
        cursor.execute("ALTER TABLE search_searchdocument ALTER search_vector SET STATISTICS 1")
        cursor.execute("ANALYZE search_searchdocument")
    assert everything("transf") == transfers
    assert everything("trans") == transfers | {itself}
    assert everything("transferwi") == {rare_completion}
    assert everything("transferwise") == {rare_completion}
    assert everything("gagal transf") == transfers
    assert everything("transfer gagal") == transfers


def test_postgresql_plans_a_search_once_per_connection(conversation_with, branch):
    """Planning grows with the segments, so a search shape is prepared with a generic plan
    and every later search of that shape reuses it: other words, the same plan."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    transfer = conversation_with("Transfer gagal", branch=branch)
    card = conversation_with("Kartu tertelan", branch=branch)
    assert [h.conversation for h in search_conversations("transfer", scope=ALL).hits] == [transfer]
    assert [h.conversation for h in search_conversations("kartu", scope=ALL).hits] == [card]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ["%search_searchdocument%"],
        )
        plans = cursor.fetchall()
    assert sum(g for g, _ in plans) >= 2 and sum(c for _, c in plans) == 0
    assert len(plans) == 1  # one statement for both searches
