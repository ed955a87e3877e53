"""Word wrapping with an exact offset <-> (row, cell) map."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len, split_graphemes

from margin.tui.reader.wrapping import (
    VisualLine,
    _wrap_graphemes,
    _wrap_single_cell,
    display_text,
    wrap_text,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def rows(wrapped):
    return [wrapped.text[line.start : line.end] for line in wrapped.lines]


# --- examples ------------------------------------------------------------------


def test_breaks_at_spaces_and_drops_the_break_space():
    text = "hello world foo bar"
    wrapped = wrap_text(text, 11)
    assert rows(wrapped) == ["hello world", "foo bar"]
    assert wrapped.lines == [VisualLine(0, 11, hard_end=False), VisualLine(12, 19, hard_end=True)]
    # The break space (offset 11) belongs to the row it follows, one cell past its text.
    assert wrapped.line_of_offset(11) == 0
    assert wrapped.cell_of_offset(11) == 11
    assert wrapped.offset_at(0, 11) == 11
    assert wrapped.offset_at(0, 50) == 11  # a click right of the row
    assert wrapped.line_of_offset(12) == 1
    assert wrapped.cell_of_offset(12) == 0


def test_a_whole_run_of_spaces_at_a_break_is_dropped_but_fitting_spaces_stay():
    text = "abc   def"
    assert rows(wrap_text(text, 4)) == ["abc", "def"]
    assert rows(wrap_text(text, 9)) == ["abc   def"]
    assert rows(wrap_text("ab  \ncd", 80)) == ["ab  ", "cd"]  # trailing spaces that fit stay
    wrapped = wrap_text("word   \nnext", 5)  # trailing spaces that do not fit go
    assert rows(wrapped) == ["word", "next"]
    assert wrapped.lines[0].hard_end
    assert [wrapped.line_of_offset(o) for o in range(4, 9)] == [0, 0, 0, 0, 1]


def test_newline_end_of_text_and_empty_lines():
    text = "ab\n\ncd\n"
    wrapped = wrap_text(text, 10)
    assert rows(wrapped) == ["ab", "", "cd", ""]
    assert all(line.hard_end for line in wrapped.lines)
    assert wrapped.line_of_offset(2) == 0  # the "\n" ending "ab"
    assert wrapped.cell_of_offset(2) == 2
    assert wrapped.line_of_offset(3) == 1  # the "\n" of the empty line
    assert wrapped.cell_of_offset(3) == 0
    assert wrapped.line_of_offset(len(text)) == 3  # end of text: the last (empty) row
    assert wrapped.offset_at(1, 5) == 3
    assert wrapped.offset_at(3, 0) == len(text)
    assert wrapped.offset_at(99, 99) == len(text)  # clamped
    assert wrapped.offset_at(-5, -5) == 0
    empty = wrap_text("", 10)
    assert empty.lines == [VisualLine(0, 0, True)]
    assert empty.line_of_offset(0) == 0 and empty.offset_at(0, 3) == 0


def test_long_words_are_split_by_cells():
    wrapped = wrap_text("abcdefghij xy", 4)
    assert rows(wrapped) == ["abcd", "efgh", "ij", "xy"]
    assert [line.hard_end for line in wrapped.lines] == [False, False, False, True]


def test_indentation_is_kept():
    assert rows(wrap_text("    indented text here", 12)) == ["    indented", "text here"]
    assert rows(wrap_text("     abc", 3)) == ["   ", "  ", "abc"]


def test_wide_characters_never_straddle_the_edge():
    text = "中文中文中 abc"
    wrapped = wrap_text(text, 5)
    assert rows(wrapped) == ["中文", "中文", "中", "abc"]
    assert wrapped.cell_of_offset(1) == 2
    assert wrapped.offset_at(0, 3) == 1  # the second cell of "文"
    # Past the row's 4 cells: the row was cut (no space), so its last character,
    # not its end (offset 2 is drawn on the next row).
    assert wrapped.offset_at(0, 4) == 1
    assert wrapped.offset_at(2, 4) == 5  # after "中" comes a break space: the row end
    # At width 1 a 2-cell character gets a row of its own.
    assert rows(wrap_text("中a", 1)) == ["中", "a"]


def test_graphemes_stay_whole():
    family = "👨\u200d👩\u200d👧"
    text = f"{family} e\u0301e\u0301e\u0301 ❤\ufe0f"
    wrapped = wrap_text(text, 3)
    assert rows(wrapped) == [family, "e\u0301e\u0301e\u0301", "❤\ufe0f"]
    assert wrapped.row_cells(0) == 2
    assert wrapped.row_cells(2) == 2
    # An offset inside a grapheme shows at the grapheme's cell.
    assert wrapped.cell_of_offset(2) == 0
    assert wrapped.cell_of_offset(wrapped.lines[1].start + 1) == 0  # the combining acute
    assert wrapped.cell_of_offset(wrapped.lines[1].start + 2) == 1


def test_grapheme_span_for_the_cursor():
    family = "👨\u200d👩\u200d👧"
    text = f"a{family}e\u0301 b\n"
    wrapped = wrap_text(text, 80)
    assert wrapped.grapheme_span(0) == (0, 1)
    assert wrapped.grapheme_span(3) == (1, 6)  # inside the family emoji
    assert wrapped.grapheme_span(7) == (6, 8)  # the combining acute goes with its "e"
    assert wrapped.grapheme_span(10) == (10, 11)  # the "\n"
    assert wrapped.grapheme_span(len(text)) == (len(text), len(text))
    assert wrap_text("ab cd", 2).grapheme_span(2) == (2, 3)  # a dropped break space


def test_tabs_and_control_characters_are_one_cell_and_drawn_harmlessly():
    text = "a\tb\x1b[31mred\x7f\x85"
    wrapped = wrap_text(text, 80)
    assert wrapped.row_text(0) == "a b␛[31mred␡\ufffd"
    assert len(wrapped.row_text(0)) == len(text)
    assert wrapped.row_cells(0) == len(text) == cell_len(wrapped.row_text(0))
    assert display_text("x\ny") == "x\ny"
    assert rows(wrap_text("aaa\tbbb", 5)) == ["aaa", "bbb"]  # a tab is a break opportunity


def test_right_to_left_text_keeps_logical_order():
    text = "שָׁלוֹם עולם مرحبا بالعالم"
    wrapped = wrap_text(text, 8)
    assert "".join(rows(wrapped)) == text.replace(" ", "")
    assert all(wrapped.row_cells(i) <= 8 for i in range(len(wrapped.lines)))


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda path: path.name[:3])
@pytest.mark.parametrize("width", [1, 7, 40, 80, 120])
def test_seed_articles(path, width):
    text = path.read_text(encoding="utf-8")
    wrapped = wrap_text(text, width)
    _check_partition(text, wrapped)
    for index in range(len(wrapped.lines)):
        assert wrapped.row_cells(index) <= width


# --- properties ----------------------------------------------------------------

_PIECES = [
    "a", "b", "Z", "0", " ", " ", " ", "  ", "\n", "\n", "\t", ".", "’",
    "中", "文", "日本語", "\u3000",  # CJK, 2 cells
    "👍", "👍🏽", "❤\ufe0f", "👨\u200d👩\u200d👧", "\u200d", "\ufe0f",  # emoji, joiners
    "e\u0301", "\u0301", "\u0308", "नमस्ते",  # combining marks
    "שָׁלוֹם", "مرحبا", "\u200f",  # right to left
    "\u200b", "\x1b", "\x00", "\r", "\x85",  # zero-width space, controls
    "Supercalifragilisticexpialidocious", "x" * 130,  # long words
]
_TEXT = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=80).map("".join),
    st.text(max_size=200),
    st.text(st.sampled_from("ab \n中\u0301👍"), max_size=300),
)


def _graphemes_of(segment):
    return split_graphemes(display_text(segment))[0]


def _check_partition(text, wrapped):
    lines = wrapped.lines
    assert lines and lines[0].start == 0
    rebuilt = []
    for index, line in enumerate(lines):
        assert line.start <= line.end
        row = text[line.start : line.end]
        assert "\n" not in row
        rebuilt.append(row)
        gap_end = lines[index + 1].start if index + 1 < len(lines) else len(text)
        assert line.end <= gap_end
        gap = text[line.end : gap_end]
        if line.hard_end and index + 1 < len(lines):
            assert gap.endswith("\n") and gap[:-1].strip(" \t") == ""
        else:
            assert gap.strip(" \t") == ""  # dropped break spaces (or nothing)
        rebuilt.append(gap)
    assert "".join(rebuilt) == text
    assert sum(line.hard_end for line in lines) == text.count("\n") + 1


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.integers(1, 120))
def test_wrapping_properties(text, width):
    wrapped = wrap_text(text, width)
    lines = wrapped.lines
    _check_partition(text, wrapped)

    # Every offset maps to exactly one row: the last whose start is <= offset.
    for offset in range(len(text) + 1):
        index = wrapped.line_of_offset(offset)
        assert lines[index].start <= offset
        assert index + 1 == len(lines) or offset < lines[index + 1].start

    for index, line in enumerate(lines):
        row = text[line.start : line.end]
        shown = wrapped.row_text(index)
        assert shown == display_text(row) and len(shown) == len(row)
        cells = wrapped.row_cells(index)
        assert cells == cell_len(shown)  # as Rich and Textual will measure the strip
        graphemes = _graphemes_of(row)
        # No row exceeds the width, except a single grapheme wider than it.
        visible = [g for g in graphemes if g[2]]
        assert cells <= width or len(visible) == 1
        # Rows end on grapheme boundaries of their hard line.
        hard_start = text.rfind("\n", 0, line.start) + 1
        hard_end = text.find("\n", line.start)
        hard_end = len(text) if hard_end == -1 else hard_end
        boundaries = {hard_start + s for s, _e, _c in _graphemes_of(text[hard_start:hard_end])}
        boundaries.add(hard_end)
        assert line.start in boundaries or line.start == hard_end
        assert line.end in boundaries
        # offset -> (row, cell) -> offset, for every offset that starts a cell.
        column = 0
        for start, _end, width_cells in graphemes:
            offset = line.start + start
            if width_cells:
                assert wrapped.line_of_offset(offset) == index
                assert wrapped.cell_of_offset(offset) == column
                assert wrapped.offset_at(index, column) == offset
                for inner in range(1, width_cells):  # the second cell of a wide character
                    assert wrapped.offset_at(index, column + inner) == offset
            column += width_cells
        # Every offset of the row is inside exactly the grapheme Rich sees.
        for start, end, _cells in graphemes:
            for offset in range(line.start + start, line.start + end):
                assert wrapped.grapheme_span(offset) == (line.start + start, line.start + end)
        # Past the row's text: its end if that is on this row (a "\n", a break
        # space, the end of the text), else (a word cut at the edge) its last cell.
        assert wrapped.line_of_offset(wrapped.offset_at(index, cells + 7)) == index
        if index + 1 == len(lines) or line.end < lines[index + 1].start:
            assert wrapped.line_of_offset(line.end) == index
            assert wrapped.cell_of_offset(line.end) == cells
            assert wrapped.offset_at(index, cells) == line.end
            assert wrapped.offset_at(index, cells + 7) == line.end
        else:
            last_start = line.start + [s for s, _e, c in graphemes if c][-1]
            assert wrapped.offset_at(index, cells + 7) == last_start


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_wide_enough_gives_one_row_per_hard_line(text):
    hard_lines = text.split("\n")
    width = max(1, max(cell_len(display_text(line)) for line in hard_lines))
    wrapped = wrap_text(text, width)
    assert rows(wrapped) == hard_lines
    assert all(line.hard_end for line in wrapped.lines)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("ab  x"), max_size=200), st.integers(1, 30))
def test_fast_path_agrees_with_the_grapheme_path(line, width):
    fast: tuple[list, list, list] = ([], [], [])
    slow: tuple[list, list, list] = ([], [], [])
    _wrap_single_cell(line, 0, len(line), width, *fast)
    _wrap_graphemes(line, 0, width, *slow)
    assert fast == slow


def test_width_below_one_counts_as_one():
    assert rows(wrap_text("abc", 0)) == ["a", "b", "c"]
