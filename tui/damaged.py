"""The screen shown when the database file turns out to be damaged.

SQLite says "database disk image is malformed" only when it reads a damaged
page, which may be long after start-up (the library lists titles; the first
document opened reads another page). Whenever that happens the app stops
what it was doing and shows this screen instead of a traceback; any key
quits, with exit status 1 and the same message on the terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from margin.store.util import visible_controls


class DamagedDatabaseScreen(Screen[None]):
    DEFAULT_CSS = """
    DamagedDatabaseScreen { align: center middle; }
    DamagedDatabaseScreen > Vertical {
        width: 90; max-width: 96%; height: auto;
        border: heavy $error; background: $panel; padding: 1 2;
    }
    DamagedDatabaseScreen #damage-title { text-style: bold; color: $text-error; }
    DamagedDatabaseScreen #damage-keys { color: $foreground-muted; margin-top: 1; }
    """

    BINDINGS = [Binding("q,escape,enter", "quit", "Quit", id="damaged.quit")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("The database is damaged", id="damage-title")
            yield Static(Text(visible_controls(self.message)), id="damage-message")
            yield Static("Press any key to quit.", id="damage-keys")

    def action_quit(self) -> None:
        self.app.exit(return_code=1)

    def on_key(self, event) -> None:
        event.stop()
        self.app.exit(return_code=1)
