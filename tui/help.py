"""The `?` screen: every key of the screen it was opened from, by context."""

from __future__ import annotations

import re

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def binding_rows(app, screen: Screen) -> list[tuple[str, str, str, str]]:
    """(context, keys, description, binding id) for every binding reachable
    from the screen: its widgets' bindings, the screen's, the app's."""
    from margin.tui.codebook.tree import CodebookTree
    from margin.tui.reader.view import ReaderView

    contexts: list[tuple[str, type]] = [("App", type(app)), (_screen_name(screen), type(screen))]
    if screen.query(ReaderView):
        contexts.append(("Reading", ReaderView))
    if screen.query(CodebookTree):
        contexts.append(("Codebook", CodebookTree))
    rows = []
    for context, owner in contexts:
        for binding in owner.BINDINGS:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            if binding.id and binding.id.startswith("reader.recent_") and binding.id[-1] != "1":
                continue  # 1–9 share one row
            display = displayed_keys(app, binding)
            description = binding.tooltip or binding.description
            binding_id = binding.id or ""
            if binding_id == "reader.recent_1":
                display = "1 … 9"
                description = "Code the selection with a recently used code (1 = latest)"
                binding_id = "reader.recent_1 … reader.recent_9"
            rows.append((context, display, description, binding_id))
    return rows


def displayed_keys(app, binding: Binding) -> str:
    """The keys of a binding as the user sees them, after the config's remapping."""
    keymap = getattr(app, "_keymap", {})
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return ", ".join(
        app.get_key_display(Binding(key.strip(), binding.action)) for key in keys.split(",")
    )


def _screen_name(screen: Screen) -> str:
    """The screen's class name in words, as the help lists it:
    "FullTextScreen" is "Full text", "DisagreementsScreen" "Disagreements"
    (every screen named, none forgotten in a table)."""
    name = type(screen).__name__.removesuffix("Screen")
    words = re.findall(r"[A-Z][a-z]*|[a-z]+", name) or [name]
    return " ".join([words[0], *(word.lower() for word in words[1:])])


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 100; max-width: 96%; height: 90%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("escape,question_mark,q", "app.pop_screen", "Close", id="help.close"),
        # The reader's keys for moving, here too (the arrows and page keys
        # are the scroll view's own).
        Binding("j", "scroll_lines(1)", "Down", show=False, id="help.down"),
        Binding("k", "scroll_lines(-1)", "Up", show=False, id="help.up"),
        Binding("space", "scroll_page(1)", "Page down", show=False, id="help.page_down"),
        Binding("g", "scroll_end(False)", "Top", show=False, id="help.top"),
        Binding("G", "scroll_end(True)", "Bottom", show=False, id="help.bottom"),
    ]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.rows = binding_rows(screen.app, screen)

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Keys", style="bold", no_wrap=True, min_width=10, ratio=1)
        table.add_column("Action", ratio=4)
        # An id is copied into config.toml: the column takes the width of
        # its longest id (the action wraps instead), never cut with "…".
        table.add_column("Id (config.toml)", style="dim", no_wrap=True,
                         overflow="fold")
        current = None
        for context, keys, description, binding_id in self.rows:
            if context != current:
                if current is not None:
                    table.add_row("", "", "")
                table.add_row(Text(context, Style(bold=True, underline=True)), "", "")
                current = context
            table.add_row(Text(keys), Text(description), Text(binding_id))
        with VerticalScroll():
            yield Static(Text("Keys — Escape or ? closes", Style(bold=True)))
            yield Static(table)

    def action_scroll_lines(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_scroll_page(self, pages: int) -> None:
        view = self.query_one(VerticalScroll)
        view.scroll_relative(y=pages * view.scrollable_content_region.height, animate=False)

    def action_scroll_end(self, bottom: bool) -> None:
        view = self.query_one(VerticalScroll)
        (view.scroll_end if bottom else view.scroll_home)(animate=False)
