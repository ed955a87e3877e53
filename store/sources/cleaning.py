"""Removing web boilerplate from scraped news articles.

Scrapers keep the page chrome around an article: share buttons, breadcrumbs,
the title printed twice, teasers of other stories, newsletter and comment
forms.  A researcher coding the article wants none of it, but must never lose
a sentence of the article itself, so the rules here are deliberately narrow:

1. lines that are boilerplate wherever they appear ("google cta", "Follow us
   on social", breadcrumbs like "Analysis | QiOSK", image credits) go;
2. SEO sentences appended to a line ("… Find out more about X.") go, the line
   stays;
3. once the article body has begun, the first footer or teaser marker ends the
   article: everything from it on goes, and so does the run of page chrome just
   before it that opens a teaser block;
4. a heading-length line that repeats one of the few lines just before it (a
   title printed twice) goes.  Repeated long paragraphs (pull quotes) stay;
5. image captions go: a short line that names its picture ("Photo: …",
   "… (Photo by X/Getty Images)"), and the one-sentence description of the
   lead image printed above the title;
6. at the end of the article (no prose paragraph after it), a prompt to
   comment ("Share your analysis in the comments below…", with the questions
   to the reader that lead into it) and a syndication note ("Reprinted from
   …", "This article was originally published in …", "See the original
   here.") go: the line is trimmed from where they begin.

The caller keeps the original text (see DESIGN.md), so cleaning loses nothing
of the source; these rules only decide what the reader codes.
"""

from __future__ import annotations

import re

# A line with more words than this is a paragraph of prose: the article body
# has begun.  Titles, subtitles, captions of a few words and breadcrumbs are
# all shorter.
BODY_PARAGRAPH_WORDS = 25

# A repeated line is only dropped if it is at most this long (heading-length).
REPEATED_LINE_MAX_WORDS = 20

# ...and only if its first copy is among this many non-blank lines before it:
# page templates print a title twice in a row, whereas a short line repeated
# far away ("[laughter]", "Q:" in a transcript) is content.
REPEATED_LINE_WINDOW = 3

# How far back (non-blank lines) from a teaser marker to look for the page
# chrome that opens the teaser block.  A teaser is a caption, a title, a
# section name and an excerpt of a paragraph or two; a longer stretch is more
# likely the article itself, which must not be cut.
TEASER_LOOKBACK_LINES = 12


def _whole_line(*patterns: str) -> re.Pattern[str]:
    # Every pattern must match the whole (stripped) line, case-insensitively:
    # a sentence that merely mentions a newsletter is not boilerplate.
    return re.compile(r"(?:" + "|".join(patterns) + r")", re.IGNORECASE)


# Lines that are page chrome wherever they appear.
_BOILERPLATE_LINE = _whole_line(
    r"follow us(?: on (?:social(?: media)?|\w+))?",
    r"google cta",
    r"(?:top )?(?:image|photo|picture) credits?:.*",
    r"keep reading\s*(?:show less)?",
    r"show (?:less|more)",
    r"read more",
    r"advertisement",
    r"sponsored(?: content)?",
    r"skip to (?:main )?content",
    r"share(?: this)?(?: article| story| post)?:?",
    r"share on (?:facebook|twitter|x|linkedin|whatsapp|email)",
    r"(?:facebook|twitter|linkedin|whatsapp|reddit|email|print|copy link)",
)

# The line that closes a teaser of another story ("…excerpt\nkeep reading").
_TEASER_MARKER_LINE = _whole_line(
    r"keep reading\s*(?:show less)?",
    r"read more",
    r"show less",
)

# Footers: newsletter, comments, promotions.  Everything from the first teaser
# or footer marker after the body has begun is cut.
_FOOTER_MARKER_LINE = _whole_line(
    r"want more of our stories on google\??",
    r"click here to make us a preferred source\.?",
    r"(?:get|sign up for|subscribe to) .{0,60}\b(?:inbox|newsletters?)\b.{0,40}",
    r".{0,60}\bright in your inbox\b.{0,20}",
    r"subscribe(?: now)?\b.*",
    r"newsletters?",
    r"latest(?: news| stories)?",
    r"(?:most (?:popular|read)|trending(?: now)?)",
    r"(?:related|more) (?:articles|stories|posts|reading)",
    r"you (?:may|might) also like.*",
    r"recommended(?: for you| reading)?",
    r"leave a (?:reply|comment)",
    r"your email address will not be published\..*",
    r"\d* ?comments?",
)

# Breadcrumbs: two to four short segments joined by "|", "›" or "»", such as
# "Analysis | QiOSK" or "News › Europe".  A Markdown table row starts with "|",
# so its first segment is empty and it does not match.  "/" and ">" are left
# out: "Before / After" or "A > B" on a line of their own can be content.
_BREADCRUMB = re.compile(
    r"[^\W\d_][\w'’&.-]*(?: [\w'’&.-]+){0,2}"
    r"(?: [|›»] [^\W\d_][\w'’&.-]*(?: [\w'’&.-]+){0,2}){1,3}"
)

# Captions that say they are captions: "Photo: …", "Pictured: …", or a line
# that ends with its picture's credit ("… (Photo by Jane Doe/Getty Images)",
# "… Photo: Reuters", "… (AFP)").  Only short lines (a caption, not a paragraph
# that quotes a credit) are captions.
CAPTION_MAX_WORDS = 60
_CAPTION_LINE = _whole_line(
    r"(?:(?:file |top |main |header |lead )?(?:photo(?:graph)?|image|picture|illustration)s?"
    r"(?: credits?)?|captions?|pictured)\s*[:|]\s*\S.*",
    r".*[(\[]\s*(?:(?:file )?(?:photo(?:graph)?|image|picture|illustration|video)s?"
    r"(?: by| credits?| courtesy(?: of)?)?|credits?|courtesy(?: of)?)\b[^()\[\]]{1,100}[)\]]\.?",
    r".*\((?:[^()]*/\s*)?(?:AFP|AP|Reuters|Getty Images|EPA(?:-EFE)?|Shutterstock|Anadolu"
    r"(?: Agency)?|Sipa|Bloomberg|Xinhua|TASS|Ukrinform)(?: via Getty Images)?\)\.?",
)
# "… Photo: Reuters" at the end of a caption: case matters here, so that "the
# picture: a dog" in a sentence is not taken for a credit.
_TRAILING_CREDIT = re.compile(
    r".*[.!?]\s+(?:Photo(?:graph)?|Image|Picture|Illustration)(?: credit)?:\s+[A-Z][^.!?]{0,60}")

# Before the title: one descriptive sentence of at most this many words (the
# lead image's description) directly above a title-like line.
LEAD_CAPTION_MAX_WORDS = 30

# A prompt to comment: a sentence that sends the reader to the comments.
# "Please leave the comments to the lawyers" sends nobody anywhere.
_COMMENT_PROMPT = re.compile(
    r"(?:(?:please|so|and|now|then),?\s+)?"
    r"(?:share|tell us|let us know|leave|drop|post|add|join|write|sound off|weigh in|"
    r"comment|we(?:'|’)d love to hear|we want to hear)\b[^\n]{0,100}?"
    r"(?:\b(?:in|to|into|on|via) the comments?(?: section)?\b|\bcomments?"
    r"(?: section| box)? below\b|\bcomment below\b|\bbelow the (?:article|post)\b)",
    re.IGNORECASE,
)
# A syndication note: where the article was first published.
_REPRINT_NOTE = re.compile(
    r"(?:"
    r"(?:re(?:printed|published)|syndicated|cross-?posted)\s+(?:with (?:kind )?permission\s+)?"
    r"(?:from|by|courtesy of)\b"
    r"|(?:this (?:article|story|piece|post|essay|op-ed|column|commentary|interview)\s+"
    r"(?:was|is|has been)\s+|a version of this (?:article|story|piece|post|essay)\s+"
    r"(?:was\s+|has been\s+)?)?(?:originally|first)\s+(?:published|appeared|posted|ran)\b"
    r"|this (?:article|story|piece|post|essay|op-ed|column|commentary|interview)\s+"
    r"(?:was\s+|is\s+|has been\s+)?(?:re)?(?:published|reprinted|republished|adapted|excerpted)"
    r"\s+(?:with permission\s+)?(?:from|by|in|on|courtesy)\b"
    r"|(?:see|read|view) the original(?: (?:article|post|story|version|piece))?"
    r"(?: here| at\b| on\b|\.|$)"
    r")",
    re.IGNORECASE,
)
# The questions to the reader that lead into a prompt ("What is your
# perspective? … do you believe …?") go with it.
_READER_QUESTION = re.compile(r".*\b(?:you|your|yours)\b.*\?[\"”’)]*", re.IGNORECASE)
# A sentence: up to a full stop, question or exclamation mark followed by a
# space (or the end of the line).
_SENTENCE = re.compile(r"\S.*?(?:[.!?…]+[\"”’)]*(?=\s|$)|$)")
# The most a trailer may take from a line (words): a prompt, not an article.
TRAILER_MAX_WORDS = 80

# An SEO sentence stuck onto the end of a line by the publishing system:
# "Moscow’s Demands. Find out more about Kremlin Kyiv negotiation analysis."
# The system adds ". " before it, so that full stop goes too: a heading gets
# its own form back, and "alliance.. Find out more …" keeps one full stop.
_APPENDED_SEO_SENTENCE = re.compile(
    r"\.[ \t]+(?:Find out more|Learn more|Discover more) about [^.!?\n]+[.!?]?[ \t]*$",
    re.MULTILINE,
)

_WORD = re.compile(r"\w+")
_THREE_OR_MORE_NEWLINES = re.compile(r"\n{3,}")


def _word_count(line: str) -> int:
    return len(_WORD.findall(line))


def _is_boilerplate_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    return bool(_BOILERPLATE_LINE.fullmatch(stripped) or _BREADCRUMB.fullmatch(stripped)
                or _is_caption(stripped))


def _is_caption(stripped: str) -> bool:
    return _word_count(stripped) <= CAPTION_MAX_WORDS and bool(
        _CAPTION_LINE.fullmatch(stripped) or _TRAILING_CREDIT.fullmatch(stripped))


def _is_title_like(line: str) -> bool:
    stripped = line.strip()
    return (0 < _word_count(stripped) <= REPEATED_LINE_MAX_WORDS
            and not stripped.endswith((".", "!", "?", ":", ";", ","))
            and stripped[0].isupper())


def _drop_lead_caption(lines: list[str]) -> list[str]:
    """The description of the lead image, printed above the title: the first
    line, one plain sentence (no quotation, no question), directly followed by
    a title-like line, before the article's first prose paragraph."""
    body = _body_start(lines)
    filled = [index for index, line in enumerate(lines) if line.strip()]
    if body is None or len(filled) < 2 or filled[1] >= body:
        return lines
    first, title = lines[filled[0]].strip(), lines[filled[1]]
    sentences = _SENTENCE.findall(first)
    if (
        len(sentences) == 1
        and first.endswith(".")
        and _word_count(first) <= LEAD_CAPTION_MAX_WORDS
        and not any(mark in first for mark in "\"“”?!:")
        and _is_title_like(title)
    ):
        return lines[: filled[0]] + lines[filled[0] + 1 :]
    return lines


def _trailer_start(line: str) -> int | None:
    """Where a comment prompt or syndication note begins in ``line`` (with
    the questions to the reader just before a prompt), or None."""
    sentences = [(match.start(), match.group()) for match in _SENTENCE.finditer(line)]
    for number, (start, sentence) in enumerate(sentences):
        if _REPRINT_NOTE.match(sentence):
            return start
        if _COMMENT_PROMPT.match(sentence):
            while number > 0 and _READER_QUESTION.fullmatch(sentences[number - 1][1]):
                number -= 1
            return sentences[number][0]
    return None


def _drop_trailers(lines: list[str]) -> list[str]:
    """Comment prompts and syndication notes at the end of the article: from
    the end back to the last prose paragraph that is not one of them."""
    body = _body_start(lines)
    if body is None:
        return lines
    lines = list(lines)
    for index in range(len(lines) - 1, body - 1, -1):
        line = lines[index]
        if not line.strip():
            continue
        start = _trailer_start(line)
        if start is not None and _word_count(line[start:]) <= TRAILER_MAX_WORDS:
            if line[:start].strip():
                lines[index] = line[:start].rstrip()
                break  # the line's article text comes before the trailer
            del lines[index]  # a whole line: gone, not left blank
            continue
        if _word_count(line) > BODY_PARAGRAPH_WORDS:
            break  # the article's last paragraph: no trailer before it
    return lines


def _is_teaser_marker(line: str) -> bool:
    return bool(_TEASER_MARKER_LINE.fullmatch(line.strip()))


def _is_footer_marker(line: str) -> bool:
    return bool(_FOOTER_MARKER_LINE.fullmatch(line.strip()))


def _body_start(lines: list[str]) -> int | None:
    """Index of the first prose paragraph, or None for text without one."""
    for index, line in enumerate(lines):
        if _word_count(line) > BODY_PARAGRAPH_WORDS:
            return index
    return None


def _back_over_chrome(lines: list[str], index: int, floor: int) -> int:
    """Move ``index`` back over blank and boilerplate lines (not past ``floor``)."""
    while index > floor and (
        not lines[index - 1].strip() or _is_boilerplate_line(lines[index - 1])
    ):
        index -= 1
    return index


def _teaser_block_start(lines: list[str], marker: int, floor: int) -> int:
    """Where the teaser block that ``marker`` closes begins.

    A teaser ("caption, title, section, excerpt, keep reading") is opened by a
    line of page chrome such as "google cta" or a breadcrumb.  Look back a few
    lines for the nearest one; if there is none, only the marker itself (and
    chrome right before it) is cut, so article text is never lost to a guess.
    """
    seen = 0
    for index in range(marker - 1, floor, -1):
        if not lines[index].strip():
            continue
        if _is_boilerplate_line(lines[index]):
            return _back_over_chrome(lines, index, floor)
        seen += 1
        if seen >= TEASER_LOOKBACK_LINES:
            break
    return _back_over_chrome(lines, marker, floor)


def _cut_at_end_of_article(lines: list[str]) -> list[str]:
    body = _body_start(lines)
    if body is None:
        # No prose paragraph: nothing tells the article from a footer, keep all.
        return lines
    floor = body + 1
    for index in range(floor, len(lines)):
        if _is_teaser_marker(lines[index]):
            return lines[: _teaser_block_start(lines, index, floor)]
        if _is_footer_marker(lines[index]):
            # A footer has no caption or excerpt of its own to look back for;
            # looking back could cut article text after an inline
            # "Advertisement" line.
            return lines[: _back_over_chrome(lines, index, floor)]
    return lines


def _is_heading_length(line: str) -> bool:
    stripped = line.strip()
    return (
        0 < _word_count(stripped) <= REPEATED_LINE_MAX_WORDS
        # A short sentence ending in a full stop may be said twice on purpose
        # ("Yes." in a transcript); a title printed twice has no full stop.
        and not stripped.endswith(".")
    )


def _drop_repeated_headings(lines: list[str]) -> list[str]:
    kept: list[str] = []
    recent: list[str] = []  # the last few non-blank kept lines, normalised
    for line in lines:
        key = " ".join(line.split()).casefold()
        if not key:
            kept.append(line)
            continue
        if _is_heading_length(line) and key in recent:
            continue
        kept.append(line)
        recent = [*recent, key][-REPEATED_LINE_WINDOW:]
    return kept


def clean_boilerplate(text: str) -> str:
    """Return the article in ``text`` without web boilerplate.

    ``text`` is normalised text (``\\n`` line endings).  Lines are removed or
    trimmed, never rewritten or reordered; runs of blank lines are collapsed to
    one and blank lines at both ends dropped.
    """
    text = _APPENDED_SEO_SENTENCE.sub("", text)
    lines = _cut_at_end_of_article(text.split("\n"))
    lines = [line for line in lines if not _is_boilerplate_line(line)]
    lines = _drop_lead_caption(lines)
    lines = _drop_trailers(lines)
    lines = _drop_repeated_headings(lines)
    # Whitespace-only lines are blank lines; make them so before collapsing.
    cleaned = "\n".join(line if line.strip() else "" for line in lines)
    return _THREE_OR_MORE_NEWLINES.sub("\n\n", cleaned).strip("\n")


def cleaning_report(original: str, cleaned: str) -> int:
    """Number of non-blank lines cleaning removed, for "removed N boilerplate lines".

    Cleaning only removes or trims lines, so the difference in non-blank lines
    is exactly the number removed (a trimmed line still counts as kept).
    """

    def non_blank(text: str) -> int:
        return sum(1 for line in text.split("\n") if line.strip())

    return max(0, non_blank(original) - non_blank(cleaned))
