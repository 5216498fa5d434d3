"""Indonesian text to search terms: the same function for what we index and what people type.

    "Dana saya BLM dikembalikan!!" -> "dana belum kembali"
    "pengembalian dana"            -> "kembali dana"

Steps, per word: Unicode NFKC, case folding and accent folding; punctuation and emoji are
word breaks; chat reduplication ("kata-kata", "kata2") becomes one word; slang and
abbreviations are expanded (`slang.SLANG`); every word is stemmed with Sastrawi; stopwords
(`stopwords.STOPWORDS`) are dropped. Words with digits or non-Latin letters are kept as they
are, so phone numbers, ticket numbers and names in other scripts stay findable.

Normalising is idempotent (normalising a normalised text changes nothing) and never raises;
both are property-tested. The output is plain space-separated terms of letters and digits,
which SQLite FTS5 (unicode61) and PostgreSQL's 'simple' parser both split the same way.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
from Sastrawi.Stemmer.Stemmer import Stemmer
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from layani.language.slang import SLANG
from layani.language.stopwords import STOPWORDS

# Longer "words" are base64, hashes or keyboard mashing: not worth an index entry, and
# PostgreSQL refuses lexemes over 2 kB anyway.
MAX_WORD_LENGTH = 64

# Letters and digits, optionally joined by hyphens ("kata-kata", "BSN-000123").
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
# Chat reduplication written with a digit: "hati2" = "hati-hati".
_REDUPLICATED_WITH_2 = re.compile(r"([a-z]{2,})2")
_CHUNK = re.compile(r"\S+")


@cache
def _stemmer() -> Stemmer:
    """Sastrawi's stemmer over its bundled dictionary, built once per process.

    Built directly rather than through `StemmerFactory.create_stemmer`, whose result cache
    grows without bound; `_stem` below keeps a bounded cache instead.
    """
    return Stemmer(ArrayDictionary(StemmerFactory().get_words()))


def fold(text: str) -> str:
    """Compatibility forms, case and accents folded: "Ｃａｆé" -> "cafe"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """The Sastrawi root of a Latin-letter word; other words unchanged.

    When the root is itself a slang key (for example "mengaku" -> "aku", which the slang
    table would turn into "saya"), the word is kept as written: the root would change
    meaning, and normalising the output again would not be stable.
    """
    if not (word.isascii() and word.isalpha()):
        return word
    root = _stemmer().stem_singular_word(word)
    if not root or root in SLANG or not root.isalpha():
        return word
    return root


@lru_cache(maxsize=200_000)
def _terms_of_part(part: str) -> tuple[str, ...]:
    """Terms of one hyphen-free word."""
    reduplicated = _REDUPLICATED_WITH_2.fullmatch(part)
    if reduplicated:
        part = reduplicated.group(1)
    expansion = SLANG.get(part)
    words = expansion.split() if expansion else [part]
    terms = []
    for word in words:
        root = _stem(word)
        if root not in STOPWORDS:
            terms.append(root)
    return tuple(terms)


@lru_cache(maxsize=200_000)
def terms_of_word(word: str) -> tuple[str, ...]:
    """The search terms of one folded word as the tokeniser yields it (may be none)."""
    if len(word) > MAX_WORD_LENGTH:
        return ()
    terms: list[str] = []
    if "-" in word and word in SLANG:  # "m-banking" whole, before its parts
        return tuple(t for w in SLANG[word].split() for t in _terms_of_part(w))
    for part in word.split("-"):
        for term in _terms_of_part(part):
            # Reduplication: "kata-kata", "berbalas-balasan" give one term.
            if not terms or terms[-1] != term:
                terms.append(term)
    return tuple(terms)


def _terms(text: str) -> Iterator[str]:
    for match in _WORD.finditer(fold(text)):
        yield from terms_of_word(match.group())


@lru_cache(maxsize=200_000)
def _cached_chunk_terms(chunk: str) -> tuple[str, ...]:
    return tuple(_terms(chunk))


def _chunk_terms(chunk: str) -> tuple[str, ...]:
    """Terms of a run of non-space characters. Words never span spaces, so a text's terms
    are its chunks' terms in order (property-tested); most chunks repeat, so they are
    cached, which makes indexing several times faster."""
    if len(chunk) > MAX_WORD_LENGTH:
        return tuple(_terms(chunk))
    return _cached_chunk_terms(chunk)


def _text_terms(text: str) -> Iterator[str]:
    for chunk in text.split():
        yield from _chunk_terms(chunk)


def normalise_for_index(text: str) -> str:
    """The text as stored in the search index: space-separated terms, in order."""
    return " ".join(_text_terms(text))


def normalise_query(text: str) -> list[str]:
    """The distinct terms of what someone typed, in the order typed."""
    return list(dict.fromkeys(_text_terms(text)))


def plain_words(text: str) -> list[str]:
    """The folded words of `text` as written: no slang, stemming or stopwords.

    For names and identifiers, indexed beside their normalised terms so that a name is
    found while it is being typed ("Kurniaw") and whatever the stemmer makes of it.
    """
    words: list[str] = []
    for match in _WORD.finditer(fold(text)):
        if len(match.group()) <= MAX_WORD_LENGTH:
            words.extend(part for part in match.group().split("-") if part)
    return words


@dataclass(frozen=True)
class QueryTerms:
    """What a search box asks for: every term must match; with `prefix_last`, the last
    term may be the start of a longer word (the person is still typing it)."""

    terms: list[str]
    prefix_last: bool


def query_terms(text: str) -> QueryTerms:
    terms = normalise_query(text)
    if not terms or not text or not text[-1].isalnum():
        return QueryTerms(terms, prefix_last=False)
    words = _WORD.findall(fold(text))
    last_word = words[-1] if words else ""
    # Only a word left exactly as typed can be unfinished: "kembal" yes; "dikembalikan",
    # which the stemmer recognised, or "tdk", which the slang table expanded, are whole.
    prefix = terms_of_word(last_word) == (last_word,) and terms[-1] == last_word
    return QueryTerms(terms, prefix_last=prefix)


@dataclass(frozen=True)
class TermSpan:
    """A run of non-space characters of the original text and the terms it stands for."""

    start: int
    end: int
    terms: tuple[str, ...]


def term_spans(text: str) -> Iterator[TermSpan]:
    """Where each term comes from in the original text, for snippets and highlighting.

    Spans are trimmed of punctuation at either end, so "dikembalikan," highlights the word.
    """
    for chunk in _CHUNK.finditer(text):
        terms = _chunk_terms(chunk.group())
        if not terms:
            continue
        start, end = chunk.start(), chunk.end()
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        yield TermSpan(start, end, terms)
