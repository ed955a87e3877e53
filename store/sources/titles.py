"""Guessing a document's title from its text.

Imported articles rarely carry their title as metadata, so the title offered
for a new document is "the first heading-like line, else the start of the
first sentence".  The user can always rename it; the guess only has to be a
sensible label in the document list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# A line with more words than this is a body paragraph: a title comes before
# the body, so the search for a heading stops there.
BODY_PARAGRAPH_WORDS = 25

HEADING_MAX_WORDS = 16
HEADING_MAX_CHARS = 120

UNTITLED = "Untitled"
ELLIPSIS = "…"

_WORD = re.compile(r"\w+")
_LETTER = re.compile(r"[^\W\d_]")
_MARKDOWN_HEADING = re.compile(r"#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*")
_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S*", re.IGNORECASE)
# Emphasis markers around a whole line ("**Title**", "_Title_").
_EMPHASIS = re.compile(r"^([*_]{1,3})(.+?)\1$")
# Credit and caption labels; such a line describes a picture, not the text.
_CAPTION_LABEL = re.compile(
    r"(?:photo|image|picture|credit|caption|source|illustration)s?\s*[:|]", re.IGNORECASE
)
# Ends a sentence: . ! or ? (optionally closing quote/bracket) then a space and
# something that starts a sentence, or the end of the line.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9]|\s*$)")
# Words after which a full stop does not end a sentence ("Mr. Smith").
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "st", "sen", "rep", "gov", "gen", "lt", "col", "maj"}
    | {"capt", "sgt", "jr", "sr", "inc", "ltd", "co", "corp", "no", "vs", "etc", "fig"}
    | {"dept", "univ", "approx", "est"}
)


def _strip_markup(line: str) -> tuple[str, bool]:
    """The line's text without Markdown heading marks or emphasis around it,
    and whether it was a Markdown heading."""
    line = line.strip()
    heading = _MARKDOWN_HEADING.fullmatch(line)
    if heading:
        line = heading.group(1).strip()
    emphasis = _EMPHASIS.match(line)
    # Only emphasis around the whole line: "*a* and *b*" keeps its asterisks.
    if emphasis and emphasis.group(1) not in emphasis.group(2):
        line = emphasis.group(2).strip()
    return line, heading is not None


def _is_heading_like(line: str) -> bool:
    text, is_markdown_heading = _strip_markup(line)
    if not text or not _LETTER.search(text):
        # Empty, or all punctuation/digits ("* * *", "2024-05-01").
        return False
    if len(_WORD.findall(text)) > HEADING_MAX_WORDS or len(text) > HEADING_MAX_CHARS:
        return False
    if is_markdown_heading:
        # The author marked it as a heading; take their word for it.
        return True
    # A heading does not end like a clause or a sentence; an image caption
    # ("A flag waving against a blue sky.") is a full sentence, so it ends
    # in a full stop and is skipped here.  Questions and exclamations are
    # common headlines.
    if text.endswith((".", ",", ";", ":")):
        return False
    if _URL.fullmatch(text):
        return False
    return not _CAPTION_LABEL.match(text)


def _first_sentence(line: str) -> str:
    """The first sentence of ``line``; abbreviations do not end it."""
    for match in _SENTENCE_END.finditer(line):
        words_before = line[: match.start()].split()
        last_word = words_before[-1].lower().strip("\"'“‘(") if words_before else ""
        # "Mr." or an initial ("J.") is not the end of a sentence.
        if last_word in _ABBREVIATIONS or len(last_word) == 1:
            continue
        return line[: match.end()]
    return line


def _shorten(text: str, max_length: int) -> str:
    """Cut ``text`` at a word boundary so that it fits ``max_length`` with "…"."""
    if len(text) <= max_length:
        return text
    room = max(1, max_length - len(ELLIPSIS))
    cut = text[:room]
    # Cut at the last space if there is one, so no word is chopped in half.
    if " " in cut and not text[room].isspace():
        cut = cut.rsplit(" ", 1)[0]
    # "advances," + "…" reads badly; drop punctuation left dangling at the cut.
    cut = cut.rstrip(" ,;:–—-")
    return cut + ELLIPSIS


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, stripped, one at a time: the title is near the
    start, and splitting a 100 MB text at once would copy all of it."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:].strip()
            return
        yield text[start:end].strip()
        start = end + 1


def guess_title(text: str, max_length: int = 90) -> str:
    """The first heading-like line, else the start of the first sentence.

    Only lines before the first body paragraph are considered headings.
    Never returns an empty string: text without letters is "Untitled".
    """
    if not _LETTER.search(text):
        return UNTITLED
    for line in _lines(text):
        if len(_WORD.findall(line)) > BODY_PARAGRAPH_WORDS:
            break
        if _is_heading_like(line):
            return _shorten(_strip_markup(line)[0], max_length)
    # No heading: fall back to the first line that has letters in it.
    first = next(line for line in _lines(text) if _LETTER.search(line))
    return _shorten(_first_sentence(_strip_markup(first)[0]), max_length)
