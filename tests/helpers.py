"""Shared helpers for the app tests: build a project, read what the screen shows."""

from __future__ import annotations

from pathlib import Path

from store.db import open_database
from store.documents import import_sample_corpus, import_text
from store.textio import DecodedText


def make_project(path: Path, *, sample: bool = True, texts: list[str] = ()) -> Path:
    db = open_database(path)
    if sample:
        import_sample_corpus(db)
    for text in texts:
        import_text(db, DecodedText(text, "utf-8", False), source="test", clean=False)
    db.conn.close()
    return path


def visible_rows(view) -> list[str]:
    """The reader's rows as plain text, gutter included."""
    return [view.render_line(y).text for y in range(view.size.height)]


def backgrounds_of(view, needle: str) -> set:
    """Background colours drawn behind the text ``needle`` on screen."""
    found = set()
    for y in range(view.size.height):
        strip = view.render_line(y)
        position = 0
        row = strip.text
        index = row.find(needle)
        if index < 0:
            continue
        for segment in strip:
            end = position + len(segment.text)
            if end > index and position < index + len(needle):
                found.add(segment.style.bgcolor if segment.style else None)
            position = end
    return found
