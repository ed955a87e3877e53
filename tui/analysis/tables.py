"""The analysis screen's tables, built from the store's figures.

One :class:`AnalysisTable` per view: its rows (a code each), the figures of
each row, the headings a CSV file gets, and for each figure what Enter on it
lists (:class:`Behind`, the arguments of ``passages_behind``). Built in a
worker thread (no Textual here); the screen only draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from margin.store.analysis.cooccurrence import COOCCURRENCE_UNITS, cooccurrence, pair_table
from margin.store.analysis.frequencies import code_frequencies, frequency_table
from margin.store.analysis.matrix import MATRIX_COLUMNS, code_matrix
from margin.store.codes import codebook
from margin.store.db import Database
from margin.store.export import table_csv
from margin.store.util import plural

VIEWS = ("frequencies", "cooccurrence", "matrix")
VIEW_NAMES = {"frequencies": "Frequencies", "cooccurrence": "Co-occurrence",
              "matrix": "Matrix"}
#: The figures of a frequency row, in the order of its columns; the bars
#: chart one of them (``Settings.measure``).
MEASURES = ("codings", "documents", "characters", "words")
#: What a co-occurrence count counts, by unit (one, many).
UNIT_WORDS = {
    "overlap": ("overlapping pair", "overlapping pairs"),
    "sentence": ("sentence", "sentences"),
    "paragraph": ("paragraph", "paragraphs"),
    "document": ("document", "documents"),
}


@dataclass(frozen=True)
class Settings:
    """What the screen shows: the view, its option, and the filters."""

    view: str = "frequencies"
    measure: str = "codings"  # frequencies: the figure the bars chart
    subcodes: bool = False  # frequencies and matrix: count the codes beneath too
    unit: str = "overlap"  # co-occurrence
    cols: str = "documents"  # matrix
    coders: tuple[str, ...] = ()  # names; empty: every coder
    documents: tuple[int, ...] = ()  # ids; empty: every document

    def next_option(self) -> Settings:
        """The view's option moved on: the measure, the unit, the columns."""
        if self.view == "frequencies":
            return replace(self, measure=_after(MEASURES, self.measure))
        if self.view == "cooccurrence":
            return replace(self, unit=_after(COOCCURRENCE_UNITS, self.unit))
        return replace(self, cols=_after(MATRIX_COLUMNS, self.cols))

    def option_text(self) -> str:
        if self.view == "frequencies":
            return f"bars: {self.measure}"
        if self.view == "cooccurrence":
            return f"unit: {self.unit}"
        return f"columns: {self.cols}"


def _after(choices: Sequence[str], current: str) -> str:
    return choices[(choices.index(current) + 1) % len(choices)]


@dataclass(frozen=True)
class Behind:
    """The passages behind one figure: ``passages_behind``'s arguments (the
    table's filters are added when they are read) and what to call them."""

    label: str
    code_id: int
    document_id: int | None = None
    coder: str | None = None
    with_code_id: int | None = None
    unit: str = "overlap"
    with_subcodes: bool = False
    count: int = 0  # the figure (a heat-map cell's pairs or units)

    def why(self, passages: int) -> str:
        """Why a heat-map cell's figure and its passages differ: it counts
        pairs of codings (or units holding both codes); the list holds the
        codings those are made of, each once."""
        if self.with_code_id is None or not self.count:
            return ""
        listed = plural(passages, "passage")
        if self.unit == "overlap":
            return (f"{plural(self.count, 'overlapping pair')} of codings, made of these "
                    f"{listed} (a passage can be in more than one pair)")
        one, many = UNIT_WORDS[self.unit]
        return (f"{plural(self.count, one, many)} with both codes; these {listed} are "
                f"their codings of either code")


@dataclass
class Row:
    """A code's row: its label, its colour, its figures, and what Enter on
    each figure lists (None: nothing behind it)."""

    code_id: int
    label: str
    colour: str
    values: list[int]
    behind: list[Behind | None]


@dataclass
class AnalysisTable:
    """What one view shows. ``headings``: the figures' column headings in
    full (the CSV's); ``short``: as drawn on screen (a matrix's and the heat
    map's start with the column's id); ``ids``: each column's short id, which
    the legend under the table pairs with its heading (the heat map's
    numbers, a document's id, a coder's number); ``what``: one line that
    says what a figure counts."""

    settings: Settings
    headings: list[str]
    short: list[str]
    rows: list[Row]
    what: str
    empty: str = ""  # what to say when there are no rows
    column_ids: list[object] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    # The CSV file's header and rows: the same as `margin stats … --csv`.
    csv_table: tuple[list[str], list[list]] = ([], [])

    @property
    def maximum(self) -> int:
        return max((value for row in self.rows for value in row.values), default=0)

    def csv(self, bom: bool = True) -> str:
        """The table as `margin stats … --csv` writes it (the store's
        tables), with a BOM for spreadsheets (``bom``)."""
        return table_csv(*self.csv_table, bom=bom)

    def describe(self, row: int, column: int) -> str:
        """One line on the figure at ``row``, ``column`` (of the figures)."""
        if not 0 <= row < len(self.rows):
            return ""
        entry = self.rows[row]
        view = self.settings.view
        if view == "frequencies":
            values = dict(zip(MEASURES, entry.values, strict=True))
            within = " with its sub-codes" if self.settings.subcodes else ""
            return (f"{entry.label}{within}: {plural(values['codings'], 'coding')} in "
                    f"{plural(values['documents'], 'document')}, "
                    f"{plural(values['characters'], 'character')}, "
                    f"{plural(values['words'], 'word')}")
        if not 0 <= column < len(self.headings):
            return entry.label
        count = entry.values[column]
        if view == "cooccurrence":
            if self.column_ids[column] == entry.code_id:
                return f"{entry.label} (a code with itself is not counted)"
            one, many = UNIT_WORDS[self.settings.unit]
            # The figure first: a long title is what the status line cuts.
            return f"{plural(count, one, many)}: {entry.label} × {self.headings[column]}"
        where = "by" if self.settings.cols == "coders" else "in"
        return f"{plural(count, 'coding')}: {entry.label} {where} {self.headings[column]}"


def build_table(db: Database, settings: Settings) -> AnalysisTable:
    """The view ``settings`` asks for, from the store's figures."""
    colours = {code.id: code.colour for code in codebook(db)}
    coders, documents = settings.coders, settings.documents
    if settings.view == "frequencies":
        rows = []
        frequencies = code_frequencies(db, coders=coders, documents=documents)
        for frequency in frequencies:
            totals = frequency.with_subcodes if settings.subcodes else frequency.own
            values = [totals.codings, totals.documents, totals.characters, totals.words]
            behind = Behind(frequency.path, frequency.code_id, with_subcodes=settings.subcodes)
            rows.append(Row(frequency.code_id, frequency.path,
                            colours.get(frequency.code_id, ""), values,
                            [behind if values[0] else None] * len(values)))
        what = "per code: codings, documents, characters and words coded"
        if settings.subcodes:
            what += ", with sub-codes"
        return AnalysisTable(settings, ["codings", "documents", "characters", "words"],
                             ["Codings", "Docs", "Chars", "Words"], rows, what,
                             empty="The codebook is empty: select a passage in the reader, "
                                   "press c.", csv_table=frequency_table(frequencies))
    if settings.view == "cooccurrence":
        pairs = cooccurrence(db, unit=settings.unit, coders=coders, documents=documents)
        order = {code_id: index for index, code_id in enumerate(colours)}
        paths = {}
        counts: dict[tuple[int, int], int] = {}
        for pair in pairs:
            paths[pair.code_a_id], paths[pair.code_b_id] = pair.code_a, pair.code_b
            counts[pair.code_a_id, pair.code_b_id] = counts[pair.code_b_id, pair.code_a_id] = \
                pair.count
        codes = sorted(paths, key=lambda code_id: order.get(code_id, len(order)))
        rows = []
        for code_id in codes:
            values = [counts.get((code_id, other), 0) for other in codes]
            behind = [Behind(f"{paths[code_id]} × {paths[other]}", code_id,
                             with_code_id=other, unit=settings.unit, count=value)
                      if value else None
                      for other, value in zip(codes, values, strict=True)]
            rows.append(Row(code_id, paths[code_id], colours.get(code_id, ""), values, behind))
        many = UNIT_WORDS[settings.unit][1]
        return AnalysisTable(
            settings, [paths[code_id] for code_id in codes],
            [str(number) for number in range(1, len(codes) + 1)], rows,
            f"codes × codes: {many} in which both apply", column_ids=list(codes),
            ids=[str(number) for number in range(1, len(codes) + 1)],
            empty=f"No two codes co-occur ({settings.unit}): o changes the unit.",
            csv_table=pair_table(pairs))
    matrix = code_matrix(db, cols=settings.cols, coders=coders, documents=documents,
                         with_subcodes=settings.subcodes)
    rows = []
    for (code_id, path), values in zip(matrix.rows, matrix.counts, strict=True):
        behind = []
        for (column, label), value in zip(matrix.cols, values, strict=True):
            if not value:
                behind.append(None)
            elif settings.cols == "documents":
                behind.append(Behind(f"{path} in {label}", code_id, document_id=column,
                                     with_subcodes=settings.subcodes))
            else:
                behind.append(Behind(f"{path} by {label}", code_id, coder=str(column),
                                     with_subcodes=settings.subcodes))
        rows.append(Row(code_id, path, colours.get(code_id, ""), list(values), behind))
    what = f"codes × {settings.cols}: codings"
    if settings.subcodes:
        what += ", with sub-codes"
    # A document's id (as the documents picker and the command line show
    # it); a coder's number (names are not ids).
    ids = [str(key) if settings.cols == "documents" else str(number)
           for number, (key, _label) in enumerate(matrix.cols, start=1)]
    return AnalysisTable(settings, [label for _key, label in matrix.cols],
                         [f"{id_} {label}" for id_, (_key, label) in zip(ids, matrix.cols,
                                                                       strict=True)],
                         rows, what, column_ids=[key for key, _label in matrix.cols], ids=ids,
                         empty="The codebook is empty: select a passage in the reader, "
                               "press c.", csv_table=matrix.table())


BAR_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: int, maximum: int, width: int) -> str:
    """A horizontal bar of ``value`` against ``maximum`` in ``width`` cells,
    to an eighth of a cell (block characters); a value above zero shows at
    least a sliver."""
    if maximum <= 0 or value <= 0 or width <= 0:
        return ""
    eighths = max(1, round(value / maximum * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (BAR_EIGHTHS[part] if part else "")
