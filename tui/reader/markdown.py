"""How a Markdown document is drawn: headings and emphasis styled, markers dimmed.

Display only. The document's text is immutable and its offsets are what
codings point at, so nothing is removed or moved: the markers (``#``, ``**``,
``- ``, ``> ``, backticks, a link's ``](url)``) stay in the text and are drawn
dimmed, and the words they mark are drawn bold, italic, as a heading or as
code. Wrapping, the cursor, selections and codings are the same as for plain
text.

Pure functions over the text (no Textual): :func:`markdown_spans` gives two
layers of non-overlapping spans, the block layer (heading lines, quotes,
list bullets, code blocks) and the inline layer (emphasis, code, links) inside
it, for the reader view's :class:`~margin.tui.reader.spans.SpanIndex`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

#: Source files whose text is Markdown (the source path is recorded at import).
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})

#: The kinds of span, each drawn in its own style by the reader view.
MARKER, HEADING, STRONG, EMPHASIS, CODE, QUOTE, LINK = (
    "marker", "heading", "strong", "emphasis", "code", "quote", "link")


@dataclass(frozen=True, slots=True)
class MarkSpan:
    start: int
    end: int
    kind: str


def is_markdown(source_path: str | None) -> bool:
    """Whether a document imported from ``source_path`` is Markdown."""
    if not source_path or source_path.startswith(("<", "sample:")):
        return False
    return PurePosixPath(source_path.replace("\\", "/")).suffix.lower() in MARKDOWN_SUFFIXES


_FENCE = re.compile(r"[ \t]{0,3}(```+|~~~+)")
_HEADING = re.compile(r"([ \t]{0,3}#{1,6})(?:[ \t]+|$)")
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$")
_RULE = re.compile(r"[ \t]{0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_QUOTE = re.compile(r"[ \t]{0,3}(?:>[ \t]?)+")
_BULLET = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+")
_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<code_text>[^`]+?)(?P=ticks))"
    r"|(?P<strong>(?P<stars2>\*\*|(?<!\w)__)(?=\S)(?P<strong_text>.+?)(?<=\S)(?P=stars2)(?!\w))"
    r"|(?P<strong_star>\*\*(?=\S)(?P<strong_star_text>.+?)(?<=\S)\*\*)"
    r"|(?P<em>(?P<star1>\*|(?<!\w)_)(?=[^\s*_])(?P<em_text>.+?)(?<=[^\s*_])(?P=star1)(?!\w))"
    r"|(?P<link>\[(?P<link_text>[^\]\n]+)\]\([^)\s]*(?:[ \t]+\"[^\"\n]*\")?\))"
)


def markdown_spans(text: str) -> tuple[list[MarkSpan], list[MarkSpan]]:
    """The block and inline spans of a Markdown ``text``, each list sorted
    and without overlaps (an inline span lies inside a block span or in no
    span at all)."""
    blocks: list[MarkSpan] = []
    inline: list[MarkSpan] = []
    fence: str | None = None
    position = 0
    for line in text.split("\n"):
        start, end = position, position + len(line)
        position = end + 1
        if not line.strip():
            continue
        if fence is not None:  # inside a code block: no Markdown, the fence dimmed
            closing = _FENCE.match(line)
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                blocks.append(MarkSpan(start, end, MARKER))
                fence = None
            else:
                blocks.append(MarkSpan(start, end, CODE))
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
            blocks.append(MarkSpan(start, end, MARKER))
            continue
        heading = _HEADING.match(line)
        if heading:
            content_start = start + heading.end()
            closing = _CLOSING_HASHES.search(line, heading.end())
            content_end = start + closing.start() if closing else end
            blocks.append(MarkSpan(start, content_start, MARKER))
            if content_end > content_start:
                blocks.append(MarkSpan(content_start, content_end, HEADING))
                _inline(text, content_start, content_end, inline)
            if content_end < end:
                blocks.append(MarkSpan(content_end, end, MARKER))
            continue
        if _RULE.match(line):
            blocks.append(MarkSpan(start, end, MARKER))
            continue
        body = start
        quote = _QUOTE.match(line)
        if quote:
            blocks.append(MarkSpan(start, start + quote.end(), MARKER))
            body = start + quote.end()
        bullet = _BULLET.match(text, body, end)
        if bullet:
            blocks.append(MarkSpan(body, bullet.end(), MARKER))
            body = bullet.end()
        if quote and body < end:
            blocks.append(MarkSpan(body, end, QUOTE))
        _inline(text, body, end, inline)
    return blocks, inline


def _inline(text: str, start: int, end: int, spans: list[MarkSpan]) -> None:
    for match in _INLINE.finditer(text, start, end):
        if match.group("code"):
            _marked(match, "code_text", CODE, spans)
        elif match.group("strong"):
            _marked(match, "strong_text", STRONG, spans)
        elif match.group("strong_star"):
            _marked(match, "strong_star_text", STRONG, spans)
        elif match.group("em"):
            _marked(match, "em_text", EMPHASIS, spans)
        else:
            _marked(match, "link_text", LINK, spans)


def _marked(match: re.Match[str], group: str, kind: str, spans: list[MarkSpan]) -> None:
    """The match's markers dimmed, its ``group`` drawn as ``kind``."""
    inner_start, inner_end = match.span(group)
    spans.append(MarkSpan(match.start(), inner_start, MARKER))
    spans.append(MarkSpan(inner_start, inner_end, kind))
    spans.append(MarkSpan(inner_end, match.end(), MARKER))
