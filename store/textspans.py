"""Units of text — paragraphs, sentences, words — as offset spans.

The reader's motions (``w``/``b``, ``(``/``)``, ``{``/``}``) and citations
("para. 4") use these. Every span is a ``(start, end)`` pair of Python string
indices (code points) into the document text, start inclusive, end exclusive.
Spans never include surrounding whitespace, are sorted, and never overlap.

Compute the spans once per document — each function is one regex pass over
the text; per megabyte (~160k words) paragraphs take ~4 ms (~15 ms when
hard-wrapped), sentences ~30 ms, words ~70 ms (see ``bench/wrap_bench.py``), so
a big document's words belong in a worker — and then answer per-keystroke
questions with :func:`next_start`, :func:`previous_start`, :func:`span_at` and
:func:`paragraph_number`, which bisect the precomputed list (O(log n)).

Coding a mention or a search hit "at sentence scope" and showing it in a
concordance line ask the same question of these spans: :func:`scope_spans`,
:func:`scope_span` and :func:`context_of` answer it for the entity review and
the full-text search alike.

Pure Python: no Textual, no Rich.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from functools import lru_cache

from margin.store.errors import StoreError

Span = tuple[int, int]

__all__ = [
    "SCOPES",
    "WORD_JOINERS",
    "Span",
    "context_of",
    "is_hard_wrapped",
    "next_end",
    "next_start",
    "paragraph_number",
    "paragraph_spans",
    "previous_start",
    "scope_span",
    "scope_spans",
    "sentence_spans",
    "span_at",
    "trim_span",
    "word_character",
    "word_spans",
]

# ---------------------------------------------------------------------------
# Paragraphs
# ---------------------------------------------------------------------------

#: A line longer than this (in code points) is not part of a hard-wrapped text.
HARD_WRAP_MAX_LINE = 100
#: A line broken by a wrapper is at least this long (texts are wrapped at 60-80).
HARD_WRAP_MIN_LINE = 30

_NON_BLANK_LINE = re.compile(r"\S(?:[^\n]*\S)?")  # one line, stripped
_BLANK_LINES = re.compile(r"\n(?:[^\S\n]*\n)+")  # separator between blocks
_NON_SPACE = re.compile(r"\S")
_FIRST_WORD = re.compile(r"\s*(\S*)")


def trim_span(text: str, start: int, end: int) -> Span | None:
    """``text[start:end]`` without the whitespace at either end, as offsets
    into ``text``; None when the passage is only whitespace (or empty).
    What a stored passage is: a coding never starts or ends with whitespace."""
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return None
    last = end
    while last > first.start() and text[last - 1].isspace():
        last -= 1
    return first.start(), last


def is_hard_wrapped(text: str) -> bool:
    """Guess whether ``text`` is hard-wrapped (paragraphs = blocks between blank lines).

    The heuristic, per document:

    1. The text has at least one blank line (a line of only whitespace) and at
       least one block of two or more non-blank lines. Without blank lines there
       is no way to tell wrapped paragraphs apart, so every line is a paragraph
       (scraped articles are one paragraph per line and have no blank lines).
    2. Most of the text is in short lines: at most 25 % of the non-blank
       characters are in lines longer than :data:`HARD_WRAP_MAX_LINE` (100)
       code points. Scraped articles with blank lines between one-line
       paragraphs fail this test: nearly all their text is in long lines.
    3. The lines that continue in the next line look *filled*: a greedy
       wrapper broke them because the next word did not fit. For each line
       that is not the last of its block we test
       ``len(line) + 1 + len(next line's first word) > W`` where ``W`` is the
       90th percentile of those lines' lengths (an estimate of the wrap width;
       underestimating it only makes the test more lenient for really wrapped
       text), and the line must be at least :data:`HARD_WRAP_MIN_LINE` (30)
       code points long. At least 60 % of them must pass. This keeps a
       transcript of short speaker turns, verse, or a list of short lines
       grouped in sections from being glued into one paragraph per section.
    """
    lines = text.split("\n")
    blank = [not line.strip() for line in lines]
    if not any(blank):
        return False
    total_chars = 0
    long_chars = 0
    continuing: list[tuple[int, int]] = []  # (length of line, length of next first word)
    for index, line in enumerate(lines):
        if blank[index]:
            continue
        size = len(line.rstrip())
        total_chars += size
        if size > HARD_WRAP_MAX_LINE:
            long_chars += size
        if index + 1 < len(lines) and not blank[index + 1]:
            next_word = _FIRST_WORD.match(lines[index + 1])
            continuing.append((size, len(next_word.group(1)) if next_word else 0))
    if not continuing or total_chars == 0:
        return False
    if long_chars > 0.25 * total_chars:
        return False
    sizes = sorted(size for size, _ in continuing)
    wrap_width = sizes[min(len(sizes) - 1, int(0.9 * len(sizes)))]
    filled = sum(
        1
        for size, word in continuing
        if size >= HARD_WRAP_MIN_LINE and size + 1 + word > wrap_width
    )
    return filled >= 0.6 * len(continuing)


def paragraph_spans(text: str) -> list[Span]:
    """Paragraphs of ``text``, without their surrounding whitespace.

    In a hard-wrapped document (see :func:`is_hard_wrapped`) a paragraph is a
    block of non-blank lines; otherwise every non-blank line is a paragraph.
    A hard-wrapped paragraph's span contains the ``"\\n"`` between its lines.
    """
    if not is_hard_wrapped(text):
        return [match.span() for match in _NON_BLANK_LINE.finditer(text)]
    spans: list[Span] = []
    block_start = 0
    for separator in _BLANK_LINES.finditer(text):
        _append_stripped(text, block_start, separator.start(), spans)
        block_start = separator.end()
    _append_stripped(text, block_start, len(text), spans)
    return spans


def _append_stripped(text: str, start: int, end: int, spans: list[Span]) -> None:
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return
    stripped_end = start + len(text[start:end].rstrip())
    spans.append((first.start(), stripped_end))


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------

# Western terminators need whitespace and a plausible sentence start after them;
# the CJK/Indic ones end a sentence whatever follows (those scripts do not put
# spaces between sentences).
_TERMINATOR = re.compile(r"([.!?…؟。！？｡।॥]+)[’”\"')\]»」』）]*")
_ALWAYS_ENDS = re.compile(r"[。！？｡।॥]")
_OPENERS = frozenset("“‘\"'([«„‚¿¡「『（")

#: Abbreviations (without their final period) after which "." does not end a
#: sentence, matched case-sensitively ("No. 5" but "the answer was no. Then").
#: Titles, months and the like come before a name or a number.
ABBREVIATIONS = frozenset(
    ["Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "St", "Jr", "Sr", "Gen", "Sen", "Rep", "Gov", "Lt", "Col", "Capt", "Sgt", "Maj", "Adm", "Cmdr", "Rev", "Hon", "Pres", "Supt", "Mt", "Ft", "No", "Nos", "Vol", "Fig", "Ch", "Art", "Sec", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "vs", "cf", "al", "approx", "ca", "e.g", "i.e"]
)
#: Abbreviations that often end a sentence too ("Apple Inc. The company",
#: "in the U.S. What’s more"): the period ends the sentence only when the next
#: word is a common sentence starter (:data:`SENTENCE_STARTERS`). Dotted
#: initialisms (U.S, U.K, U.N, E.U, D.C, p.m — final "." removed) are treated
#: the same way.
AMBIGUOUS_ABBREVIATIONS = frozenset({"Inc", "Ltd", "Co", "Corp", "Bros", "etc"})
SENTENCE_STARTERS = frozenset(
    ["A", "An", "The", "This", "That", "These", "Those", "It", "Its", "He", "She", "They", "We", "I", "You", "His", "Her", "Their", "Our", "My", "But", "And", "So", "Yet", "Or", "What", "When", "Where", "Why", "How", "Who", "Which", "There", "Here", "In", "On", "At", "For", "If", "As", "After", "Before", "While", "Meanwhile", "However", "Still", "Now", "Then", "Such", "Some", "Many", "Most", "All", "Both", "Each", "Not"]
)
#: Abbreviations matched whatever their case ("Etc.", "VS.").
_ABBREVIATIONS_ANY_CASE = frozenset({"vs", "cf", "approx"})
_INITIALISM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
_LEADING_WORD = re.compile(r"[^\W\d_]+")
_MAX_ABBREVIATION = 12


def _is_abbreviation(text: str, period: int, floor: int, next_word_start: int) -> bool:
    """Whether the "." at ``period`` ends an abbreviation or an initial (no sentence end)."""
    floor = max(floor, period - _MAX_ABBREVIATION - 1)
    start = 1 + max(
        text.rfind(" ", floor, period),
        text.rfind("\n", floor, period),
        text.rfind("\t", floor, period),
    )
    token = text[max(start, floor) : period].lstrip("“‘\"'([«„")
    if not token or len(token) > _MAX_ABBREVIATION:
        return False
    if token in ABBREVIATIONS or token.lower() in _ABBREVIATIONS_ANY_CASE:
        return True
    if len(token) == 1 and token.isupper():  # an initial: "J. Smith"
        return True
    if token in AMBIGUOUS_ABBREVIATIONS or token == "Etc" or _INITIALISM.fullmatch(token):
        next_word = _LEADING_WORD.match(text, next_word_start)
        return next_word is None or next_word.group() not in SENTENCE_STARTERS
    return False


def _starts_sentence(char: str) -> bool:
    # Uppercase/titlecase letters, letters of scripts without case (Arabic,
    # Hebrew, CJK...), digits and opening quotes or brackets.
    return (
        char.isdigit()
        or char in _OPENERS
        or (char.isalpha() and not char.islower())
    )


def sentence_spans(text: str, paragraphs: Sequence[Span] | None = None) -> list[Span]:
    """Sentences of ``text``, never crossing a paragraph, without surrounding whitespace.

    Rule-based: a sentence ends after ``. ! ? …`` (and any closing quotes or
    brackets ``’ ” " ' ) ]``) when whitespace follows and then an uppercase or
    uncased letter, a digit, or an opening quote or bracket — except after an
    abbreviation (:data:`ABBREVIATIONS`) or a single capital initial ("J. Smith"),
    and not after a dotted initialism ("U.S.") or an abbreviation of
    :data:`AMBIGUOUS_ABBREVIATIONS` ("Inc.", "etc.") unless the next word is one
    of :data:`SENTENCE_STARTERS` ("in the U.S. What’s more" splits, "the U.S.
    Special Envoy" does not). ``。！？`` end a sentence whatever
    follows. Pass ``paragraphs`` if you already have :func:`paragraph_spans`.
    """
    if paragraphs is None:
        paragraphs = paragraph_spans(text)
    spans: list[Span] = []
    if not paragraphs:
        return spans
    # One scan of the whole text; terminators (never whitespace) always lie
    # inside a paragraph, so walk the paragraphs alongside.
    index = 0
    start, para_end = paragraphs[0]
    for match in _TERMINATOR.finditer(text, paragraphs[0][0], paragraphs[-1][1]):
        end = match.end()
        while end > para_end:  # the match is in a later paragraph
            spans.append((start, para_end))
            index += 1
            start, para_end = paragraphs[index]
        if end == para_end:
            continue
        terminator = match.group(1)
        first = _NON_SPACE.search(text, end, para_end)
        if first is None:  # pragma: no cover - para_end is not whitespace
            continue
        if _ALWAYS_ENDS.search(terminator) is None and (
            first.start() == end  # no whitespace after: "3.5", "U.S.", "e.g.,"
            or not _starts_sentence(text[first.start()])
            or (
                terminator == "."
                and match.end(1) == end  # no closing quote after the period
                and _is_abbreviation(text, match.start(1), start, first.start())
            )
        ):
            continue
        spans.append((start, end))
        start = first.start()
    spans.append((start, para_end))
    spans.extend(paragraphs[index + 1 :])
    return spans


# ---------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------


#: Between two word characters, these keep a word one: don't, Zelensky’s.
WORD_JOINERS = "'’\u200c\u200d"


@lru_cache(maxsize=1)
def word_character() -> str:
    """The regular-expression class of the characters words are made of
    (letters, digits, ``_`` and combining marks), as :func:`word_spans`
    uses it."""
    # Python's \w leaves out combining marks (accents typed as separate code
    # points, Indic vowel signs, Hebrew/Arabic points), which would cut words in
    # pieces. Collect the BMP's once (~10 ms, on first use), plus the variation
    # selectors supplement. Astral marks (historic scripts) are left out on
    # purpose: re tests astral ranges of a class one by one, and ~100 of them
    # would make matching ~10x slower on every character.
    ranges: list[tuple[int, int]] = []
    for code_point in range(0x10000):
        if unicodedata.category(chr(code_point))[0] == "M":
            if ranges and ranges[-1][1] == code_point - 1:
                ranges[-1] = (ranges[-1][0], code_point)
            else:
                ranges.append((code_point, code_point))
    marks = "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in ranges
    )
    marks += "\U000e0100-\U000e01ef"
    return rf"[\w{marks}]"


@lru_cache(maxsize=1)
def _word_pattern() -> re.Pattern[str]:
    word_char = word_character()
    # A word is a run of word characters; an apostrophe (’ or ') or a zero-width
    # (non-)joiner between word characters keeps it one word: don't, Zelensky’s.
    return re.compile(rf"{word_char}+(?:[{WORD_JOINERS}]{word_char}+)*|[^\w\s]+")


def word_spans(text: str) -> list[Span]:
    """Vim-like words: runs of word characters, or runs of other non-space characters.

    Word characters are Unicode letters, digits, ``_`` and combining marks;
    apostrophes inside a word ("don't", "Zelensky’s") keep it one word. Hyphens
    and other punctuation form their own words ("home", "-", "grown"), as in vim.
    """
    return [match.span() for match in _word_pattern().finditer(text)]


# ---------------------------------------------------------------------------
# Queries on precomputed spans (bisect, O(log n))
# ---------------------------------------------------------------------------

_AFTER_ALL = sys.maxsize


def next_start(spans: Sequence[Span], offset: int) -> int | None:
    """The first span start strictly after ``offset`` (``w``, ``)``, ``}``), or None."""
    index = bisect_right(spans, (offset, _AFTER_ALL))
    return spans[index][0] if index < len(spans) else None


def next_end(spans: Sequence[Span], offset: int) -> int | None:
    """The last character of the span that ends first after ``offset``: the
    end of the sentence or paragraph ``offset`` is in (or, from its last
    character or the whitespace after it, of the next one), or None. Where
    ``)`` and ``}`` take a selection: to the end of the unit, not onto the
    first letter of the next."""
    index = bisect_right(spans, offset + 1, key=lambda span: span[1])
    return spans[index][1] - 1 if index < len(spans) else None


def previous_start(spans: Sequence[Span], offset: int) -> int | None:
    """The last span start strictly before ``offset`` (``b``, ``(``, ``{``), or None.

    From inside a span that is that span's own start, as with vim's ``b``.
    """
    index = bisect_left(spans, (offset, -1)) - 1
    return spans[index][0] if index >= 0 else None


def span_at(spans: Sequence[Span], offset: int, text: str | None = None) -> Span | None:
    """The span containing ``offset`` (``start <= offset < end``).

    Otherwise (``offset`` is in the whitespace between spans) the nearest
    following span if no ``"\\n"`` lies between ``offset`` and it — which needs
    ``text``; without ``text`` the following span is returned whatever lies
    between. None after the last span or when a newline intervenes.
    """
    index = bisect_right(spans, (offset, _AFTER_ALL)) - 1
    if index >= 0 and spans[index][0] <= offset < spans[index][1]:
        return spans[index]
    following = index + 1
    if following >= len(spans):
        return None
    start = spans[following][0]
    if text is not None and text.find("\n", max(offset, 0), start) != -1:
        return None
    return spans[following]


@lru_cache(maxsize=8)
def _cached_paragraph_spans(text: str) -> tuple[Span, ...]:
    return tuple(paragraph_spans(text))


def paragraph_number(text_or_spans: str | Sequence[Span], offset: int) -> int:
    """1-based number of the paragraph containing ``offset``, for citations ("para. 4").

    An offset between paragraphs counts as in the paragraph before it; an offset
    before the first paragraph gives 1. A text without any paragraph gives 0.
    Pass the precomputed :func:`paragraph_spans` when you have them; a text's
    spans are computed and cached (the last few texts).
    """
    spans = (
        _cached_paragraph_spans(text_or_spans)
        if isinstance(text_or_spans, str)
        else text_or_spans
    )
    if not spans:
        return 0
    return max(1, bisect_right(spans, (offset, _AFTER_ALL)))


# ---------------------------------------------------------------------------
# Passages around an offset: coding scopes and context snippets
# ---------------------------------------------------------------------------

#: What coding a mention or a hit codes: the words themselves, or the
#: sentence or paragraph around them.
SCOPES = ("word", "sentence", "paragraph")


def scope_spans(text: str, scope: str) -> list[Span] | None:
    """The units of ``text`` a scope codes (None for "word": the passage itself)."""
    if scope == "word":
        return None
    if scope not in SCOPES:
        raise StoreError(f"unknown scope {scope!r}: use word, sentence or paragraph")
    return list(paragraph_spans(text) if scope == "paragraph" else sentence_spans(text))


def scope_span(
    text: str, start: int, end: int, scope: str, units: Sequence[Span] | None = None
) -> Span:
    """The passage ``text[start:end]`` is coded as: itself ("word"), or the
    sentence or paragraph around it (``units``: scope_spans(text, scope))."""
    if scope == "word":
        return start, end
    spans = units if units is not None else scope_spans(text, scope)
    around = span_at(spans, start, text=text)
    if around is None:
        return start, end
    return min(around[0], start), max(around[1], end)


def context_of(
    text: str,
    start: int,
    end: int,
    width: int = 160,
    sentences: Sequence[Span] | None = None,
) -> tuple[str, int, int]:
    """The sentence around ``text[start:end]`` (a mention, a search hit), cut
    to about ``width`` characters around it, and the passage's offsets within
    that snippet. Pass ``sentences`` (sentence_spans(text)) when asking for
    many passages of one text."""
    spans = sentences if sentences is not None else sentence_spans(text)
    around = span_at(spans, start, text=text) or (start, end)
    left, right = min(around[0], start), max(around[1], end)
    if right - left > width:
        room = max(width - (end - start), 0)
        left = max(left, start - room // 2)
        right = min(right, end + room - (start - left))
    return text[left:right], start - left, end - left


# ------------------------------------------------------ pieces of a long text

_BREAKS = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n\s*"),
    re.compile(r"(?<=[.!?])\s+"),
    re.compile(r"\s+"),
)


def text_pieces(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """``text`` as consecutive ``(offset, piece)`` pieces of at most ``limit``
    characters, cut after a blank line where possible, else after a line
    break, a sentence end or any space; a hard cut only for a run of
    ``limit`` characters without whitespace. Joining the pieces gives ``text``.

    One piece at a time: the pieces of a 100 MB text are never all held. The
    spaCy backend cuts long texts so (its model's memory follows the piece),
    a very long text is recognised in pieces by worker processes
    (:mod:`margin.store.entities.parallel`), and a very long document's
    full text is indexed in pieces (:func:`margin.store.documents.index_pieces`).
    """
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = 0
        for pattern in _BREAKS:
            ends = [m.end() for m in pattern.finditer(window) if m.end() < len(window)]
            # Only a break in the second half of the window: pieces stay large.
            if ends and ends[-1] > limit // 2:
                cut = ends[-1]
                break
        if cut == 0:
            cut = limit
        yield start, window[:cut]
        start += cut
    yield start, text[start:]
