"""The passages of one code (and the codes beneath it) across all documents."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from margin.store.codes import get_code
from margin.store.errors import StoreError
from margin.store.export import Passage, coded_passages
from margin.tui.keybar import KeyBar
from margin.tui.screen import MarginScreen


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
            self.passages = coded_passages(self.app.db, codes=[code.path])
        except StoreError as error:
            self.app.report(error)
            self.app.pop_screen()
            return
        count = len(self.passages)
        documents = len({p.document_id for p in self.passages})
        self.query_one("#title-bar", Static).update(
            Text.assemble(("■ ", Style(color=code.colour)), (code.path, Style(bold=True)),
                          (f"  {count} passage{'s' * (count != 1)} in {documents} "
                           f"document{'s' * (documents != 1)}", Style(dim=True)))
        )
        options = self.query_one("#passages", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for number, passage in enumerate(self.passages):
            if number:
                options.add_option(None)  # a separator line between passages
            prompt = Text()
            prompt.append(passage.document_title, Style(bold=True))
            prompt.append(f"  para. {passage.paragraph}", Style(dim=True))
            if passage.code != code.path:
                prompt.append(f"  {passage.code}", Style(italic=True))
            prompt.append("\n")
            prompt.append(" ".join(passage.quote.split())[:300])
            if passage.memo:
                prompt.append("\nmemo: ", Style(dim=True))
                prompt.append(passage.memo[:200])
            options.add_option(Option(prompt))
        if not self.passages:
            options.add_option(Option(Text("No passages coded with this code yet."), disabled=True))
        else:
            options.highlighted = min(highlighted or 0, len(self.passages) - 1)

    @on(OptionList.OptionSelected, "#passages")
    def _open(self, event: OptionList.OptionSelected) -> None:
        passage = self.passages[event.option_index]
        self.app.open_document(passage.document_id, offset=passage.start)

    def action_cursor(self, step: int) -> None:
        options = self.query_one("#passages", OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()
