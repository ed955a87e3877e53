"""Merging a colleague's copy from the app: the palette's command, its dialog
(the lines `margin merge` prints), the library after, and `u`. A Pilot test,
then the installed margin in a real terminal at 80x24."""

from __future__ import annotations

import shutil

import pytest
from helpers import make_project
from pty_terminal import library_session, needs_margin, settle
from test_merge import base, pair, state  # noqa: F401  (fixtures)

from margin.store.codes import codebook, create_code
from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.store.merging import merge_file, text_digest
from margin.tui.app import MarginApp
from margin.tui.merge_dialog import MergeScreen

SIZE = (120, 36)


async def test_the_palette_command_merges_shows_the_report_and_u_undoes_it(pair, tmp_path):  # noqa: F811
    ada, bob = pair
    before = state(ada)
    # What the command line would print for the same merge.
    copy = tmp_path / "copy.db"
    shutil.copy(ada, copy)
    db = open_database(copy)
    expected = [line for _, line in merge_file(db, bob).lines()]
    db.close()

    app = MarginApp(ada, "ada", entity_backend="rules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"merge a colleague")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, MergeScreen)
        assert not dialog.query_one("#progress").display  # nothing to wait for yet
        dialog.query_one("#path").value = str(bob)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert dialog.shown == expected
        assert dialog.query_one("#log").scroll_y == 0  # the summary on top in view
        assert dialog.shown[0] == ("Merged bob.db: 1 document, 1 code, 4 codings, 2 memos "
                                    "(1 with its coding) came in")
        # The library behind shows what came in once the dialog closes.
        await pilot.press("escape")
        await pilot.pause()
        library = app.screen
        assert library.query_one("DataTable").row_count == 4
        assert "Aid > Military" in [code.path for code in codebook(app.db)]
        await pilot.press("u")
        await pilot.pause()
        assert library.query_one("DataTable").row_count == 3
        # A file that is not a project: one line in the dialog, nothing changed.
        app.merge_project()
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#path").value = str(tmp_path / "missing.db")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert dialog.shown == [f"Error: no file at {tmp_path / 'missing.db'}"]
    assert state(ada) == before


async def test_the_dialog_reads_a_projects_external_sources_from_the_folder_given(
        pair, tmp_path):  # noqa: F811
    """`margin merge --sources DIR` in the dialog: an optional field; a file
    named there is refused as the command line refuses it."""
    from test_refi_import import _project, _selection, _source, _zip

    ada, _bob = pair
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "interview.txt").write_bytes(b"We met at dawn.")
    project = _zip(tmp_path / "zoe.qdpx", {"project.qde": _project(
        _source("relative://interview.txt", _selection(10, 14)))})
    app = MarginApp(ada, "ada", entity_backend="rules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()

        async def merge(sources: str) -> list[str]:
            app.merge_project()
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, MergeScreen)
            dialog.query_one("#path").value = str(project)
            dialog.query_one("#sources").value = sources
            dialog.query_one("#sources").focus()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            shown = list(dialog.shown)
            await pilot.press("escape")
            await pilot.pause()
            return shown

        shown = await merge(str(folder / "interview.txt"))
        assert shown == [f"Error: {folder / 'interview.txt'} is a file: name the folder of "
                         "the project's sources"]
        shown = await merge("")  # no folder: the source cannot be read
        assert shown[0].startswith("Error: ") and "interview.txt" in shown[0]
        shown = await merge(str(folder))
        assert shown[0] == "Merged zoe.qdpx: 1 document, 1 code, 1 coding, 0 memos came in"
    assert text_digest("We met at dawn.") in state(ada)["documents"]


async def test_each_enter_replaces_the_last_report_and_an_error_leaves_no_bar(
        pair, tmp_path):  # noqa: F811
    from textual.widgets import ProgressBar, RichLog

    ada, bob = pair
    app = MarginApp(ada, "ada", entity_backend="rules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.merge_project()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, MergeScreen)
        log = dialog.query_one("#log", RichLog)
        path = dialog.query_one("#path")
        path.value = str(tmp_path / "nothere.db")
        path.focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "no file at" in "\n".join(line.text for line in log.lines)
        assert not dialog.query_one("#progress", ProgressBar).display  # no bar at 0 %
        path.value = str(bob)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = "\n".join(line.text for line in log.lines)
        assert shown.startswith("Merged bob.db") and "no file at" not in shown
        assert dialog.shown[0].startswith("Merged bob.db")


# ------------------------------------------------------------ a real terminal


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("merge-terminal")


@pytest.fixture(scope="module")
def screen(folder):
    yield from library_session(folder, 80, 24)


@pytest.fixture(scope="module")
def colleague(folder):
    """bob's copy of the sample corpus: a code and two codings of his."""
    path = make_project(folder / "bob.db", entities=False)
    db = open_database(path)
    code = create_code(db, "Diplomacy")
    text = db.execute("SELECT text FROM documents WHERE id = 1").fetchone()[0]
    apply_coding(db, 1, code, 0, 20, "bob")
    apply_coding(db, 1, code, 30, len(text) // 2, "bob")
    db.close()
    return path


async def test_in_blind_mode_the_report_says_what_came_in_not_where_they_coded(pair):  # noqa: F811
    ada, bob = pair
    app = MarginApp(ada, "ada", entity_backend="rules")
    async with app.run_test(size=SIZE) as pilot:
        app.blind = True
        await pilot.pause()
        app.merge_project()
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#path").value = str(bob)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert dialog.shown[0].startswith("Merged bob.db:")
        assert not any("bob" in line and "codings" in line for line in dialog.shown[1:])
        assert dialog.shown[-1].startswith("Blind mode: their codings came in")


@needs_margin
def test_merge_from_the_palette_in_a_real_terminal(screen, colleague):
    screen.keys("\x10")  # ctrl+p
    screen.wait_for("Search for commands")
    settle()
    screen.keys("merge a coll")
    screen.wait_for("Merge a colleague's project…")
    screen.keys("\r")
    screen.wait_for("Merge a colleague's project", "Enter merges")
    settle()
    screen.keys(f"{colleague}\r")
    shown = screen.wait_for("Merged bob.db: 0 documents, 1 code, 2 codings")
    assert "new code      Diplomacy" in shown
    assert "codings       bob: 2 new" in shown
    assert "Traceback" not in shown
    screen.keys("\x1b")
    screen.wait_without("Enter merges")
    shown = screen.wait_for("margin — library", "2 codings")
    assert "Diplomacy" in shown  # the codebook beside the library
    screen.keys("u")
    shown = screen.wait_for("Undid: Merge bob.db")
    screen.wait_for("0 codings")
