"""Citation styles for copied passages, and where a copy goes."""

from __future__ import annotations

import pyperclip
import pytest

from margin.store.citations import Citable, citable_passage, format_citation, join_citations
from margin.store.documents import import_text
from margin.store.errors import StoreError
from margin.store.sources.textio import DecodedText
from margin.tui.clipboard import copy_text

PASSAGE = Citable("Talks are going\nwell.", "Peace talks", 3, "Olena Kovalenko", "2024-03-05")


def test_plain_markdown_and_apa_styles():
    assert format_citation(PASSAGE, "plain") == "“Talks are going well.” — Peace talks, para. 3"
    assert format_citation(PASSAGE, "markdown") == (
        "> Talks are going\n> well.\n>\n> — *Peace talks*, para. 3")
    assert format_citation(PASSAGE, "apa") == (
        "“Talks are going well.” (Kovalenko, 2024, para. 3)\n"
        "Kovalenko, O. (2024, March 5). Peace talks.")
    with pytest.raises(StoreError, match="citation style"):
        format_citation(PASSAGE, "chicago")


def test_several_passages_are_joined_by_a_blank_line():
    assert join_citations(["a", "b"]) == "a\n\nb"


@pytest.mark.parametrize(("author", "published", "in_text", "reference"), [
    ("Kyiv Post staff", "2024-03", "Kyiv Post staff, 2024",
     "Kyiv Post staff. (2024, March). What Does Russia Want?"),
    ("Ada Lovelace and Charles Babbage", "1843", "Lovelace & Babbage, 1843",
     "Lovelace, A., & Babbage, C. (1843). What Does Russia Want?"),
    ("A. B. Smith; C. Jones; D. Brown", None, "Smith et al., n.d.",
     "Smith, A. B., Jones, C., & Brown, D. (n.d.). What Does Russia Want?"),
    ("Jean-Paul Sartre", "1943-06-01", "Sartre, 1943",
     "Sartre, J.-P. (1943, June 1). What Does Russia Want?"),
    ("Kovalenko, Olena", "not a date", "Kovalenko, n.d.",
     "Kovalenko, O. (n.d.). What Does Russia Want?"),
    (None, "2024-12-03", "“What Does Russia Want?,” 2024",
     "What Does Russia Want? (2024, December 3)."),
])
def test_apa_uses_author_year_title_and_paragraph(author, published, in_text, reference):
    citable = Citable("Territory.", "What Does Russia Want?", 7, author, published)
    assert format_citation(citable, "apa") == (
        f"“Territory.” ({in_text}, para. 7)\n{reference}")


def test_apa_without_author_shortens_the_title_in_the_text():
    citable = Citable("x", "The Great Diplomatic Divide: Reading Between the Lines", 2)
    assert format_citation(citable, "apa") == (
        "“x” (“The Great Diplomatic Divide,” n.d., para. 2)\n"
        "The Great Diplomatic Divide: Reading Between the Lines. (n.d.).")


def test_a_stored_passage_knows_its_paragraph_title_author_and_date(db):
    text = "First paragraph.\n\nSecond one, with the quote in it."
    document = import_text(db, DecodedText(text, "utf-8", False), source="/data/x7f3a.txt",
                           clean=False).document_id
    start = text.index("the quote")
    citable = citable_passage(db, document, start, start + len("the quote"))
    assert (citable.quote, citable.paragraph, citable.author) == ("the quote", 2, None)
    # Never the file it came from nor the day it was imported.
    apa = format_citation(citable, "apa")
    assert apa == "“the quote” (“First paragraph,” n.d., para. 2)\nFirst paragraph. (n.d.)."
    db.execute("UPDATE documents SET author = 'Olena Kovalenko', published = '2023-02-24'")
    apa = format_citation(citable_passage(db, document, start, start + 9), "apa")
    assert apa == ("“the quote” (Kovalenko, 2023, para. 2)\n"
                   "Kovalenko, O. (2023, February 24). First paragraph.")
    assert "x7f3a" not in apa


class FakeApp:
    is_web = False  # in a terminal, not served to a browser (see test_serve.py)

    def __init__(self):
        self.terminal = []

    def copy_to_clipboard(self, text):
        self.terminal.append(text)


def test_over_ssh_the_copy_goes_through_the_terminal(monkeypatch):
    system = []
    monkeypatch.setattr(pyperclip, "copy", system.append)
    app = FakeApp()
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    assert copy_text(app, "x") == "system clipboard" and system == ["x"]
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    assert copy_text(app, "y") == "terminal clipboard (OSC 52)" and app.terminal == ["y"]
    assert system == ["x"]
