"""Key-word-in-context lines: the match at a fixed column, its sentence around it.

The entity review and the full-text hit list show hits this way, so that the
eye runs down one column of matches, as in a concordancer. Widths are
terminal cells; the match itself is never cut (unless it alone is wider
than the line), the contexts on both sides are, with "…".
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from margin.tui.cells import fit, fit_tail
from margin.tui.reader.wrapping import display_text

MATCH_STYLE = Style(bold=True, reverse=True)
# The right-hand context keeps at least this many cells (or half of what is
# left beside the match) before the left-hand one is given its share.
_MIN_RIGHT = 10


def flat(text: str) -> str:
    """One line, safe to draw (a context may cross a line break)."""
    return display_text(text.replace("\n", " "))


def concordance_line(left: str, match: str, right: str, width: int) -> Text:
    """``match`` highlighted at two fifths of ``width`` cells, ``left``
    right-aligned before it and ``right`` after it, both cut with "…"."""
    left, match, right = flat(left), flat(match), flat(right)
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    match_cells = cell_len(match)
    if match_cells >= width:
        line.append(fit(match, width, pad=False), MATCH_STYLE)
        return line
    room = width - match_cells
    left_width = max(0, min(width * 2 // 5, room - min(_MIN_RIGHT, room // 2)))
    shown_left = fit_tail(left, left_width)
    line.append(" " * (left_width - cell_len(shown_left)) + shown_left, Style(dim=True))
    line.append(match, MATCH_STYLE)
    line.append(fit(right, room - left_width, pad=False))
    return line
