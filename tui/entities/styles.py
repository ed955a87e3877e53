"""How entity types look: a coloured, underlined text colour per type.

Codings tint the background, so entities use the foreground and an underline:
an entity inside a coded passage keeps both signals. The colours are bright
enough to read on the dark surface and on every code tint, and none is the
same hue as the first code colours of the palette.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from margin.store.entities import ALL_LABELS

ENTITY_COLOURS: dict[str, str] = {
    "PERSON": "#ffa657",   # orange
    "NORP": "#e3c26c",     # amber
    "ORG": "#79c0ff",      # sky blue
    "GPE": "#7ee787",      # green
    "LOC": "#56d4c5",      # teal
    "DATE": "#d2a8ff",     # lavender
    "MONEY": "#ff7b9c",    # pink
    "PERCENT": "#f778ba",  # magenta
}
OTHER_COLOUR = "#a5b3c2"  # every other OntoNotes type: muted blue-grey

# Bare numbers ("two", "first", "5 km") are stored and printed by the command
# line, but highlighting them in prose is noise to a reader.
NOT_HIGHLIGHTED = frozenset({"CARDINAL", "ORDINAL", "QUANTITY"})

_STYLES: dict[str, Style] = {}


def entity_colour(label: str) -> str:
    return ENTITY_COLOURS.get(label, OTHER_COLOUR)


def entity_style(label: str) -> Style:
    """The style an entity of ``label`` is drawn with in the reader."""
    style = _STYLES.get(label)
    if style is None:
        style = _STYLES[label] = Style(color=entity_colour(label), underline=True)
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

