"""PostgreSQL's conversation search through segments of ids (layani.search.segments): the
same candidates as a plain reading of the rows, whichever stage finds them, however far
back; segments created ahead of the rows; rows beyond the last segment still found."""

import importlib
import random
from itertools import pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layani.conversations.models import ConversationStatus
from layani.conversations.queries import ConversationScope
from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.models import Customer
from layani.language.normalise import query_terms
from layani.search import candidates as candidates_module
from layani.search import segments
from layani.search.candidates import conversation_candidates, fetch
from layani.search.facets import index_conditions
from layani.search.filters import ConversationFilters
from layani.search.indexing import index_customer
from layani.search.models import SearchDocument
from layani.search.queries import search_conversations, search_customers
from layani.search.tests.conftest import SMALL_SEGMENT

pytestmark = pytest.mark.django_db

ALL = ConversationScope(sees_all=True)


def candidate_ids(text, scope, filters=None):
    """The index rows a search ranks, newest first."""
    conditions = index_conditions(scope, filters or ConversationFilters())
    sql, params = conversation_candidates(query_terms(text), conditions)
    return [row[0] for row in fetch(sql, params)]


def newest_matching_rows(text, scope, filters, limit):
    """The same answer read plainly: every conversation row of the scope and filters whose
    words include the query's, newest first."""
    query = query_terms(text)
    conversations = ConversationFilters() if filters is None else filters
    rows = SearchDocument.objects.filter(conversation__isnull=False).order_by("-id")
    if not scope.sees_all:
        rows = rows.filter(branch_id__in=scope.branch_ids)
    if conversations.status:
        rows = rows.filter(status=conversations.status)
    found = []
    for row in rows:
        words = row.content.split()
        last = len(query.terms) - 1
        if all(
            term in words
            or (query.prefix_last and i == last and any(w.startswith(term) for w in words))
            for i, term in enumerate(query.terms)
        ):
            found.append(row.pk)
    return found[:limit]


def segment_indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_searchdocument'"
        )
        return dict(cursor.fetchall())


def test_sqlite_has_no_segments():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's FTS5 reads newest first by itself")
    assert segments.ensure_segments() == []


def test_the_migration_leaves_segments_and_no_index_over_every_conversation_row(db):
    if connection.vendor != "postgresql":
        pytest.skip("segments are PostgreSQL's")
    indexes = segment_indexes()
    assert "search_document_conversation_vector" not in indexes
    assert "search_document_ordered" not in indexes
    first = indexes[segments.Segment.at(0, 0).name]
    assert "gin (search_vector, facets)" in first
    assert f"id < {segments.LEVELS[0]}" in first
    migration = importlib.import_module("layani.search.migrations.0005_segments")
    assert "search_document_conversation_vector" in migration.DROPPED
    # Customer rows: segments by customer id (0007), no index over every customer row.
    assert "search_document_customer_vector" not in indexes
    customers = indexes[segments.Segment.at(0, 0, segments.CUSTOMERS).name]
    assert "gin (search_vector)" in customers
    assert f"customer_id < {segments.CUSTOMER_LEVELS[0]}" in customers


def test_customers_are_found_newest_first_through_their_segments(db, monkeypatch):
    """Customer rows in segments by customer id: the newest matching customers are
    found, however many segments back, also through a range whose index is missing."""
    if connection.vendor != "postgresql":
        pytest.skip("segments are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), "
            "COALESCE(max(id), 0) + 1, false) FROM customers_customer"
        )
    monkeypatch.setattr(segments, "CUSTOMER_LEVELS", (4, 12, 36))
    monkeypatch.setattr(candidates_module, "CANDIDATE_LIMIT", 3)
    segments.drop_segments((segments.CUSTOMERS,))
    names = ["Budi Santoso", "Siti Rahayu", "Budi Hartono", "Dewi Lestari", "Agus Salim"] * 20
    made = [
        create_customer(CustomerDetails.from_values({"full_name": n}), actor=None) for n in names
    ]
    for customer in made:
        index_customer(customer)
    created = segments.ensure_segments(families=(segments.CUSTOMERS,))
    assert {s.level for s in created} == {0, 1, 2}
    budis = [c.pk for c in made if c.full_name.startswith("Budi")]

    def found(text, limit=3):
        return [
            h.customer.pk for h in search_customers(text, base=Customer.objects.all(), limit=limit)
        ]

    # The three newest of 40 Budis (equal rank, newest first), and the only Salim.
    assert sorted(found("budi"), reverse=True) == sorted(budis, reverse=True)[:3]
    assert found("rahayu siti", limit=1) == [made[-4].pk]
    assert found("santoso") and found("zzzz") == []
    # A range whose index is missing is still read.
    oldest = segments.known_segments(segments.CUSTOMERS)[0]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {oldest.name}")
    segments.forget_segments()
    first_budi = made[0]
    Customer.objects.exclude(pk=first_budi.pk).filter(full_name__startswith="Budi").delete()
    assert found("budi") == [first_budi.pk]


def test_segments_are_made_ahead_of_the_rows_once(small_segments, conversation_with, branch):
    for i in range(30):
        conversation_with(f"Kartu nomor {i} tertelan", branch=branch)
    newest = SearchDocument.objects.order_by("-id").values_list("id", flat=True).first()
    created = small_segments()
    assert created == segments.layout(newest)
    assert created[-1].high == (newest // SMALL_SEGMENT + 1 + segments.AHEAD) * SMALL_SEGMENT
    assert small_segments() == []
    names = segment_indexes()
    for segment in created:
        assert f"id >= {segment.low}" in names[segment.name]
        assert f"id < {segment.high}" in names[segment.name]
    assert segments.known_segments() == tuple(created)


def test_full_segments_are_merged_into_the_next_level(small_segments, conversation_with, branch):
    """As rows arrive, FAN full segments of a level become one of the next: built first,
    then the small ones dropped; searches find the same rows through either."""
    first = conversation_with("Kartu kredit terblokir", branch=branch)
    small_segments()
    assert {s.level for s in segments.known_segments()} == {0}
    for i in range(200):  # past the first level-2 segment (9 x 20 rows)
        conversation_with(f"Transfer nomor {i} gagal", branch=branch)
    last = conversation_with("Kartu kredit terblokir lagi", branch=branch)
    created = small_segments()
    known = segments.known_segments()
    assert 2 in {s.level for s in created}
    assert set(segment_indexes()) >= {s.name for s in known}
    assert not any(a != b and a.contains(b) for a in known for b in known), "replaced: dropped"
    assert [s.low for s in known] == sorted(s.low for s in known)
    assert all(a.high == b.low for a, b in pairwise(known)), "no gap"
    assert candidate_ids("kartu blokir", ALL) == newest_matching_rows("kartu blokir", ALL, None, 5)
    hits = search_conversations("kartu blokir", scope=ALL).hits
    assert {h.conversation.pk for h in hits} == {last.pk, first.pk}


def test_layout_keeps_the_newest_rows_small():
    """At the real sizes: 1M conversations write about 6.2M index rows."""
    wanted = segments.layout(6_200_000)
    assert [s.level for s in wanted] == [1] * 12 + [0] * 6
    assert wanted[0] == segments.Segment(0, 500_000, 1)
    assert wanted[-1].high == 6_375_000  # two level-0 segments beyond the newest row
    assert all(a.high == b.low for a, b in pairwise(wanted))
    assert len(segments.cover(tuple(wanted))) == len(wanted) + 1  # and the rows above
    assert segments.layout(0) == [segments.Segment.at(0, n) for n in range(3)]


def test_the_newest_customers_stay_in_small_segments():
    """200,000 customers in one merged segment would make a common name visit every one of
    its matches: the newest 200,000 stay in segments of 25,000."""
    customers = segments.CUSTOMERS
    assert [s.level for s in segments.layout(200_000, customers)] == [0] * 11
    wanted = segments.layout(450_000, customers)
    assert [s.level for s in wanted] == [1] + [0] * 13
    assert wanted[0] == segments.Segment(0, 200_000, 1, customers)
    assert all(a.high == b.low for a, b in pairwise(wanted))


def test_cover_reads_gaps_and_prefers_the_larger_segment():
    small = segments.Segment.at(0, 0)
    large = segments.Segment.at(1, 0)
    later = segments.Segment.at(0, 9)
    assert segments.cover((small, large, later)) == [
        (later.high, None),
        (later.low, later.high),
        (large.high, later.low),  # no index: read all the same
        (0, large.high),
    ]


def test_a_match_far_behind_newer_rows_of_the_scope_is_found(
    small_segments, conversation_with, branch, other_branch, monkeypatch
):
    """Words common alone, rare together, many segments back: the walk over the newest rows
    finds nothing and the segments look further back, whatever the estimate."""
    monkeypatch.setattr(candidates_module, "CANDIDATE_LIMIT", 5)
    monkeypatch.setattr(candidates_module, "WALK_MAX_ROWS", 30)
    old = conversation_with("Dana saya belum masuk ke rekening", branch=branch)
    for i in range(120):
        conversation_with(f"Dana sudah kembali nomor {i}", branch=branch)
        conversation_with(f"Transfer masuk nomor {i}", branch=other_branch)
    small_segments()
    assert len(segments.known_segments()) >= 4  # the old match several segments back
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    in_branch = ConversationScope(branch_ids=(branch.pk,))
    for scope in (ALL, in_branch):
        assert candidate_ids("dana masuk", scope) == newest_matching_rows(
            "dana masuk", scope, None, 5
        )
        hits = search_conversations("dana masuk", scope=scope).hits
        assert [h.conversation.pk for h in hits] == [old.pk]


def test_segments_find_what_the_rows_say(
    small_segments, conversation_with, branch, other_branch, monkeypatch
):
    """Random texts, scopes and filters, before and after ANALYZE (so both the walk and the
    segments are chosen), with pages that end inside a segment and across several: the same
    candidates, in the same order, as reading the rows."""
    monkeypatch.setattr(candidates_module, "CANDIDATE_LIMIT", 7)
    rng = random.Random(4)
    words = ["kartu", "transfer", "gagal", "saldo", "terpotong", "rekening", "blokir", "atm"]
    for _ in range(90):
        conversation_with(
            " ".join(rng.sample(words, rng.randint(1, 4))),
            " ".join(rng.sample(words, rng.randint(1, 3))),
            branch=rng.choice([branch, other_branch]),
            status=rng.choice([ConversationStatus.OPEN, ConversationStatus.RESOLVED]),
        )
    small_segments()
    cases = [
        (text, scope, filters)
        for text in ("kartu", "transfer gagal", "saldo terpotong atm", "rek", "blokir kartu")
        for scope in (ALL, ConversationScope(branch_ids=(branch.pk,)))
        for filters in (None, ConversationFilters(status=ConversationStatus.RESOLVED))
    ]
    for walk in (5_000, 3):
        monkeypatch.setattr(candidates_module, "WALK_MAX_ROWS", walk)
        for analyzed in (False, True):
            if analyzed:
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE search_searchdocument")
            expected = [newest_matching_rows(*case, 7) for case in cases]
            assert [candidate_ids(*case) for case in cases] == expected
    assert any(expected), "the texts should match something"


def test_rows_beyond_the_last_segment_are_still_found(small_segments, conversation_with, branch):
    """A load faster than the task that makes segments: the newest rows have no segment
    index yet and are found all the same."""
    first = conversation_with("Kartu kredit terblokir", branch=branch)
    small_segments()
    known = segments.known_segments()
    beyond = max(s.high for s in known)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('search_searchdocument', 'id'), %s, false)",
            [beyond + 5],
        )
    later = conversation_with("Kartu kredit terblokir lagi", branch=branch)
    assert SearchDocument.objects.filter(conversation=later).earliest("id").pk > beyond
    assert candidate_ids("kartu blokir", ALL) == newest_matching_rows("kartu blokir", ALL, None, 5)
    hits = search_conversations("kartu blokir", scope=ALL).hits
    assert {h.conversation.pk for h in hits} == {later.pk, first.pk}
    created = small_segments()
    assert created and max(s.high for s in created) > beyond


def test_the_catalogue_is_read_once_for_many_searches(small_segments, conversation_with, branch):
    conversation_with("Saldo terpotong dua kali", branch=branch)
    small_segments()
    segments.forget_segments()
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            assert search_conversations("saldo", scope=ALL).hits
    catalogue = [q for q in captured.captured_queries if "pg_index" in q["sql"]]
    assert len(catalogue) == 1


def test_the_levels_migration_keeps_the_old_segments_as_level_one(conversation_with, branch):
    """A database migrated by 0005 has segments of 500,000 ids: 0006 renames them (no
    rebuild: the same index) and adds what the levels need."""
    if connection.vendor != "postgresql":
        pytest.skip("segments are PostgreSQL's")
    migration = importlib.import_module("layani.search.migrations.0006_segment_levels")
    conversation_with("Kartu kredit terblokir", branch=branch)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('search_searchdocument', 'id'), 600000)"
        )
    later = conversation_with("Kartu kredit terblokir lagi", branch=branch)
    segments.drop_segments()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for number in (0, 1):
            cursor.execute(
                f"CREATE INDEX search_document_segment_{number} ON search_searchdocument "
                "USING gin (search_vector, facets) WHERE conversation_id IS NOT NULL "
                f"AND id >= {number * 500_000} AND id < {(number + 1) * 500_000}"
            )
        cursor.execute("SELECT 'search_document_segment_0'::regclass::oid")
        old_oid = cursor.fetchone()[0]

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.forward(None, editor)
    indexes = segment_indexes()
    assert not {"search_document_segment_0", "search_document_segment_1"} & set(indexes)
    level_one = segments.Segment.at(1, 0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::regclass::oid", [level_one.name])
        assert cursor.fetchone()[0] == old_oid
    assert segments.known_segments() == tuple(segments.layout(later_id(later)))
    hits = search_conversations("kartu blokir", scope=ALL).hits
    assert len(hits) == 2


def later_id(conversation):
    return SearchDocument.objects.filter(conversation=conversation).latest("id").pk


def test_segments_are_made_inside_a_transaction_that_wrote_rows(conversation_with, branch):
    """`layani reindex` or a test inside a transaction whose new rows' foreign keys are
    still to be checked: the segments the rows need are made all the same."""
    if connection.vendor != "postgresql":
        pytest.skip("segments are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('search_searchdocument', 'id'), 1000000)"
        )
    conversation_with("Kartu kredit terblokir", branch=branch)
    created = segments.ensure_segments()
    assert created and max(s.high for s in created) > 1_000_000
    assert search_conversations("kartu blokir", scope=ALL).hits
