"""How the main screens look (pytest-textual-snapshot, fixed terminal size).

Update after an intended change with ``pytest tests/test_snapshots.py
--snapshot-update`` and look at the SVGs before committing them.
"""

from __future__ import annotations

import pytest
from helpers import make_demo_project, wait_for

from margin.tui.app import MarginApp
from margin.tui.entities.review import ReviewScreen
from margin.tui.modals import FuzzyPicker
from margin.tui.search.fulltext import FullTextScreen
from margin.tui.search.fuzzy import SearchScreen

SIZE = (120, 36)


@pytest.fixture
def project(tmp_path):
    return make_demo_project(tmp_path / "margin.db")


def test_library(snap_compare, project):
    assert snap_compare(MarginApp(project, "ada"), terminal_size=SIZE)


def test_reader_with_overlapping_codings(snap_compare, project):
    app = MarginApp(project, "ada")
    # Open the first article, go to the fourth paragraph, onto the nested coding.
    assert snap_compare(app, press=["enter", "}", "}", "}", "w", "w", "w"], terminal_size=SIZE)


def test_reader_with_a_selection(snap_compare, project):
    app = MarginApp(project, "ada")
    assert snap_compare(app, press=["enter", "}", "}", "v", "w", "w", "w", "w"],
                        terminal_size=SIZE)


def test_code_picker(snap_compare, project):
    app = MarginApp(project, "ada")
    assert snap_compare(app, press=["enter", "}", "}", "s", "c", "a", "i", "d"],
                        terminal_size=SIZE)


def test_help_screen(snap_compare, project):
    app = MarginApp(project, "ada")
    assert snap_compare(app, press=["enter", "question_mark"], terminal_size=SIZE)


def test_reader_with_entities_and_the_entity_panel(snap_compare, project):
    app = MarginApp(project, "ada")
    # Entities in their type colours beside the codings; E lists them by type.
    assert snap_compare(app, press=["enter", "}", "}", "]", "E"], terminal_size=SIZE)


def test_entity_review(snap_compare, project):
    app = MarginApp(project, "ada")

    async def review_nato(pilot) -> None:
        # From the command palette: review NATO across the corpus; two
        # accepted, one rejected.
        await pilot.press("ctrl+p", *"review entities", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FuzzyPicker))
        await pilot.press(*"NATO", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen)
                       and not pilot.app.screen.gathering)
        await pilot.press("a", "a", "x")
        # The palette's "Gathering…" toast lasts 2 s: whether it is still up
        # depends on the machine's load, and it is not what is compared.
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, run_before=review_nato, terminal_size=SIZE)


def test_search_results(snap_compare, project, monkeypatch):
    monkeypatch.setattr(SearchScreen, "show_timing", False)  # milliseconds vary
    app = MarginApp(project, "ada")

    async def search(pilot) -> None:
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, SearchScreen))
        await pilot.press(*"sulivan adviser")
        await wait_for(pilot, lambda: pilot.app.screen.results
                       and pilot.app.screen.query_one("#query").value == "sulivan adviser"
                       and "Sullivan" in pilot.app.screen.results[0].text)
        await pilot.pause(0.2)

    assert snap_compare(app, run_before=search, terminal_size=SIZE)


def test_full_text_hit_list(snap_compare, project):
    app = MarginApp(project, "ada")

    async def search(pilot) -> None:
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FullTextScreen))
        await pilot.press(*'"security guarantees" OR ceasefire')
        await wait_for(pilot, lambda: len(pilot.app.screen.hits) > 10)
        await pilot.press("tab")
        await pilot.pause(0.2)

    assert snap_compare(app, run_before=search, terminal_size=SIZE)
