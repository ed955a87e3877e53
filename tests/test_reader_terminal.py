"""The reader in a real pseudo-terminal (see pty_terminal.py): what a person
sees after a resize behind another screen, after an action, at 200 columns."""

from __future__ import annotations

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
    shown = screen.wait_for("Joe Biden", "Two steps forward")
    # The entity panel alone beside the text: not the codebook as well.
    assert "No codes yet" not in shown, shown
    # The text keeps the width the panel leaves it (not ~46 columns).
    row = next(line for line in shown.splitlines() if "Two steps forward" in line)
    assert "Two steps forward, one step back on negotiations, while Biden" in row, shown

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
