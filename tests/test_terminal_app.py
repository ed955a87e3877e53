"""The app's shell in a real terminal at 80x24 (see pty_terminal.py): the
help screen, the command palette, ctrl+c, quitting, and what a crash does to
the exit status. One `margin` session for the module; each test leaves the
library on screen."""

from __future__ import annotations

import sys
import textwrap

import pytest
from pty_terminal import (
    Terminal,
    library_session,
    margin_environment,
    needs_margin,
    settle,
)

LIBRARY = "margin — library"


@pytest.fixture(scope="module")
def screen(tmp_path_factory):
    yield from library_session(tmp_path_factory.mktemp("app"), 80, 24)


def open_palette(screen) -> None:
    screen.keys("\x10")  # ctrl+p
    screen.wait_for("Search for commands")
    settle()


def new_query(screen, query: str) -> None:
    """Clear the palette's query (ctrl+u), then type ``query``."""
    screen.keys("\x15")
    screen.wait_for("Search for commands")
    settle()
    screen.keys(query)


def back_to_library(screen) -> None:
    screen.keys("\x1b")
    screen.wait_for(LIBRARY, "5 documents")
    screen.wait_without("Escape closes", "Search for commands")


@needs_margin
def test_ctrl_c_says_in_plain_words_which_key_quits(screen):
    screen.keys("\x03")
    shown = screen.wait_for("Do you want to quit?", "Press q to quit margin")
    assert "[b]" not in shown and "[/b]" not in shown  # markup shown raw before
    assert "ctrl+q" in shown  # the key that quits from a text field too
    assert LIBRARY in shown  # still running


@needs_margin
def test_the_help_screen_lists_the_keys_of_the_screen_it_came_from(screen):
    screen.keys("?")
    # The library's own keys, with their ids (the last rows are drawn last).
    shown = screen.wait_for("Keys — Escape or ? closes", "app.quit", "Library", "library.open")
    assert "Show every key" in shown
    # At 80x24 the list goes on below: the reader's keys move through it.
    assert "library.last" not in shown
    screen.keys("G")
    shown = screen.wait_for("library.last")
    assert "app.quit" not in shown
    screen.keys("g")
    screen.wait_for("app.quit")
    screen.keys("j")  # one line: the heading goes out of sight
    screen.wait_without("Keys — Escape or ? closes")
    screen.keys("k")
    screen.wait_for("Keys — Escape or ? closes")
    screen.keys(" ")  # a page
    screen.wait_without("app.quit")
    back_to_library(screen)


@needs_margin
def test_the_palette_offers_each_action_once_and_runs_it(screen):
    open_palette(screen)
    screen.keys("quit")
    shown = screen.wait_for("Quit (q, ^q)")
    # Textual's own "Quit" and "Keys" entries repeated margin's.
    assert [line.strip() for line in shown.splitlines()].count("Quit") == 0
    new_query(screen, "keys")
    shown = screen.wait_for("Keys (?)", "Show every key")
    assert "Show help for the focused widget" not in shown  # Textual's key panel
    new_query(screen, "port")
    shown = screen.wait_for("Import (i)", "Export (E)")
    assert "Import documents" not in shown and "Export coded passages\n" not in shown
    new_query(screen, "keys")
    screen.wait_for("Keys (?)")
    screen.keys("\r")  # runs the action: the help screen opens
    screen.wait_for("Keys — Escape or ? closes")
    back_to_library(screen)


@needs_margin
def test_the_palette_opens_the_export_dialog(screen):
    open_palette(screen)
    screen.keys("export")
    screen.wait_for("Export (E)")
    screen.keys("\r")
    screen.wait_for("Export coded passages or the project", "CSV")
    back_to_library(screen)


@needs_margin
def test_q_quits_with_exit_status_0(screen):
    screen.keys("q")
    assert screen.exit_status(timeout=20) == 0


CRASHING_APP = textwrap.dedent("""
    import sys
    from margin.tui.app import MarginApp
    from margin.tui.cli import main

    def broken_help(self):
        raise RuntimeError("a bug in a screen")

    MarginApp.action_help = broken_help
    sys.argv = ["margin"]
    main()
""")


@needs_margin
def test_a_crash_inside_the_app_makes_margin_exit_non_zero(tmp_path):
    """An unexpected error in the app ends it with Textual's traceback, and
    the command's exit status says so (it was 0, as after a clean quit)."""
    screen = Terminal([], margin_environment(tmp_path), 80, 24,
                      program=[sys.executable, "-c", CRASHING_APP])
    try:
        screen.wait_for(LIBRARY, "5 documents", timeout=60)
        settle()
        screen.keys("?")
        assert screen.exit_status(timeout=30) == 1
        assert "a bug in a screen" in screen.text()  # Textual's traceback
    finally:
        screen.close()
