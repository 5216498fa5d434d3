"""The ordered (RUM) index path of PostgreSQL's conversation search: the same candidates as
the GIN path and as a plain reading of the rows, and a match far behind many newer rows of
the scope is found whatever the statistics estimated (layani.search.ordered_index)."""

import importlib
import random

import pytest
from django.db import connection

from layani.conversations.models import ConversationStatus
from layani.conversations.queries import ConversationScope
from layani.language.normalise import query_terms
from layani.search import candidates as candidates_module
from layani.search.candidates import conversation_candidates, fetch
from layani.search.facets import index_conditions
from layani.search.filters import ConversationFilters
from layani.search.models import SearchDocument
from layani.search.ordered_index import INDEX, ordered_index_present
from layani.search.queries import search_conversations

pytestmark = pytest.mark.django_db

ALL = ConversationScope(sees_all=True)
migration = importlib.import_module("layani.search.migrations.0004_ordered_index")


def test_the_query_path_looks_for_the_index_the_migration_creates():
    assert migration.INDEX == INDEX


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite has no ordered index")
def test_sqlite_has_no_ordered_index():
    assert not ordered_index_present()


def candidate_ids(text, scope, filters=None):
    """The index rows a search ranks, newest first."""
    conditions = index_conditions(scope, filters or ConversationFilters())
    sql, params = conversation_candidates(query_terms(text), conditions)
    return [row[0] for row in fetch(sql, params)]


def plan_of(text, scope, filters=None):
    conditions = index_conditions(scope, filters or ConversationFilters())
    sql, params = conversation_candidates(query_terms(text), conditions)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


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


def test_a_match_far_behind_newer_rows_of_the_scope_is_found(
    ordered_index, conversation_with, branch, monkeypatch
):
    """Words common alone, rare together: the statistics make the search walk the newest
    rows for a short window, which holds no match; the ordered index then looks further
    back, whatever its size."""
    monkeypatch.setattr(candidates_module, "CANDIDATE_LIMIT", 5)
    old = conversation_with("Dana saya belum masuk ke rekening", branch=branch)
    for i in range(150):
        conversation_with(f"Dana sudah kembali nomor {i}", branch=branch)
        conversation_with(f"Transfer masuk nomor {i}", branch=branch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
        # A table this small is read whole; the plan at scale is in bench/RESULTS.md.
        cursor.execute("SET LOCAL enable_seqscan = off")
    in_branch = ConversationScope(branch_ids=(branch.pk,))
    for scope in (ALL, in_branch):
        # Which index PostgreSQL reads for this statement (ordered or GIN) follows its
        # statistics and varied between runs of the full suite: the answer is what counts.
        assert candidate_ids("dana masuk", scope) == newest_matching_rows(
            "dana masuk", scope, None, 5
        )
        hits = search_conversations("dana masuk", scope=scope).hits
        assert [h.conversation.pk for h in hits] == [old.pk]


def test_the_ordered_index_finds_what_the_gin_index_and_the_rows_say(
    ordered_index, conversation_with, branch, other_branch, monkeypatch
):
    """Random texts, scopes and filters, before and after ANALYZE (so both the walk and
    the index are chosen): the same candidates, in the same order, through either index."""
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
    cases = [
        (text, scope, filters)
        for text in ("kartu", "transfer gagal", "saldo terpotong atm", "rek", "blokir kartu")
        for scope in (ALL, ConversationScope(branch_ids=(branch.pk,)))
        for filters in (None, ConversationFilters(status=ConversationStatus.RESOLVED))
    ]

    def answers(ordered: bool):
        monkeypatch.setattr(candidates_module, "ordered_index_present", lambda: ordered)
        return [candidate_ids(*case) for case in cases]

    for analyzed in (False, True):
        if analyzed:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE search_searchdocument")
        expected = [newest_matching_rows(*case, 7) for case in cases]
        assert answers(True) == expected
        assert answers(False) == expected
    assert any(expected), "the texts should match something"


def test_without_the_index_search_takes_its_gin_path(
    ordered_index, conversation_with, branch, django_assert_num_queries
):
    conversation_with("Kartu ATM tertelan", branch=branch)
    with_index = [h.conversation.pk for h in search_conversations("kartu", scope=ALL).hits]
    migration.drop_ordered_index(connection)
    from layani.search.ordered_index import forget_ordered_index

    forget_ordered_index()
    assert not ordered_index_present()
    assert INDEX not in plan_of("kartu", ALL)
    assert [h.conversation.pk for h in search_conversations("kartu", scope=ALL).hits] == (
        with_index
    )
    # Asked once per connection: the next searches do not look again.
    with django_assert_num_queries(0):
        assert not ordered_index_present()
