"""The reader in a real pseudo-terminal (see pty_terminal.py): what a person
sees after a resize behind another screen, after an action, at 200 columns."""

from __future__ import annotations

import time

from pty_terminal import needs_margin


def _columns_of(shown: str, text: str) -> int:
    """The column where ``text`` starts on the screen."""
    line = next(line for line in shown.splitlines() if text in line)
    return line.index(text)


@needs_margin
def test_a_resize_behind_another_screen_leaves_the_reader_laid_out_for_the_new_size(terminal):
    screen = terminal(80, 24)
    screen.wait_for("5 documents")
    screen.keys("\r")
    screen.wait_for("Two steps forward", "833 words")
    screen.keys("E")  # the entity panel, in the codebook's place
    screen.wait_for("PERSON", "Joe Biden")
    screen.keys("?")  # another screen on top
    screen.wait_for("Keys")
    screen.resize(120, 36)
    screen.wait_for("Keys")
    screen.keys("\x1b")
    # The text gets the width the panel leaves it at 120 columns (not ~46:
    # wrapped at 66 cells, it shows this row whole)...
    shown = screen.wait_for("Joe Biden", "Two steps forward, one step back on negotiations, while Biden",
                            timeout=10)
    # ...with the entity panel alone beside it: not the codebook as well.
    assert "No codes yet" not in shown, shown

    screen.keys("E")  # closed: the codebook comes back at 120 columns
    screen.wait_for("No codes yet")
    screen.keys("q")
    assert screen.exit_status() == 0


@needs_margin
def test_the_codes_line_is_readable_right_after_an_action(terminal):
    screen = terminal(80, 24)
    screen.wait_for("5 documents")
    screen.keys("\r")
    screen.wait_for("Two steps forward", "833 words")
    screen.keys("vww")
    screen.wait_for("VISUAL")
    screen.keys("c")
    screen.wait_for("Code 16 characters as")
    screen.keys("Framing\r")
    shown = screen.wait_for("Coded as Framing")  # the toast is up
    lines = shown.splitlines()
    codes_line, status_line = lines[-3], lines[-2]
    assert "■ Framing · " in codes_line
    # Nothing of the toast over the codes line or the status line.
    assert "Coded as" not in codes_line + status_line and "▌" not in codes_line + status_line
    # The toast stands above them.
    assert any("Coded as Framing" in line for line in lines[:-3])
    screen.keys("q")
    assert screen.exit_status() == 0


def _database(tmp_path):
    from margin.store.db import open_database

    return open_database(tmp_path / "data" / "margin" / "margin.db")


@needs_margin
def test_an_idle_reader_shows_what_another_process_codes(terminal, tmp_path):
    from margin.store.codes import create_code
    from margin.store.codings import apply_coding

    screen = terminal(120, 36)
    screen.wait_for("5 documents")
    screen.keys("\r")
    screen.wait_for("Two steps forward", "No codes yet")
    other = _database(tmp_path)  # a second margin, a script
    text = other.execute("SELECT text FROM documents WHERE id = 1").fetchone()[0]
    start = text.index("Two steps forward")
    apply_coding(other, 1, create_code(other, "Negotiations"), start, start + 17, "bob")
    other.conn.close()
    # Within about a second (and some slack for a busy machine), untouched.
    shown = screen.wait_for("■ Negotiations  1", timeout=10)
    assert "Negotiations" in next(line for line in shown.splitlines()
                                  if "Two steps forward" in line)  # the gutter names it
    screen.keys("q")
    assert screen.exit_status() == 0


@needs_margin
def test_an_escape_sequence_in_a_memo_shows_as_symbols_in_the_editor(terminal, tmp_path):
    from margin.store.codings import set_memo

    screen = terminal(80, 24)
    screen.wait_for("5 documents")
    written = bytearray()
    feed = screen.stream.feed

    def record(data: bytes) -> None:
        written.extend(data)
        feed(data)

    screen.stream.feed = record
    other = _database(tmp_path)
    set_memo(other, "see \x1b]52;c;aGFja2Vk\x07 here", "bob", document_id=1)
    other.conn.close()
    screen.keys("\r")
    screen.wait_for("Two steps forward")
    screen.keys("m")  # no coding under the cursor: the document's memo
    shown = screen.wait_for("Memo on")
    assert "see ␛]52;c;aGFja2Vk␇ here" in shown
    assert b"\x1b]52" not in written  # nothing reached the clipboard
    screen.keys("\x1b")
    time.sleep(0.5)  # a key right after Escape would read as alt+key
    screen.keys("q")
    assert screen.exit_status() == 0
