"""Does the search find what an Indonesian agent looks for? Same answers on SQLite and
PostgreSQL: each test runs on whichever database the suite runs on, and CI runs both."""

import pytest

from layani.conversations.actions import add_message, start_conversation
from layani.conversations.models import Direction
from layani.conversations.queries import ConversationScope, scope_of
from layani.core.choices import Channel
from layani.search.indexing import index_message
from layani.search.queries import search_conversations
from layani.staff.models import Role

pytestmark = pytest.mark.django_db


def found(text, scope=None):
    scope = ConversationScope(sees_all=True) if scope is None else scope
    return [hit.conversation.pk for hit in search_conversations(text, scope=scope).hits]


def test_slang_in_the_query_finds_standard_words(conversation_with):
    login = conversation_with("Saya tidak bisa masuk ke aplikasi, login gagal terus sejak pagi")
    conversation_with("Bisa minta info promo kartu kredit?")
    assert found("tdk bisa login") == [login.pk]
    assert found("gak bisa login") == [login.pk]


def test_slang_in_the_message_is_found_by_standard_words(conversation_with):
    slang = conversation_with("udh trf ke rek bca tp blm masuk")
    assert found("sudah transfer rekening") == [slang.pk]
    assert found("belum masuk") == [slang.pk]


def test_affixes_refund_asked_in_other_words(conversation_with):
    refund = conversation_with("Dana saya blm dikembalikan, sudah dua minggu")
    conversation_with("Saya mau buka rekening tabungan")
    assert found("pengembalian dana") == [refund.pk]
    assert found("dikembalikan") == [refund.pk]
    assert found("refund") == [refund.pk]


def test_complaint_words_find_each_other(conversation_with):
    keluhan = conversation_with("Keluhan saya soal antrean di cabang belum ditanggapi")
    komplain = conversation_with("Mau komplain, pelayanan teller lambat")
    assert set(found("komplain")) == {keluhan.pk, komplain.pk}
    assert set(found("keluhan pelayanan")) == {komplain.pk}
    assert set(found("dilayani")) == {komplain.pk}


def test_every_word_must_match(conversation_with):
    card = conversation_with("Kartu ATM saya tertelan mesin")
    conversation_with("Kartu kredit tagihannya salah")
    assert found("kartu tertelan") == [card.pk]
    assert found("kartu hilang") == []


def test_the_last_word_may_be_unfinished(conversation_with):
    refund = conversation_with("Dana saya blm dikembalikan")
    assert found("dana kembal") == [refund.pk]
    assert found("dana kembal ") == []  # a finished word is matched whole


def test_negations_are_searchable(conversation_with):
    not_yet = conversation_with("Paket belum diterima")
    conversation_with("Paket sudah diterima, terima kasih")
    assert found("belum terima paket") == [not_yet.pk]


def test_the_subject_and_internal_notes_are_searched(conversation_with):
    by_subject = conversation_with("Halo", subject="Kartu ATM tertelan di Sudirman")
    by_note = conversation_with("Nasabah minta kartu baru", direction=Direction.NOTE)
    hits = {
        h.conversation.pk: h
        for h in search_conversations("kartu", scope=ConversationScope(sees_all=True)).hits
    }
    assert set(hits) == {by_subject.pk, by_note.pk}
    assert hits[by_subject.pk].kind == "subject"
    assert hits[by_note.pk].kind == "note"


def test_a_conversation_appears_once_with_its_best_match(conversation_with):
    chatty = conversation_with(
        "Transfer gagal", "Transfer gagal lagi", "Transfer ke rekening lain gagal juga"
    )
    assert found("transfer gagal") == [chatty.pk]


def test_a_scoped_person_does_not_find_conversations_outside_their_scope(
    conversation_with, make_person, branch, other_branch
):
    mine = conversation_with("Dana belum dikembalikan", branch=branch)
    theirs = conversation_with("Dana belum dikembalikan juga", branch=other_branch)
    teller = make_person(Role.BRANCH_STAFF, branches=[branch])
    admin = make_person(Role.ADMIN)
    assert found("pengembalian dana", scope_of(teller)) == [mine.pk]
    assert set(found("pengembalian dana", scope_of(admin))) == {mine.pk, theirs.pk}


def test_a_new_message_is_found_as_soon_as_it_is_indexed(db):
    conversation = start_conversation(customer=None, channel=Channel.WHATSAPP, actor=None)
    assert found("tertelan") == []
    message = add_message(
        conversation,
        direction=Direction.INBOUND,
        body_text="Kartu ATM saya tertelan di mesin Sudirman",
        actor=None,
    )
    index_message(message)
    assert found("tertelan") == [conversation.pk]
