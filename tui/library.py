"""The library: every document with its title, size and number of codings."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowDoesNotExist

from margin.store.documents import (
    DocumentSummary,
    delete_documents,
    deletion,
    list_documents,
    rename_document,
)
from margin.store.errors import StoreError
from margin.store.util import plural
from margin.tui.cells import fit
from margin.tui.codebook.tree import WIDE, CodebookColumn, CodebookPane, CodebookTree
from margin.tui.keybar import KeyBar
from margin.tui.modals import Confirm, TextPrompt
from margin.tui.screen import MarginScreen

# Sortable columns: (key, heading, sort key, descending first).
COLUMNS = [
    ("id", "#", lambda d: d.id, False),
    ("title", "Title", lambda d: d.title.casefold(), False),
    ("source", "Source", lambda d: d.source.casefold(), False),
    ("words", "Words", lambda d: d.word_count, True),
    ("codings", "Codings", lambda d: d.coding_count, True),
    # The publication date where the format carries one, else the import date.
    ("date", "Date", lambda d: d.date, True),
]


EMPTY_HINT = ("No documents yet — press i to import files or a folder, "
              "or run `margin import PATH` (`margin import --sample` adds the sample articles).")

# A source column wider than this (a long file name) is cut: the title needs
# the room more.
SOURCE_MAX_WIDTH = 24


class LibraryScreen(CodebookPane, MarginScreen):
    MAIN_WIDGET = "#documents"

    DEFAULT_CSS = """
    LibraryScreen #empty-hint {
        width: 1fr; height: 1fr; padding: 1 2; color: $foreground-muted;
    }
    """

    BINDINGS = [
        Binding("enter", "open", "Read", id="library.open", tooltip="Open the document"),
        Binding("s", "sort", "Sort", id="library.sort", tooltip="Sort by the next column"),
        Binding("S", "reverse", "Reverse", show=False, id="library.reverse",
                tooltip="Reverse the sort order"),
        Binding("t", "rename", "Title", id="library.rename", tooltip="Edit the document's title"),
        Binding("d,delete", "delete", "Delete", id="library.delete",
                tooltip="Delete the document with its codings, memos and entities (undoable)"),
        Binding("i", "import", "Import", id="library.import",
                tooltip="Import files or a folder"),
        Binding("E", "export", "Export", id="library.export",
                tooltip="Export coded passages"),
        Binding("a", "app.analysis", "Analysis", id="library.analysis",
                tooltip="Code frequencies, co-occurrence and code × document tables"),
        Binding("m", "app.memos", "Memos", id="library.memos",
                tooltip="Every memo by kind, filtered as you type"),
        Binding("tab", "toggle_focus", "Codebook", show=False, id="library.focus_codebook",
                tooltip="Move between the documents and the codebook"),
        Binding("g,home", "first_row", "First", show=False, id="library.first",
                tooltip="Go to the first document"),
        Binding("G,end", "last_row", "Last", show=False, id="library.last",
                tooltip="Go to the last document"),
        Binding("j", "cursor(1)", "Down", show=False, id="library.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="library.up"),
    ]

    # The key bar's order: what a new user needs first stays at 80 columns
    # (import, analysis, memos, search, export, quit); the rest follows as
    # the width allows. The help screen (?) lists every key.
    KEY_BAR_FIRST = ("import", "app.analysis", "app.memos", "search", "export", "quit",
                     "full_text", "undo", "delete", "sort", "rename")

    def __init__(self) -> None:
        super().__init__()
        self.sort_column = "id"
        self.sort_descending = False
        self.documents: list[DocumentSummary] = []
        self._filled_width = 0  # the table width the rows were laid out for
        self._resumed_once = False

    def compose(self) -> ComposeResult:
        yield Static(Text("margin — library"), id="title-bar")
        with Horizontal(id="main"):
            yield DataTable(id="documents", cursor_type="row", zebra_stripes=True)
            yield Static(Text(EMPTY_HINT), id="empty-hint")
            yield CodebookColumn()
        yield Static(id="status-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        # The first frame comes before the first resize: the codebook beside
        # the table or not from the start, as on_resize decides it.
        self.on_resize()
        self.reload()
        self.query_one("#documents", DataTable).focus()

    def on_resize(self) -> None:
        super().on_resize()
        self.call_after_refresh(self._fit_table)

    def is_stale(self) -> bool:
        # Imports and entity recognition are not actions: the history does
        # not see new documents, so the library reads them again every time,
        # but for the resume that comes with its mount (which has just read).
        if not self._resumed_once:
            self._resumed_once = True
            return False
        return True

    def reload(self) -> None:
        coders = self.app.visible_coders()  # blind mode: the current coder's codings only
        self.documents = list_documents(self.app.db, coders, strict=False)
        self._fill_table()
        self.query_one("#codebook", CodebookTree).show_codes(self.app.codebook())
        self._update_status()

    def _fill_table(self) -> None:
        table = self.query_one("#documents", DataTable)
        selected = self._selected_id()
        selected_row = table.cursor_row
        sort_key = next(c[2] for c in COLUMNS if c[0] == self.sort_column)
        documents = sorted(self.documents, key=sort_key, reverse=self.sort_descending)
        table.clear(columns=True)
        cells = {
            document.id: {
                "id": str(document.id),
                "source": document.source,
                "words": f"{document.word_count:,}",
                "codings": str(document.coding_count),
                "date": document.date,
            }
            for document in documents
        }
        # Every column but the title as wide as its content (and its heading,
        # with room for the sort arrow); the title takes the rest, so every
        # column stays on screen however long the titles are.
        widths = {}
        for key, heading, _sort, _desc in COLUMNS:
            if key != "title":
                arrow = 2 if key == self.sort_column else 0
                content = max((cell_len(row[key]) for row in cells.values()), default=0)
                widths[key] = max(cell_len(heading) + arrow, content)
        widths["source"] = min(widths["source"], max(SOURCE_MAX_WIDTH, len("Source ▲")))
        # Each column's padding, and room for the vertical scrollbar.
        padding = 2 * table.cell_padding * len(COLUMNS) + 2
        self._filled_width = table.size.width or self._expected_table_width()
        widths["title"] = max(16, self._filled_width - sum(widths.values()) - padding)
        for key, heading, _sort, _desc in COLUMNS:
            table.add_column(heading, key=key, width=widths[key])
        for document in documents:
            row = cells[document.id]
            table.add_row(
                Text(row["id"], justify="right"),
                Text(fit(document.title, widths["title"], pad=False), no_wrap=True),
                Text(fit(row["source"], widths["source"], pad=False), no_wrap=True,
                     style="dim"),
                Text(row["words"], justify="right"),
                Text(row["codings"], justify="right"),
                Text(row["date"], style="" if document.published else "dim"),
                key=str(document.id),
            )
        empty = not self.documents
        table.display = not empty
        self.query_one("#empty-hint", Static).display = empty
        for column_key, heading, _sort, _desc in COLUMNS:
            arrow = ""
            if column_key == self.sort_column:
                arrow = " ▼" if self.sort_descending else " ▲"
            table.columns[column_key].label = Text(heading + arrow)
        if selected is not None:
            try:
                table.move_cursor(row=table.get_row_index(str(selected)))
            except RowDoesNotExist:
                # A deleted document: the cursor stays on its row (the next one).
                table.move_cursor(row=min(selected_row, table.row_count - 1))

    def _expected_table_width(self) -> int:
        """Before the first layout: the width the table will most likely get
        (the screen's, less the codebook's beside it), so that the layout
        seldom has to lay the rows out again (see _fit_table)."""
        width = self.app.size.width
        if width >= WIDE:
            width -= self.query_one("#codebook", CodebookTree).styles.width.cells or 0
        return width

    def _fit_table(self) -> None:
        """After a resize: lay the rows out again if the table's width changed."""
        if self.query_one("#documents", DataTable).size.width != self._filled_width:
            self._fill_table()

    def _selected_id(self) -> int | None:
        table = self.query_one("#documents", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

    def _update_status(self) -> None:
        words = sum(d.word_count for d in self.documents)
        codings = sum(d.coding_count for d in self.documents)
        status = Text.assemble(
            f"{plural(len(self.documents), 'document')} · {plural(words, 'word')} · "
            f"{plural(codings, 'coding')}",
            ("   coder: ", "dim"), self.app.coder, (" (blind)" if self.app.blind else "", "bold"),
            ("   ", ""), (self.app.db_path.name, "dim"),
        )
        self.query_one("#status-bar", Static).update(status)

    @on(DataTable.RowSelected, "#documents")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_document(int(event.row_key.value))

    @on(DataTable.HeaderSelected, "#documents")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        self._sort_by(str(event.column_key.value))

    def action_open(self) -> None:
        document_id = self._selected_id()
        if document_id is not None:
            self.app.open_document(document_id)

    def action_first_row(self) -> None:
        self.query_one("#documents", DataTable).move_cursor(row=0)

    def action_last_row(self) -> None:
        table = self.query_one("#documents", DataTable)
        table.move_cursor(row=table.row_count - 1)

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#documents", DataTable)
        table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_sort(self) -> None:
        keys = [c[0] for c in COLUMNS]
        self._sort_by(keys[(keys.index(self.sort_column) + 1) % len(keys)])

    def _sort_by(self, column: str) -> None:
        if column == self.sort_column:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_column = column
            self.sort_descending = next(c[3] for c in COLUMNS if c[0] == column)
        self._fill_table()
        heading = next(c[1] for c in COLUMNS if c[0] == column)
        order = "descending" if self.sort_descending else "ascending"
        self.app.notify(f"Sorted by {heading.lower()}, {order}", timeout=2)

    def action_reverse(self) -> None:
        self.sort_descending = not self.sort_descending
        self._fill_table()

    def action_rename(self) -> None:
        document_id = self._selected_id()
        if document_id is None:
            return
        current = next(d.title for d in self.documents if d.id == document_id)

        def rename(title: str | None) -> None:
            if title and title.strip() and title.strip() != current:
                self.app.run_store(rename_document, document_id, title)

        self.app.push_screen(TextPrompt("Document title", current), rename)

    def action_delete(self) -> None:
        document_id = self._selected_id()
        if document_id is None:
            return
        try:
            question = deletion(self.app.db, [document_id]).question
        except StoreError as error:
            self.app.report(error)
            return
        title = next(d.title for d in self.documents if d.id == document_id)

        def delete(confirmed: bool | None) -> None:
            if confirmed:
                self.app.run_store(delete_documents, [document_id],
                                   success=f"Deleted “{fit(title, 48, pad=False)}” (u undoes it)")

        self.app.push_screen(Confirm(question), delete)

    def action_import(self) -> None:
        from margin.tui.transfer import ImportScreen

        self.app.push_screen(ImportScreen())

    def action_export(self) -> None:
        from margin.tui.transfer import ExportScreen

        self.app.push_screen(ExportScreen())
