"""Import and export in a real terminal at 80x24 (see pty_terminal.py): a
folder imported through the dialog, a path that does not exist, the new
document read (its control characters and markup shown as text, the window
title left alone), a passage coded and exported to CSV through the dialog.
One `margin` session for the module, in order; each test ends in the library."""

from __future__ import annotations

import csv

import pytest
from pty_terminal import library_session, needs_margin, settle

LIBRARY = "margin — library"
INTERVIEW = ("Interview with a farmer\n\n"
             "We plant [bold]wheat[/bold] in spring.\x1b]0;pwned\x07 The rains came late.\n\n"
             "Prices rose again.\n")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("transfer")


@pytest.fixture(scope="module")
def screen(folder):
    yield from library_session(folder, 80, 24)


def close_dialog(screen, title: str) -> str:
    screen.keys("\x1b")
    screen.wait_without(title)
    return screen.wait_for(LIBRARY)



@needs_margin
def test_import_a_folder_through_the_dialog(screen, folder):
    notes = folder / "notes"
    notes.mkdir()
    (notes / "interview.txt").write_text(INTERVIEW, encoding="utf-8")
    screen.keys("i")
    screen.wait_for("Import documents", "Enter starts · Escape closes")
    settle()
    screen.keys(f"{notes}\r")
    shown = screen.wait_for("1 imported, 0 skipped as duplicates, 0 refused")
    assert "“Interview with a" in shown  # the report names what came in
    shown = close_dialog(screen, "Import documents")
    assert "6 documents" in shown
    row = next(line for line in shown.splitlines() if "Interview with a" in line)
    assert "interview.txt" in row


@needs_margin
def test_importing_a_path_that_does_not_exist_says_so(screen, folder):
    screen.keys("i")
    screen.wait_for("Import documents")
    settle()
    screen.keys(f"{folder / 'missing.txt'}\r")
    shown = screen.wait_for("0 imported, 0 skipped as duplicates, 1 refused")
    assert "refused" in shown and "not found" in shown  # (the line wraps at 80)
    assert "Traceback" not in shown
    assert "6 documents" in close_dialog(screen, "Import documents")


@needs_margin
def test_the_imported_text_shows_its_controls_and_markup_as_text(screen):
    screen.keys("G\r")
    shown = screen.wait_for("Interview with a farmer", "para. 1/3")
    assert "We plant [bold]wheat[/bold] in spring.␛]0;pwned␇" in shown
    assert screen.screen.title != "pwned"  # the escape sequence never ran
    screen.keys("}s")
    screen.wait_for("VISUAL", "para. 2/3")
    screen.keys("c")
    screen.wait_for("characters as", "Escape cancels")
    settle()
    screen.keys("Farming")
    screen.wait_for("+ Create code “Farming”")
    screen.keys("\r")
    screen.wait_for("■ Farming · root")
    screen.keys("\x1b")
    shown = screen.wait_for(LIBRARY)
    row = next(line for line in shown.splitlines() if "Interview with a" in line)
    assert row.split()[-2] == "1"  # its Codings column


@needs_margin
def test_export_coded_passages_to_csv_through_the_dialog(screen, folder):
    screen.keys("E")
    screen.wait_for("Export coded passages or the project", "CSV",
                    "Enter on the file name writes it")
    settle()
    screen.keys("\t")
    settle(0.2)
    screen.keys("\t")  # the format, the code, then the file name
    settle(0.2)
    screen.keys("\x15")  # ctrl+u clears the proposed name
    settle()
    target = folder / "passages.csv"
    screen.keys(f"{target}\r")
    screen.wait_for("Wrote 1 passage", str(target))
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["code"], row["document_title"]) for row in rows] == [
        ("Farming", "Interview with a farmer")]
    assert rows[0]["quote"].startswith("We plant [bold]wheat[/bold] in spring.")
    close_dialog(screen, "Export coded passages")
