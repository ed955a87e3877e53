"""The passages of one code (and the codes beneath it) across all documents."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from margin.store.codes import Code, get_code
from margin.store.errors import StoreError
from margin.store.export import Passage, coded_passages
from margin.store.util import plural
from margin.tui.cells import fit
from margin.tui.keybar import KeyBar
from margin.tui.reader.wrapping import display_text
from margin.tui.screen import MarginScreen

# A passage and its memo in the list: about three lines of an 80-column
# terminal, and two; the rest is in the reader, a key away.
QUOTE_CELLS = 300
MEMO_CELLS = 200


def _shown(text: str) -> str:
    """One line, control characters as visible symbols (a document's text
    may hold escape sequences; they must not reach the terminal)."""
    return display_text(" ".join(text.split()))


class PassagesScreen(MarginScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="passages.back"),
        Binding("j", "cursor(1)", "Down", show=False, id="passages.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="passages.up"),
    ]

    def __init__(self, code_id: int) -> None:
        super().__init__()
        self.code_id = code_id
        self.passages: list[Passage] = []
        self.code: Code | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield OptionList(id="passages")
        yield Static(Text("Enter opens the passage in the reader · Escape goes back"),
                     id="status-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#passages", OptionList).focus()

    def is_stale(self) -> bool:
        # A REFI-QDA project imported meanwhile brings codings without an
        # action: read the passages again every time.
        return True

    def reload(self) -> None:
        try:
            code = get_code(self.app.db, self.code_id)
            # Blind mode: the current coder's passages only.
            self.passages = coded_passages(self.app.db, codes=[code.path],
                                           coders=self.app.visible_coders(), strict=False)
        except StoreError as error:
            self.app.report(error)
            self.app.pop_screen()
            return
        self.code = code
        self._show_title()
        options = self.query_one("#passages", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for number, passage in enumerate(self.passages):
            if number:
                options.add_option(None)  # a separator line between passages
            prompt = Text()
            prompt.append(_shown(passage.document_title), Style(bold=True))
            prompt.append(f"  para. {passage.paragraph}", Style(dim=True))
            if passage.code != code.path:
                prompt.append(f"  {_shown(passage.code)}", Style(italic=True))
            prompt.append("\n")
            prompt.append(fit(_shown(passage.quote), QUOTE_CELLS, pad=False))
            if passage.memo:
                prompt.append("\nmemo: ", Style(dim=True))
                prompt.append(fit(_shown(passage.memo), MEMO_CELLS, pad=False))
            options.add_option(Option(prompt))
        if not self.passages:
            options.add_option(Option(Text("No passages coded with this code yet."), disabled=True))
        else:
            options.highlighted = min(highlighted or 0, len(self.passages) - 1)

    def _show_title(self) -> None:
        """■ code path  N passages in M documents: the path cut with "…" so
        the counts stay in the one line."""
        code = self.code
        if code is None:
            return
        documents = len({p.document_id for p in self.passages})
        counts = (f"  {plural(len(self.passages), 'passage')} in "
                  f"{plural(documents, 'document')}")
        bar = self.query_one("#title-bar", Static)
        width = bar.content_region.width or self.size.width - 2
        room = width - cell_len("■ " + counts)
        bar.update(
            Text.assemble(("■ ", Style(color=code.colour)),
                          (fit(_shown(code.path), max(room, 1), pad=False), Style(bold=True)),
                          (counts, Style(dim=True)))
        )

    def on_resize(self) -> None:
        self._show_title()

    @on(OptionList.OptionSelected, "#passages")
    def _open(self, event: OptionList.OptionSelected) -> None:
        passage = self.passages[event.option_index]
        self.app.open_document(passage.document_id, offset=passage.start)

    def action_cursor(self, step: int) -> None:
        options = self.query_one("#passages", OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()
