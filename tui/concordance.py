"""Key-word-in-context lines: the match at a fixed column, its sentence around it.

The entity review and the full-text hit list show hits this way, so that the
eye runs down one column of matches, as in a concordancer.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from margin.tui.reader.wrapping import display_text

MATCH_STYLE = Style(bold=True, reverse=True)


def flat(text: str) -> str:
    """One line, safe to draw (a context may cross a line break)."""
    return display_text(text.replace("\n", " "))


def concordance_line(left: str, match: str, right: str, width: int) -> Text:
    """``left`` right-aligned in two fifths of ``width`` (cut from the left
    with "…"), then ``match`` highlighted, then as much of ``right`` as fits."""
    left, match, right = flat(left), flat(match), flat(right)
    left_width = width * 2 // 5
    if len(left) > left_width:
        left = "…" + left[-(left_width - 1):]
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(left.rjust(left_width), Style(dim=True))
    line.append(match, MATCH_STYLE)
    line.append(right)
    line.truncate(width, overflow="ellipsis")
    return line
