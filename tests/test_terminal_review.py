"""The entity review in a real terminal (see pty_terminal.py): opened from
the reader's entity panel, its rows drawn with their contexts, decided by
keys, and coded, at 120x36 and 80x24 without a resize."""

from __future__ import annotations

import re

import pytest
from pty_terminal import needs_margin

DOWN = "\x1b[B"


def review_rows(shown: str) -> list[str]:
    """The review's rows on the screen: mark, type, entity and context."""
    return [line for line in shown.splitlines() if re.match(r" [·✓✗]  PERSON ", line)]


@needs_margin
@pytest.mark.parametrize(("columns", "rows"), [(120, 36), (80, 24)])
def test_the_entity_review_draws_its_rows_and_codes_the_accepted_ones(terminal, columns, rows):
    screen = terminal(columns, rows)
    screen.wait_for("5 documents", timeout=60)
    screen.keys("\r")  # the first document
    screen.wait_for("Two steps forward")
    screen.keys("E")  # the entity panel, people first
    screen.wait_for("PERSON", "Joe Biden  5", timeout=60)
    screen.keys(DOWN)
    screen.keys("r")  # review Joe Biden across the corpus

    shown = screen.wait_for("Review PERSON › Joe Biden", "6 mentions in 2 documents",
                            "0 accepted", "6 to decide", timeout=60)
    drawn = review_rows(shown)
    assert len(drawn) == 6, shown
    for line in drawn:
        assert line.startswith(" ·  PERSON    Joe Biden "), line
        assert len(line) <= columns
        # the entity's column and the mention in its context, never cut
        assert line.count("Biden") == 2 and "Bi…" not in line, line
    # Each row shows its mention in its sentence, the whole name visible.
    assert any("the place of Joe Biden to make" in line for line in drawn), shown
    assert any("push from the Biden administration" in line for line in drawn), shown
    assert any("This year" in line for line in drawn)  # the second document

    screen.keys("aa")  # accept two: the counters follow
    shown = screen.wait_for("✓ 2 accepted", "4 to decide")
    assert [line[1] for line in review_rows(shown)] == ["✓", "✓", "·", "·", "·", "·"]

    screen.keys("A")  # accept all the others
    shown = screen.wait_for("✓ 6 accepted", "0 to decide")
    assert [line[1] for line in review_rows(shown)] == ["✓"] * 6

    screen.keys("\r")  # code them: a confirmation first
    screen.wait_for("Code 6 accepted mentions", "y / Enter: yes")
    screen.keys("y")
    shown = screen.wait_for("Coded 6 passages from 6 mentions", "recent codes:", "Joe Biden")
    # Back in the reader, the coded sentences carry the coding's gutter mark.
    assert "Diplomacy Watch" in shown.splitlines()[0]
    assert sum(line.startswith("┃") for line in shown.splitlines()) >= 3, shown

    screen.keys("\x11")  # ctrl+q
    assert screen.exit_status(timeout=20) == 0


@needs_margin
def test_reviewing_trump_reviews_trump_not_melania_trump(terminal):
    # The first article says only "Trump"; another names "First Lady Melania
    # Trump". The review once called every row "Melania Trump", to be coded so.
    screen = terminal(120, 36)
    screen.wait_for("5 documents", timeout=60)
    screen.keys("\r")
    screen.wait_for("Two steps forward")
    screen.keys("E")
    screen.wait_for("Joe Biden  5", "Trump  2", timeout=60)
    screen.keys("jjjj")  # Joe Biden, Matthew Miller, Mike Johnson, Trump
    screen.keys("r")
    shown = screen.wait_for("Review PERSON › Trump ", "code PERSON > Trump", timeout=60)
    assert "Melania" not in shown
    drawn = review_rows(shown)
    assert len(drawn) >= 20
    assert all(line.startswith(" ·  PERSON    Trump ") for line in drawn), shown
    assert "President-elect Trump’s inauguration" in shown
