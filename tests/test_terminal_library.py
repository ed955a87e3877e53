"""The library in a real terminal: deleting a document, undoing it, the empty
library's hint, and titles as wide as the other columns allow."""

from __future__ import annotations

from pty_terminal import needs_margin


@needs_margin
def test_delete_and_undo_at_80_columns(terminal):
    screen = terminal(80, 24)
    shown = screen.wait_for("5 documents", "q Quit")
    # The key bar names the analysis and the memos, and still quitting.
    keybar = shown.splitlines()[-1]
    for item in ("i Import", "a Analysis", "m Memos", "/ Search", "q Quit", "? Keys"):
        assert item in keybar, keybar
    # The title column takes what the others leave: 27 cells at 80 columns.
    screen.wait_for("Diplomacy Watch: Still tap…  sample article")

    screen.keys("d")
    # The question is whole: the title, and what goes with it.
    shown = screen.wait_for("Delete “Diplomacy Watch: Still tap dancing around NATO for",
                            "entity mentions go with it.")
    assert "y / Enter: yes" in shown
    screen.keys("y")
    screen.wait_for("4 documents", "Deleted “Diplomacy Watch")
    screen.keys("u")
    screen.wait_for("5 documents", "Diplomacy Watch: Still tap…")

    screen.keys("q")
    assert screen.exit_status() == 0


@needs_margin
def test_an_empty_library_says_how_to_import(terminal, tmp_path):
    screen = terminal(80, 24, "--db", str(tmp_path / "empty.db"))  # a new file: no samples
    screen.wait_for("0 documents",
                    "No documents yet — press i to import files or a folder, or run `margin",
                    "import PATH` (`margin import --sample` adds the sample articles).")
    screen.keys("q")
    assert screen.exit_status() == 0


@needs_margin
def test_titles_at_120_columns_beside_the_codebook(terminal):
    screen = terminal(120, 36)
    shown = screen.wait_for("5 documents", "No codes yet")
    row = next(line for line in shown.splitlines() if "Diplomacy Watch" in line)
    # 33 cells of title (27 before), the source as wide as "sample article".
    assert "Diplomacy Watch: Still tap danci…  sample article    833" in row
    screen.keys("q")
    assert screen.exit_status() == 0
