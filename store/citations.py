"""Citations for copied passages, in the style the researcher chose.

Styles (``citation_style`` in the config):

* ``plain``: “passage” — Title, para. 4
* ``markdown``: the passage as a block quote, then — *Title*, para. 4
* ``apa``: APA style (7th edition) from what the document knows of itself —
  its author, its publication date, its title — and the paragraph: the
  passage with its in-text citation, then the reference::

      “passage” (Kovalenko, 2024, para. 4)
      Kovalenko, O. (2024, March 5). Title.

  Without an author the title takes its place (“Short Title,” 2024, para. 4);
  without a publication date the year is "n.d.". Never the file it came from
  nor the day it was imported: neither says anything about the work.

Several passages copied together are joined by a blank line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from margin.store.db import Database
from margin.store.documents import document_text
from margin.store.errors import StoreError
from margin.store.textspans import paragraph_number

STYLES = ("plain", "markdown", "apa")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

# Words that make an author an organisation ("Kyiv Post staff", "Reuters"):
# cited by its whole name, never as "Post, K.".
_ORGANISATION_WORDS = frozenset((
    "agency", "associated", "bbc", "bureau", "center", "centre", "committee", "council",
    "department", "desk", "editors", "editorial", "foundation", "group", "institute",
    "ministry", "news", "office", "online", "post", "press", "reuters", "service", "staff",
    "team", "times", "university",
))
_AUTHOR_SEPARATOR = re.compile(r"\s*(?:;|&|\band\b|,(?=\s*\S+\s+\S))\s*")
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
# A short title for an in-text citation without author: its first words.
SHORT_TITLE_WORDS = 5


@dataclass(frozen=True, slots=True)
class Citable:
    quote: str
    title: str
    paragraph: int
    author: str | None = None  # as the source gave it: "Olena Kovalenko", "Kyiv Post staff"
    published: str | None = None  # ISO date: "2024-03-05", "2024-03" or "2024"


def format_citation(citable: Citable, style: str = "plain") -> str:
    quote = " ".join(citable.quote.split()) if style != "markdown" else citable.quote.strip()
    where = f"para. {citable.paragraph}"
    if style == "plain":
        return f"“{quote}” — {citable.title}, {where}"
    if style == "markdown":
        lines = [f"> {line}".rstrip() for line in quote.splitlines()] or [">"]
        return "\n".join(lines) + f"\n>\n> — *{citable.title}*, {where}"
    if style == "apa":
        return f"“{quote}” ({apa_in_text(citable)})\n{apa_reference(citable)}"
    raise StoreError(f"unknown citation style {style!r}: use {', '.join(STYLES)}")


def apa_in_text(citable: Citable) -> str:
    """"Kovalenko, 2024, para. 4": who, when, where in the work."""
    authors = _authors(citable.author)
    if not authors:
        who = f"“{_short_title(citable.title)},”"
    elif len(authors) == 1:
        who = _surname(authors[0])
    elif len(authors) == 2:
        who = f"{_surname(authors[0])} & {_surname(authors[1])}"
    else:
        who = f"{_surname(authors[0])} et al."
    year = _date_parts(citable.published)[0] if citable.published else None
    # A quoted title carries its comma inside the quotation marks.
    separator = " " if not authors else ", "
    return f"{who}{separator}{year or 'n.d.'}, para. {citable.paragraph}"


def apa_reference(citable: Citable) -> str:
    """"Kovalenko, O. (2024, March 5). Title." (the title first without an author)."""
    date = f"({_reference_date(citable.published)})."
    title = citable.title if citable.title.endswith(("?", "!", ".")) else citable.title + "."
    authors = _authors(citable.author)
    if not authors:
        return f"{title} {date}"
    names = [_reference_name(author) for author in authors]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + ", & " + names[-1]
    if not listed.endswith("."):
        listed += "."
    return f"{listed} {date} {title}"


def join_citations(citations: list[str]) -> str:
    return "\n\n".join(citations)


def citable_passage(db: Database, document_id: int, start: int, end: int) -> Citable:
    """What a citation of ``text[start:end]`` of a stored document needs."""
    text = document_text(db, document_id)
    row = next(db.query(
        "SELECT title, author, published FROM documents WHERE id = ?", [document_id]))
    return Citable(
        quote=text[start:end],
        title=row["title"],
        paragraph=paragraph_number(text, start),
        author=row["author"] or None,
        published=row["published"] or None,
    )


def _authors(author: str | None) -> list[str]:
    if not author or not author.strip():
        return []
    return [name for name in _AUTHOR_SEPARATOR.split(author.strip()) if name]


def _is_organisation(name: str) -> bool:
    words = name.split()
    return len(words) == 1 or any(word.casefold().strip(".,") in _ORGANISATION_WORDS
                                  for word in words)


def _surname(name: str) -> str:
    if _is_organisation(name):
        return name
    if "," in name:  # "Kovalenko, Olena"
        return name.split(",", 1)[0].strip()
    return name.split()[-1]


def _reference_name(name: str) -> str:
    """"Kovalenko, O." for a person, the whole name for an organisation."""
    if _is_organisation(name):
        return name
    if "," in name:
        surname, given = (part.strip() for part in name.split(",", 1))
    else:
        *given_names, surname = name.split()
        given = " ".join(given_names)
    initials = " ".join(
        "-".join(part[0] + "." for part in word.split("-") if part)
        for word in given.split() if word[0].isalpha())
    return f"{surname}, {initials}" if initials else surname


def _short_title(title: str) -> str:
    """The main title (before a subtitle's colon), at most a few words."""
    main = title.split(": ", 1)[0]
    words = main.split()
    short = " ".join(words[:SHORT_TITLE_WORDS])
    return short.rstrip(" .,:;–—-")


def _date_parts(published: str) -> tuple[str | None, int | None, int | None]:
    match = _ISO_DATE.match(published.strip())
    if not match:
        return None, None, None
    year, month, day = match.groups()
    month_number = int(month) if month and 1 <= int(month) <= 12 else None
    day_number = int(day) if day and month_number and 1 <= int(day) <= 31 else None
    return year, month_number, day_number


def _reference_date(published: str | None) -> str:
    if not published:
        return "n.d."
    year, month, day = _date_parts(published)
    if year is None:
        return "n.d."
    if month is None:
        return year
    return f"{year}, {MONTHS[month - 1]}" + (f" {day}" if day else "")
