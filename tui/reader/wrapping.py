"""Word wrapping of a document to a width in terminal cells, with exact offsets.

``wrap_text(text, width)`` cuts every hard line (the text between ``"\\n"``) of
``text`` into visual rows no wider than ``width`` cells and keeps an exact map
between offsets (Python string indices, code points) and (row, cell column),
for the Line-API reader.

Partition of the text
    Each row is a range ``[start, end)``; ``text[start:end]`` is what the row
    shows. Rows are in text order and do not overlap. A code point that is in
    no row is either the ``"\\n"`` that ends a hard line or a *break space*:
    when a row is broken at spaces, the whole run of spaces (U+0020, and tabs)
    at the break is dropped from view, like a terminal or a browser does. Those
    gap offsets belong, for :meth:`WrappedText.line_of_offset`, to the row they
    follow, and their cell column is that row's width (just past its text).
    Trailing spaces that fit on a row stay in it; indentation is kept.

Measuring
    Widths come from ``rich.cells`` (grapheme-aware: combining marks and
    zero-width joiners belong to the character before them, ``U+FE0F`` widens an
    emoji, CJK and emoji are 2 cells), so rows measure exactly as Rich/Textual
    will measure the strip. A row is never cut inside a grapheme, so a wide
    character never straddles the edge; a single grapheme wider than the width
    (a 2-cell character at width 1) gets a row of its own.

Tabs and control characters
    A tab counts as one cell and is a break opportunity like a space; other
    control characters (C0 except ``"\\n"``, DEL, C1) and lone surrogates count as
    one cell. Draw rows with :meth:`WrappedText.row_text` (or :func:`display_text`),
    which replaces a tab with a space, a control character with its visible
    Unicode "control picture" (``"\\x1b"`` → ``"␛"``) and a lone surrogate with
    ``"�"``: one code point for one, so the drawn string measures exactly as
    wrapped, offsets within it are the document's, and no escape sequence from a
    document ever reaches the terminal.

Speed
    Hard lines made only of 1-cell characters (checked with ``str.isascii`` and
    one precompiled regex) are wrapped with ``str.rfind`` jumps, O(rows) rather
    than O(characters). Only hard lines containing wide or zero-width characters
    are measured grapheme by grapheme. See ``bench/wrap_bench.py``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

from rich.cells import get_character_cell_size, split_graphemes

from margin.store.util import CONTROL_PICTURES

__all__ = ["VisualLine", "WrappedText", "display_text", "wrap_text"]


@dataclass(frozen=True, slots=True)
class VisualLine:
    """One screen row: ``text[start:end]`` (no ``"\\n"``; empty for an empty hard line)."""

    start: int
    end: int
    #: True for the last row of a hard line: what follows ``end`` (after any
    #: dropped trailing spaces) is a ``"\\n"`` or the end of the text.
    hard_end: bool = True


_object_new = object.__new__
_set_start = VisualLine.__dict__["start"].__set__
_set_end = VisualLine.__dict__["end"].__set__
_set_hard_end = VisualLine.__dict__["hard_end"].__set__


def _new_visual_line(start: int, end: int, hard_end: bool) -> VisualLine:
    """``VisualLine(start, end, hard_end)``, ~3x faster: a frozen dataclass's
    ``__init__`` goes through ``object.__setattr__``; setting the slots directly
    saves ~10 ms per 15k rows."""
    line = _object_new(VisualLine)
    _set_start(line, start)
    _set_end(line, end)
    _set_hard_end(line, hard_end)
    return line


# --- display substitutions (one code point for one) -------------------------

_DISPLAY_MAP: dict[str, str] = {**CONTROL_PICTURES, "\t": " ", "\n": "\n"}
# One character class (a fast scan). It includes U+200D, replaced only at the
# start of a line: a ZWJ there joins nothing, and Rich's cell_len would skip the
# character after it while its split_graphemes would not, so it is drawn as a
# U+200B zero-width space, which measures the same both ways.
_NEEDS_DISPLAY = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\u200d]")


def display_text(text: str) -> str:
    """``text`` as it should be drawn: tabs → space, control characters → "␛"-style
    pictures, lone surrogates → "�", a ZWJ at the start of a line → U+200B.
    Same length as ``text``; ``"\\n"`` is kept."""
    if _NEEDS_DISPLAY.search(text) is None:
        return text

    def replace(match: re.Match[str]) -> str:
        char = match.group()
        if char == "\u200d":
            start = match.start()
            return "\u200b" if start == 0 or text[start - 1] == "\n" else char
        return _DISPLAY_MAP.get(char, "\ufffd")

    return _NEEDS_DISPLAY.sub(replace, text)


# --- which characters are not exactly 1 cell --------------------------------


def _bmp_width_ranges() -> list[tuple[int, int, int]]:
    """(first, last, cells) of the BMP code points that are not 1 cell wide."""
    try:  # Rich's own table (a private module): exactly the ranges of width 0 or 2
        from rich._unicode_data import load

        table = load("auto").widths
        return [(low, min(high, 0xFFFF), width) for low, high, width in table if low <= 0xFFFF]
    except Exception:  # pragma: no cover - a Rich without that module: ask it (~30 ms)
        ranges: list[tuple[int, int, int]] = []
        for code_point in range(0x20, 0x10000):
            if 0x7F <= code_point < 0xA0 or 0xD800 <= code_point < 0xE000:
                continue
            width = get_character_cell_size(chr(code_point))
            if width == 1:
                continue
            if ranges and ranges[-1][1] == code_point - 1 and ranges[-1][2] == width:
                ranges[-1] = (ranges[-1][0], code_point, width)
            else:
                ranges.append((code_point, code_point, width))
        return ranges


def _cell_class(ranges: list[tuple[int, int, int]], keep) -> re.Pattern[str]:
    # Only BMP ranges go into the class, which re compiles to a fast bitmap; any
    # astral code point (emoji, supplementary CJK...) matches as one range,
    # sending its line to the exact grapheme path. A class holding Rich's ~200
    # astral ranges one by one would cost ~0.35 µs per character searched.
    parts = []
    for low, high, width in ranges:
        if keep(width):
            low_char, high_char = re.escape(chr(low)), re.escape(chr(high))
            parts.append(low_char if low == high else f"{low_char}-{high_char}")
    parts.append("\U00010000-\U0010ffff")
    return re.compile(f"[{''.join(parts)}]")


_BMP_WIDTHS = _bmp_width_ranges()


#: Code points that may not be exactly 1 cell wide (any astral one included).
_NOT_SINGLE_CELL = _cell_class(_BMP_WIDTHS, lambda width: width != 1)
#: Code points that may be zero-width (combining marks, U+200D ZWJ, U+FE0F...,
#: any astral one): with one of these in a line, graphemes may not be code
#: points, so Rich's grapheme splitting measures it.
_ZERO_WIDTH = _cell_class(_BMP_WIDTHS, lambda width: width == 0)
_SPACES = re.compile(" +")


def _is_single_cell(segment: str) -> bool:
    """True when every code point of (display) ``segment`` is exactly one cell."""
    return segment.isascii() or _NOT_SINGLE_CELL.search(segment) is None


def _graphemes(segment: str) -> list[tuple[int, int, int]]:
    """(start, end, cells) of each grapheme of a display segment, as Rich splits it."""
    if _ZERO_WIDTH.search(segment) is None:
        return [
            (index, index + 1, cells)
            for index, cells in enumerate(map(get_character_cell_size, segment))
        ]
    return split_graphemes(segment)[0]


# --- the wrapped text --------------------------------------------------------


@dataclass
class WrappedText:
    """A text wrapped to ``width`` cells: ``lines`` plus offset ↔ (row, cell) maps."""

    text: str
    width: int
    lines: list[VisualLine]
    #: ``text`` with tabs and control characters replaced, as drawn.
    display: str = field(repr=False)
    _starts: list[int] = field(repr=False)

    def __len__(self) -> int:
        return len(self.lines)

    def line_of_offset(self, offset: int) -> int:
        """Index of the row showing ``offset``.

        A ``"\\n"`` and dropped break spaces belong to the row they follow;
        ``len(text)`` belongs to the last row. Offsets are clamped to the text.
        """
        return max(0, bisect_right(self._starts, offset) - 1)

    def cell_of_offset(self, offset: int) -> int:
        """Cell column of ``offset`` in its row.

        For an offset past the row's text (the ``"\\n"``, a dropped break space,
        the end of the text) this is the row's width in cells — which can equal
        ``width`` on a full row: clamp where you draw a cursor. An offset inside
        a grapheme (a combining mark, the second half of a ZWJ emoji) gets the
        column of the grapheme's first cell.
        """
        row = self.lines[self.line_of_offset(offset)]
        offset = max(offset, row.start)
        if offset >= row.end:
            return self.row_cells(row)
        segment = self.display[row.start : row.end]
        relative = offset - row.start
        if _is_single_cell(segment):
            return relative
        column = 0
        for _start, end, cells in _graphemes(segment):
            if relative < end:
                return column
            column += cells
        return column  # pragma: no cover - relative < len(segment)

    def offset_at(self, line: int, cell: int) -> int:
        """The offset whose cells contain column ``cell`` of row ``line`` (clamped).

        A column left of the row counts as column 0; both cells of a wide
        character give its offset (a zero-width grapheme has no cell). A column
        at or beyond the row's width gives the row's ``end`` — the ``"\\n"``,
        the first dropped break space, or the end of the text — except on a
        row that was cut inside a word (no gap after it: its ``end`` is the
        next row's ``start``), where it gives the row's last character. The
        result always lies on row ``line`` (``line_of_offset(offset_at(line, c))
        == line``): good for mouse clicks and for ``j``/``k`` with a remembered
        column.
        """
        index = min(max(line, 0), len(self.lines) - 1)
        row = self.lines[index]
        cell = max(cell, 0)
        segment = self.display[row.start : row.end]
        if _is_single_cell(segment):
            if cell < len(segment):
                return row.start + cell
            return self._past_end(index, row, row.end - 1)
        column = 0
        last = row.start
        for start, _end, cells in _graphemes(segment):
            if column <= cell < column + cells:
                return row.start + start
            column += cells
            last = row.start + start
        return self._past_end(index, row, last)

    def _past_end(self, index: int, row: VisualLine, last_char: int) -> int:
        following = index + 1
        if following < len(self.lines) and self.lines[following].start == row.end:
            return last_char  # cut inside a word: row.end is on the next row
        return row.end

    def grapheme_span(self, offset: int) -> tuple[int, int]:
        """The grapheme (user-perceived character) containing ``offset``: ``(start, end)``.

        What a block cursor should cover and what ``h``/``l`` step over: an
        emoji ZWJ sequence, a letter with its combining marks. Cut styled pieces
        of a row at these bounds, never inside, or Rich measures the pieces
        differently from the whole row. An offset outside every row's text (a
        ``"\\n"``, a dropped break space) gives ``(offset, offset + 1)``; the end
        of the text gives ``(len(text), len(text))``. Offsets are clamped.
        """
        offset = min(max(offset, 0), len(self.text))
        row = self.lines[self.line_of_offset(offset)]
        if not row.start <= offset < row.end:
            return offset, min(offset + 1, len(self.text))
        segment = self.display[row.start : row.end]
        if _is_single_cell(segment):
            return offset, offset + 1
        relative = offset - row.start
        for start, end, _cells in _graphemes(segment):
            if relative < end:
                return row.start + start, row.start + end
        return offset, offset + 1  # pragma: no cover - relative < len(segment)

    def row_cells(self, line: int | VisualLine) -> int:
        """Width in cells of a row's text."""
        row = self.lines[line] if isinstance(line, int) else line
        segment = self.display[row.start : row.end]
        if _is_single_cell(segment):
            return len(segment)
        return sum(cells for _start, _end, cells in _graphemes(segment))

    def row_text(self, line: int) -> str:
        """What to draw on row ``line``: ``text[start:end]`` through :func:`display_text`."""
        row = self.lines[line]
        return self.display[row.start : row.end]


def wrap_text(text: str, width: int) -> WrappedText:
    """Wrap ``text`` to ``width`` cells (a width below 1 counts as 1). See the module notes."""
    width = max(1, width)
    display = display_text(text)
    starts: list[int] = []
    ends: list[int] = []
    hard: list[bool] = []
    offset = 0
    for hard_line in display.split("\n"):
        line_end = offset + len(hard_line)
        if len(hard_line) <= width and (
            hard_line.isascii() or 2 * len(hard_line) <= width or _is_single_cell(hard_line)
        ):
            starts.append(offset)
            ends.append(line_end)
            hard.append(True)
        elif _is_single_cell(hard_line):
            _wrap_single_cell(display, offset, line_end, width, starts, ends, hard)
        else:
            _wrap_graphemes(hard_line, offset, width, starts, ends, hard)
        offset = line_end + 1
    lines = list(map(_new_visual_line, starts, ends, hard))
    return WrappedText(text=text, width=width, lines=lines, display=display, _starts=starts)


def _wrap_single_cell(
    text: str,
    pos: int,
    line_end: int,
    width: int,
    starts: list[int],
    ends: list[int],
    hard: list[bool],
) -> None:
    """Wrap ``text[pos:line_end]``, every character 1 cell, jumping with rfind."""
    while line_end - pos > width:
        limit = pos + width  # text[pos:limit] fits; text[limit] does not
        space = text.rfind(" ", pos + 1, limit + 1)
        if space != -1:
            break_at = space
            while break_at > pos and text[break_at - 1] == " ":
                break_at -= 1
            if break_at > pos:
                resume = _SPACES.match(text, space).end()
                starts.append(pos)
                ends.append(break_at)
                if resume >= line_end:  # only spaces left: this row ends the line
                    hard.append(True)
                    return
                hard.append(False)
                pos = resume
                continue
            # Only spaces (indentation) before the last word that starts on
            # this row: keep them on the row and start the next with the word.
            resume = _SPACES.match(text, space).end()
            if resume <= limit:
                starts.append(pos)
                ends.append(resume)
                hard.append(False)
                pos = resume
                continue
        # No space to break at: split the word at the edge.
        starts.append(pos)
        ends.append(limit)
        hard.append(False)
        pos = limit
    starts.append(pos)
    ends.append(line_end)
    hard.append(True)


def _wrap_graphemes(
    line: str,
    base: int,
    width: int,
    starts: list[int],
    ends: list[int],
    hard: list[bool],
) -> None:
    """Wrap one hard line containing wide or zero-width characters.

    The same greedy rule as :func:`_wrap_single_cell`, over graphemes: ``bounds``
    holds each grapheme's start (plus ``len(line)``), ``columns`` the cells
    before it.
    """
    if _ZERO_WIDTH.search(line) is not None:
        graphemes = split_graphemes(line)[0]
        bounds = [start for start, _end, _cells in graphemes]
        bounds.append(len(line))
        columns = list(accumulate((cells for _s, _e, cells in graphemes), initial=0))
    else:  # wide characters only: one grapheme per code point
        bounds = range(len(line) + 1)  # type: ignore[assignment]
        columns = list(accumulate(map(get_character_cell_size, line), initial=0))
    count = len(bounds) - 1
    total = columns[count]
    pos = 0  # grapheme index of the row start
    while total - columns[pos] > width:
        limit = bisect_right(columns, columns[pos] + width, pos) - 1
        if columns[limit] == columns[pos]:
            # Nothing visible fits (a grapheme wider than the whole row, maybe
            # after zero-width ones): take up to the first visible grapheme.
            limit = bisect_right(columns, columns[pos], pos)
        space = _last_space_grapheme(line, bounds, pos, limit)
        if space is not None:
            break_at = space
            while break_at > pos and _is_space(line, bounds, break_at - 1):
                break_at -= 1
            resume = space
            while resume < count and _is_space(line, bounds, resume):
                resume += 1
            if break_at > pos:
                starts.append(base + bounds[pos])
                ends.append(base + bounds[break_at])
                if resume >= count:
                    hard.append(True)
                    return
                hard.append(False)
                pos = resume
                continue
            if resume <= limit:  # indentation before the word: keep it on this row
                starts.append(base + bounds[pos])
                ends.append(base + bounds[resume])
                hard.append(False)
                pos = resume
                continue
        starts.append(base + bounds[pos])
        ends.append(base + bounds[limit])
        hard.append(False)
        pos = limit
    starts.append(base + bounds[pos])
    ends.append(base + len(line))
    hard.append(True)


def _is_space(line: str, bounds, index: int) -> bool:
    """Whether grapheme ``index`` is a lone space (a space carrying a combining
    mark is visible, so it is not dropped at a break)."""
    start = bounds[index]
    return line[start] == " " and bounds[index + 1] == start + 1


def _last_space_grapheme(line: str, bounds, pos: int, limit: int) -> int | None:
    """Index of the last grapheme in (pos, limit] that is a lone space, or None."""
    low = bounds[pos + 1]
    high = bounds[limit] + 1
    while True:
        found = line.rfind(" ", low, high)
        if found == -1:
            return None
        index = bisect_left(bounds, found)
        if bounds[index] == found and bounds[index + 1] == found + 1:
            return index
        high = found  # a space inside or starting a longer grapheme: look further left
