"""The memo overview: every memo of the project by kind (on documents, on
codes, on codings), filtered as you type; Enter opens the memo's place — the
document in the reader, the code in the codebook, the coding in the reader
at the coding."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from margin.store.codings import MEMO_KINDS, MemoEntry, all_memos
from margin.store.util import plural
from margin.tui.cells import fit
from margin.tui.keybar import KeyBar
from margin.tui.reader.wrapping import display_text
from margin.tui.screen import MarginScreen

HEADINGS = {"document": "Document memos", "code": "Code memos", "coding": "Coding memos"}
# A memo in the list: its place on one line, then about two lines of its text
# (the whole memo is in its place, a key away).
MEMO_CELLS = 160
# The most memos listed at once (each takes the interface a moment to lay
# out, on every key typed in the filter); the headings give every count.
SHOWN_MEMOS = 300


def _shown(text: str) -> str:
    """One line, control characters as visible pictures."""
    return display_text(" ".join(text.split()))


def memo_matches(query: str, memo: MemoEntry) -> bool:
    """Whether every word of ``query`` is in the memo's text or its place
    (case ignored): words narrow, in any order."""
    haystack = f"{memo.place}\n{memo.text}".casefold()
    return all(word in haystack for word in query.casefold().split())


class MemosScreen(MarginScreen):
    """All memos, searchable; Enter opens the highlighted memo's place."""

    DEFAULT_CSS = """
    MemosScreen #memo-filter { margin: 0 1; }
    MemosScreen #memos { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="memos.back"),
        Binding("down", "cursor(1)", "Next", show=False, id="memos.down"),
        Binding("up", "cursor(-1)", "Previous", show=False, id="memos.up"),
        Binding("enter", "open", "Open", id="memos.open",
                tooltip="Open the memo's place: its document, code or coding"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.memos: list[MemoEntry] = []
        self.shown: list[MemoEntry | None] = []  # by option index; None: a heading

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield Input(placeholder="Filter: words of a memo, a title or a code", id="memo-filter")
        yield OptionList(id="memos")
        yield Static(Text("Type to filter · ↑↓ move · Enter opens the memo's place · "
                          "Escape goes back"), id="status-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#memo-filter", Input).focus()

    def reload(self) -> None:
        self.mark_read()
        # Blind mode: my coding memos only (document and code memos are shared).
        self.memos = all_memos(self.app.db, self.app.visible_coders(), strict=False)
        self._fill()

    def on_resize(self) -> None:
        self._show_title()

    @on(Input.Changed, "#memo-filter")
    def _filter_changed(self) -> None:
        self._fill()

    def _fill(self) -> None:
        query = self.query_one("#memo-filter", Input).value
        memos = [memo for memo in self.memos if memo_matches(query, memo)]
        options = self.query_one("#memos", OptionList)
        previous = self.highlighted_memo
        self.shown = []
        entries: list[Option | None] = []  # added in one call (see passages.py)
        room = SHOWN_MEMOS
        for kind in MEMO_KINDS:
            of_kind = [memo for memo in memos if memo.kind == kind]
            if not of_kind:
                continue
            if entries:
                entries.append(None)  # a separator line (not an option)
            entries.append(Option(
                Text(f"{HEADINGS[kind]} ({len(of_kind)})", style="bold underline"),
                disabled=True))
            self.shown.append(None)
            for number, memo in enumerate(of_kind[:room]):
                if number:
                    entries.append(None)
                entries.append(Option(self._prompt(memo)))
                self.shown.append(memo)
            if len(of_kind) > room:
                entries.append(Option(Text(
                    f"… and {len(of_kind) - room:,} more: type to narrow the list",
                    Style(dim=True)), disabled=True))
                self.shown.append(None)
            room = max(0, room - len(of_kind))
        if not memos:
            hint = ("No memos yet: m in the reader writes one on a coding or a document, "
                    "m in the codebook one on a code." if not self.memos
                    else "No memo matches the filter.")
            entries.append(Option(Text(hint), disabled=True))
            self.shown.append(None)
        options.clear_options()
        options.add_options(entries)
        indexes = [index for index, memo in enumerate(self.shown) if memo is not None]
        if indexes:
            keep = next((index for index in indexes if self.shown[index] == previous), indexes[0])
            options.highlighted = keep
        self._show_title(len(memos))

    @staticmethod
    def _prompt(memo: MemoEntry) -> Text:
        prompt = Text()
        prompt.append(_shown(memo.place), Style(bold=True))
        if memo.coder:
            prompt.append(f"  {_shown(memo.coder)}", Style(dim=True))
        prompt.append("\n")
        prompt.append(fit(_shown(memo.text[:MEMO_CELLS * 2]), MEMO_CELLS, pad=False))
        return prompt

    def _show_title(self, count: int | None = None) -> None:
        if count is None:
            count = sum(memo is not None for memo in self.shown)
        counts = plural(count, "memo")
        if count != len(self.memos):
            counts += f" of {len(self.memos)}"
        bar = self.query_one("#title-bar", Static)
        width = bar.content_region.width or self.app.size.width - 2
        title = "margin — memos"
        bar.update(Text.assemble(
            (title, Style(bold=True)),
            (fit("  " + counts, max(1, width - cell_len(title)), pad=False), Style(dim=True))))

    @property
    def highlighted_memo(self) -> MemoEntry | None:
        options = self.query_one("#memos", OptionList)
        index = options.highlighted
        if index is None or index >= len(self.shown):
            return None
        return self.shown[index]

    def action_cursor(self, step: int) -> None:
        options = self.query_one("#memos", OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()

    @on(Input.Submitted, "#memo-filter")
    def action_open(self) -> None:
        memo = self.highlighted_memo
        if memo is not None:
            open_memo_place(self.app, memo)

    @on(OptionList.OptionSelected, "#memos")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        memo = self.shown[event.option_index]
        if memo is not None:
            open_memo_place(self.app, memo)


def open_memo_place(app, memo: MemoEntry) -> None:
    """The memo's place: a document's memo opens the document, a coding's
    opens its document at the coding (over the overview: Escape comes back);
    a code's shows the code in the codebook of the screen below, or of the
    library."""
    if memo.kind == "code" and memo.code_id is not None:
        show_in_codebook(app, memo.code_id)
    elif memo.document_id is not None:
        app.open_document(memo.document_id, offset=memo.start)


def show_in_codebook(app, code_id: int) -> None:
    """Leave the screens above the nearest one with a codebook pane (the
    reader or the library) and focus its codebook on the code."""
    from margin.tui.codebook.tree import CodebookPane

    while len(app.screen_stack) > 1 and not isinstance(app.screen, CodebookPane):
        app.pop_screen()
    if isinstance(app.screen, CodebookPane):
        app.screen.show_code(code_id)
