"""Full-text search of the documents (SQLite FTS5), and "code all hits".

Words, "phrases", prefix*, AND / OR / NOT and parentheses; a query FTS could
not parse gets a message, not an error. Hits are listed as a concordance;
`c` codes every hit — the word itself, its sentence or its paragraph (`s`) —
with one code, after a preview, as one undoable action.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from margin.store.documents import document_text, documents_being_indexed
from margin.store.errors import StoreError
from margin.store.search.fulltext import FtsHit, code_hits, preview_code_hits, search_documents
from margin.store.textspans import SCOPES, sentence_spans
from margin.store.textspans import context_of as context
from margin.store.util import plural
from margin.tui.codebook.tree import code_label
from margin.tui.concordance import concordance_line
from margin.tui.keybar import KeyBar
from margin.tui.modals import Choice, Confirm, CreateNew, FuzzyPicker
from margin.tui.reader.wrapping import display_text
from margin.tui.workers import worker_database

HIT_LIMIT = 2000
DOCUMENT_WIDTH = 24


class FullTextScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="fulltext.back"),
        Binding("tab", "switch", "Query/hits", id="fulltext.switch",
                tooltip="Move between the query and the hits"),
        Binding("c", "code_all", "Code all hits", id="fulltext.code_all",
                tooltip="Code every hit with one code (previewed; one undoable action)"),
        Binding("s", "scope", "Scope", id="fulltext.scope",
                tooltip="Code the hit itself, its sentence or its paragraph"),
    ]

    DEFAULT_CSS = """
    FullTextScreen #fts-query { margin: 0 1; }
    FullTextScreen #fts-settings { height: 1; padding: 0 1; background: $boost; }
    FullTextScreen #hits { height: 1fr; }
    """

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial = query
        self.hits: list[FtsHit] = []
        self.scope = "sentence"
        self.context_width = 0
        self._shown: tuple = ("", [], {}, None)  # the last hits shown, to lay out again
        # Enter pressed before the hits of what was typed had come back.
        self._to_hits_when_shown = False

    def compose(self) -> ComposeResult:
        yield Static(Text("Full-text search of the documents", Style(bold=True)), id="title-bar")
        yield Input(value=self.initial, id="fts-query",
                    placeholder='words, "a phrase", prefix*, AND OR NOT, ( )')
        yield Static(id="fts-settings")
        yield DataTable(id="hits", cursor_type="row", zebra_stripes=True)
        yield Static(id="status-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self._add_columns()
        self.query_one("#fts-query", Input).focus()
        self._show_settings()
        if self.initial:
            self._search_worker(self.initial)

    def _fitting_context_width(self) -> int:
        """The context column's width that the table holds beside the
        titles and a vertical scrollbar: wider, the line was cut at the
        table's edge, with no "…"."""
        table = self.query_one("#hits", DataTable)
        width = table.size.width or self.size.width or self.app.size.width
        return max(20, width - table.styles.scrollbar_size_vertical
                   - DOCUMENT_WIDTH - 4 * table.cell_padding)

    def _add_columns(self) -> None:
        table = self.query_one("#hits", DataTable)
        self.context_width = self._fitting_context_width()
        table.clear(columns=True)
        table.add_column("Document", key="document", width=DOCUMENT_WIDTH)
        table.add_column("In context", key="context", width=self.context_width)

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        """After a resize (or the first layout), the hits laid out again for
        the table's width."""
        if not self.is_attached or self._fitting_context_width() == self.context_width:
            return
        table = self.query_one("#hits", DataTable)
        row = table.cursor_row
        self._add_columns()
        self._show_hits(*self._shown)
        if self.hits:
            table.move_cursor(row=min(row, len(self.hits) - 1))

    # ------------------------------------------------------------- search

    @on(Input.Changed, "#fts-query")
    def _typed(self, event: Input.Changed) -> None:
        self._to_hits_when_shown = False
        if event.value.strip():
            self._search_worker(event.value)
        else:
            self._show_hits("", [], {})

    @on(Input.Submitted, "#fts-query")
    def _submitted(self) -> None:
        """Enter goes to the hits; typed quickly after the query, once they come."""
        if self.hits:
            self.query_one("#hits", DataTable).focus()
        else:
            self._to_hits_when_shown = True

    @work(thread=True, exclusive=True, group="fulltext", exit_on_error=False)
    def _search_worker(self, query: str) -> None:
        worker = get_current_worker()

        def search(db) -> tuple[list[FtsHit], dict, list]:
            hits = search_documents(db, query, limit=HIT_LIMIT)
            texts = {}
            for hit in hits:
                if hit.document_id not in texts:
                    text = document_text(db, hit.document_id)
                    texts[hit.document_id] = (text, sentence_spans(text))
            return hits, texts, documents_being_indexed(db)

        found = worker_database(self.app, search, on_error=self._search_failed)
        if found is not None and not worker.is_cancelled:
            self.app.call_from_thread(self._show_hits, query, *found)

    def _search_failed(self, error: Exception) -> None:
        self._status(Text(str(error), Style(color="yellow")))

    def _show_hits(self, query: str, hits: list[FtsHit], texts: dict,
                   being_indexed: list | None = None) -> None:
        if self.query_one("#fts-query", Input).value != query:
            return
        self._shown = (query, hits, texts, being_indexed)
        self.hits = hits
        table = self.query_one("#hits", DataTable)
        table.clear()
        for index, hit in enumerate(hits):
            text, sentences = texts[hit.document_id]
            table.add_row(
                Text(display_text(hit.title), no_wrap=True, overflow="ellipsis", style="dim"),
                self._concordance(text, hit, sentences),
                key=str(index),
            )
        documents = len({hit.document_id for hit in hits})
        more = " (the first ones)" if len(hits) >= HIT_LIMIT else ""
        self._status(Text.assemble(
            (f"{len(hits):,} hit{'s' * (len(hits) != 1)}", Style(bold=True)),
            (f" in {documents} document{'s' * (documents != 1)}{more}", Style(dim=True)),
            ("   tab to the hits · enter opens · c codes all hits", Style(dim=True)),
            # A very long document half indexed: its hits so far only.
            (f"   {plural(len(being_indexed), 'document')} still being indexed: "
             "some hits may be missing" if being_indexed else "", Style(color="yellow")),
        ) if query.strip() else Text())
        if self._to_hits_when_shown and hits:
            self._to_hits_when_shown = False
            table.focus()

    def _concordance(self, text: str, hit: FtsHit, sentences) -> Text:
        snippet, start, end = context(text, hit.start, hit.end, self.context_width * 2, sentences)
        return concordance_line(snippet[:start], snippet[start:end], snippet[end:],
                                self.context_width)

    def _status(self, text: Text) -> None:
        self.query_one("#status-bar", Static).update(text)

    def _show_settings(self) -> None:
        self.query_one("#fts-settings", Static).update(Text.assemble(
            ("code all hits at ", Style(dim=True)), (self.scope, Style(bold=True)),
            (" scope (s changes it)", Style(dim=True))))

    # ------------------------------------------------------------ actions

    @on(DataTable.RowSelected, "#hits")
    def _open(self, event: DataTable.RowSelected) -> None:
        hit = self.hits[event.cursor_row]
        self.app.open_document(hit.document_id, hit.start)

    def action_switch(self) -> None:
        table = self.query_one("#hits", DataTable)
        query = self.query_one("#fts-query", Input)
        (query if table.has_focus else table).focus()

    def action_scope(self) -> None:
        self.scope = SCOPES[(SCOPES.index(self.scope) + 1) % len(SCOPES)]
        self._show_settings()

    def action_code_all(self) -> None:
        if not self.hits:
            self.app.notify("No hits to code", severity="warning", timeout=2)
            return
        hits, scope = list(self.hits), self.scope
        choices = [Choice(code.path, code_label(code, with_path=True), code)
                   for code in self.app.codebook()]

        def chosen(value) -> None:
            if value is None:
                return
            code = value.name if isinstance(value, CreateNew) else value.id
            name = value.name if isinstance(value, CreateNew) else value.path
            try:
                passages = preview_code_hits(self.app.db, hits, scope, code=code,
                                             coder=self.app.coder)
            except StoreError as error:
                self.app.report(error)
                return
            if not passages:
                self.app.notify(f"Every passage is already coded {name}", timeout=3)
                return
            documents = len({p[0] for p in passages})
            examples = "\n".join(f"  “{_excerpt(p[3])}”" for p in passages[:3])
            question = (f"Code {len(passages)} passage{'s' * (len(passages) != 1)} "
                        f"({scope} scope, from {len(hits)} hits in {documents} "
                        f"document{'s' * (documents != 1)}) as {name}?\n{examples}"
                        + ("\n  …" if len(passages) > 3 else "") + "\n(one undoable action)")

            def apply(confirmed: bool | None) -> None:
                if confirmed:
                    self.app.run_store(
                        code_hits, hits, code, scope, self.app.coder,
                        success=lambda result: f"Coded {result.codings} passages as "
                                               f"{result.code_path} · u undoes",
                    )

            self.app.push_screen(Confirm(question), apply)

        self.app.push_screen(
            FuzzyPicker(f"Code all {len(hits)} hits ({scope} scope) as…", choices,
                        create_label="Create code", placeholder="Code name"),
            chosen,
        )

    def action_back(self) -> None:
        if self.query_one("#hits", DataTable).has_focus:
            self.query_one("#fts-query", Input).focus()
        else:
            self.app.pop_screen()


def _excerpt(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
