"""Shared helpers for the app tests: build a project, read what the screen shows."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from margin.store.codes import create_code
from margin.store.codings import apply_coding, set_coding_memo
from margin.store.db import open_database
from margin.store.documents import get_document, import_text
from margin.store.entities.rules import RuleRecogniser
from margin.store.entities.storage import documents_needing_entities, recognise_documents
from margin.store.importing import import_sample_corpus
from margin.store.sources.textio import DecodedText

if TYPE_CHECKING:
    from margin.store.entities import EntitySpan


def make_project(
    path: Path, *, sample: bool = True, texts: list[str] = (), entities: bool = True
) -> Path:
    """A database with the sample corpus and ``texts``; their entities are
    recognised with the rules (as an import would), unless ``entities`` is
    False (then the app recognises them in the background)."""
    db = open_database(path)
    if sample:
        import_sample_corpus(db)
    for text in texts:
        import_text(db, DecodedText(text, "utf-8", False), source="test", clean=False)
    if entities:
        recognise_documents(db, documents_needing_entities(db), RuleRecogniser())
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


def _code(db, code_id: int, phrase: str, document_id: int = 1) -> int:
    text = get_document(db, document_id).text
    start = text.index(phrase)
    return apply_coding(db, document_id, code_id, start, start + len(phrase), "ada")


def make_demo_project(path: Path) -> Path:
    """The sample corpus with a small codebook and overlapping codings, dated
    so that screens look the same every day (snapshots, README screenshots)."""
    make_project(path)
    db = open_database(path)
    db.execute("UPDATE documents SET imported = '2026-11-01T09:00:00.000+00:00'")
    actors = create_code(db, "Actors")
    officials = create_code(db, "Officials", parent_id=actors)
    aid = create_code(db, "US aid")
    escalation = create_code(db, "Escalation")
    _code(db, aid, "National security adviser Jake Sullivan reiterated this goal as part of a "
                   "Dec. 2 White House announcement of $725 million in additional security "
                   "assistance for Ukraine")
    coding = _code(db, officials, "National security adviser Jake Sullivan")
    set_coding_memo(db, coding, "Sullivan speaks for the outgoing administration")
    _code(db, escalation, "The Kremlin said on Tuesday that the new package shows that the Biden "
                          "administration aims to “throw oil on the fire” of the war")
    _code(db, aid, "House Speaker Mike Johnson told reporters he has no plans to give in to a "
                   "Biden administration request to include $24 billion in additional Ukraine aid")
    db.conn.close()
    return path


async def wait_for(pilot, condition, timeout: float = 10.0) -> None:
    """Pause until ``condition()`` holds (workers report back), or fail."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never reached the expected state")


def entity_pairs(spans: list[EntitySpan]) -> list[tuple[str, str]]:
    """(text, label) of each entity span, in order."""
    return [(span.text, span.label) for span in spans]


def assert_spans_exact(spans: list[EntitySpan], text: str) -> None:
    """Every span's text is ``text[start:end]``; the spans are sorted and do not overlap."""
    for span in spans:
        assert text[span.start : span.end] == span.text
    assert all(a.end <= b.start for a, b in pairwise(spans)), "sorted, non-overlapping"


def dialog_lines(screen: str) -> list[str]:
    """The lines inside the first rounded box (a dialog) of a screen's text,
    without its borders."""
    lines = screen.splitlines()
    top = next(i for i, line in enumerate(lines) if "╭" in line)
    left, right = lines[top].index("╭"), lines[top].index("╮")
    inside = []
    for line in lines[top + 1:]:
        if "╰" in line:
            break
        inside.append(line[left + 1:right].strip())
    return inside


async def open_first_document(pilot):
    """From the library, open the first document; the reader's view."""
    from margin.tui.library import LibraryScreen
    from margin.tui.reader.screen import ReaderScreen
    from margin.tui.reader.view import ReaderView

    await pilot.pause()
    assert isinstance(pilot.app.screen, LibraryScreen)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReaderScreen)
    return pilot.app.screen.query_one(ReaderView)


TEAM_TEXTS = (
    "NATO met in Brussels on Monday. The ministers spoke of drones and of winter.\n\n"
    "Kyiv asked NATO for more air defence. Moscow said the talks were over.",
    "The talks resumed in Geneva after a week. Observers counted the shells near the town.",
)


def make_two_coder_project(path: Path) -> Path:
    """Two short documents coded by ana and ben: "Actors" alike, "Talks"
    differently (boundaries in one place, only ana in another, only ben in
    a third): the agreement screen's and command's example."""
    make_project(path, sample=False, texts=list(TEAM_TEXTS), entities=False)
    db = open_database(path)
    actors = create_code(db, "Actors")
    talks = create_code(db, "Talks")

    def code(document_id: int, code_id: int, phrase: str, coder: str) -> None:
        text = TEAM_TEXTS[document_id - 1]
        start = text.index(phrase)
        apply_coding(db, document_id, code_id, start, start + len(phrase), coder)

    for coder in ("ana", "ben"):
        code(1, actors, "NATO", coder)
        code(1, actors, "Kyiv", coder)
    code(1, talks, "Moscow said the talks were over", "ana")
    code(1, talks, "the talks were over", "ben")
    code(1, talks, "The ministers spoke of drones", "ana")
    code(2, talks, "The talks resumed in Geneva", "ben")
    code(2, actors, "Observers", "ana")
    code(2, actors, "Observers", "ben")
    db.conn.close()
    return path
