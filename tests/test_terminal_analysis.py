"""The analysis screen and the memo overview in a real terminal (pseudo-
terminal + pyte), at 120x36 and 80x24: bars, the heat map, the passages
behind a figure, the memo filter, and no label spilling past the edge."""

from __future__ import annotations

import pytest
from helpers import make_demo_project
from pty_terminal import needs_margin, settle

from margin.store.codes import describe_code, find_code
from margin.store.db import open_database

DESCRIPTION = "Statements that raise the stakes: \x1b]0;pwned\x07threats, new weapons"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = make_demo_project(tmp_path_factory.mktemp("terminal-analysis") / "demo.db")
    db = open_database(path)
    describe_code(db, find_code(db, "Escalation").id, DESCRIPTION)
    db.conn.close()
    return path


@needs_margin
@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_the_analysis_screen_and_the_memo_overview_in_a_terminal(terminal, demo, tmp_path,
                                                                  size):
    project = tmp_path / "p.db"
    project.write_bytes(demo.read_bytes())
    columns, rows = size
    screen = terminal(columns, rows, "--db", str(project))
    screen.wait_for("margin — library", "5 documents", timeout=60)

    screen.keys("a")
    shown = screen.wait_for("1 Frequencies", "■ US aid", "█", timeout=30)
    lines = shown.splitlines()
    # US aid has the most codings (2): the longest bar; Actors none.
    [aid] = [line for line in lines if "■ US aid" in line]
    [officials] = [line for line in lines if "■ Actors > Officials" in line]
    assert aid.count("█") > officials.count("█") > 0
    assert aid.rstrip().endswith("2      1     318      52"), aid
    assert all(len(line.rstrip()) <= columns for line in lines)

    # Every key within reach at 80 columns: in the key bar, or on the
    # settings line before the setting it changes.
    keybar = lines[-1]
    assert all(item in keybar for item in ("⏎ Passages", "tab View", "w CSV", "c Coders",
                                           "d Documents")), keybar
    assert lines[1].startswith(" o bars: codings · s each code alone · c coders: all · "
                               "d documents: all")

    screen.keys("\t")  # the heat map
    shown = screen.wait_for("2 Co-occurrence", "■ 1 Actors > Officials", "■ 2 US aid",
                            " columns: 1 Actors > Officials · 2 US aid")
    screen.keys("\x1b[C")  # → the Officials × US aid cell
    screen.wait_for("1 overlapping pair: Actors > Officials × US aid")
    screen.keys("h")  # vim keys move as the arrows do: back to Officials × Officials…
    screen.wait_for("Actors > Officials (a code with itself is not counted)")
    screen.keys("l")  # …and on to the cell again
    screen.wait_for("1 overlapping pair: Actors > Officials × US aid")
    screen.keys("\r")
    shown = screen.wait_for("2 passages in 1 document")
    assert "National security adviser Jake Sullivan" in shown
    # Each passage says which code of the pair it carries.
    assert "Actors > Officials  Diplomacy Watch" in shown
    assert "US aid  Diplomacy Watch" in shown
    screen.keys("\x1b")
    screen.wait_for("2 Co-occurrence")
    screen.keys("\t")  # the matrix: each column's id, its title cut; the legend
    shown = screen.wait_for("3 Matrix", "1 Diplomacy…", " columns: 1 Diplomacy Watch")
    assert all(len(line.rstrip()) <= columns for line in shown.splitlines())
    screen.keys("\x1b")
    screen.wait_for("margin — library")

    screen.keys("\t")  # the codebook and, beneath it, the highlighted code's note
    screen.wait_for("No description (d writes one)")
    screen.keys("jj")
    shown = screen.wait_for("Statements that raise")
    assert "pwned" not in screen.screen.title  # the description's escapes are shown, not sent
    screen.keys("\t")
    screen.wait_for("a Analysis")  # the documents have the focus again

    screen.keys("m")
    shown = screen.wait_for("margin — memos", "Coding memos (1)",
                            "Sullivan speaks for the outgoing administration")
    settle()
    screen.keys("nothing like it")
    screen.wait_for("No memo matches the filter.")
    screen.keys("\x15")  # ctrl+u: the filter emptied
    screen.keys("sullivan")
    screen.wait_for("1 memo")
    screen.keys("\r")  # the coding's document, in the reader
    screen.wait_for("Diplomacy Watch", "Officials")
    screen.keys("q")
    assert screen.exit_status() == 0
