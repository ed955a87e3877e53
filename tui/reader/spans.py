"""Which codings, entities and find hits lie at an offset or on a row.

Pure data structures and functions over code-point offsets into a
document's text (start inclusive, end exclusive), without Textual: the
reader view draws with them, the reader screen moves and reports with them,
and tests/test_reader_spans.py tests them alone.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from margin.store.codings import Coding


class Span(Protocol):
    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


S = TypeVar("S", bound=Span)


@dataclass(frozen=True)
class Selection:
    start: int
    end: int  # exclusive

    def __len__(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Match:
    """A hit of find-in-document."""

    start: int
    end: int


class CodingIndex:
    """Which codings cover which offsets, for drawing and for the cursor.

    The text is cut at every coding boundary into elementary pieces; each
    piece knows the codings that cover it. A row is drawn by bisecting the
    boundaries, so drawing costs the same with 5 or 5,000 codings.
    """

    def __init__(self, codings: list[Coding]):
        self.codings = sorted(codings, key=lambda c: (c.start, -c.end, c.id))
        self.by_id = {coding.id: coding for coding in self.codings}
        points = sorted({c.start for c in codings} | {c.end for c in codings})
        self.boundaries = points
        starts: dict[int, list[int]] = {}
        ends: dict[int, list[int]] = {}
        for coding in codings:
            starts.setdefault(coding.start, []).append(coding.id)
            ends.setdefault(coding.end, []).append(coding.id)
        active: list[int] = []
        self.active_after: list[tuple[int, ...]] = []
        for point in points:
            for coding_id in ends.get(point, ()):
                active.remove(coding_id)
            active.extend(starts.get(point, ()))
            self.active_after.append(tuple(active))
        self.lanes = self._assign_lanes()

    def _assign_lanes(self) -> dict[int, int]:
        # Interval partitioning: each coding takes the lowest lane free at its start.
        lanes: dict[int, int] = {}
        lane_ends: list[int] = []
        for coding in self.codings:
            for lane, end in enumerate(lane_ends):
                if end <= coding.start:
                    lane_ends[lane] = coding.end
                    lanes[coding.id] = lane
                    break
            else:
                lanes[coding.id] = len(lane_ends)
                lane_ends.append(coding.end)
        return lanes

    def active_at(self, offset: int) -> tuple[int, ...]:
        index = bisect.bisect_right(self.boundaries, offset) - 1
        return self.active_after[index] if index >= 0 else ()

    def codings_at(self, offset: int) -> list[Coding]:
        """The codings that cover ``offset``."""
        return [self.by_id[i] for i in self.active_at(offset)]

    def pieces(self, start: int, end: int) -> list[tuple[int, int, tuple[int, ...]]]:
        """[start, end) cut at coding boundaries, each piece with its codings."""
        result = []
        position = start
        index = bisect.bisect_right(self.boundaries, start)
        while position < end:
            next_point = self.boundaries[index] if index < len(self.boundaries) else end
            piece_end = min(next_point, end)
            if piece_end > position:
                result.append((position, piece_end, self.active_at(position)))
            position = piece_end
            index += 1
        return result

    def in_range(self, start: int, end: int) -> list[Coding]:
        """Codings that overlap [start, end), in lane order."""
        ids: set[int] = set()
        for _s, _e, active in self.pieces(start, max(end, start + 1)):
            ids.update(active)
        return sorted((self.by_id[i] for i in ids), key=lambda c: (self.lanes[c.id], c.start))


@dataclass(frozen=True)
class GutterRow:
    """What the gutter shows beside one row of text."""

    #: One (character, colour) per lane: "┃" a coding that goes on past the
    #: row, "▐" one that starts and ends on it, " " none; "+" in the last
    #: lane when more codings than lanes are on the row. The colour is the
    #: coding's (or its ``lane_key``), or None for the gutter's own.
    lanes: tuple[tuple[str, str | None], ...]
    #: The code of the first coding that starts on the row ("" if none),
    #: with "+N" when N more start there too.
    label: str = ""
    label_colour: str | None = None


def gutter_row(index: CodingIndex, start: int, end: int, lanes: int,
               lane_key: Callable[[Coding], str] | None = None) -> GutterRow:
    """The gutter beside the row [start, end) (an empty row still shows the
    codings that cover its offset). ``lane_key``: what a lane's mark is
    coloured by instead of the coding's code colour (its coder, say), a key
    the caller turns into a colour."""
    codings = index.in_range(start, end) if index.codings else []
    marks: list[tuple[str, str | None]] = [(" ", None)] * lanes
    overflow = 0
    for coding in codings:
        lane = index.lanes[coding.id]
        if lane >= lanes:
            overflow += 1
            continue
        marks[lane] = ("┃" if coding.start < start or coding.end > end else "▐",
                       lane_key(coding) if lane_key is not None else coding.colour)
    if overflow:
        marks[-1] = ("+", None)
    starting = [c for c in codings if start <= c.start < max(end, start + 1)]
    if not starting:
        return GutterRow(tuple(marks))
    label = starting[0].code_name
    if len(starting) > 1:
        label = f"{label} +{len(starting) - 1}"
    return GutterRow(tuple(marks), label, starting[0].colour)


class SpanIndex:
    """Non-overlapping spans (entity mentions, find hits) for drawing, the
    status line and jumps.

    Overlapping spans are dropped here rather than drawn wrongly (backends
    promise none), so bisecting the starts finds the span at an offset.
    """

    def __init__(self, entities: list):
        kept: list = []
        for entity in sorted(entities, key=lambda e: (e.start, -e.end)):
            if not kept or entity.start >= kept[-1].end:
                kept.append(entity)
        self.entities = kept
        self.starts = [entity.start for entity in kept]

    def __len__(self) -> int:
        return len(self.entities)

    def at(self, offset: int):
        index = bisect.bisect_right(self.starts, offset) - 1
        if index >= 0 and offset < self.entities[index].end:
            return self.entities[index]
        return None

    def in_range(self, start: int, end: int) -> list:
        """Mentions overlapping [start, end), in text order."""
        first = max(0, bisect.bisect_right(self.starts, start) - 1)
        last = bisect.bisect_left(self.starts, end)
        return [e for e in self.entities[first:last] if e.end > start]

    def cuts_within(self, start: int, end: int) -> set[int]:
        """The starts and ends of spans strictly inside (start, end): where
        the drawing of the row [start, end) changes style."""
        return {p for span in self.in_range(start, end) for p in (span.start, span.end)
                if start < p < end}

    def number_starting_at(self, offset: int) -> int | None:
        """Which span (1 for the first) starts at ``offset``, if one does."""
        index = bisect.bisect_left(self.starts, offset)
        return index + 1 if index < len(self.starts) and self.starts[index] == offset else None

    def next_start(self, offset: int) -> int | None:
        index = bisect.bisect_right(self.starts, offset)
        return self.starts[index] if index < len(self.starts) else None

    def previous_start(self, offset: int) -> int | None:
        # From inside a mention, "previous" is the one before it, as with words.
        index = bisect.bisect_left(self.starts, offset) - 1
        current = self.at(offset)
        if current is not None and current.start < offset:
            return current.start
        return self.starts[index] if index >= 0 else None


def find_matches(text: str, query: str) -> list[Match]:
    """Every match of ``query`` in ``text``, ignoring case, and any run of
    white space (a line break) matching the spaces between its words."""
    words = [re.escape(word) for word in query.split()]
    pattern = re.compile(r"\s+".join(words), re.IGNORECASE)
    return [Match(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]


def next_span(spans: Sequence[S], cursor: int, step: int, *, from_cursor: bool = False) -> S:
    """The span to go to from ``cursor`` (``spans`` sorted by start, not
    empty): the first starting after it (step > 0; or at it, ``from_cursor``)
    or the last starting before it (step < 0), wrapping around the text."""
    if step > 0:
        after = [s for s in spans if s.start > cursor or (from_cursor and s.start == cursor)]
        return after[0] if after else spans[0]
    before = [s for s in spans if s.start < cursor]
    return before[-1] if before else spans[-1]
