"""Reading and coding in a real terminal at 120x36 (see pty_terminal.py):
the reader's moves and pages, selections, the code picker (a new code, then
the existing one), undo and redo, a coding's memo, find in the document, the
entity panel, and what a restart keeps. One `margin` session for the module,
in order; the codebook pane shows beside the text at this width."""

from __future__ import annotations

import pytest
from pty_terminal import library_session, needs_margin, settle, start_margin

TITLE = "Diplomacy Watch: Still tap dancing around NATO for Kyiv"
PARAGRAPH_3 = "Kyiv and Moscow both hinted this week"
CODE = "Diplomatic signalling"


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reading")
    for terminal in library_session(folder, 120, 36):
        yield terminal, folder


@pytest.fixture
def screen(session):
    return session[0]


def status(shown: str) -> str:
    """The reader's status line, above the key bar."""
    return shown.splitlines()[-2]



@needs_margin
def test_the_reader_opens_moves_by_paragraph_and_pages(screen):
    screen.keys("\r")
    shown = screen.wait_for(TITLE, "833 words", "para. 1/20", "No codes yet")
    assert "Two steps forward, one step back" in shown
    screen.keys("}")
    screen.wait_for("para. 2/20")
    screen.keys("}")
    screen.wait_for("para. 3/20")
    screen.keys("{")
    screen.wait_for("para. 2/20")
    screen.keys(" ")  # a page down: the opening lines go out of sight
    shown = screen.wait_without("Two steps forward, one step back")
    assert "%" in status(shown)
    screen.keys("G")  # the last paragraph
    screen.wait_for("para. 20/20")
    screen.keys("g")  # back to the top
    screen.wait_for("para. 1/20", "Two steps forward, one step back")
    # The text's first line, under the header (the rows come in as drawn).
    screen.wait_until(lambda shown: TITLE in shown.splitlines()[2], "the title on row 3")


@needs_margin
def test_a_selection_grows_with_motions_and_escape_clears_it(screen):
    screen.keys("}}")
    screen.wait_for("para. 3/20")
    screen.keys("v")
    assert "VISUAL" in status(screen.wait_for("VISUAL"))
    screen.keys("www")  # three words on: “Kyiv and Moscow ”
    screen.wait_for("17 characters selected")
    screen.keys("\x1b")
    shown = screen.wait_without("VISUAL")
    assert "selected" not in status(shown)
    screen.keys("s")  # the sentence under the cursor: the whole third paragraph
    screen.wait_for("VISUAL  306 characters selected")


@needs_margin
def test_coding_with_a_new_code_then_with_the_existing_one(screen):
    screen.keys("c")
    screen.wait_for("Code 306 characters as", "Escape cancels")
    settle()
    screen.keys(CODE)
    screen.wait_for(f"+ Create code “{CODE}”")
    screen.keys("\r")
    shown = screen.wait_for(f"■ {CODE}  1", f"Coded as {CODE}")
    assert "No codes yet" not in shown
    assert "VISUAL" not in status(shown)  # the selection is spent
    # The next paragraph, its first sentence, coded with the code by a prefix.
    screen.keys("}s")
    screen.wait_for("VISUAL  300 characters selected", "para. 4/20")
    screen.keys("c")
    screen.wait_for("Code 300 characters as")
    settle()
    screen.keys("diplo")
    screen.wait_for(f"■ {CODE}  1", "+ Create code “diplo”")
    screen.keys("\r")
    shown = screen.wait_for(f"■ {CODE}  2")
    assert "diplo" not in shown.replace("Diplo", "")  # no code named "diplo"


@needs_margin
def test_undo_and_redo_take_the_coding_away_and_back(screen):
    screen.keys("u")
    screen.wait_for(f"■ {CODE}  1", f"Undid: Code passage as {CODE}")
    screen.keys("\x12")  # ctrl+r
    screen.wait_for(f"■ {CODE}  2", f"Redid: Code passage as {CODE}")


@needs_margin
def test_a_memo_on_the_coding_under_the_cursor(screen):
    screen.keys("m")
    screen.wait_for(f"Memo on {CODE}: “National security adviser", "ctrl+s save")
    settle()
    screen.keys("A shift in tone")
    screen.keys("\x13")  # ctrl+s
    shown = screen.wait_for(f"■ {CODE} · root · memo: A shift in tone")
    assert "ctrl+s save" not in shown
    screen.keys("m")  # the editor opens on the memo as saved
    screen.wait_for("A shift in tone", "ctrl+s save")
    screen.keys("\x1b")
    screen.wait_without("ctrl+s save")


@needs_margin
def test_find_in_the_document(screen):
    screen.keys("gf")
    screen.wait_for("Find in this document", "n and N move between the matches")
    settle()
    screen.keys("Biden\r")
    shown = screen.wait_for("“Biden” 1/")
    assert "Find in this document" not in shown
    screen.keys("n")
    screen.wait_for("“Biden” 2/")
    screen.keys("N")
    screen.wait_for("“Biden” 1/")
    screen.keys("\x1b")  # Escape ends the find before it leaves the reader
    shown = screen.wait_without("“Biden”")
    assert TITLE in shown.splitlines()[0]


@needs_margin
def test_the_entity_panel_lists_the_document_s_people(screen):
    screen.keys("E")
    shown = screen.wait_for("PERSON", "mentions", "Joe Biden", "Jake Sullivan")
    assert "Next mention" in shown.splitlines()[-1]  # the panel's keys
    screen.keys("\x1b")
    shown = screen.wait_for(f"■ {CODE}  2")
    assert "Jake Sullivan  1" not in shown


@needs_margin
def test_quit_then_restart_keeps_what_was_coded(session):
    screen, folder = session
    screen.keys("\x1b")  # back to the library
    shown = screen.wait_for("margin — library", f"■ {CODE}  2")
    row = next(line for line in shown.splitlines() if "Diplomacy Watch" in line)
    assert " 2 " in row  # its Codings column
    screen.keys("q")
    assert screen.exit_status(timeout=20) == 0

    again = start_margin(folder, 120, 36)
    try:
        shown = again.wait_for("margin — library", f"■ {CODE}  2", timeout=60)
        assert "No codes yet" not in shown
        again.keys("\r")
        again.wait_for(TITLE, "para. 1/20")
        again.keys("}}")
        shown = again.wait_for("para. 3/20", f"■ {CODE} · root")
        again.keys("}")
        again.wait_for(f"■ {CODE} · root · memo: A shift in tone")
        again.keys("q")
        assert again.exit_status(timeout=20) == 0
    finally:
        again.close()


@needs_margin
def test_the_codings_line_cuts_with_an_ellipsis_never_on_a_lone_mark(terminal, tmp_path):
    from helpers import make_project

    from margin.store.codes import create_code
    from margin.store.codings import apply_coding
    from margin.store.db import open_database
    from margin.store.documents import get_document

    long_code = "Diplomatic signalling through intermediaries and back channels, Kyiv"
    project = make_project(tmp_path / "p.db", entities=False)
    db = open_database(project)
    start = get_document(db, 1).text.index("Jake Sullivan")
    apply_coding(db, 1, create_code(db, long_code), start, start + 4, "ada")
    apply_coding(db, 1, create_code(db, "Zeta"), start, start + 13, "ada")
    db.conn.close()
    # 82 columns: the second coding's "■" fell in the last cell.
    screen = terminal(82, 24, "--db", str(project))
    screen.wait_for("margin — library", "5 documents")
    screen.keys("\r")
    screen.wait_for(TITLE, "833 words")
    settle()
    screen.keys("f")
    screen.wait_for("Find in this document")
    settle()
    screen.keys("Jake Sullivan\r")
    shown = screen.wait_for(f"■ {long_code} · ada")
    [info] = [line.rstrip() for line in shown.splitlines() if f"■ {long_code}" in line]
    assert not info.rstrip(" …").endswith("■"), info
    assert info.endswith("…") and len(info) <= 82, info
    screen.keys("\x1b")
    screen.keys("q")
