"""Citations for copied passages, in the style the researcher chose.

Styles (``citation_style`` in the config):

* ``plain``: “passage” — Title, para. 4
* ``markdown``: the passage as a block quote, then — *Title*, para. 4
* ``apa``: “passage” (Title (source, 2026-11-01), para. 4) — APA-like: the
  source is the file the document came from, the date its import date until
  documents carry their own.

Several passages copied together are joined by a blank line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from margin.store.db import Database
from margin.store.documents import document_text
from margin.store.errors import StoreError
from margin.store.textspans import paragraph_number

STYLES = ("plain", "markdown", "apa")


@dataclass(frozen=True, slots=True)
class Citable:
    quote: str
    title: str
    paragraph: int
    source: str | None = None  # where the document came from (a path, "<stdin>")
    date: str | None = None  # ISO date


def format_citation(citable: Citable, style: str = "plain") -> str:
    quote = " ".join(citable.quote.split()) if style != "markdown" else citable.quote.strip()
    where = f"para. {citable.paragraph}"
    if style == "plain":
        return f"“{quote}” — {citable.title}, {where}"
    if style == "markdown":
        lines = [f"> {line}".rstrip() for line in quote.splitlines()] or [">"]
        return "\n".join(lines) + f"\n>\n> — *{citable.title}*, {where}"
    if style == "apa":
        details = ", ".join(part for part in (_source_name(citable.source), citable.date) if part)
        title = f"{citable.title} ({details})" if details else citable.title
        return f"“{quote}” ({title}, {where})"
    raise StoreError(f"unknown citation style {style!r}: use {', '.join(STYLES)}")


def join_citations(citations: list[str]) -> str:
    return "\n\n".join(citations)


def citable_passage(db: Database, document_id: int, start: int, end: int) -> Citable:
    """What a citation of ``text[start:end]`` of a stored document needs."""
    text = document_text(db, document_id)
    row = next(db.query(
        "SELECT title, source_path, imported FROM documents WHERE id = ?", [document_id]))
    return Citable(
        quote=text[start:end],
        title=row["title"],
        paragraph=paragraph_number(text, start),
        source=row["source_path"],
        date=(row["imported"] or "")[:10] or None,
    )


def _source_name(source: str | None) -> str | None:
    """A file's name, not the researcher's whole directory layout."""
    if not source:
        return None
    if source.startswith("<"):  # "<stdin>", "<sample>"
        return None
    return os.path.basename(source) or source
