"""First pseudo-terminal tests: the library, the reader, a resize and the
import dialog as a person sees them (see pty_terminal.py)."""

from __future__ import annotations

from pathlib import Path

from pty_terminal import needs_margin

TITLES = ("Diplomacy Watch", "This year, Russia", "The Great Diplomatic",
          "It’s confusing", "Following last week")


@needs_margin
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
    screen.wait_for("margin — library", "Diplomacy Watch: Still tap danci…")
    screen.resize(80, 24)
    screen.wait_for("margin — library", "Diplomacy Watch")

    screen.keys("q")
    assert screen.exit_status() == 0


@needs_margin
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
