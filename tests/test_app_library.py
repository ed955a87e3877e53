"""The library in the app: deleting a document (confirmed, undoable), the
hint of an empty library, and titles given the room the other columns leave."""

from __future__ import annotations

import pytest
from helpers import _code, make_project, wait_for

from margin.store.codes import create_code
from margin.store.db import open_database
from margin.store.documents import list_documents
from margin.tui.app import MarginApp
from margin.tui.library import LibraryScreen
from margin.tui.modals import Confirm


@pytest.fixture
def project(tmp_path):
    path = make_project(tmp_path / "project.db")
    db = open_database(path)
    signals = create_code(db, "Signals")
    _code(db, signals, "with the help of North Korean troops", document_id=2)
    db.conn.close()
    return path


def _ids(app) -> list[int]:
    table = app.screen.query_one("#documents")
    return [int(row.key.value) for row in table.ordered_rows]


def _titles(app) -> list[str]:
    table = app.screen.query_one("#documents")
    return [str(table.get_row_at(row)[1]) for row in range(table.row_count)]


async def test_delete_asks_naming_the_document_and_undo_brings_it_back(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        title = list_documents(app.db)[1].title
        await pilot.press("j", "d")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        assert app.screen.question.startswith(f"Delete “{title}”? Its 1 coding and ")
        assert "entity mentions go with it." in app.screen.question
        await pilot.press("n")  # no: nothing happens
        await pilot.pause()
        assert len(list_documents(app.db)) == 5

        await pilot.press("d", "y")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert [d.id for d in list_documents(app.db)] == [1, 3, 4, 5]
        assert _ids(app) == [1, 3, 4, 5]
        assert "4 documents" in str(app.screen.query_one("#status-bar").render())
        # The cursor stays on the deleted document's row: now the next one.
        assert app.screen.query_one("#documents").cursor_row == 1
        assert app.db.execute("SELECT COUNT(*) FROM codings").fetchone()[0] == 0

        await pilot.press("u")
        await pilot.pause()
        assert _ids(app) == [1, 2, 3, 4, 5]
        assert app.db.execute("SELECT COUNT(*) FROM codings").fetchone()[0] == 1


async def test_an_empty_library_says_how_to_import(tmp_path):
    path = make_project(tmp_path / "empty.db", sample=False)
    app = MarginApp(path, "ada")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        hint = app.screen.query_one("#empty-hint")
        assert hint.display
        assert "press i to import files or a folder" in str(hint.render())
        assert "margin import PATH" in str(hint.render())
        await pilot.press("d")  # nothing to delete: no question, no error
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)


async def test_the_hint_goes_once_there_are_documents(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#empty-hint").display


@pytest.mark.parametrize("width", [80, 120])
async def test_titles_get_the_room_the_other_columns_leave(project, width):
    app = MarginApp(project, "ada")
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        table = app.screen.query_one("#documents")
        columns = {str(key.value): column.width for key, column in table.columns.items()}
        # "sample article" is 14 cells: its column is no wider than that (and
        # its heading), the numbers are as wide as their widest value.
        assert columns["source"] == len("sample article")
        assert columns["id"] == len("# ▲")  # sorted by id
        assert columns["codings"] == len("Codings")
        padding = 2 * table.cell_padding * len(columns)
        used = sum(columns.values()) + padding
        assert table.size.width - 2 <= used <= table.size.width
        title = columns["title"]
        assert title >= table.size.width - 2 - padding - sum(
            width for key, width in columns.items() if key != "title")
        shown = _titles(app)
        longest = max((d.title for d in list_documents(app.db)), key=len)
        if len(longest) > title:
            cut = next(t for t in shown if t.endswith("…"))
            assert len(cut) == title


async def test_search_w_proposes_a_full_path_and_says_where_it_wrote(tmp_path, monkeypatch):
    from helpers import make_demo_project, wait_for

    from margin.tui.modals import TextPrompt
    from margin.tui.search.fuzzy import SearchScreen

    project = make_demo_project(tmp_path / "demo.db")
    launch = tmp_path / "launch"
    launch.mkdir()
    monkeypatch.chdir(launch)
    app = MarginApp(project, "ada")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        await pilot.press(*"security assistance")
        await wait_for(pilot, lambda: bool(app.screen.results), timeout=30)
        count = len(app.screen.results)
        passages_only = {r.kind for r in app.screen.results} == {"passage"}
        await pilot.press("tab", "w")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        assert app.screen.value == str(launch / "margin-search.md")
        assert str(launch) in app.screen.hint
        await pilot.press("enter")
        await wait_for(pilot, lambda: (launch / "margin-search.md").exists())
        noun = ("passage" if passages_only else "result") + ("s" if count != 1 else "")
        assert any(str(n.message) == f"Wrote {count} {noun} to {launch / 'margin-search.md'}"
                   for n in app._notifications)
        assert "security assistance" in (launch / "margin-search.md").read_text()

        # A bare name goes in the folder named, and the notice says so in full.
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        app.screen.query_one("#value").value = "notes.jsonl"
        await pilot.press("enter")
        await wait_for(pilot, lambda: (launch / "notes.jsonl").exists())
        assert any(str(n.message).endswith(f"to {launch / 'notes.jsonl'}")
                   for n in app._notifications)

        # The same name again: asked before it is replaced (the shared
        # FilePrompt of every `w`); no keeps the file and the dialog.
        from margin.tui.modals import Confirm

        (launch / "notes.jsonl").write_text("kept\n")
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        prompt = app.screen
        prompt.query_one("#value").value = "notes.jsonl"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is prompt)
        assert (launch / "notes.jsonl").read_text() == "kept\n"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        assert "security assistance" in (launch / "notes.jsonl").read_text()


async def test_a_reader_whose_document_a_redo_deletes_goes_back_to_the_library(project):
    from margin.tui.reader.screen import ReaderScreen

    app = MarginApp(project, "ada")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("d", "y")
        await pilot.pause()
        await pilot.press("u", "g", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen) and app.screen.document_id == 1
        await pilot.press("ctrl+r")  # deletes the document being read again
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert _ids(app) == [2, 3, 4, 5]
        assert any("document 1 does not exist" in str(n.message) for n in app._notifications)


async def test_recognition_queued_just_before_the_app_closed_does_nothing(project):
    # Under load the start-up timer (or an import) can queue recognition just
    # before the app closes its connection: it must not run on it.
    app = MarginApp(project, "ada")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    app.recognise_pending()  # after the connection closed: no error


@pytest.mark.parametrize("width", [80, 120])
async def test_the_key_bar_shows_analysis_and_memos_and_help_lists_every_key(project, width):
    # The library's key bar had no `a` (analysis) or `m` (memos): a new user
    # never found them. At 80 columns it keeps what a new user needs first.
    from margin.tui.help import HelpScreen
    from margin.tui.keybar import KeyBar

    app = MarginApp(project, "ada")
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        bar = str(app.screen.query_one(KeyBar).render())
        for item in ("i Import", "a Analysis", "m Memos", "/ Search", "E Export", "q Quit",
                     "? Keys", "^p Commands"):
            assert item in bar, (width, bar)
        assert len(bar.rstrip()) <= width - 2
        if width == 120:
            assert "d Delete" in bar and "u Undo" in bar and "s Sort" in bar
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        listed = {row[3]: row[1] for row in app.screen.rows}
        assert listed["library.analysis"] == "a" and listed["library.memos"] == "m"
        every = [binding.id for binding in (*LibraryScreen.BINDINGS, *MarginApp.BINDINGS)
                 if binding.description]
        assert set(every) <= set(listed)
        await pilot.press("escape")
        await pilot.press("a")
        from margin.tui.analysis.screen import AnalysisScreen

        await wait_for(pilot, lambda: isinstance(app.screen, AnalysisScreen))
