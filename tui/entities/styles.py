"""How entity types look: a coloured, underlined text colour per type.

Codings tint the background, so entities use the foreground and an underline:
an entity inside a coded passage keeps both signals. The colours come from the
active theme (tui/colours.py): each type keeps its hue, light on dark themes
and dark on light ones, readable on the background and on every code tint.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from margin.store.entities import ALL_LABELS
from margin.tui.colours import ThemeColours, active_colours

# Bare numbers ("two", "first", "5 km") are stored and printed by the command
# line, but highlighting them in prose is noise to a reader.
NOT_HIGHLIGHTED = frozenset({"CARDINAL", "ORDINAL", "QUANTITY"})

_STYLES: dict[tuple[int, str], Style] = {}


def entity_colour(label: str, colours: ThemeColours | None = None) -> str:
    """The colour (#rrggbb) of entities of ``label`` in the active theme."""
    return (colours or active_colours()).entity(label).hex


def entity_style(label: str, colours: ThemeColours | None = None) -> Style:
    """The style an entity of ``label`` is drawn with, in the theme of
    ``colours`` (the running app's theme if not given)."""
    colours = colours or active_colours()
    key = (id(colours), label)
    style = _STYLES.get(key)
    if style is None:
        style = _STYLES[key] = Style(color=colours.entity(label).rich_color, underline=True)
    return style


def legend(counts: dict[str, int]) -> Text:
    """``PERSON 12  ORG 4 …``: each label in its own style, in the usual order."""
    text = Text()
    for label in sorted(counts, key=_label_order):
        if text:
            text.append("  ")
        text.append(label, entity_style(label))
        text.append(f" {counts[label]}", Style(dim=True))
    return text


def _label_order(label: str) -> int:
    return ALL_LABELS.index(label) if label in ALL_LABELS else len(ALL_LABELS)
