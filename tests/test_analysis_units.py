"""The interval arithmetic every analysis figure rests on, against the
obvious reference: sets of code points."""

from __future__ import annotations

from itertools import pairwise

import pytest
from helpers import make_project
from hypothesis import given, settings
from hypothesis import strategies as st

from margin.store.analysis.units import (
    coded_rows,
    coded_spans,
    covered,
    indexed_units,
    intersection,
    union,
    units_touched,
)
from margin.store.codes import create_code
from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.store.errors import StoreError

intervals = st.lists(st.tuples(st.integers(0, 80), st.integers(0, 12)).map(
    lambda p: (p[0], p[0] + p[1])), max_size=8)


def points(spans):
    return {i for start, end in spans for i in range(start, end)}


@settings(max_examples=200, deadline=None)
@given(intervals, intervals)
def test_union_and_intersection_cover_what_the_sets_of_code_points_cover(a, b):
    ua, ub = union(a), union(b)
    assert points(ua) == points(a) and covered(ua) == len(points(a))
    assert all(x[1] < y[0] for x, y in pairwise(ua))  # sorted, disjoint, apart
    assert points(intersection(ua, ub)) == points(a) & points(b)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=12), st.integers(0, 90),
       st.integers(1, 10))
def test_units_touched_are_the_units_sharing_a_code_point(lengths, start, length):
    units, at = [], 0
    for n in lengths:
        units.append((at, at + n))
        at += n + 1  # one space between units
    interval = (start, start + length)
    expected = [k for k, unit in enumerate(units) if points([unit]) & points([interval])]
    assert list(units_touched(units, interval)) == expected


def test_sentences_and_paragraphs_come_from_the_one_segmenter():
    text = "First one. Second here.\n\nA new paragraph."
    assert list(units_touched(indexed_units(text, "sentence"), (11, 14))) == [1]
    assert list(units_touched(indexed_units(text, "paragraph"), (20, 30))) == [0, 1]
    assert list(indexed_units(text, "document")) == [(0, len(text))]
    with pytest.raises(StoreError, match="unknown unit"):
        indexed_units(text, "page")


def test_coded_spans_filter_by_coder_and_name_an_unknown_coder(tmp_path):
    db = open_database(make_project(tmp_path / "p.db", entities=False))
    document_id = db.execute("SELECT id FROM documents ORDER BY id LIMIT 1").fetchone()[0]
    code_id = create_code(db, "Theme")
    apply_coding(db, document_id, code_id, 0, 10, coder="ana")
    apply_coding(db, document_id, code_id, 5, 20, coder="ben")
    assert [(s.coder, s.start) for s in coded_spans(db)] == [("ana", 0), ("ben", 5)]
    assert [s.coder for s in coded_spans(db, coders=["ben"])] == ["ben"]
    with pytest.raises(StoreError, match="no coder named 'bea'; coders: ana, ben"):
        coded_spans(db, coders=["bea"])
    # The plain rows (for a pass over many codings) are the spans' fields, in order.
    assert [tuple(row) for row in coded_rows(db, coders=["ben", "ana"])] == [
        (s.coding_id, s.document_id, s.code_id, s.coder, s.start, s.end)
        for s in coded_spans(db)]


WORDY = "Hello, world! don't stop — नमस्ते दुनिया a''b x'y’z 3.14 naïve end."


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, len(WORDY)), st.integers(0, 15)).map(
    lambda p: (p[0], min(len(WORDY), p[0] + p[1]))), max_size=5), min_size=1, max_size=3))
def test_words_touched_are_the_word_spans_sharing_a_code_point(lists):
    import re
    import unicodedata

    from margin.store.analysis.units import count_words_touched
    from margin.store.textspans import word_spans

    words = [(s, e) for s, e in word_spans(WORDY)  # punctuation runs are not words
             if re.match(r"\w", WORDY[s]) or unicodedata.category(WORDY[s])[0] == "M"]
    merged = [union(intervals) for intervals in lists]
    expected = [sum(1 for word in words if points([word]) & points(intervals))
                for intervals in merged]
    assert count_words_touched(WORDY, merged) == expected


#: Characters that decide where words start and end: ASCII and Latin-1
#: letters and digits ("²" and "ª" are word characters too), combining and
#: Indic marks, the joiners, the typographic characters replaced before the
#: fast path, an astral letter and an astral mark (left out of words on
#: purpose), a lone surrogate, spaces and punctuation.
TRICKY = ("ab9_ ,.-\n\t'’\u200c\u200d\u0301\u093e\u0928é²ªß\u00a0×–—“”‘…«»"
          "\U0001d400\U0001d167\ud800")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=TRICKY, min_size=1, max_size=40), st.data())
def test_words_touched_agree_with_the_segmenter_on_any_text(text, data):
    """Words coded are counted on the text's word classes, one byte per
    character (not with the segmenter): on texts of the characters where
    the two could part, the count is still the words of ``word_spans``
    that share a code point with the intervals."""
    import re

    from margin.store.analysis.units import count_words_touched
    from margin.store.textspans import word_character, word_spans

    # Words are the spans that start with a word character (an astral mark
    # is not one: a run of punctuation may start with it).
    words = [(s, e) for s, e in word_spans(text) if re.match(word_character(), text[s])]
    size = len(text)
    lists = data.draw(st.lists(st.lists(st.tuples(st.integers(0, size - 1), st.integers(1, 8)).map(
        lambda p: (p[0], min(size, p[0] + p[1]))), max_size=4), min_size=1, max_size=3))
    merged = [union(intervals) for intervals in lists]
    expected = [sum(1 for word in words if points([word]) & points(intervals))
                for intervals in merged]
    # Both ways of making the classes: a character's class through a table
    # (most text) and cutting into words (text mostly outside Latin-1).
    import margin.store.analysis.units as units

    default = units.WIDE_SHARE_CLASSIFIED
    try:
        for share in (1.0, 0.0):
            units.WIDE_SHARE_CLASSIFIED = share
            assert count_words_touched(text, merged) == expected, share
    finally:
        units.WIDE_SHARE_CLASSIFIED = default
