"""The agreement screen and the disagreements of one code.

``AgreementScreen``: two coders' κ, α and percent agreement per code (the
pooled row first, then the codes worst first), each figure coloured by its
band (tui/colours.py), computed in a worker. ``c`` picks the two coders (the
two with most codings at first), ``n`` the next unit, Enter the places where
the coders differ on the highlighted code.

``DisagreementsScreen``: those places (only A, only B, both with different
boundaries), A's and B's version side by side in their context. Enter opens
the reader there; ``a``, ``b``, ``o`` and ``i`` adopt A's version, B's, their
union or their intersection as the current coder's, one undoable action
(store/analysis/agreement.py, ``reconcile``).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from margin.store.analysis.agreement import (
    UNITS,
    Agreement,
    Figures,
    Place,
    agreement,
    coders_by_codings,
    disagreements,
    reconcile,
)
from margin.store.codes import get_code
from margin.store.documents import document_texts, document_titles
from margin.store.textspans import context_of, paragraph_number
from margin.store.util import plural
from margin.tui.cells import fit
from margin.tui.colours import agreement_ink
from margin.tui.concordance import MATCH_STYLE, flat
from margin.tui.keybar import KeyBar
from margin.tui.modals import Choice, FuzzyPicker
from margin.tui.screen import MarginScreen
from margin.tui.workers import worker_database

POOLED = "All codes (pooled)"
UNDEFINED = "–"
# The figure columns: κ, α, agreement, then each coder's coded units.
FIGURE_CELLS = (6, 6, 7)
CODED_CELLS = 9
# A place's context on each side: about this many cells of its sentence.
CONTEXT_CELLS = 160
# A side's snippet is cut to this many lines' worth of its column.
SIDE_LINES = 4
KINDS = {"only a": "only {a}", "only b": "only {b}", "boundaries": "different boundaries"}


def default_coders(db) -> tuple[str, str] | None:
    """The two coders with most codings (None with fewer than two)."""
    coders = [name for name, count in coders_by_codings(db) if count]
    return (coders[0], coders[1]) if len(coders) >= 2 else None


def open_agreement(app) -> None:
    """The palette's "Inter-coder agreement…": the screen for the two coders
    with most codings (a notification when there are not two)."""
    coders = default_coders(app.db)
    if coders is None:
        app.notify("Agreement compares two coders: this project has codings by fewer than two "
                   "(start margin with --coder NAME to code as another coder)",
                   severity="warning", timeout=6)
        return
    app.push_screen(AgreementScreen(coders))


def _figure(value: float | None, percent: bool = False) -> Text:
    if value is None:
        return Text(UNDEFINED, Style(dim=True), justify="right")
    shown = f"{100 * value:.1f}%" if percent else f"{value:.3f}"
    ink = agreement_ink(value) if not percent else None
    return Text(shown, Style(color=ink.rich_color) if ink else Style(), justify="right")


def _worst_first(row: Figures) -> tuple:
    """κ ascending; undefined κ after the defined ones."""
    return (row.kappa is None, row.kappa if row.kappa is not None else 0, row.code or "")


def _show_status(screen, message: str, warning: bool = False) -> None:
    """The status line of both agreement screens: a warning in yellow."""
    screen.query_one("#status-bar", Static).update(
        Text(message, Style(color="yellow") if warning else Style(dim=True)))


class AgreementScreen(MarginScreen):
    DEFAULT_CSS = """
    AgreementScreen #agreement-codes { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="agreement.back"),
        Binding("enter", "places", "Differences", id="agreement.places",
                tooltip="The places where the two coders differ on the highlighted code"),
        Binding("c", "choose_coders", "Coders", id="agreement.coders",
                tooltip="Choose the two coders to compare"),
        Binding("n", "next_unit", "Unit", id="agreement.unit",
                tooltip="Compare in characters, sentences or paragraphs (the next one)"),
        Binding("j", "cursor(1)", "Down", show=False, id="agreement.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="agreement.up"),
    ]

    def __init__(self, coders: tuple[str, str], unit: str = "character") -> None:
        super().__init__()
        self.coders = coders
        self.unit = unit
        self.report: Agreement | None = None
        self.rows: list[Figures] = []  # as shown: pooled first, then worst first

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield DataTable(id="agreement-codes", cursor_type="row", zebra_stripes=True)
        yield Static(id="status-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self._show_title()
        self._status("Computing…")
        self.query_one(DataTable).focus()
        self.reload()

    def reload(self) -> None:
        self.mark_read()
        self._compute()

    @work(thread=True, exclusive=True, group="agreement", exit_on_error=False)
    def _compute(self) -> None:
        coders, unit = self.coders, self.unit
        report = worker_database(self.app, lambda db: agreement(db, coders, unit=unit),
                                 on_error=self._failed)
        if report is not None:
            self.app.call_from_thread(self._show, report)

    def _failed(self, error: Exception) -> None:
        self.report, self.rows = None, []
        self.query_one(DataTable).clear(columns=True)
        self._status(str(error), warning=True)

    def _show(self, report: Agreement) -> None:
        if (report.coders, report.unit) != (tuple(self.coders), self.unit):
            return  # an older computation, finished after a change
        self.report = report
        pooled, *codes = report.rows
        self.rows = [pooled, *sorted(codes, key=_worst_first)]
        self._fill()
        self._status(f"{plural(len(report.documents), 'document')} both coded · "
                     f"{plural(len(codes), 'code')} · Enter: where they differ")

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        highlighted = table.cursor_row
        table.clear(columns=True)
        a, b = self.coders
        fixed = sum(FIGURE_CELLS) + 2 * CODED_CELLS + 6 * 2 + 2  # cells and their padding
        code_cells = max(10, self.size.width - fixed)
        table.add_column("Code", width=code_cells, key="code")
        for label, cells in zip(("κ", "α", "agree"), FIGURE_CELLS, strict=True):
            table.add_column(Text(label, justify="right"), width=cells)
        for name in (a, b):
            table.add_column(Text(fit(flat(name), CODED_CELLS, pad=False), justify="right"),
                             width=CODED_CELLS)
        unit = self.unit
        for index, row in enumerate(self.rows):
            label = POOLED if row.code is None else flat(row.code)
            style = Style(bold=True) if row.code is None else Style()
            table.add_row(
                Text(fit(label, code_cells, pad=False), style, no_wrap=True),
                _figure(row.kappa), _figure(row.alpha), _figure(row.agreement, percent=True),
                *(Text(f"{n:,}", justify="right") for n in row.coded),
                key=str(index),
            )
        if self.rows:
            table.move_cursor(row=min(highlighted, len(self.rows) - 1))
        table.tooltip = f"coded: {unit}s each coder coded with the code"

    def _show_title(self) -> None:
        a, b = self.coders
        self.query_one("#title-bar", Static).update(Text.assemble(
            ("Agreement  ", Style(bold=True)), (flat(a), Style(bold=True)), " and ",
            (flat(b), Style(bold=True)), (f"  in {self.unit}s", Style(dim=True))))

    _status = _show_status

    def on_resize(self) -> None:
        if self.rows:
            self._fill()

    # ------------------------------------------------------------ actions

    def action_cursor(self, step: int) -> None:
        table = self.query_one(DataTable)
        table.action_cursor_down() if step > 0 else table.action_cursor_up()

    @on(DataTable.RowSelected, "#agreement-codes")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_places()

    def action_places(self) -> None:
        if not self.rows:
            return
        row = self.rows[self.query_one(DataTable).cursor_row]
        if row.code_id is None:
            self.app.notify("Choose a code: the places are per code", timeout=3)
            return
        self.app.push_screen(DisagreementsScreen(self.coders, row.code_id, self.unit))

    def action_next_unit(self) -> None:
        self.unit = UNITS[(UNITS.index(self.unit) + 1) % len(UNITS)]
        self._show_title()
        self._status(f"Computing in {self.unit}s…")
        self.reload()

    def action_choose_coders(self) -> None:
        coders = coders_by_codings(self.app.db)
        if len(coders) < 2:
            self.app.notify("There are not two coders to compare", severity="warning")
            return

        def choices(leave_out: str | None) -> list[Choice]:
            return [Choice(name, Text.assemble(flat(name), (f"  {plural(count, 'coding')}",
                                                            Style(dim=True))), name)
                    for name, count in coders if name != leave_out]

        def second(first: str | None) -> None:
            if first is None:
                return
            self.app.push_screen(
                FuzzyPicker(f"Compare {first} with…", choices(first)),
                lambda other: other is not None and self._compare(first, other))

        self.app.push_screen(FuzzyPicker("First coder", choices(None)), second)

    def _compare(self, a: str, b: str) -> None:
        self.coders = (a, b)
        self._show_title()
        self._status("Computing…")
        self.reload()


class DisagreementsScreen(MarginScreen):
    DEFAULT_CSS = """
    DisagreementsScreen #places { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="disagreements.back"),
        Binding("a", "adopt('a')", "Take A's", id="disagreements.adopt_a",
                tooltip="Adopt the first coder's version here, as your codings"),
        Binding("b", "adopt('b')", "Take B's", id="disagreements.adopt_b",
                tooltip="Adopt the second coder's version here, as your codings"),
        Binding("o", "adopt('union')", "Union", id="disagreements.union",
                tooltip="Adopt what either coder coded here (the union), as your codings"),
        Binding("i", "adopt('intersection')", "Intersection", id="disagreements.intersection",
                tooltip="Adopt what both coders coded here (the intersection), as your codings"),
        Binding("j", "cursor(1)", "Down", show=False, id="disagreements.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="disagreements.up"),
    ]

    def __init__(self, coders: tuple[str, str], code_id: int, unit: str = "character") -> None:
        super().__init__()
        self.coders = coders
        self.code_id = code_id
        self.unit = unit
        self.places: list[Place] = []
        self._texts: dict[int, str] = {}
        self._titles: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield OptionList(id="places")
        yield Static(id="status-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#places", OptionList).focus()
        self._status("Finding the places where they differ…")
        self.reload()

    def reload(self) -> None:
        self.mark_read()
        self._find()

    @work(thread=True, exclusive=True, group="disagreements", exit_on_error=False)
    def _find(self) -> None:
        (a, b), code_id, unit, me = self.coders, self.code_id, self.unit, self.app.coder

        def find(db):
            places = disagreements(db, a, b, code_id, unit=unit, reconciler=me)
            texts = document_texts(db, sorted({p.document_id for p in places}))
            return get_code(db, code_id), places, texts, document_titles(db)

        found = worker_database(self.app, find, on_error=self._failed)
        if found is not None:
            self.app.call_from_thread(self._show, *found)

    def _failed(self, error: Exception) -> None:
        self.places = []
        self.query_one("#places", OptionList).clear_options()
        self._status(str(error), warning=True)

    def _show(self, code, places: list[Place], texts: dict, titles: dict) -> None:
        self.code, self.places, self._texts, self._titles = code, places, texts, titles
        a, b = self.coders
        counts = [sum(p.kind == kind for p in places) for kind in KINDS]
        self.query_one("#title-bar", Static).update(Text.assemble(
            ("■ ", Style(color=code.colour)), (flat(code.path), Style(bold=True)),
            (f"  {flat(a)} and {flat(b)} in {self.unit}s: "
             f"{plural(len(places), 'place')} they differ", Style(dim=True))))
        options = self.query_one("#places", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        items: list[Option | None] = []
        for number, place in enumerate(places):
            if number:
                items.append(None)  # a separator line
            items.append(Option(self._prompt(place)))
        options.add_options(items)  # at once: one by one is quadratic
        if places:
            options.highlighted = min(highlighted or 0, len(places) - 1)
            summary = ", ".join(f"{n} {KINDS[kind].format(a=a, b=b)}"
                                for kind, n in zip(KINDS, counts, strict=True) if n)
            self._status(f"{summary} · adopting as {self.app.coder}")
        else:
            options.add_option(Option(Text(f"{a} and {b} agree on this code everywhere."),
                                      disabled=True))
            self._status("Nothing to reconcile · Escape goes back")

    def _prompt(self, place: Place) -> Group:
        a, b = self.coders
        text = self._texts[place.document_id]
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(KINDS[place.kind].format(a=a, b=b), Style(italic=True))
        if place.reconciled:  # a third coder's codings here are one of the versions
            version = place.reconciled[0]
            shown = {"a": f"{a}'s", "b": f"{b}'s"}.get(version, version)
            head.append(f"  ✓ {flat(self.app.coder)}: {flat(shown)}", Style(bold=True))
        head.append(f"  para. {paragraph_number(text, place.start)}  ", Style(dim=True))
        head.append(flat(self._titles.get(place.document_id, "")), Style(bold=True))
        column = max(10, (self.size.width - 6) // 2)
        sides = Table.grid(expand=True, padding=(0, 1))
        sides.add_column(ratio=1)
        sides.add_column(ratio=1)
        sides.add_row(Text(fit(flat(a), column), Style(underline=True)),
                      Text(fit(flat(b), column), Style(underline=True)))
        sides.add_row(self._side(text, place, place.a, column),
                      self._side(text, place, place.b, column))
        return Group(head, sides)

    def _side(self, text: str, place: Place, spans, column: int) -> Text:
        """The place in its sentence, this coder's codings highlighted."""
        if not spans:
            return Text("(not coded here)", Style(dim=True, italic=True))
        snippet, start, _end = context_of(text, place.start, place.end, width=CONTEXT_CELLS)
        offset = place.start - start
        shown = Text(flat(snippet))
        for s, e in spans:
            shown.stylize(MATCH_STYLE, s - offset, e - offset)
        limit = column * SIDE_LINES
        if cell_len(shown.plain) > limit:
            shown.truncate(limit, overflow="ellipsis")
        return shown

    _status = _show_status

    # ------------------------------------------------------------ actions

    def action_cursor(self, step: int) -> None:
        options = self.query_one("#places", OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def _current(self) -> Place | None:
        highlighted = self.query_one("#places", OptionList).highlighted
        if highlighted is None or not self.places:
            return None
        return self.places[highlighted]

    @on(OptionList.OptionSelected, "#places")
    def _open(self, event: OptionList.OptionSelected) -> None:
        place = self.places[event.option_index]
        self.app.open_document(place.document_id, offset=place.start)

    def action_adopt(self, version: str) -> None:
        place = self._current()
        if place is None:
            return
        self.app.run_store(
            reconcile, place, version, self.app.coder,
            success=lambda _n: f"{self.app.coder} adopted {place.describe(version)} (u undoes)")
