"""The reader screen as a researcher uses it: selections, messages, the
measure, Markdown, the chooser, editors and changes made elsewhere."""

from __future__ import annotations

import pytest
from helpers import make_project

from margin.store.codings import codings_for_document
from margin.tui.app import MarginApp
from margin.tui.library import LibraryScreen
from margin.tui.reader.screen import ReaderScreen
from margin.tui.reader.view import ReaderView

SIZE = (120, 36)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "project.db")


async def _open_first_document(pilot):
    await pilot.pause()
    assert isinstance(pilot.app.screen, LibraryScreen)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReaderScreen)
    return pilot.app.screen.query_one(ReaderView)


async def test_a_selection_ends_where_the_sentence_or_the_paragraph_ends(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await _open_first_document(pilot)
        text = view.text
        await pilot.press("}", "}")  # the third paragraph's first sentence
        start = view.cursor
        await pilot.press("v", ")")
        sentence_end = text.index(".", start) + 1
        assert text[view.selection.start:view.selection.end] == text[start:sentence_end]
        await pilot.press("c", *"Sentence", "enter")
        await pilot.pause()
        [coding] = codings_for_document(app.db, 1)
        assert coding.quote == text[start:sentence_end]
        assert coding.quote.endswith(".")

        # } takes the selection to the end of the paragraph, not onto the next.
        await pilot.press("}", "v", "}")  # coding cleared the selection
        selected = text[view.selection.start:view.selection.end]
        assert selected == selected.strip() and selected.endswith(".")
        assert text[view.selection.end] == "\n"
        # Without a selection, ) and } still move to the next start.
        await pilot.press("escape", ")")
        assert not text[view.cursor].isspace() and text[view.cursor - 1].isspace()
