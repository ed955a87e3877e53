"""The analysis screen: frequencies as bars, co-occurrence as a heat map, the
code × document (or × coder) matrix. Figures are counted in a worker
(tables.build_table); Enter on one lists the passages behind it."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from margin.store.coders import coder_names, coders_present
from margin.store.documents import document_titles
from margin.store.errors import StoreError
from margin.store.export import write_atomically
from margin.store.util import plural
from margin.tui.analysis.tables import (
    MEASURES,
    VIEW_NAMES,
    VIEWS,
    AnalysisTable,
    Behind,
    Settings,
    bar,
    build_table,
)
from margin.tui.cells import fit
from margin.tui.colours import active_colours
from margin.tui.keybar import KeyBar
from margin.tui.modals import Choice, FilePrompt, FuzzyPicker
from margin.tui.reader.wrapping import display_text
from margin.tui.screen import MarginScreen
from margin.tui.workers import worker_database

# The picker's answer that clears a filter.
EVERYONE = object()
# The widest a code's label column gets, in cells (the rest of the path is
# in the status line when its row is highlighted).
LABEL_MAX = 40
# Matrix columns (document titles, coder names) are cut to this many cells.
COLUMN_MAX = 12
# An entry of the legend under a matrix or the heat map ("12 Diplomacy W…")
# is cut to this many cells when the line cannot hold every entry whole;
# with room to spare, the entries take it (legend_entries).
LEGEND_ENTRY_MAX = 28
LEGEND_SEPARATOR = " · "
# The most figures a view draws: a table of 56 codes × 1,000 documents held
# the interface for 2 s while it was laid out, for columns nobody scrolls
# through. Past this, the first columns are drawn (at least
# MIN_COLUMNS) and the line under the title says so; the CSV holds them all.
MAX_CELLS = 6000
MIN_COLUMNS = 10


def numbered(labels: list[str]) -> list[str]:
    """The heat map's row labels with the numbers its columns carry, right
    aligned (" 9 Territory" above "10 US policy": the names line up)."""
    digits = len(str(len(labels)))
    return [f"{number:>{digits}} {label}" for number, label in enumerate(labels, start=1)]


def _shown(text: str) -> str:
    return display_text(" ".join(text.split()))


def legend_entries(entries: list[str], room: int) -> list[str]:
    """The legend's entries cut to one cap, the widest that lets them all fit
    in ``room`` cells with their separators (short entries stay whole, the
    long ones share what is left), and never below LEGEND_ENTRY_MAX: when
    even that does not fit, the line shows what it can from the highlighted
    entry on."""
    widths = [cell_len(entry) for entry in entries]

    def total(cap: int) -> int:
        return sum(min(width, cap) for width in widths) + \
            cell_len(LEGEND_SEPARATOR) * max(0, len(entries) - 1)

    low, high = LEGEND_ENTRY_MAX, max(widths, default=0)
    if high <= low or total(high) <= room:
        cap = max(high, low)
    else:
        while low < high:  # the widest cap that fits (LEGEND_ENTRY_MAX at least)
            middle = (low + high + 1) // 2
            if total(middle) <= room:
                low = middle
            else:
                high = middle - 1
        cap = low
    return [fit(entry, cap, pad=False) for entry in entries]


class FigureTable(DataTable):
    """The figures: a DataTable whose Enter says what it does in the key bar
    (DataTable's own Enter is not shown)."""

    BINDINGS = [
        # The screen's binding of the same id (for the help screen): a
        # remapping moves both.
        Binding("enter", "screen.passages", "Passages", id="analysis.passages",
                tooltip="List the passages behind the highlighted figure"),
    ]


class AnalysisScreen(MarginScreen):
    DEFAULT_CSS = """
    AnalysisScreen #analysis-settings { height: 1; padding: 0 1; color: $foreground-muted; }
    AnalysisScreen #analysis-table { height: 1fr; }
    AnalysisScreen #analysis-legend { height: 1; padding: 0 1; }
    /* One line each, cut with "…" (a cut figure or name must show it is cut). */
    AnalysisScreen #analysis-settings, AnalysisScreen #analysis-legend {
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    # In the key bar's order: what fits at 80 columns first (Enter, Tab, w,
    # c, d); o and s are also on the settings line, next to what they change.
    BINDINGS = [
        Binding("enter", "passages", "Passages", id="analysis.passages",
                tooltip="List the passages behind the highlighted figure"),
        Binding("tab", "next_view", "View", id="analysis.next_view",
                tooltip="Frequencies, co-occurrence, matrix: the next one"),
        Binding("1", "view('frequencies')", "Frequencies", show=False,
                id="analysis.frequencies", tooltip="Code frequencies as bars"),
        Binding("2", "view('cooccurrence')", "Co-occurrence", show=False,
                id="analysis.cooccurrence", tooltip="Codes × codes as a heat map"),
        Binding("3", "view('matrix')", "Matrix", show=False, id="analysis.matrix",
                tooltip="Codes × documents (or × coders)"),
        Binding("w", "write_csv", "CSV", id="analysis.csv",
                tooltip="Write the table to a CSV file"),
        Binding("c", "filter_coders", "Coders", id="analysis.coders",
                tooltip="Count only some coders' codings"),
        Binding("d", "filter_documents", "Documents", id="analysis.documents",
                tooltip="Count only some documents"),
        Binding("o", "option", "Option", id="analysis.option",
                tooltip="What the bars chart; the co-occurrence unit; the matrix's columns"),
        Binding("s", "subcodes", "Sub-codes", id="analysis.subcodes",
                tooltip="Count each code with the codes beneath it, or alone"),
        Binding("escape", "app.pop_screen", "Back", id="analysis.back"),
        # The reader's keys move as the arrows do, in every view.
        Binding("j", "cursor('down')", "Down", show=False, id="analysis.down"),
        Binding("k", "cursor('up')", "Up", show=False, id="analysis.up"),
        Binding("h", "cursor('left')", "Left", show=False, id="analysis.left"),
        Binding("l", "cursor('right')", "Right", show=False, id="analysis.right"),
    ]

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.table: AnalysisTable | None = None
        self._drawn_width = 0
        self._cut_note = ""  # what the table drawn leaves out

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield Static(id="analysis-settings")
        yield FigureTable(id="analysis-table", cursor_type="row")
        yield Static(id="analysis-legend")
        yield Static(id="status-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self._show_heading()
        self.query_one("#analysis-table", DataTable).focus()
        self.reload()

    # ------------------------------------------------------------ loading

    def reload(self) -> None:
        self.mark_read()
        visible = self.app.visible_coders()
        if visible and self.settings.coders != visible:
            # Blind mode: only the current coder's codings count, and the
            # heading says so (the table shown is the one these settings ask for).
            self.settings = replace(self.settings, coders=visible)
            self._show_heading()
        self._status(Text("Counting…", Style(dim=True)))
        self.run_worker(partial(self._build, self.settings), thread=True, exclusive=True,
                        group="analysis", exit_on_error=False)

    def _build(self, settings: Settings) -> None:
        visible = self.app.visible_coders()

        def build(db):
            if visible and not coders_present(db, visible):
                raise StoreError("Blind mode: you have no codings yet, so nothing to count")
            return build_table(db, settings=settings)

        table = worker_database(self.app, build, on_error=self._failed)
        if table is not None and not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, table)

    def _failed(self, error: Exception) -> None:
        self.app.report(error)
        self._status(Text(str(error), Style(color="yellow")))

    def _change(self, settings: Settings) -> None:
        self.settings = settings
        self._show_heading()
        self.reload()

    # ------------------------------------------------------------ drawing

    def _show_heading(self) -> None:
        title = Text("margin — analysis  ", Style(bold=True))
        for view in VIEWS:
            name = f" {VIEWS.index(view) + 1} {VIEW_NAMES[view]} "
            title.append(name, Style(reverse=True, bold=True) if view == self.settings.view
                         else Style(dim=True))
        self.query_one("#title-bar", Static).update(title)
        settings = self.settings
        option = settings.option_text()
        if self._cut_note and self.table is not None and self.table.settings == settings:
            option += f" ({self._cut_note})"
        # Each setting after the key that changes it (the key bar has no room
        # for them all at 80 columns).
        parts = [("o", option)]
        if settings.view != "cooccurrence":
            parts.append(("s", "with sub-codes" if settings.subcodes else "each code alone"))
        parts.append(("c", "coders: " + (", ".join(settings.coders) if settings.coders
                                         else "all")))
        parts.append(("d", f"documents: {len(settings.documents)} picked" if settings.documents
                      else "documents: all"))
        key_style = Style(bold=True, color=self.app.theme_variables.get(
            "footer-key-foreground", "#ffa62b"))
        line = Text(no_wrap=True, overflow="ellipsis")
        for key, part in parts:
            if line:
                line.append(" · ")
            line.append(key, key_style)
            line.append(" " + _shown(part))
        self.query_one("#analysis-settings", Static).update(line)

    def _show_legend(self) -> None:
        """The line under a matrix or the heat map: each column's id and
        heading (the headers are cut to a few cells), the highlighted
        column's shown reversed and always in view."""
        legend = self.query_one("#analysis-legend", Static)
        table = self.table
        if table is None or table.settings.view == "frequencies" or not table.rows:
            legend.display = False
            return
        legend.display = True
        data = self.query_one("#analysis-table", DataTable)
        highlighted = data.cursor_coordinate.column - 1
        drawn = len(data.columns) - 1
        width = legend.content_region.width or self.app.size.width - 2
        prefix = "columns: "
        entries = legend_entries(
            [f"{id_} {_shown(heading)}"
             for id_, heading in zip(table.ids[:drawn], table.headings[:drawn], strict=True)],
            width - cell_len(prefix))
        # From the first entry, or (when the highlighted one would not fit)
        # from the highlighted one, after an ellipsis.
        first = 0
        if 0 <= highlighted < len(entries) and \
                cell_len(" · ".join(entries[:highlighted + 1])) + 9 > width:
            first = highlighted
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(prefix, Style(dim=True))
        if first:
            line.append("… ", Style(dim=True))
        for index in range(first, len(entries)):
            if index > first:
                line.append(LEGEND_SEPARATOR, Style(dim=True))
            line.append(entries[index], Style(reverse=True) if index == highlighted else Style())
            if cell_len(line.plain) > width:
                break
        legend.update(line)

    def _status(self, text: Text) -> None:
        self.query_one("#status-bar", Static).update(text)

    def _show(self, table: AnalysisTable) -> None:
        if table.settings != self.settings or not self.is_attached:
            return  # a later setting is being counted
        self.table = table
        self._fill()

    def on_resize(self) -> None:
        if self.table is not None:
            self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        data = self.query_one("#analysis-table", DataTable)
        if data.size.width != self._drawn_width:
            self._fill()

    def _fill(self) -> None:
        table = self.table
        if table is None:
            return
        data = self.query_one("#analysis-table", DataTable)
        previous = data.cursor_coordinate if data.row_count else Coordinate(0, 1)
        data.clear(columns=True)
        self._cut_note = ""
        width = data.size.width or self.app.size.width
        self._drawn_width = data.size.width
        bars = table.settings.view == "frequencies"
        data.cursor_type = "row" if bars else "cell"
        data.fixed_columns = 1
        labels = [_shown(row.label) for row in table.rows]
        if table.settings.view == "cooccurrence":
            labels = numbered(labels)
        label_width = min(max((cell_len(label) for label in labels), default=4) + 2,
                          LABEL_MAX, max(12, width // 3))
        data.add_column(Text("Code"), width=label_width, key="code")
        colours = active_colours()
        if bars:
            measure = MEASURES.index(table.settings.measure)
            figure_widths = [
                max(cell_len(heading) + 1,
                    max((len(f"{row.values[index]:,}") for row in table.rows), default=1))
                for index, heading in enumerate(table.short)]
            padding = 2 * data.cell_padding * (len(figure_widths) + 2) + 2
            bar_width = max(8, width - label_width - sum(figure_widths) - padding)
            data.add_column(Text(table.settings.measure), width=bar_width, key="bar")
            for index, (heading, figure_width) in enumerate(
                    zip(table.short, figure_widths, strict=True)):
                style = Style(bold=True, underline=True) if index == measure else Style()
                data.add_column(Text(heading, style=style, justify="right"), width=figure_width)
            maximum = max((row.values[measure] for row in table.rows), default=0)
            for row, label in zip(table.rows, labels, strict=True):
                ink = colours.code_ink(row.colour).rich_color if row.colour else None
                data.add_row(
                    self._label(row.colour, label, label_width),
                    Text(bar(row.values[measure], maximum, bar_width), Style(color=ink),
                         no_wrap=True),
                    *(Text(f"{value:,}", justify="right") for value in row.values),
                )
        else:
            maximum = table.maximum
            drawn = max(MIN_COLUMNS, MAX_CELLS // max(1, len(table.rows)))
            shorts = [fit(_shown(heading), COLUMN_MAX, pad=False)
                      for heading in table.short[:drawn]]
            if len(table.short) > drawn:
                self._cut_note = f"the first {drawn:,} of {len(table.short):,} drawn, w writes all"
            digits = len(f"{maximum:,}")
            for index, heading in enumerate(shorts):
                data.add_column(Text(heading, justify="right"),
                                width=max(cell_len(heading), digits, 2), key=f"c{index}")
            for row, label in zip(table.rows, labels, strict=True):
                cells = [self._label(row.colour, label, label_width)]
                for index, value in enumerate(row.values[:drawn]):
                    cells.append(self._figure(table, row.code_id, index, value, maximum,
                                              colours))
                data.add_row(*cells)
        self._show_heading()  # with the cut note, or without
        if table.rows:
            column = min(max(previous.column, 0 if bars else 1), len(data.columns) - 1)
            data.move_cursor(row=min(previous.row, data.row_count - 1), column=column,
                             animate=False)
            self._describe()
        else:
            self._status(Text(table.empty, Style(dim=True)))
        self._show_legend()

    @staticmethod
    def _label(colour: str, label: str, width: int) -> Text:
        return Text.assemble(("■ ", Style(color=colour or None)),
                             fit(label, max(1, width - 2), pad=False), no_wrap=True)

    @staticmethod
    def _figure(table: AnalysisTable, code_id: int, index: int, value: int, maximum: int,
                colours) -> Text:
        if table.settings.view == "cooccurrence" and table.column_ids[index] == code_id:
            return Text("—", Style(dim=True), justify="right")
        if not value:
            return Text("·", Style(dim=True), justify="right")
        background, ink = colours.heat(value / maximum if maximum else 0)
        return Text(f"{value:,}", Style(bgcolor=background.rich_color, color=ink.rich_color),
                    justify="right")

    def _cursor(self) -> tuple[int, int]:
        data = self.query_one("#analysis-table", DataTable)
        return data.cursor_coordinate.row, data.cursor_coordinate.column

    @on(DataTable.CellHighlighted, "#analysis-table")
    @on(DataTable.RowHighlighted, "#analysis-table")
    def _describe(self) -> None:
        table = self.table
        if table is None or not table.rows:
            return
        row, column = self._cursor()
        if table.settings.view == "frequencies" or column == 0:
            text = table.describe(row, -1) if table.settings.view != "frequencies" \
                else table.describe(row, 0)
        else:
            text = table.describe(row, column - 1)
        self._status(Text(_shown(text), no_wrap=True, overflow="ellipsis"))
        self._show_legend()

    # ------------------------------------------------------------ actions

    def behind(self) -> Behind | None:
        """What Enter on the highlighted figure lists: a bar's code, a cell's
        pair or column; a code's label, all its passages."""
        table = self.table
        if table is None or not table.rows:
            return None
        row, column = self._cursor()
        if not 0 <= row < len(table.rows):
            return None
        entry = table.rows[row]
        if table.settings.view == "frequencies":
            return entry.behind[0]
        if column == 0:
            subcodes = table.settings.subcodes and table.settings.view == "matrix"
            return Behind(entry.label, entry.code_id, with_subcodes=subcodes)
        return entry.behind[column - 1] if column - 1 < len(entry.behind) else None

    @on(DataTable.RowSelected, "#analysis-table")  # a click on a row
    @on(DataTable.CellSelected, "#analysis-table")
    def action_passages(self) -> None:
        behind = self.behind()
        if behind is None:
            self.app.notify("No passages behind this figure", severity="warning", timeout=2)
            return
        from margin.tui.codebook.passages import PassagesScreen

        self.app.push_screen(PassagesScreen(behind=behind, coders=self.settings.coders,
                                            documents=self.settings.documents))

    def action_view(self, view: str) -> None:
        if view != self.settings.view:
            self.query_one("#analysis-table", DataTable).clear(columns=True)
            self._change(replace(self.settings, view=view))

    def action_next_view(self) -> None:
        views = list(VIEWS)
        self.action_view(views[(views.index(self.settings.view) + 1) % len(views)])

    def action_option(self) -> None:
        self._change(self.settings.next_option())

    def action_subcodes(self) -> None:
        from dataclasses import replace

        if self.settings.view == "cooccurrence":
            self.app.notify("Co-occurrence counts each code alone (a code and its sub-code "
                            "would always co-occur)", timeout=4)
            return
        self._change(replace(self.settings, subcodes=not self.settings.subcodes))

    def action_cursor(self, direction: str) -> None:
        data = self.query_one("#analysis-table", DataTable)
        moves = {"down": data.action_cursor_down, "up": data.action_cursor_up,
                 "left": data.action_cursor_left, "right": data.action_cursor_right}
        moves[direction]()

    def action_filter_coders(self) -> None:
        if self.app.visible_coders():
            self.notify("Blind mode: only your own codings count until you turn it off",
                        severity="warning")
            return
        try:
            names = sorted(coder_names(self.app.db), key=str.casefold)
        except StoreError as error:
            self.app.report(error)
            return
        chosen = set(self.settings.coders)
        choices = [Choice("all coders", Text("All coders", Style(italic=True)), EVERYONE)]
        choices += [Choice(name, Text.assemble(("✓ " if name in chosen else "  "), _shown(name)),
                           name) for name in names]
        self.app.push_screen(
            FuzzyPicker("Count the codings of… (a pick adds or removes a coder)", choices),
            partial(self._toggle, "coders"))

    def action_filter_documents(self) -> None:
        try:
            titles = document_titles(self.app.db)
        except StoreError as error:
            self.app.report(error)
            return
        chosen = set(self.settings.documents)
        choices = [Choice("all documents", Text("All documents", Style(italic=True)), EVERYONE)]
        choices += [Choice(f"{document_id} {title}",
                           Text.assemble(("✓ " if document_id in chosen else "  "),
                                         (f"{document_id}  ", Style(dim=True)), _shown(title)),
                           document_id)
                    for document_id, title in sorted(titles.items())]
        self.app.push_screen(
            FuzzyPicker("Count the codings in… (a pick adds or removes a document)", choices),
            partial(self._toggle, "documents"))

    def _toggle(self, field: str, value) -> None:
        from dataclasses import replace

        if value is None:
            return
        current = list(self.settings.coders if field == "coders" else self.settings.documents)
        if value is EVERYONE:
            current = []
        elif value in current:
            current.remove(value)
        else:
            current.append(value)
        if field == "coders":
            self._change(replace(self.settings, coders=tuple(current)))
        else:
            self._change(replace(self.settings, documents=tuple(current)))

    def action_write_csv(self) -> None:
        table = self.table
        if table is None or not table.rows:
            self.app.notify("Nothing to write yet", severity="warning", timeout=2)
            return

        def write(path: Path) -> Path:
            return write_atomically(path, table.csv())

        def written(path: Path | None) -> None:
            if path is not None:
                self.app.notify(f"Wrote {plural(len(table.rows), 'row')} to {path}", timeout=4)

        self.app.push_screen(FilePrompt(
            f"Write the {VIEW_NAMES[table.settings.view].lower()} table to a CSV file",
            f"margin-{table.settings.view}.csv", write,
            hint=_shown(f"A path (relative to {Path.cwd()}); Enter writes, Escape cancels")),
            written)
