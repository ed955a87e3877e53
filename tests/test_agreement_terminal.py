"""The agreement screens in a real terminal (see pty_terminal.py), at 120x36
and at 80x24: reached from the palette, drawn, the places listed side by
side, a version adopted and undone."""

from __future__ import annotations

import pytest
from helpers import make_two_coder_project
from pty_terminal import needs_margin, settle, start_margin


@pytest.fixture(scope="module")
def screen(tmp_path_factory):
    folder = tmp_path_factory.mktemp("team")
    (folder / "data" / "margin").mkdir(parents=True)
    make_two_coder_project(folder / "data" / "margin" / "margin.db")
    terminal = start_margin(folder, 120, 36, "--coder", "rita")
    terminal.wait_for("margin — library", "2 documents", timeout=60)
    yield terminal
    terminal.close()


def rows_with(shown: str, *words: str) -> list[str]:
    return [line for line in shown.splitlines() if all(word in line for word in words)]


@needs_margin
def test_agreement_from_the_palette_then_the_places_and_reconciling(screen):
    screen.keys("\x10")  # ctrl+p
    screen.wait_for("Search for commands")
    settle()
    screen.keys("Inter-coder")
    screen.wait_for("Inter-coder agreement…")
    screen.keys("\r")
    shown = screen.wait_for("Agreement", "ana and ben", "All codes (pooled)", "Talks",
                            "documents both coded")
    talks, actors = rows_with(shown, "Talks")[0], rows_with(shown, "Actors")[0]
    assert actors.split()[1:4] == ["1.000", "1.000", "100.0%"]
    assert shown.index("Talks") < shown.index("Actors")  # worst first
    screen.keys("j\r")
    shown = screen.wait_for("3 places they differ", "only ana", "only ben",
                            "different boundaries")
    # Side by side: both versions of the boundaries' place on one row.
    assert rows_with(shown, "(not coded here)")
    screen.keys("jo")  # rita adopts the union at the boundaries' place
    shown = screen.wait_for("rita adopted the union", "✓ rita: ana's")
    screen.keys("u")
    screen.wait_for("Undid: Reconcile Talks")
    screen.wait_without("✓ rita")
    assert talks  # the Talks row was drawn with its figures
    screen.keys("\x1b")
    screen.wait_for("All codes (pooled)")


@needs_margin
def test_readable_at_80_by_24(screen):
    screen.resize(80, 24)
    shown = screen.wait_until(
        lambda text: all(len(line) <= 80 for line in text.splitlines())
        and "All codes (pooled)" in text and "κ" in text, "the agreement table at 80 columns")
    pooled = rows_with(shown, "All codes (pooled)")[0]
    assert len(pooled.split()) == 8  # the name in three words, κ, α, agree, ana, ben
    screen.keys("\r")  # the cursor is still on Talks
    shown = screen.wait_for("Talks", "3 places they differ", "only ana", "esc Back",
                            timeout=30)
    boundary = rows_with(shown, "different boundaries")
    assert boundary and rows_with(shown, "ana", "ben")  # the two columns' heads, one row
    screen.keys("\x1b")
    screen.wait_for("All codes (pooled)")
