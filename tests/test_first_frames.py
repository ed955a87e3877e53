"""What the first frames show: the library's is already the settled one, and a
long document's shows its beginning with its entities before the rest is read.

A frame "shown" is one Textual hands to the terminal: ``App._display`` with a
screen update outside a batch (frames drawn inside Textual's start-up batch
never reach the terminal).
"""

from __future__ import annotations

import re

from helpers import make_project
from textual.app import App

from margin.store.db import open_database
from margin.store.documents import import_text
from margin.store.entities import EntitySpan
from margin.store.entities.storage import (
    ACCEPTED,
    REJECTED,
    MentionDecision,
    apply_review,
    entities_for_document,
    entity_label_counts,
    recognise_documents,
)
from margin.store.importing import sample_sources
from margin.store.sources.textio import DecodedText
from margin.tui.app import MarginApp
from margin.tui.entities.styles import NOT_HIGHLIGHTED
from margin.tui.reader.screen import ReaderScreen
from margin.tui.reader.view import ReaderView


class FirstFrames:
    """Mixed into a test app: ``first_shown(screen)`` is called once, with the
    first shown frame whose screen satisfies ``wanted``."""

    wanted = staticmethod(lambda screen: True)

    def _display(self, screen, renderable) -> None:
        shown = renderable is not None and not self._batch_count
        super()._display(screen, renderable)
        if shown and not getattr(self, "first_seen", False) and self.wanted(screen):
            self.first_seen = True
            self.first_shown(screen)


# ----------------------------------------------------------------- the library


class LibraryFirstFrame(FirstFrames, MarginApp):
    wanted = staticmethod(lambda screen: type(screen).__name__ == "LibraryScreen")

    def first_shown(self, screen) -> None:
        self.first_frame = self.export_screenshot(simplify=True)


async def _library_frames(project, size, **options) -> tuple[str, str]:
    app = LibraryFirstFrame(project, "ada", **options)
    async with app.run_test(size=size) as pilot:
        for _ in range(3):
            await pilot.pause()
        settled = app.export_screenshot(simplify=True)
    return _without_ids(app.first_frame), _without_ids(settled)


def _without_ids(svg: str) -> str:
    return re.sub(r"terminal-\d+", "terminal", svg)


async def test_the_library_first_frame_is_already_the_settled_one(tmp_path):
    project = make_project(tmp_path / "p.db")
    # Wide (codebook beside the table) and narrow (the codebook hidden).
    for size in ((120, 36), (80, 24)):
        first, settled = await _library_frames(project, size)
        assert first == settled, size


async def test_the_library_first_frame_shows_the_users_keys(tmp_path):
    project = make_project(tmp_path / "p.db")
    first, settled = await _library_frames(project, (120, 36), keymap={"library.sort": "o"})
    assert first == settled
    assert ">o<" in first.replace("&#160;", "")


# ------------------------------------------------------- a long document


def _long_document(tmp_path):
    """A ~300,000-character document made of the sample articles, its
    entities recognised by the rules (as an import does)."""
    articles = [data.decode("utf-8").strip("\n") for _name, data in sample_sources()]
    text = "\n\n".join(articles * 12)
    assert len(text) > 250_000
    return make_project(tmp_path / "long.db", sample=False, texts=[text])


class OpensStraightOntoTheDocument(FirstFrames, MarginApp):
    """Opens the document as it starts, inside Textual's start-up batch (the
    reader benchmark does the same)."""

    wanted = staticmethod(lambda screen: isinstance(screen, ReaderScreen))

    def get_default_screen(self):
        return App.get_default_screen(self)

    def on_mount(self, event) -> None:
        event.prevent_default()
        self.open_document(1)

    def first_shown(self, screen) -> None:
        view = screen.query_one(ReaderView)
        self.first = {
            "opening": view._first_screens_end,
            "entities": list(view.entities.entities),
            "legend": str(screen.query_one("#entity-legend").render()),
        }


async def test_a_long_document_shows_its_beginning_with_its_entities_before_the_rest(tmp_path):
    project = _long_document(tmp_path)
    app = OpensStraightOntoTheDocument(project, "ada")
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(3):
            await pilot.pause()
        view = app.screen.query_one(ReaderView)
        assert view._first_screens_end is None  # the rest is read by now
        legend = str(app.screen.query_one("#entity-legend").render())
        everything = list(view.entities.entities)
    first = app.first
    # The first frame shown came before the rest of the document was read…
    assert first["opening"] is not None
    # …and drew the entities of its beginning, not of the whole document,
    assert first["entities"] and all(e.start < first["opening"] for e in first["entities"])
    assert first["entities"] == [e for e in everything if e.start < first["opening"]]
    # while the legend already counted the whole document's.
    assert first["legend"] == legend
    assert "PERSON" in legend


# ----------------------------------------------------------- the store side

TEXT = "Vladimir Putin met Olaf Scholz in Berlin. Putin spoke first. Then Paris, 3 times."


KNOWN = {"Vladimir Putin": "PERSON", "Olaf Scholz": "PERSON", "Putin": "PERSON",
         "Berlin": "GPE", "Paris": "GPE", "3": "CARDINAL"}


class NameFinder:
    name = "test"
    version = "test-1"
    pattern = re.compile(r"\b(?:" + "|".join(sorted(KNOWN, key=len, reverse=True)) + r")\b")

    def recognise_many(self, texts, cancelled=None):
        for text in texts:
            yield [EntitySpan(m.start(), m.end(), KNOWN[m.group()], m.group())
                   for m in self.pattern.finditer(text)]


def test_entities_before_an_offset_and_counts_per_label_after_the_review(tmp_path):
    db = open_database(tmp_path / "p.db")
    document = import_text(db, DecodedText(TEXT, "utf-8", False), source="t",
                           clean=False).document_id
    recognise_documents(db, [document], NameFinder())
    every = entities_for_document(db, document)
    cut = TEXT.index("Putin spoke")
    assert entities_for_document(db, document, cut) == [e for e in every if e.start < cut]
    assert entities_for_document(db, document, 0) == []

    berlin = next(e for e in every if e.text == "Berlin")
    paris = next(e for e in every if e.text == "Paris")
    apply_review(db, [MentionDecision(berlin.as_mention(), REJECTED, "GPE", "Berlin"),
                      MentionDecision(paris.as_mention(), ACCEPTED, "LOC", "Paris")],
                 scope="word", coder="ada")
    shown: dict[str, int] = {}
    for entity in entities_for_document(db, document):
        if entity.decision != REJECTED:
            shown[entity.label] = shown.get(entity.label, 0) + 1
    assert entity_label_counts(db, document) == shown == {"PERSON": 3, "LOC": 1, "CARDINAL": 1}
    assert not NOT_HIGHLIGHTED.isdisjoint(shown)  # the reader leaves those out itself
