"""The reader's span indexes on their own: offsets in, codings, entities and
find hits out, without Textual."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from margin.store.codings import Coding
from margin.tui.reader.spans import (
    CodingIndex,
    GutterRow,
    Match,
    SpanIndex,
    find_matches,
    gutter_row,
    next_span,
)


def coding(coding_id: int, start: int, end: int, name: str = "", colour: str = "#ff0000"):
    return Coding(coding_id, f"uuid-{coding_id}", 1, coding_id, start, end, "", "", "ada", "",
                  None, name or f"code {coding_id}", colour)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    label: str = "PERSON"


intervals = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 20)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=12,
)


@given(intervals, st.integers(-2, 90))
def test_the_codings_at_an_offset_are_those_covering_it(spans, offset):
    codings = [coding(i + 1, start, end) for i, (start, end) in enumerate(spans)]
    index = CodingIndex(codings)
    found = {c.id for c in index.codings_at(offset)}
    assert found == {c.id for c in codings if c.start <= offset < c.end}


@given(intervals, st.integers(0, 40), st.integers(0, 40))
def test_pieces_cut_a_range_at_every_boundary_and_carry_their_codings(spans, start, length):
    codings = [coding(i + 1, s, e) for i, (s, e) in enumerate(spans)]
    index = CodingIndex(codings)
    end = start + length
    pieces = index.pieces(start, end)
    cuts = {start} | {b for b in index.boundaries if start < b < end}
    assert [p[0] for p in pieces] == (sorted(cuts) if end > start else [])
    position = start
    for piece_start, piece_end, active in pieces:
        assert piece_start == position < piece_end
        for offset in range(piece_start, piece_end):
            assert set(active) == {c.id for c in codings if c.start <= offset < c.end}
        position = piece_end
    assert position == end


@given(intervals)
def test_overlapping_codings_never_share_a_lane(spans):
    codings = [coding(i + 1, s, e) for i, (s, e) in enumerate(spans)]
    index = CodingIndex(codings)
    for a in codings:
        for b in codings:
            if a.id != b.id and a.start < b.end and b.start < a.end:
                assert index.lanes[a.id] != index.lanes[b.id]


def test_lanes_are_reused_and_in_range_lists_codings_in_lane_order():
    first, inner, later = coding(1, 0, 20), coding(2, 5, 10), coding(3, 30, 40)
    index = CodingIndex([later, inner, first])
    assert index.lanes == {1: 0, 2: 1, 3: 0}
    assert [c.id for c in index.in_range(0, 35)] == [1, 3, 2]
    assert index.in_range(20, 30) == []
    assert [c.id for c in index.in_range(7, 7)] == [1, 2]  # an empty row: its offset


def test_the_gutter_marks_codings_crossing_and_inside_a_row_and_names_those_starting():
    across = coding(1, 0, 100, "Actors", "#ff0000")
    inside = coding(2, 12, 18, "Trust", "#00ff00")
    also = coding(3, 15, 30, "Doubt", "#0000ff")
    row = gutter_row(CodingIndex([across, inside, also]), 10, 20, 4)
    assert row == GutterRow(
        (("┃", "#ff0000"), ("▐", "#00ff00"), ("┃", "#0000ff"), (" ", None)),
        "Trust +1", "#00ff00")
    assert gutter_row(CodingIndex([across]), 40, 50, 4).label == ""


def test_the_last_lane_says_plus_when_codings_outnumber_the_lanes():
    codings = [coding(1, 0, 10)] + [coding(i, 0, 10 + i) for i in range(2, 6)]
    row = gutter_row(CodingIndex(codings), 0, 10, 3)
    # The longest coding takes the first lane; the one ending on the row, the last.
    assert [mark for mark, _colour in row.lanes] == ["┃", "┃", "+"]
    assert row.lanes[-1][1] is None
    assert row.label == "code 5 +4"
    assert [mark for mark, _ in gutter_row(CodingIndex(codings), 0, 10, 5).lanes][-1] == "▐"


def test_a_row_without_codings_has_an_empty_gutter():
    assert gutter_row(CodingIndex([]), 0, 10, 2) == GutterRow(((" ", None), (" ", None)))


def test_span_index_keeps_the_first_of_overlapping_spans_and_finds_them_by_offset():
    spans = SpanIndex([Mention(10, 15), Mention(0, 5), Mention(3, 8), Mention(20, 26)])
    assert [(s.start, s.end) for s in spans.entities] == [(0, 5), (10, 15), (20, 26)]
    assert len(spans) == 3
    assert spans.at(4) == Mention(0, 5)
    assert spans.at(5) is None and spans.at(9) is None
    assert spans.at(25) == Mention(20, 26)
    assert [s.start for s in spans.in_range(4, 21)] == [0, 10, 20]
    assert spans.in_range(5, 10) == []


def test_cuts_are_the_span_boundaries_strictly_inside_a_row():
    spans = SpanIndex([Match(0, 5), Match(10, 15), Match(18, 30)])
    assert spans.cuts_within(3, 20) == {5, 10, 15, 18}
    assert spans.cuts_within(0, 5) == set()
    assert SpanIndex([]).cuts_within(0, 100) == set()


def test_the_number_of_the_span_at_the_cursor_counts_from_one():
    spans = SpanIndex([Match(2, 4), Match(8, 9), Match(12, 20)])
    assert [spans.number_starting_at(o) for o in (2, 8, 12)] == [1, 2, 3]
    assert spans.number_starting_at(3) is None
    assert spans.number_starting_at(30) is None


def test_jumps_between_spans_go_to_their_starts_and_previous_leaves_a_span_first():
    spans = SpanIndex([Match(2, 4), Match(8, 12), Match(20, 25)])
    assert spans.next_start(0) == 2
    assert spans.next_start(8) == 20
    assert spans.next_start(20) is None
    assert spans.previous_start(10) == 8  # from inside a span: its own start
    assert spans.previous_start(8) == 2
    assert spans.previous_start(2) is None


def test_find_ignores_case_and_line_breaks_and_treats_the_query_as_text():
    text = "The Kremlin said.\nthe\nkremlin, again: (a+b) [x]"
    assert find_matches(text, "the kremlin") == [Match(0, 11), Match(18, 29)]
    assert find_matches(text, "(a+b)") == [Match(38, 43)]
    assert find_matches(text, "[x]") == [Match(44, 47)]
    assert find_matches(text, "absent") == []


def test_the_next_span_wraps_around_the_text_in_both_directions():
    spans = [Match(2, 4), Match(8, 12), Match(20, 25)]
    assert next_span(spans, 0, 1) == Match(2, 4)
    assert next_span(spans, 8, 1) == Match(20, 25)
    assert next_span(spans, 8, 1, from_cursor=True) == Match(8, 12)
    assert next_span(spans, 21, 1) == Match(2, 4)
    assert next_span(spans, 8, -1) == Match(2, 4)
    assert next_span(spans, 2, -1) == Match(20, 25)


def test_the_span_indexes_need_no_textual():
    code = ("import sys, margin.tui.reader.spans; "
            "sys.exit(1 if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) "
            "else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
