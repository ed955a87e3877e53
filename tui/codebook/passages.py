"""The passages of one code (and the codes beneath it) across all documents;
the passages behind a figure of the analysis screen; and, from the query box
on top, the passages a code combination retrieves (``Escalation AND NATO``).
Enter opens a passage in the reader."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from margin.store.coders import coders_present
from margin.store.codes import Code, get_code
from margin.store.errors import StoreError
from margin.store.export import coded_passages
from margin.store.util import plural
from margin.tui.cells import fit
from margin.tui.keybar import KeyBar
from margin.tui.reader.wrapping import display_text
from margin.tui.screen import MarginScreen
from margin.tui.workers import worker_database

if TYPE_CHECKING:
    from margin.tui.analysis.tables import Behind

# A passage and its memo in the list: about three lines of an 80-column
# terminal, and two; the rest is in the reader, a key away.
QUOTE_CELLS = 300
MEMO_CELLS = 200

# The most passages the list shows (the first ones, by document and
# position): OptionList wraps every option when the list is filled, on the
# interface thread, about 1 ms a passage on a busy machine (14,000 took
# seconds). The title gives the whole count; `margin export` and `margin
# retrieve` write them all.
SHOWN_PASSAGES = 250

HINT = "Enter opens the passage in the reader · r query · Escape goes back"

# Names the query language reads only when quoted (store/analysis/retrieval).
_NEEDS_QUOTES = re.compile(r'[()"]|\b(AND|OR|NOT|NEAR)\b')


def _shown(text: str) -> str:
    """One line, control characters as visible symbols (a document's text
    may hold escape sequences; they must not reach the terminal)."""
    return display_text(" ".join(text.split()))


def query_name(path: str) -> str:
    """A code's path as the query language reads it: quoted when it holds
    a parenthesis, a quote or an operator word."""
    return f'"{path}"' if _NEEDS_QUOTES.search(path) and '"' not in path else path


@dataclass(frozen=True)
class Listed:
    """A passage as the list shows it: ``codes``, the codes on it when they
    are not (only) the screen's own code; ``paragraph``, when known."""

    document_id: int
    title: str
    start: int
    end: int
    quote: str
    codes: str = ""
    memo: str = ""
    paragraph: int | None = None
    coder: str = ""  # whose coding it is (a query's passage: whose codings make it)


class PassagesScreen(MarginScreen):
    """The passages of a code (``code_id``), or of a figure of the analysis
    screen (``behind``, counted with the table's ``coders`` and
    ``documents``); the query box retrieves others by a code combination."""

    DEFAULT_CSS = """
    PassagesScreen #passage-query { margin: 0 1; }
    PassagesScreen #query-error { height: auto; padding: 0 1; color: $text-warning; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="passages.back",
                tooltip="Leave the query box, or go back"),
        Binding("r", "query", "Query", id="passages.query",
                tooltip="Retrieve passages by a code combination: A AND B, A OR B, A NOT B, "
                        "A NEAR B, NEAR/paragraph, parentheses"),
        Binding("o", "combine", "Overlap/union", id="passages.combine",
                tooltip="What AND gives: where the passages overlap, or both whole"),
        Binding("j", "cursor(1)", "Down", show=False, id="passages.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="passages.up"),
    ]

    def __init__(self, code_id: int | None = None, *, behind: Behind | None = None,
                 coders: tuple[str, ...] = (), documents: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.code_id = behind.code_id if behind is not None else code_id
        self.behind = behind
        self.coders = tuple(coders)
        self.documents = tuple(documents)
        self.passages: list[Listed] = []
        self.code: Code | None = None
        self.query_text = ""  # the query shown (run), "" for the code's own passages
        self.combine = "overlap"
        self._loading = False

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield Input(placeholder="Query: Escalation AND NATO · (A OR B) NOT C · "
                                "A NEAR/paragraph B — Enter runs it", id="passage-query",
                    select_on_focus=False)  # r then typing adds to the code's name
        yield Static(id="query-error")
        yield OptionList(id="passages")
        yield Static(Text(HINT), id="status-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#query-error", Static).display = False
        self.reload()
        if self.code is not None and self.behind is None:
            self.query_one("#passage-query", Input).value = query_name(self.code.path) + " "
        self.query_one("#passages", OptionList).focus()

    def is_stale(self) -> bool:
        # A REFI-QDA project imported meanwhile brings codings without an
        # action: read the passages again every time.
        return True

    # ------------------------------------------------------------ loading

    def reload(self) -> None:
        try:
            self.code = get_code(self.app.db, self.code_id) if self.code_id is not None else None
        except StoreError as error:
            if not self.query_text:
                self.app.report(error)
                self.app.pop_screen()
                return
            self.code = None
        if self.query_text or self.behind is not None:
            self._loading = True
            self._show_title()
            self._load()
            return
        try:
            # Blind mode: the current coder's passages only.
            passages = coded_passages(self.app.db, codes=[self.code.path],
                                      coders=self.app.visible_coders(), strict=False)
        except StoreError as error:
            self.app.report(error)
            self.app.pop_screen()
            return
        self._show_list([
            Listed(p.document_id, p.document_title, p.start, p.end, p.quote,
                   codes=p.code if p.code != self.code.path else "", memo=p.memo,
                   paragraph=p.paragraph, coder=p.coder)
            for p in passages])

    @work(thread=True, exclusive=True, group="passages", exit_on_error=False)
    def _load(self) -> None:
        worker = get_current_worker()
        query, behind, combine = self.query_text, self.behind, self.combine
        # Blind mode: the current coder's passages only, whatever was asked.
        visible = self.app.visible_coders()
        coders, documents = visible or self.coders, self.documents

        def read(db) -> list[Listed]:
            if visible and not coders_present(db, visible):
                return []  # a coder who has not coded yet
            if query:
                from margin.store.analysis.retrieval import retrieve

                return [Listed(r.document_id, r.title, r.start, r.end, r.quote,
                               codes=", ".join(r.codes), coder=", ".join(r.coders))
                        for r in retrieve(db, query, coders=coders, documents=documents,
                                          combine=combine)]
            from margin.store.analysis.retrieval import passages_behind

            # Behind a heat map's cell, the passages are of either code of
            # the pair: each says which.
            pair = behind.with_code_id is not None
            return [Listed(p.document_id, p.title, p.start, p.end, p.quote,
                           codes=p.code if pair or p.code_id != behind.code_id else "",
                           coder=p.coder)
                    for p in passages_behind(
                        db, code_id=behind.code_id, document_id=behind.document_id,
                        coder=behind.coder, with_code_id=behind.with_code_id,
                        unit=behind.unit, coders=coders, documents=documents,
                        with_subcodes=behind.with_subcodes)]

        found = worker_database(self.app, read, on_error=self._failed)
        if found is not None and not worker.is_cancelled:
            self.app.call_from_thread(self._loaded, query, found)

    def _loaded(self, query: str, passages: list[Listed]) -> None:
        if query != self.query_text or not self.is_attached:
            return
        self._loading = False
        self._show_error(None)
        self._show_list(passages)

    def _failed(self, error: Exception) -> None:
        self._loading = False
        self._show_error(error)
        if self.query_text:
            # The list keeps what it showed; the title says what that is. The
            # mistake is in the query: back to the box to mend it.
            self.query_text = self._shown_query
            self._show_title()
            self.action_query()
        else:
            self.app.report(error)

    # ------------------------------------------------------------ drawing

    def _show_list(self, passages: list[Listed]) -> None:
        self.passages = passages
        self._shown_query = self.query_text
        self._show_title()
        options = self.query_one("#passages", OptionList)
        highlighted = options.highlighted
        # All options in one call: OptionList lays its lines out again on
        # every add_option, which made a list of 1,000 passages take seconds.
        entries: list[Option | None] = []
        # Whose passage it is, when the list holds more than one coder's.
        by_coder = len({passage.coder for passage in passages}) > 1
        for number, passage in enumerate(passages[:SHOWN_PASSAGES]):
            if number:
                entries.append(None)  # a separator line between passages
            # What tells passages apart first (their codes, whose they are),
            # then the title: at 80 columns a long title is what wraps.
            prompt = Text()
            if passage.codes:
                prompt.append(f"{_shown(passage.codes)}  ", Style(italic=True))
            if by_coder and passage.coder:
                prompt.append(f"by {_shown(passage.coder)}  ", Style(dim=True))
            prompt.append(_shown(passage.title), Style(bold=True))
            if passage.paragraph is not None:
                prompt.append(f"  para. {passage.paragraph}", Style(dim=True))
            prompt.append("\n")
            prompt.append(fit(_shown(passage.quote[:QUOTE_CELLS * 2]), QUOTE_CELLS, pad=False))
            if passage.memo:
                prompt.append("\nmemo: ", Style(dim=True))
                prompt.append(fit(_shown(passage.memo[:MEMO_CELLS * 2]), MEMO_CELLS, pad=False))
            entries.append(Option(prompt))
        if not passages:
            empty = ("No passage matches the query." if self.query_text
                     else "No passages behind this figure." if self.behind is not None
                     else "No passages coded with this code yet.")
            entries.append(Option(Text(empty), disabled=True))
        elif len(passages) > SHOWN_PASSAGES:
            entries.append(None)
            entries.append(Option(Text(
                f"… the first {SHOWN_PASSAGES:,} of {len(passages):,} passages are listed; "
                "margin export (or margin retrieve) writes them all.", Style(dim=True)),
                disabled=True))
        # Behind a heat-map cell: why its figure (pairs, units) is not the
        # number of passages listed.
        why = self.behind.why(len(passages)) \
            if self.behind is not None and not self.query_text else ""
        self.query_one("#status-bar", Static).update(Text(why or HINT))
        options.clear_options()
        options.add_options(entries)
        if passages:
            options.highlighted = min(highlighted or 0, len(passages) - 1, SHOWN_PASSAGES - 1)

    _shown_query = ""

    def _show_title(self) -> None:
        """■ what  N passages in M documents: what is cut with "…" so the
        counts stay in the one line."""
        if self.query_text:
            colour, what = None, f"Query: {self.query_text}"
            how = "overlap" if self.combine == "overlap" else "union"
            suffix = f" ({how} of AND)" if re.search(r"\bAND\b", self.query_text) else ""
        elif self.behind is not None:
            colour, what, suffix = (self.code.colour if self.code else None), \
                self.behind.label, ""
        elif self.code is not None:
            colour, what, suffix = self.code.colour, self.code.path, ""
        else:
            return
        if self._loading:
            counts = "  counting…"
        else:
            documents = len({p.document_id for p in self.passages})
            counts = (f"  {plural(len(self.passages), 'passage')} in "
                      f"{plural(documents, 'document')}{suffix}")
        bar = self.query_one("#title-bar", Static)
        width = bar.content_region.width or self.size.width - 2
        room = width - cell_len("■ " + counts)
        bar.update(
            Text.assemble(("■ ", Style(color=colour)),
                          (fit(_shown(what), max(room, 1), pad=False), Style(bold=True)),
                          (counts, Style(dim=True)))
        )

    def _show_error(self, error: Exception | None) -> None:
        """The query's problem under the box, with a caret under where it is."""
        shown = self.query_one("#query-error", Static)
        if error is None:
            shown.display = False
            return
        message = Text(_shown(str(error)))
        position = getattr(error, "position", None)
        box = self.query_one("#passage-query", Input)
        if position is not None:
            before = display_text(box.value[:position])
            column = (box.content_region.x - shown.content_region.x + cell_len(before)
                      - round(box.scroll_x))
            if shown.content_region.width == 0:  # not laid out yet: the box's padding
                column = 3 + cell_len(before)
            message = Text.assemble((" " * max(0, column) + "^", Style(bold=True)), "\n",
                                    message)
        shown.update(message)
        shown.display = True

    def on_resize(self) -> None:
        self._show_title()

    # ------------------------------------------------------------ actions

    @on(Input.Submitted, "#passage-query")
    def _run_query(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text or (self.code is not None and self.behind is None
                        and text == query_name(self.code.path)):
            # The code's own passages again (with their memos and paragraphs).
            self.query_text = ""
            self._show_error(None)
            if self.code is None and self.behind is None:
                return
            self.reload()
            return
        from margin.store.analysis.retrieval import QueryError, parse_query

        try:
            parse_query(text)  # a syntax error is shown at once, without a worker
        except QueryError as error:
            self._show_error(error)
            return
        self.query_text = text
        self.reload()
        # To the results: their keys (Enter, o, j/k) work at once, and `r`
        # goes back to the box.
        self.query_one("#passages", OptionList).focus()

    def action_query(self) -> None:
        box = self.query_one("#passage-query", Input)
        box.focus()
        box.cursor_position = len(box.value)

    def action_back(self) -> None:
        if self.query_one("#passage-query", Input).has_focus:
            self.query_one("#passages", OptionList).focus()
        else:
            self.app.pop_screen()

    def action_combine(self) -> None:
        self.combine = "union" if self.combine == "overlap" else "overlap"
        self.app.notify(
            "AND gives both passages whole (their union)" if self.combine == "union"
            else "AND gives where the passages overlap", timeout=3)
        if self.query_text:
            self.reload()

    @on(OptionList.OptionSelected, "#passages")
    def _open(self, event: OptionList.OptionSelected) -> None:
        passage = self.passages[event.option_index]
        self.app.open_document(passage.document_id, offset=passage.start)

    def action_cursor(self, step: int) -> None:
        options = self.query_one("#passages", OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()
