"""Searching in a real terminal at 80x24 (see pty_terminal.py): search as
you type (`/`), opening a result in the reader and coming back, full-text
search (ctrl+f) and coding all its hits, and the new coding found by `/`.
One `margin` session for the module, in order; each test ends in the library."""

from __future__ import annotations

import pytest
from pty_terminal import library_session, needs_margin, settle

LIBRARY = "margin — library"
FUZZY = "Search passages, memos, codes, titles and entities"
FULL_TEXT = "Full-text search of the documents"


@pytest.fixture(scope="module")
def screen(tmp_path_factory):
    yield from library_session(tmp_path_factory.mktemp("search"), 80, 24)



def key_bar(shown: str) -> str:
    return shown.splitlines()[-1]


@needs_margin
def test_search_as_you_type_finds_a_person_and_opens_the_mention(screen):
    screen.keys("/")
    shown = screen.wait_for(FUZZY, "Type a half-remembered phrase")
    # Typing "/" here types a slash: the key bar does not offer it as Search.
    assert "/ Search" not in key_bar(shown)
    assert "Back" in key_bar(shown)
    settle()
    screen.keys("Zelensky")
    shown = screen.wait_for("entity·person", "Volodymyr Zelensky", "3 results")
    screen.keys("\t")  # to the list: its keys
    screen.wait_for("space Mark", "y Copy")
    screen.keys("\r")  # the first result, in the reader at the mention
    shown = screen.wait_for("PERSON Zelensky", "para. ")
    assert "Zelensky" in "".join(shown.splitlines()[2:-2])
    assert "v Select" in key_bar(shown)
    screen.keys("\x1b")  # back to the results, as they were, the list focused
    screen.wait_for(FUZZY, "Volodymyr Zelensky", "3 results", "space Mark")
    screen.keys("\x1b")  # to the query
    screen.wait_for("tab Complete/results")
    screen.keys("\x1b")  # and out
    screen.wait_for(LIBRARY, "5 documents")


@needs_margin
def test_full_text_search_codes_all_its_hits(screen):
    screen.keys("\x06")  # ctrl+f
    shown = screen.wait_for(FULL_TEXT, 'words, "a phrase", prefix*')
    assert "/ Search" not in key_bar(shown)
    settle()
    # Many hits (a scrollbar): each sentence is cut with "…" inside the
    # table; it was cut mid-word at the table's edge, with no "…".
    screen.keys("Ukraine")
    shown = screen.wait_for("hits in 5 documents")
    rows = [line.rstrip() for line in shown.splitlines() if "  …" in line[20:30]]
    assert len(rows) >= 5 and all(len(row) <= 80 for row in rows), rows
    assert sum(row.endswith("…") for row in rows) >= len(rows) - 2, rows
    screen.keys("\x7f" * len("Ukraine"))
    screen.wait_for("code all hits at sentence scope")
    screen.wait_without("hits in 5 documents")
    screen.keys("ceasefire\r")
    screen.wait_for("1 hit in 1 document", "to help enforce a ceasefire")
    screen.wait_for("c Code all hits")  # Enter moved to the hits: their keys
    screen.keys("c")
    screen.wait_for("(sentence scope) as…", "Code name")
    settle()
    screen.keys("Ceasefire")
    screen.wait_for("+ Create code “Ceasefire”")
    screen.keys("\r")
    shown = screen.wait_for("y / Enter: yes", "British Prime Minister Keir Starmer")
    screen.keys("y")
    screen.wait_for("as Ceasefire")  # the notification
    screen.wait_without("y / Enter: yes")
    screen.keys("\x1b")  # from the hits to the query
    screen.wait_without("c Code all hits")
    screen.keys("\x1b")  # and out
    shown = screen.wait_for(LIBRARY)
    row = next(line for line in shown.splitlines() if "This year, Russia" in line)
    assert row.split()[-2] == "1"  # its Codings column


@needs_margin
def test_search_as_you_type_finds_the_new_coding(screen):
    screen.keys("/")
    screen.wait_for(FUZZY)
    settle()
    screen.keys("Keir Starmer")
    shown = screen.wait_for("Ceasefire", "British Prime Minister Keir Starmer")
    assert "results" in shown
    screen.keys("\x1b")
    screen.wait_for(LIBRARY)
