"""Codings as intervals, texts as units, and the interval arithmetic that
frequencies, co-occurrence, retrieval and agreement share.

A coding is a half-open interval ``[start, end)`` of code points in its
document's text (the core's invariant). Analysis never looks at characters
one by one: a coder's codings of a code in a document are merged into a
sorted list of disjoint intervals (:func:`union`), and lengths, overlaps and
the units they touch are computed from those lists (:func:`intersection`,
:func:`covered`, :func:`units_touched`).
"""

from __future__ import annotations

import codecs
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, repeat
from operator import and_, eq

from margin.store.coders import coder_condition
from margin.store.db import Database
from margin.store.errors import StoreError
from margin.store.textspans import (
    WORD_JOINERS,
    Span,
    paragraph_spans,
    sentence_spans,
    word_character,
    word_spans,
)

UNITS = ("sentence", "paragraph", "document")


@dataclass(frozen=True)
class CodedSpan:
    """One coding, reduced to what analysis needs."""

    coding_id: int
    document_id: int
    code_id: int
    coder: str
    start: int
    end: int


def coding_filter(
    db: Database,
    *,
    coders: Sequence[str] = (),
    documents: Sequence[int] = (),
    codes: Sequence[int] = (),
) -> tuple[str, list]:
    """The ``WHERE`` clause (empty when there is nothing to filter) and its
    parameters that keep the codings of the coders named, the document ids
    and the code ids given, for queries on ``codings``; an unknown coder is
    a one-line :class:`StoreError` (:func:`margin.store.coders.coder_ids`)."""
    by_coder, params = coder_condition(db, coders, "codings.coder_id")
    where = [by_coder] if coders else []
    for column, values in (
        ("codings.document_id", documents),
        ("codings.code_id", codes),
    ):
        if values:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    return ("WHERE " + " AND ".join(where) if where else ""), params


def coded_rows(
    db: Database,
    *,
    coders: Sequence[str] = (),
    documents: Sequence[int] = (),
    codes: Sequence[int] = (),
) -> list[tuple[int, int, int, str, int, int]]:
    """:func:`coded_spans` as plain tuples ``(coding_id, document_id,
    code_id, coder, start, end)``, in the same order: for figures over a
    hundred thousand codings, where making the objects costs more than the
    query."""
    where, params = coding_filter(db, coders=coders, documents=documents, codes=codes)
    sql = f"""SELECT codings.id, codings.document_id, codings.code_id,
                     IFNULL(coders.name, 'unknown'), codings.start, codings."end"
              FROM codings LEFT JOIN coders ON coders.id = codings.coder_id {where}
              ORDER BY codings.document_id, codings.code_id, IFNULL(codings.coder_id, 0),
                       codings.start, codings."end" """  # the order of the unique index: no sort
    return db.execute(sql, params).fetchall()


def coded_spans(
    db: Database,
    *,
    coders: Sequence[str] = (),
    documents: Sequence[int] = (),
    codes: Sequence[int] = (),
) -> list[CodedSpan]:
    """Every coding as a :class:`CodedSpan`, ordered by document, code, coder
    (in the order coders first coded) and start; filtered to the coders
    named, the document ids and the code ids given (empty: all). Codings
    without a coder count as coder "unknown"."""
    return [CodedSpan(*row) for row in
            coded_rows(db, coders=coders, documents=documents, codes=codes)]


def union(intervals: Iterable[Span]) -> list[Span]:
    """The intervals merged: sorted, disjoint, none empty. Touching intervals
    ([0, 5) and [5, 9)) become one. (Lists already sorted, or made of sorted
    runs such as other unions put end to end, sort in about one pass.)"""
    merged: list[Span] = []
    ordered = iter(sorted(intervals))
    for low, high in ordered:  # the first interval that is not empty
        if low < high:
            break
    else:
        return merged
    append = merged.append
    for start, end in ordered:
        if start <= high:
            if end > high:
                high = end
        elif start < end:
            append((low, high))
            low, high = start, end
    append((low, high))
    return merged


def intersection(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The intersection of two sorted lists of disjoint intervals (as
    :func:`union` returns), in one pass over both."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def covered(intervals: Sequence[Span]) -> int:
    """How many code points a list of disjoint intervals covers."""
    return sum(end - start for start, end in intervals)


def overlap(a: Span, b: Span) -> bool:
    """Whether two intervals share at least one code point."""
    return a[0] < b[1] and b[0] < a[1]


def unit_spans(text: str, unit: str) -> list[Span]:
    """The units ``text`` is cut into: its sentences, its paragraphs, or the
    whole document as one unit (the one segmenter is :mod:`..textspans`)."""
    if unit == "sentence":
        return sentence_spans(text)
    if unit == "paragraph":
        return list(paragraph_spans(text))
    if unit == "document":
        return [(0, len(text))] if text else []
    raise StoreError(f"unknown unit {unit!r}: use {', '.join(UNITS)}")


def units_touched(units: Sequence[Span], interval: Span) -> range:
    """The indexes of the units (sorted, disjoint) that ``interval`` overlaps
    by at least one code point, found by bisection."""
    starts = [u[0] for u in units] if not isinstance(units, _Starts) else units.starts
    first = bisect_right(starts, interval[0]) - 1
    if first < 0 or units[first][1] <= interval[0]:
        first += 1
    last = bisect_left(starts, interval[1])  # units starting at or after the end do not overlap
    return range(first, max(first, last))


class _Starts(list):
    """A list of units that keeps its starts, so that many calls of
    :func:`units_touched` on one document bisect without rebuilding them."""

    def __init__(self, units: Sequence[Span]):
        super().__init__(units)
        self.starts = [u[0] for u in units]


def indexed_units(text: str, unit: str) -> Sequence[Span]:
    """:func:`unit_spans`, ready for many :func:`units_touched` calls."""
    return _Starts(unit_spans(text, unit))



#: Typographic characters common in prose, replaced before the encoding
#: below so that its error handler (a Python call per run) is seldom called;
#: their class is still the segmenter's (see :func:`_word_classes`).
_COMMON_WIDE = "\u2019\u2018\u201c\u201d\u2013\u2014\u2026\u201e\u00ab\u00bb"
_WORD, _JOINER, _OTHER = "a", "'", " "
_CLASSES_ERRORS = "margin-word-classes"
_marks_seen = threading.local()
#: Up to this share of characters outside Latin-1 (after the common ones),
#: the classes are made through the encoding's error handler (a call per run
#: of them); above it (Cyrillic, Greek, CJK: a call per word), through
#: ``str.translate`` and a table of every character met (:class:`_Classes`).
WIDE_SHARE_CLASSIFIED = 0.02
_MARK = "m"


class _Classes(dict):
    """Code point → class byte, for ``str.translate``: each character
    classified the first time it is met, by the segmenter's own classes (a
    combining mark is ``m``: the caller cuts such a text into words)."""

    def __missing__(self, code_point: int) -> int:
        character = chr(code_point)
        word = re.match(word_character(), character)
        kind = (_MARK if word and not re.match(r"\w", character) else _WORD if word
                else _JOINER if character in WORD_JOINERS else _OTHER)
        self[code_point] = ord(kind)
        return ord(kind)


_WIDE_CLASSES = _Classes()


@lru_cache(maxsize=1)
def _word_classes() -> tuple[bytes, bytes, tuple[tuple[str, str], ...], re.Pattern[str]]:
    """What :func:`word_classes` needs, made once: the table from Latin-1
    bytes to classes, the table that makes the joiners left outside words
    plain separators, and the common wide characters with their class. The
    classes are the segmenter's own (``textspans.word_character()``,
    ``WORD_JOINERS``), asked of the regular expression character by character,
    so nothing here restates what a word is."""
    word = re.compile(word_character())
    joiner = re.compile(f"[{WORD_JOINERS}]")
    wide = re.compile(r"[^\x00-\xff]")
    mark = re.compile(rf"(?!\w){word_character()}")

    def classify(character: str) -> str:
        return _WORD if word.match(character) else _JOINER if joiner.match(character) else _OTHER

    def handler(error: UnicodeEncodeError) -> tuple[str, int]:
        run = error.object[error.start:error.end]
        if mark.search(run):
            _marks_seen.found = True
        return wide.sub(_OTHER, joiner.sub(_JOINER, word.sub(_WORD, run))), error.end

    codecs.register_error(_CLASSES_ERRORS, handler)
    first = "".join(classify(chr(byte)) for byte in range(256)).encode("ascii")
    second = bytes(ord(_OTHER) if byte == ord(_JOINER) else byte for byte in range(256))
    return first, second, tuple((c, classify(c)) for c in _COMMON_WIDE), word


def word_classes(text: str) -> bytes:
    """One byte per code point of ``text``, after one leading space: ``a``
    for a character of a word of :func:`~..textspans.word_spans` (runs of
    punctuation are not words), a space for anything else. Words never
    touch, so a word starts at ``p`` exactly where the bytes ``p`` and
    ``p + 1`` are ``" a"``: the words starting in ``[start, end)`` are
    ``classes.count(b" a", start, end + 1)``, counted in C at memory speed.

    Made from the characters' classes (Latin-1 through a table, the rest
    classified by the segmenter's own character class), not by cutting the
    text into words, which takes ten times as long. A text with combining
    marks (which the segmenter gives to a run of punctuation they follow)
    is cut into words instead: there the classes alone would not say."""
    first, second, common, word = _word_classes()
    simpler = text
    if not text.isascii():
        for character, kind in common:
            simpler = simpler.replace(character, kind)
        wide = len(text) - len(simpler.encode("latin-1", "ignore"))
    if not text.isascii() and wide > len(text) * WIDE_SHARE_CLASSIFIED:
        classes = b" " + text.translate(_WIDE_CLASSES).encode("ascii")
        if _MARK.encode() in classes:
            return _classes_of_words(text, word)
    else:
        _marks_seen.found = False
        classes = b" " + simpler.encode("latin-1", _CLASSES_ERRORS).translate(first)
        if _marks_seen.found:
            return _classes_of_words(text, word)
    # A joiner between word characters is inside the word; replaced twice
    # because the first pass skips every other one of "a'b'c'd".
    if b"a'a" in classes:
        classes = classes.replace(b"a'a", b"aaa").replace(b"a'a", b"aaa")
    return classes.translate(second)


def _classes_of_words(text: str, word: re.Pattern[str]) -> bytes:
    """:func:`word_classes` made by cutting the text into words (the
    segmenter's; a span that starts with a word character is a word)."""
    classes = bytearray(b" ") * (len(text) + 1)
    for start, end in word_spans(text):
        if word.match(text, start):
            classes[start + 1:end + 1] = b"a" * (end - start)
    return bytes(classes)


def count_words_touched(text: str, interval_lists: Sequence[Sequence[Span]]) -> list[int]:
    """For each list of sorted, disjoint intervals (as :func:`union` returns)
    into ``text``, how many words they touch, each word counted once: the
    words of :func:`~..textspans.word_spans` (runs of letters, digits and
    marks, ``don't`` one word), runs of punctuation left out; a word only
    partly inside counts."""
    return [words for _, words in measure_intervals(text, interval_lists)]


def measure_intervals(text: str,
                      interval_lists: Sequence[Sequence[Span]]) -> list[tuple[int, int]]:
    """For each list of sorted, disjoint intervals (as :func:`union` returns)
    into ``text``: the code points it covers (:func:`covered`) and the words
    it touches (:func:`count_words_touched`).

    The text is not cut into words: the word starts between the intervals'
    ends are counted in the text's :func:`word_classes`, each stretch
    between two ends once, and each list's figures are sums over its ends
    and starts (loops in C); only an interval that starts inside a word is
    looked at on its own."""
    classes = word_classes(text)
    starts_of = [[start for start, _ in intervals] for intervals in interval_lists]
    ends_of = [[end for _, end in intervals] for intervals in interval_lists]
    points = sorted(set().union(*starts_of, *ends_of))
    # Word starts before each point: one count per stretch between points,
    # added up (both loops in C).
    before = dict(zip(points, accumulate(map(
        classes.count, repeat(b" a"), [0, *points[:-1]], [point + 1 for point in points])),
        strict=True))
    # The points inside a word (this character and the one before are of a
    # word): an interval starting there touches a word that began earlier,
    # one more word unless the interval before touched it already (no word
    # starts between that one's end and this start).
    word = ord(_WORD)
    last = len(classes) - 1  # (the text's end is no word's inside)
    inside = {point for point in points
              if point < last and classes[point + 1] == word and classes[point] == word}.__contains__
    words_before = before.__getitem__
    figures = []
    for starts, ends in zip(starts_of, ends_of, strict=True):
        if len(starts) == 1:  # (most lists: one coding, or codings merged into one)
            start, end = starts[0], ends[0]
            figures.append((end - start, before[end] - before[start] + inside(start)))
            continue
        at_start = list(map(words_before, starts))
        at_end = list(map(words_before, ends))
        within = list(map(inside, starts))
        count = sum(at_end) - sum(at_start) + sum(within) - sum(map(
            and_, within[1:], map(eq, at_start[1:], at_end)))
        figures.append((sum(ends) - sum(starts), count))
    return figures
