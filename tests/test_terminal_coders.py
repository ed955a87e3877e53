"""Coders side by side in a real terminal (see pty_terminal.py): switching
coder from the palette, the status line naming them, blind mode hiding the
other coder's coding, at 120x36 and, resized, at 80x24; and each coder's
stripes in a colour of its own on a 16-colour terminal."""

from __future__ import annotations

from helpers import make_demo_project
from pty_terminal import needs_margin, settle
from pyte.graphics import FG_AIXTERM, FG_ANSI

from margin.store.codes import find_code
from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.store.documents import get_document

SHARED = "National security adviser Jake Sullivan"  # ada: US aid, Officials; bob: Escalation


def _line_with(screen_text: str, words: str) -> str:
    return next((line for line in screen_text.splitlines() if words in line), "")


def _palette(screen, query: str) -> None:
    screen.keys("\x10")  # ctrl+p
    screen.wait_for("Search for commands")
    settle()
    screen.keys(query)


def _two_coders(path):
    """The demo project (ada's) with bob's coding of the SHARED passage."""
    project = make_demo_project(path)
    db = open_database(project)
    start = get_document(db, 1).text.index(SHARED)
    apply_coding(db, 1, find_code(db, "Escalation").id, start, start + len(SHARED), "bob")
    db.conn.close()
    return project


@needs_margin
def test_switch_coder_and_blind_mode_in_a_terminal(terminal, tmp_path):
    project = _two_coders(tmp_path / "two.db")
    config = tmp_path / "config" / "margin" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('coder = "ada"\n')

    screen = terminal(120, 36, "--db", str(project))
    screen.wait_for("margin — library", "coder: ada", timeout=60)
    screen.keys("\r")
    # Both coders' codings, the stripes in their colours, named in the title.
    screen.wait_for("reiterated this goal", "coders ┃ada ┃bob", "coder: ada")
    assert "US aid +2" in _line_with(screen.text(), "National security adviser")

    _palette(screen, "switch")
    screen.wait_for("Switch coder…")
    screen.keys("\r")
    screen.wait_for("Switch coder (now ada)")
    settle()
    screen.keys("bob\r")
    screen.wait_for("coder: bob", "Coding as bob")
    assert 'coder = "bob"' in config.read_text()

    _palette(screen, "blind")
    screen.wait_for("Blind mode: turn on")
    screen.keys("\r")
    # Only bob's coding of the passage is left: ada's "US aid" is gone.
    shown = screen.wait_until(
        lambda text: "Escalation" in _line_with(text, "National security adviser")
        and "US aid" not in _line_with(text, "National security adviser"),
        "only bob's coding beside the passage")
    assert "coder: bob (blind)" in shown and "blind mode: bob's codings only" in shown

    screen.resize(80, 24)
    shown = screen.wait_for("coder: bob (blind)", "blind mode: bob's codings only")
    assert "US aid" not in _line_with(shown, "National security adviser")
    # Comparing is a deliberate step: a question first.
    _palette(screen, "blind")
    screen.wait_for("Blind mode: turn off and compare")
    screen.keys("\r")
    screen.wait_for("Turn blind mode off and compare?")
    settle()
    screen.keys("y")
    shown = screen.wait_until(
        lambda text: "US aid +2" in _line_with(text, "National security adviser"),
        "both coders' codings again")
    assert "(blind)" not in shown and "coders ┃ada ┃bob" in shown
    screen.keys("q")
    assert screen.exit_status() == 0


@needs_margin
def test_a_16_colour_terminal_draws_each_coders_stripes_in_its_own_colour(terminal, tmp_path):
    project = _two_coders(tmp_path / "two.db")
    screen = terminal(120, 36, "--db", str(project),
                      env_extra={"TERM": "linux", "COLORTERM": ""})
    screen.wait_for("margin — library", timeout=60)
    screen.keys("\r")
    screen.wait_for("coders ┃ada ┃bob", "reiterated this goal")
    lines = screen.screen.display
    y = next(row for row, line in enumerate(lines) if "National security adviser" in line)
    # Three lanes on that row: ada's two codings and bob's one.
    lanes = [screen.screen.buffer[y][x] for x in range(4)
             if screen.screen.buffer[y][x].data in "┃▐"]
    assert len(lanes) == 3
    colours = [cell.fg for cell in lanes]
    assert len(set(colours)) == 2 and colours.count(colours[-1]) == 1, colours
    named = set(FG_ANSI.values()) | set(FG_AIXTERM.values())
    assert set(colours) <= named  # the terminal's own 16 colours, not RGB
    screen.keys("q")
    assert screen.exit_status() == 0
