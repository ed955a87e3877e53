"""The codebook's dialogs in a real terminal at 120x36 (see pty_terminal.py):
rename, colour, description, merge, delete (and its undo), and a code's
passages, each as a person sees it in the codebook pane beside the text. One
`margin` session for the module, in order."""

from __future__ import annotations

import pytest
from pty_terminal import library_session, needs_margin, settle

DOWN, UP = "\x1b[B", "\x1b[A"
CODEBOOK_KEYS = "⏎ Passages  n New  r Rename"


@pytest.fixture(scope="module")
def screen(tmp_path_factory):
    yield from library_session(tmp_path_factory.mktemp("codebook"), 120, 36)



def code_sentence(screen, name: str, count: int) -> None:
    """Select the sentence under the cursor and code it as ``name``."""
    screen.keys("s")
    screen.wait_for("VISUAL")
    screen.keys("c")
    screen.wait_for("characters as", "Escape cancels")
    settle()
    screen.keys(name)
    screen.wait_for(f"{name}”" if count == 1 else f"■ {name}  {count - 1}")
    screen.keys("\r")
    screen.wait_for(f"■ {name}  {count}")
    screen.wait_without("VISUAL")


def colour_of(screen, text: str) -> str:
    """The foreground colour of the first cell of ``text`` on the screen."""
    for row, line in enumerate(screen.screen.display):
        column = line.find(text)
        if column >= 0:
            return screen.screen.buffer[row][column].fg
    raise AssertionError(f"{text!r} is not on the screen")


def pane_line(shown: str, name: str) -> str:
    """The codebook pane's line of the code ``name`` (right of the divider)."""
    return next(line.split("│")[-1] for line in shown.splitlines()
                if f"■ {name}" in line.split("│")[-1])


@needs_margin
def test_codes_made_while_reading_fill_the_codebook_pane(screen):
    screen.keys("\r")
    screen.wait_for("833 words", "No codes yet: select, press c")
    screen.keys("}}")
    screen.wait_for("para. 3/20")
    code_sentence(screen, "Aid", 1)
    screen.keys("}")
    screen.wait_for("para. 4/20")
    code_sentence(screen, "Weapons", 1)
    screen.keys("}")
    screen.wait_for("para. 5/20")
    code_sentence(screen, "Aid", 2)
    shown = screen.wait_for("■ Aid  2", "■ Weapons  1")
    assert shown.index("■ Aid  2") < shown.index("■ Weapons  1")
    screen.keys("\t")  # into the codebook: its keys in the key bar
    screen.wait_for(CODEBOOK_KEYS)


@needs_margin
def test_rename_a_code(screen):
    screen.keys("r")
    screen.wait_for("Rename Aid", "Enter to accept")
    settle()
    screen.keys("\x15")  # ctrl+u clears the old name
    settle(0.3)
    screen.keys("Military aid\r")
    shown = screen.wait_for("■ Military aid  2", "Renamed to Military aid")
    assert "■ Aid" not in shown


@needs_margin
def test_recolour_a_code(screen):
    # The codes-under-cursor line shows the code in its colour (the pane's
    # line has the cursor's colours while the codebook has the focus).
    before = colour_of(screen, "■ Military aid · root")
    screen.keys("C")
    screen.wait_for("Colour for Military aid", "#e6194b", "#3cb44b")
    settle()
    screen.keys("3cb44b")  # filter the palette to one colour
    # (The unfiltered list shows #3cb44b too: wait for the filter itself, which
    # lags behind the keys on a busy machine.)
    shown = screen.wait_until(lambda text: "■■■ #3cb44b" in text and "#e6194b" not in text,
                              "the palette filtered to #3cb44b")
    assert "#e6194b" not in shown
    screen.keys("\r")
    screen.wait_for("Recoloured Military aid")
    screen.wait_without("Colour for Military aid")
    assert colour_of(screen, "■ Military aid · root") != before


@needs_margin
def test_describe_a_code(screen):
    screen.keys("d")
    screen.wait_for("Description of Military aid", "ctrl+s save")
    settle()
    screen.keys("Money and arms sent to Ukraine")
    screen.keys("\x13")  # ctrl+s
    screen.wait_for("Description of Military aid saved")
    screen.wait_without("ctrl+s save")
    screen.keys("d")  # opens again on the saved description
    screen.wait_for("Description of Military aid", "Money and arms sent to Ukraine")
    screen.keys("\x1b")
    screen.wait_without("ctrl+s save")


@needs_margin
def test_a_code_s_passages(screen):
    screen.keys("\r")
    shown = screen.wait_for("Kyiv and Moscow both hinted", "Later in the week")
    assert "Military aid" in shown
    screen.keys("\x1b")
    screen.wait_for(CODEBOOK_KEYS, "■ Military aid  2")


@needs_margin
def test_merge_a_code_into_another(screen):
    screen.keys(DOWN)  # Weapons
    screen.keys("J")
    shown = screen.wait_for("Merge Weapons into…", "Military aid  2")
    settle()
    screen.keys("\r")
    shown = screen.wait_for("■ Military aid  3", "Merged Weapons into Military aid")
    assert "■ Weapons" not in pane_line(shown, "Military aid")
    assert not any("■ Weapons" in line.split("│")[-1] for line in shown.splitlines()[:-3])


@needs_margin
def test_delete_a_code_asks_first_and_undo_brings_it_back(screen):
    screen.keys(UP)
    screen.keys("D")
    shown = screen.wait_for("Delete code Military aid, with 3 codings?", "y / Enter: yes")
    screen.keys("n")  # no: nothing changes
    screen.wait_without("y / Enter: yes")
    screen.wait_for("■ Military aid  3")
    screen.keys("D")
    screen.wait_for("y / Enter: yes")
    screen.keys("y")
    shown = screen.wait_for("No codes yet", "Deleted Military aid (u undoes)")
    assert "■ Military aid" not in shown
    screen.keys("u")
    screen.wait_for("■ Military aid  3", "Undid")
