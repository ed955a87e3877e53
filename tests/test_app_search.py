"""Search in the app: find in the document, and search across everything."""

from __future__ import annotations

import re

import pytest
from helpers import make_project, wait_for

from margin.tui.app import MarginApp
from margin.tui.modals import TextPrompt
from margin.tui.reader.screen import ReaderScreen
from margin.tui.reader.view import ReaderView

SIZE = (120, 36)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "project.db")


async def _open_first_document(pilot) -> ReaderView:
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReaderScreen)
    return pilot.app.screen.query_one(ReaderView)


async def test_find_in_the_document_highlights_every_match_and_n_moves_between_them(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await _open_first_document(pilot)
        text = app.screen.document.text
        expected = [m.start() for m in re.finditer(r"nato\s+membership", text, re.I)]
        assert len(expected) >= 3
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"nato Membership", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        assert [m.start for m in view.matches.entities] == expected
        assert view.cursor == expected[0]
        status = str(app.screen.query_one("#status-bar").render())
        assert f"1/{len(expected)}" in status
        await pilot.press("n")
        assert view.cursor == expected[1]
        await pilot.press("N", "N")  # back to the first, then around to the last
        assert view.cursor == expected[-1]
        # The matches are drawn in the match colour.
        row = view.wrapped.line_of_offset(view.cursor) - view.scroll_offset.y
        strip = view.render_line(row)
        assert any(segment.style and segment.style.bgcolor is not None
                   and "membership" in segment.text.lower() for segment in strip)
        await pilot.press("escape")
        assert len(view.matches) == 0 and isinstance(app.screen, ReaderScreen)


async def test_find_with_no_match_says_so(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await _open_first_document(pilot)
        assert app.screen.find("zzz no such phrase") == 0
        assert len(view.matches) == 0
        await wait_for(pilot, lambda: any("No match" in n.message for n in app._notifications))


async def test_full_text_hits_then_code_all_hits_then_undo(project):
    from margin.store.codes import codebook
    from margin.store.export import coded_passages
    from margin.store.search.fulltext import search_documents
    from margin.tui.modals import Confirm, FuzzyPicker
    from margin.tui.search.fulltext import FullTextScreen

    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, FullTextScreen))
        screen = app.screen
        await pilot.press(*'"security guarantees"')
        expected = search_documents(app.db, '"security guarantees"')
        assert len(expected) >= 3
        await wait_for(pilot, lambda: len(screen.hits) == len(expected))
        # Stemmed, as FTS matches: "security guarantee" too.
        assert {hit.text.lower() for hit in screen.hits} <= {"security guarantees",
                                                             "security guarantee"}
        await pilot.press("tab", "s")  # to the hits; sentence → paragraph scope
        assert screen.scope == "paragraph"
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        await pilot.press(*"Guarantees", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is screen)
        passages = coded_passages(app.db, codes=["Guarantees"])
        documents = {hit.document_id for hit in expected}
        assert {p.document_id for p in passages} == documents
        assert all("security guarantee" in p.quote.lower() for p in passages)
        assert all(p.quote.count("\n\n") == 0 for p in passages)  # whole paragraphs, one each
        await pilot.press("u")
        await pilot.pause()
        assert coded_passages(app.db) == []
        assert codebook(app.db) == []


async def test_a_malformed_full_text_query_gives_a_message_not_an_error(project):
    from margin.tui.search.fulltext import FullTextScreen

    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, FullTextScreen))
        await pilot.press(*'"unbalanced AND (')
        await wait_for(pilot, lambda: str(app.screen.query_one("#status-bar").render()).strip())
        status = str(app.screen.query_one("#status-bar").render())
        assert "quote" in status.lower() or "parenthes" in status.lower(), status
        assert isinstance(app.screen, FullTextScreen)


async def test_search_as_you_type_then_enter_opens_the_passage_in_the_reader(tmp_path):
    from helpers import make_demo_project

    from margin.store.codings import get_coding
    from margin.tui.search.fuzzy import SearchScreen

    project = make_demo_project(tmp_path / "demo.db")
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        await pilot.press(*"throw oil on teh fire")  # misspelled, as remembered
        await wait_for(pilot, lambda: screen.results and "throw oil" in screen.results[0].text)
        top = screen.results[0]
        assert top.kind == "passage" and top.codes == ("Escalation",)
        rendered = str(screen.query_one("#results").get_option_at_index(0).prompt)
        assert "Escalation" in rendered and "Diplomacy Watch" in rendered
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        view = app.screen.query_one(ReaderView)
        assert view.cursor == top.start
        assert [c.code_name for c in view.codings_at(view.cursor)] == ["Escalation"]
        assert get_coding  # imported for the reader's data


async def test_stale_searches_are_cancelled_and_only_the_latest_is_shown(tmp_path, monkeypatch):
    import time

    from helpers import make_demo_project

    from margin.store.search.corpus import SearchCorpus
    from margin.tui.search.fuzzy import SearchScreen

    seen: list[tuple[str, bool]] = []
    real_search = SearchCorpus.search

    def slow_search(self, db, text, limit=50, cancelled=None, kinds=None):
        if text != "zelensky":  # an older keystroke: slow, until cancelled
            for _ in range(100):
                if cancelled():
                    break
                time.sleep(0.01)
        seen.append((text, cancelled()))
        return real_search(self, db, text, limit, cancelled, kinds)

    monkeypatch.setattr(SearchCorpus, "search", slow_search)
    project = make_demo_project(tmp_path / "demo.db")
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        await pilot.press(*"zelensky")
        await wait_for(pilot, lambda: screen.results and "Zelensky" in screen.results[0].text)
        await app.workers.wait_for_complete()
    stale = [cancelled for text, cancelled in seen if text not in ("", "zelensky")]
    assert stale and all(stale)  # every older search was told to stop
    assert ("zelensky", False) in seen


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_full_text_hits_fit_the_table_and_are_cut_with_an_ellipsis(project, size):
    # At 80 columns the context column was wider than the table had room
    # for: each hit was cut at the edge, mid-word, with no "…".
    from textual.widgets import DataTable

    from margin.tui.search.fulltext import FullTextScreen

    def check(app) -> None:
        table = app.screen.query_one("#hits", DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        contexts = [table.get_row_at(row)[1].plain.rstrip()
                    for row in range(min(5, table.row_count))]
        for context in contexts:  # each whole on screen, "…" and all
            assert any(context in line for line in lines), context
        assert sum(context.endswith("…") for context in contexts) >= 3, contexts

    app = MarginApp(project, "ada")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, FullTextScreen))
        await pilot.press(*"Ukraine")
        await wait_for(pilot, lambda: len(app.screen.hits) > 10)
        await pilot.pause()
        check(app)
        # Laid out again for a new width, the cursor where it was.
        await pilot.press("tab", "down", "down")
        await pilot.resize_terminal(100 if size[0] == 80 else 80, 24)
        await wait_for(pilot, lambda: app.screen.context_width
                       == app.screen._fitting_context_width())
        await pilot.pause()
        check(app)
        assert app.screen.query_one("#hits", DataTable).cursor_row == 2
