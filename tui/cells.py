"""Text fitted to a number of terminal cells: one place for every cut.

Widths are cells, not characters (a CJK character or an emoji takes two), and
whatever is cut says so with an ellipsis, so a reader never mistakes a cut
name or passage for the whole of it.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "…"


def fit(text: str, width: int, pad: bool = True) -> str:
    """``text`` cut to ``width`` cells with "…" at the end if it is longer;
    padded with spaces to exactly ``width`` when ``pad``."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + ELLIPSIS
    return set_cell_size(text, width) if pad else text
