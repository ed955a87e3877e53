"""Citation styles for copied passages, and where a copy goes."""

from __future__ import annotations

import pyperclip
import pytest

from margin.store.citations import Citable, citable_passage, format_citation, join_citations
from margin.store.documents import import_text
from margin.store.errors import StoreError
from margin.store.sources.textio import DecodedText
from margin.tui.clipboard import copy_text

PASSAGE = Citable("Talks are going\nwell.", "Peace talks", 3, "/home/ada/corpus/talks.txt",
                  "2026-11-01")


def test_plain_markdown_and_apa_styles():
    assert format_citation(PASSAGE, "plain") == "“Talks are going well.” — Peace talks, para. 3"
    assert format_citation(PASSAGE, "markdown") == (
        "> Talks are going\n> well.\n>\n> — *Peace talks*, para. 3")
    assert format_citation(PASSAGE, "apa") == (
        "“Talks are going well.” (Peace talks (talks.txt, 2026-11-01), para. 3)")
    with pytest.raises(StoreError, match="citation style"):
        format_citation(PASSAGE, "chicago")


def test_several_passages_are_joined_by_a_blank_line():
    assert join_citations(["a", "b"]) == "a\n\nb"


def test_a_stored_passage_knows_its_paragraph_title_and_source(db):
    text = "First paragraph.\n\nSecond one, with the quote in it."
    document = import_text(db, DecodedText(text, "utf-8", False), source="/data/x.txt",
                           clean=False).document_id
    start = text.index("the quote")
    citable = citable_passage(db, document, start, start + len("the quote"))
    assert (citable.quote, citable.paragraph, citable.source) == ("the quote", 2, "/data/x.txt")
    assert format_citation(citable, "apa").startswith("“the quote” (First paragraph. (x.txt, 20")


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
