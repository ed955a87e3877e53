"""Interview transcripts: WebVTT (``.vtt``) and SubRip (``.srt``) to readable text.

A transcript is coded like any document, so what is stored as its text is a
readable rendering with one paragraph per speaker turn, the turn's start time
and speaker kept in the words a coder sees::

    [00:01:02] Interviewer: How did it start?

    [00:01:05] Anna: With a letter from the council.

Consecutive cues of the same speaker merge into one paragraph (keeping the
first cue's time).  The speaker comes from a WebVTT voice tag (``<v Anna>``)
or a ``Name:`` prefix at the start of a cue line; a cue without either
continues the current speaker's turn, and a transcript without any speakers
gets one paragraph per cue.  A line starting with ``-`` or ``>>`` (the
subtitle marks for "someone else speaks") starts a new, unnamed turn.

Standard library only: this is part of the store, which never imports the UI.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from margin.store.sources.textio import ImportRefused


@dataclass(frozen=True)
class Segment:
    """Part of a cue said by one speaker (``None`` when not named)."""

    speaker: str | None
    text: str
    # A "-" or ">>" mark: someone else speaks, even though no name is given.
    new_turn: bool = False


@dataclass(frozen=True)
class Cue:
    start: int  # milliseconds
    end: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Transcript:
    format: str  # "WebVTT" or "SubRip"
    cues: tuple[Cue, ...]
    # Text after "WEBVTT" on the header line, if any (a natural title).
    title: str | None = None
    # Cues left out because their timing line did not parse.
    skipped: int = 0
    speakers: tuple[str, ...] = field(default=())


# --- timestamps -------------------------------------------------------------

# Hours optional (WebVTT allows mm:ss.ttt); "," or "." before the milliseconds
# in both formats, since files in the wild mix them up.
_TIMESTAMP = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIMESTAMP}\s*-->\s*{_TIMESTAMP}(?:\s+.*)?$")


def _milliseconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> int | None:
    if int(minutes) > 59 or int(seconds) > 59:
        return None
    millis = int(fraction.ljust(3, "0"))
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


def _parse_timing(line: str) -> tuple[int, int] | None:
    """Start and end of a timing line (cue settings after it are ignored)."""
    match = _TIMING.match(line)
    if not match:
        return None
    start = _milliseconds(*match.group(1, 2, 3, 4))
    end = _milliseconds(*match.group(5, 6, 7, 8))
    if start is None or end is None:
        return None
    return start, end


def format_time(milliseconds: int) -> str:
    """``HH:MM:SS`` (seconds truncated)."""
    seconds = milliseconds // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


# --- cue text ---------------------------------------------------------------

# <v Speaker>, <v.class Speaker>, </v>
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>|</v\s*>", re.IGNORECASE)
# Ruby annotations are pronunciation hints, not words said: drop them whole.
_RUBY_TEXT = re.compile(r"<rt\b[^>]*>.*?(?:</rt\s*>|$)", re.IGNORECASE | re.DOTALL)
# Any other tag (<i>, </b>, <c.yellow>, <lang en>, <font color=…>, <00:00:01.000>)
# and SubRip's ASS-style overrides ({\an8}, {\i1}).
_TAG = re.compile(r"</?[A-Za-z0-9:.][^<>]*>|\{\\[^{}]*\}")
# "Name:" at the start of a line: up to four words, each capitalised or a
# number ("Interviewer:", "Speaker 2:", "Dr. Jane Smith:", "P01:", "Q:").
_PREFIX = re.compile(
    r"^(?P<name>[^\W\d_][\w.'’\-]*(?:[ \t]+[\w.'’()\-]+){0,3})[ \t]*:(?:[ \t]+|$)(?P<rest>.*)$"
)
# "- Hello" / "– Hello" / ">> Hello": another (unnamed) speaker.
_TURN_MARK = re.compile(r"^(?:[-–—](?=\s)|>>+)\s*")


def _is_speaker_name(name: str) -> bool:
    for word in name.split():
        first = next((char for char in word if char.isalnum()), "")
        if not first or not (first.isupper() or first.isdigit()):
            return False
    return name[0].isupper()


def _clean_line(line: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", line)).split())


def _segments(raw: str) -> tuple[Segment, ...]:
    """Speaker segments of one cue's text (its lines joined by newlines)."""
    raw = _RUBY_TEXT.sub("", raw)
    # Voice tags first: they split the cue into chunks with a known speaker.
    chunks: list[tuple[str | None, str]] = []
    speaker: str | None = None
    position = 0
    for match in _VOICE.finditer(raw):
        chunks.append((speaker, raw[position : match.start()]))
        if match.group(0).startswith("</"):
            speaker = None
        else:
            speaker = _clean_line(match.group(1) or "") or None
        position = match.end()
    chunks.append((speaker, raw[position:]))

    segments: list[Segment] = []
    for voice, chunk in chunks:
        # Each part: [speaker, new_turn, words…]; a new part starts at a
        # "Name:" prefix or a turn mark.
        parts: list[tuple[str | None, bool, list[str]]] = []
        for line in chunk.split("\n"):
            line = _clean_line(line)
            if not line:
                continue
            if voice is None:
                mark = _TURN_MARK.match(line)
                if mark:
                    parts.append((None, True, []))
                    line = line[mark.end() :]
                prefix = _PREFIX.match(line)
                if prefix and _is_speaker_name(prefix.group("name")):
                    new_turn = bool(mark)
                    if mark:
                        parts.pop()
                    parts.append((" ".join(prefix.group("name").split()), new_turn, []))
                    line = prefix.group("rest").strip()
            if not parts:
                parts.append((voice, False, []))
            if line:
                parts[-1][2].append(line)
        segments.extend(
            Segment(speaker, " ".join(words), new_turn)
            for speaker, new_turn, words in parts
            if words
        )
    return tuple(segments)


# --- parsers ----------------------------------------------------------------


def _normalise(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines (whitespace-only lines count as blank)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _finish(
    kind: str, cues: list[Cue], malformed: list[str], title: str | None = None
) -> Transcript:
    if not cues:
        if malformed:
            raise ImportRefused(
                f"not a {kind} file: no valid cue timing (e.g. “{malformed[0][:60]}”)"
            )
        raise ImportRefused(f"not a {kind} file: no cues with text found")
    speakers: list[str] = []
    for cue in cues:
        for segment in cue.segments:
            if segment.speaker and segment.speaker not in speakers:
                speakers.append(segment.speaker)
    return Transcript(kind, tuple(cues), title, len(malformed), tuple(speakers))


_VTT_HEADER = re.compile(r"^WEBVTT(?:[ \t](.*))?$")
_VTT_SKIPPED_BLOCK = re.compile(r"^(?:NOTE|STYLE|REGION)(?:[ \t]|$)")


def parse_vtt(text: str) -> Transcript:
    """A WebVTT file's cues; raises ``ImportRefused`` if it is not one."""
    lines = _normalise(text).split("\n")
    header = _VTT_HEADER.match(lines[0].strip("\ufeff \t"))
    if not header:
        raise ImportRefused("not a WebVTT file: the first line is not “WEBVTT”")
    title = " ".join((header.group(1) or "").split()).lstrip("-–— ").strip() or None
    # The header runs to the first blank line (old files put "Kind:" and
    # "Language:" lines there).
    blocks = _blocks(lines)[1:]
    cues: list[Cue] = []
    malformed: list[str] = []
    for block in blocks:
        if _VTT_SKIPPED_BLOCK.match(block[0]):
            continue
        # The timing line is the first line, or the second after an identifier.
        timing_index = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
        if timing_index is None:
            continue  # not a cue (stray text); WebVTT parsers skip it too
        timing = _parse_timing(block[timing_index])
        if timing is None:
            malformed.append(block[timing_index].strip())
            continue
        segments = _segments("\n".join(block[timing_index + 1 :]))
        if segments:
            cues.append(Cue(timing[0], timing[1], segments))
    return _finish("WebVTT", cues, malformed, title)


def parse_srt(text: str) -> Transcript:
    """A SubRip file's cues; raises ``ImportRefused`` if it is not one.

    A block without a timing line continues the previous cue's text (blank
    lines inside a cue are a common SubRip mistake).
    """
    blocks = _blocks(_normalise(text).split("\n"))
    cues: list[Cue] = []
    texts: list[list[str]] = []
    timings: list[tuple[int, int]] = []
    malformed: list[str] = []
    for block in blocks:
        timing_index = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
        if timing_index is None:
            if texts:
                texts[-1].extend(block)
            continue
        # Text, then a timing line: the text belongs to the previous cue.
        if timing_index == 1 and not block[0].strip().isdigit() and texts:
            texts[-1].append(block[0])
        timing = _parse_timing(block[timing_index])
        if timing is None:
            malformed.append(block[timing_index].strip())
            texts.append([])  # swallow the broken cue's text
            timings.append((-1, -1))
            continue
        timings.append(timing)
        texts.append(list(block[timing_index + 1 :]))
    for (start, end), lines in zip(timings, texts, strict=True):
        if start < 0:
            continue
        segments = _segments("\n".join(lines))
        if segments:
            cues.append(Cue(start, end, segments))
    return _finish("SubRip", cues, malformed)


def parse_transcript(text: str, suffix: str) -> Transcript:
    """Parse by file suffix (``.vtt`` or ``.srt``)."""
    if suffix.lower() == ".vtt":
        return parse_vtt(text)
    if suffix.lower() == ".srt":
        return parse_srt(text)
    raise ValueError(f"not a transcript suffix: {suffix}")


# --- readable text ----------------------------------------------------------


def transcript_to_text(transcript: Transcript) -> str:
    """One paragraph per speaker turn: ``[HH:MM:SS] Speaker: words``.

    Paragraphs are separated by a blank line; a turn without a named speaker
    is ``[HH:MM:SS] words``.
    """
    paragraphs: list[tuple[int, str | None, list[str]]] = []
    for cue in transcript.cues:
        for segment in cue.segments:
            if paragraphs:
                _, speaker, words = paragraphs[-1]
                if segment.speaker is not None:
                    same_turn = segment.speaker == speaker
                else:
                    # Unnamed: continues a named turn unless marked as new.
                    same_turn = speaker is not None and not segment.new_turn
                if same_turn:
                    words.append(segment.text)
                    continue
            paragraphs.append((cue.start, segment.speaker, [segment.text]))
    rendered = []
    for start, speaker, words in paragraphs:
        label = f"{speaker}: " if speaker else ""
        rendered.append(f"[{format_time(start)}] {label}{' '.join(words)}")
    return "\n\n".join(rendered)
