"""Text fitted to a number of terminal cells: one place for every cut.

Widths are cells, not characters (a CJK character or an emoji takes two), and
whatever is cut says so with an ellipsis, so a reader never mistakes a cut
name or passage for the whole of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len, get_character_cell_size, set_cell_size

if TYPE_CHECKING:  # the command line cuts with fit() and needs no more of Rich
    from rich.text import Text

ELLIPSIS = "…"


def fit(text: str, width: int, pad: bool = True) -> str:
    """``text`` cut to ``width`` cells with "…" at the end if it is longer;
    padded with spaces to exactly ``width`` when ``pad``."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + ELLIPSIS
    return set_cell_size(text, width) if pad else text


def fit_text(text: Text, width: int) -> Text:
    """A styled ``text`` cut as :func:`fit` cuts its plain text (not padded):
    the styles of what is kept stay, "…" in the style of the text."""
    if cell_len(text.plain) <= width:
        return text
    cut = fit(text.plain, width, pad=False)
    kept = 0
    while kept < len(cut) - 1 and cut[kept] == text.plain[kept]:
        kept += 1
    fitted = text[:kept]
    fitted.append(cut[kept:])  # a wide character cut in two is a space; the "…"
    return fitted


def fit_tail(text: str, width: int) -> str:
    """The end of ``text`` in at most ``width`` cells, "…" first if cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    kept, cells = len(text), 1  # the ellipsis takes one cell
    while kept > 0 and cells + get_character_cell_size(text[kept - 1]) <= width:
        kept -= 1
        cells += get_character_cell_size(text[kept])
    return ELLIPSIS + text[kept:]


def fit_entries(entries: list[Text], width: int, separator: str = "   ",
                least: int = 4) -> Text:
    """``entries`` on one line of ``width`` cells, between ``separator``s:
    the first that does not fit whole is cut with "…" when at least
    ``least`` cells of it fit (for a "■ name" entry: the mark and the start
    of its name), else left out and the line ends with "…". Never a lone
    mark, never a cut without "…"."""
    from rich.text import Text

    line = Text(end="", no_wrap=True)
    for index, entry in enumerate(entries):
        gap = separator if index else ""
        needed = cell_len(gap) + cell_len(entry.plain)
        if line.cell_len + needed <= width:
            line.append(gap)
            line.append_text(entry)
            continue
        room = width - line.cell_len - cell_len(gap)
        if room >= least:
            line.append(gap)
            kept = entry.copy()
            kept.rstrip()  # an entry whose trailing spaces alone do not fit is whole
            if kept.cell_len + 2 <= room:
                line.append_text(Text.assemble(kept, " " + ELLIPSIS))
            else:
                line.append_text(fit_text(kept, room))
        elif line.cell_len < width:
            line.append(" " + ELLIPSIS if line and line.cell_len + 2 <= width else ELLIPSIS)
        else:  # the line is full: its last cell becomes the "…"
            line = fit_text(Text.assemble(line, ELLIPSIS), width)
        break
    return line
