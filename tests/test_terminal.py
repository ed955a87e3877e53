"""The installed `margin` in a real pseudo-terminal, read through a terminal
emulator (pyte): what a person sees, which Pilot cannot show (Pilot does not
go through Textual's terminal driver, so a screen can pass every Pilot test
and stay blank in a terminal)."""

from __future__ import annotations

import os
import select
import shutil
import sys
import time
from pathlib import Path

import pyte
import pytest
from ptyprocess import PtyProcess

MARGIN = shutil.which("margin", path=str(Path(sys.executable).parent))
TITLES = ("Diplomacy Watch", "This year, Russia", "The Great Diplomatic",
          "It’s confusing", "Following last week")


class Terminal:
    """`margin` running in a pseudo-terminal of a given size, and its screen."""

    def __init__(self, args: list[str], env: dict[str, str], columns: int, rows: int):
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.process = PtyProcess.spawn([MARGIN, *args], env=env, dimensions=(rows, columns))

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def read(self) -> None:
        """Feed the emulator whatever the program has written meanwhile."""
        while select.select([self.process.fd], [], [], 0.05)[0]:
            try:
                self.stream.feed(self.process.read(65536))
            except EOFError:
                return

    def wait_for(self, *wanted: str, timeout: float = 30) -> str:
        """The screen once it shows every one of ``wanted``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read()
            if all(text in self.text() for text in wanted):
                return self.text()
            time.sleep(0.05)
        raise AssertionError(f"never showed {wanted!r}; the screen:\n{self.text()}")

    def keys(self, data: str) -> None:
        self.process.write(data.encode())

    def resize(self, columns: int, rows: int) -> None:
        self.screen.resize(rows, columns)
        self.process.setwinsize(rows, columns)

    def close(self) -> None:
        if self.process.isalive():
            self.process.terminate(force=True)


@pytest.fixture
def terminal(tmp_path):
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "MARGIN_ENTITY_BACKEND": "rules",
    }
    env.pop("MARGIN_DB", None)
    started: list[Terminal] = []

    def start(columns: int, rows: int, *args: str) -> Terminal:
        started.append(Terminal(list(args), env, columns, rows))
        return started[-1]

    yield start
    for each in started:
        each.close()


@pytest.mark.skipif(MARGIN is None, reason="the margin command is not installed")
def test_the_library_the_reader_and_a_resize_draw_in_a_real_terminal(terminal):
    screen = terminal(80, 24)  # the first start: a new database with the samples
    shown = screen.wait_for("margin — library", "5 documents", *(t[:12] for t in TITLES))
    assert "q Quit" in shown.splitlines()[-1]

    screen.keys("\r")  # open the first document
    screen.wait_for("Two steps forward", "833 words")
    screen.resize(120, 36)  # wide enough for the codebook beside the text
    shown = screen.wait_for("No codes yet", "Two steps forward, one step back")
    assert len(shown.splitlines()) == 36

    screen.keys("\x1b")  # back to the library, laid out for the new size
    screen.wait_for("margin — library", "Diplomacy Watch: Still tap…")
    screen.resize(80, 24)
    screen.wait_for("margin — library", "Diplomacy Watch")

    screen.keys("q")
    deadline = time.monotonic() + 10
    while screen.process.isalive() and time.monotonic() < deadline:
        screen.read()
        time.sleep(0.05)
    assert not screen.process.isalive()
    assert screen.process.exitstatus == 0


@pytest.mark.skipif(MARGIN is None, reason="the margin command is not installed")
def test_the_import_dialog_wraps_its_report_at_80_columns(terminal, tmp_path):
    screen = terminal(80, 24)
    screen.wait_for("5 documents")
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    screen.keys("i")
    screen.wait_for("Import documents")
    screen.keys(f"{seeds}\r")
    shown = screen.wait_for("0 imported, 5 skipped as duplicates")
    # The duplicates' lines keep every word, wrapped inside the dialog
    # (RichLog's default minimum width of 78 columns cut them off).
    assert "as #3 “The Great Diplomatic Divide" in shown
