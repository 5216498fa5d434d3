"""Normalising Indonesian text for search: pure tests, no database."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layani.language.normalise import (
    MAX_WORD_LENGTH,
    _terms,
    normalise_for_index,
    normalise_query,
    query_terms,
    term_spans,
)
from layani.language.slang import SLANG
from layani.language.stopwords import STOPWORDS


def test_refund_complaint_and_query_share_their_stems():
    complaint = normalise_for_index("Dana saya blm dikembalikan")
    query = normalise_query("pengembalian dana")
    assert {"kembali", "dana"} <= set(complaint.split())
    assert set(query) == {"kembali", "dana"}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("tdk bisa login", "tidak bisa login"),
        ("gak", "tidak"),
        ("nggak", "tidak"),
        ("enggak", "tidak"),
        ("tak", "tidak"),
        ("udh", "sudah"),
        ("blm", "belum"),
        ("tlg", "tolong"),
        ("mksh", "terima kasih"),
        ("makasih", "terima kasih"),
        ("trf ke rek", "transfer rekening"),
        ("tf", "transfer"),
        ("knp", "kenapa"),
        ("gmn", "bagaimana"),
    ],
)
def test_slang_and_abbreviations_become_standard_words(written, expected):
    assert normalise_for_index(written) == expected


@pytest.mark.parametrize(
    ("written", "standard"),
    [
        ("atm ketelan", "atm tertelan"),
        ("m-banking error", "mobile banking error"),
        ("mbanking error", "mobile banking error"),
        ("M-Banking saya error", "mobile banking saya error"),
        ("i-banking", "internet banking"),
    ],
)
def test_everyday_variants_find_the_standard_words(written, standard):
    assert normalise_query(written) == normalise_query(standard)
    assert normalise_for_index(written) == normalise_for_index(standard)


def test_case_punctuation_emoji_and_accents_do_not_matter():
    assert normalise_for_index("TIDAK BISA... Login!!! 😡🙏") == "tidak bisa login"
    assert normalise_for_index("Ｃａｆé") == "cafe"


def test_reduplication_is_one_word():
    assert normalise_for_index("kata-kata") == "kata"
    assert normalise_for_index("hati2") == "hati"
    assert normalise_for_index("berbalas-balasan") == "balas"


def test_stopwords_go_but_negations_stay():
    assert normalise_for_index("yang ini dan itu") == ""
    assert normalise_for_index("tidak belum bukan jangan sudah") == (
        "tidak belum bukan jangan sudah"
    )
    assert "tidak" not in STOPWORDS


def test_numbers_and_identifiers_are_kept_as_written():
    assert normalise_for_index("Tiket L-1234, member BSN-000123") == (
        "tiket l 1234 member bsn 000123"
    )
    assert normalise_for_index("6281234567890") == "6281234567890"


def test_a_root_that_is_slang_keeps_the_word_as_written():
    # "mengaku" (to admit) stems to "aku", which the slang table reads as "saya".
    assert normalise_for_index("mengaku") == "mengaku"


def test_overlong_words_are_not_indexed():
    assert normalise_for_index("x" * (MAX_WORD_LENGTH + 1) + " dana") == "dana"


def test_query_terms_are_distinct_and_in_order():
    assert normalise_query("dana dana pengembalian") == ["dana", "kembali"]


def test_the_last_word_is_a_prefix_only_while_it_is_being_typed():
    typing = query_terms("dana kembal")
    assert typing.terms == ["dana", "kembal"]
    assert typing.prefix_last
    assert not query_terms("dana kembal ").prefix_last  # a space: the word is finished
    assert not query_terms("dana dikembalikan").prefix_last  # recognised by the stemmer
    assert not query_terms("dana tdk").prefix_last  # expanded from slang
    assert not query_terms("").prefix_last


def test_term_spans_point_at_the_original_words():
    text = "Dana saya blm dikembalikan, tolong!"
    spans = list(term_spans(text))
    assert [(text[s.start : s.end], s.terms) for s in spans] == [
        ("Dana", ("dana",)),
        ("blm", ("belum",)),
        ("dikembalikan", ("kembali",)),
        ("tolong", ("tolong",)),
    ]


def test_every_slang_expansion_is_already_normal():
    for expansion in SLANG.values():
        normal = normalise_for_index(expansion)
        assert normalise_for_index(normal) == normal
        assert not set(normal.split()) & set(SLANG)


_TERM = re.compile(r"[^\W_]+")

indonesian_words = st.sampled_from(
    [
        "dana",
        "dikembalikan",
        "pengembalian",
        "tdk",
        "gak",
        "yg",
        "mksh",
        "kata-kata",
        "hati2",
        "mengaku",
        "merek",
        "rek",
        "BLM",
        "Saya",
        "L-12",
        "+62 812",
        "😡",
        "café",
        "-",
        "--",
        "2",
    ]
)
mixed_text = st.one_of(
    st.text(),
    st.lists(st.one_of(indonesian_words, st.text(max_size=6)), max_size=12).map(" ".join),
    st.lists(indonesian_words, max_size=12).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(mixed_text)
def test_normalising_is_idempotent_and_never_raises(text):
    once = normalise_for_index(text)
    assert normalise_for_index(once) == once
    assert normalise_query(once) == list(dict.fromkeys(once.split()))


@settings(max_examples=300, deadline=None)
@given(mixed_text)
def test_terms_are_single_words_of_letters_and_digits(text):
    for term in normalise_for_index(text).split(" "):
        if term:
            assert _TERM.fullmatch(term), term
            assert term not in STOPWORDS


@settings(max_examples=300, deadline=None)
@given(mixed_text)
def test_word_by_word_gives_the_same_terms_as_the_whole_text(text):
    whole = list(_terms(text))  # folds and tokenises the whole text at once
    assert normalise_for_index(text).split() == whole  # chunk by chunk, cached
    assert [term for span in term_spans(text) for term in span.terms] == whole
