"""The codebook in a real terminal at 80x24 (pseudo-terminal + pyte): long
names cut with their counts kept, a confirmation that keeps the whole name,
and a passages list that sends no escape sequence of a document's text."""

from __future__ import annotations

from helpers import dialog_lines, make_project
from pty_terminal import needs_margin

from margin.store.codes import create_code
from margin.store.codings import apply_coding
from margin.store.db import open_database

LONG_NAME = ("Diplomatic signalling through intermediaries and back channels "
             "between Kyiv, Moscow and Washington")
ESCAPES = ("Field note. The envoy said \x1b]0;pwned\x07nothing \x1b[2Jat all, "
           "and the talks went on.\n")


@needs_margin
def test_the_codebook_at_80_columns(terminal, tmp_path):
    project = make_project(tmp_path / "p.db", texts=[ESCAPES], entities=False)
    db = open_database(project)
    code = create_code(db, LONG_NAME)
    document_id = db.execute("SELECT MAX(id) FROM documents").fetchone()[0]
    apply_coding(db, document_id, code, len("Field note. "), len(ESCAPES) - 1, "ada")
    db.conn.close()

    screen = terminal(80, 24, "--db", str(project))
    screen.wait_for("margin — library", "6 documents")
    screen.keys("\t")  # the codebook, shown while it has the focus
    shown = screen.wait_for("■ Diplomatic signalling")
    [row] = [line for line in shown.splitlines() if "■ Diplomatic signalling" in line]
    # The name is cut with "…" and the count stays in the pane, whose last
    # column is the terminal's: nothing hidden to the right, no scrollbar.
    assert row.rstrip().endswith("…  1"), row
    assert not any(set(line.strip()) <= set("▁▂▃▄▅▆▇█▔") and line.strip()
                   for line in shown.splitlines()[-6:-2])

    screen.keys("D")  # delete: the question keeps the whole name
    shown = screen.wait_for("y / Enter: yes")
    question = " ".join(" ".join(dialog_lines(shown)).split())
    assert f"Delete code {LONG_NAME}, with 1 coding? (undoable)" in question, shown
    screen.keys("n")

    screen.keys("\r")  # the code's passages
    shown = screen.wait_for("1 passage in 1 document")
    assert "␛]0;pwned␇nothing ␛[2Jat all" in shown
    assert screen.screen.title != "pwned"  # no escape sequence reached the terminal
    screen.keys("\x1b")
    screen.wait_for("margin — library")
    screen.keys("q")
    assert screen.exit_status() == 0
