"""Import/export from the app, remapped keys, the command palette, the help."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import make_demo_project, make_project

from margin.store.codings import codings_for_document
from margin.store.documents import list_documents
from margin.store.entities.storage import documents_needing_entities, entities_for_document
from margin.tui.app import MarginApp
from margin.tui.help import HelpScreen
from margin.tui.reader.screen import ReaderScreen
from margin.tui.transfer import ExportScreen, ImportScreen

SIZE = (120, 36)


async def _wait_for_workers(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_import_from_the_app_reports_each_file_and_fills_the_library(tmp_path):
    project = make_project(tmp_path / "p.db", sample=False)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Interview A\n\nWe met Angela Merkel at the station in Berlin.")
    (corpus / "b.md").write_text("# Interview B\n\nShe spoke first.")
    (corpus / "c.txt").write_bytes(b"\x00\x01\x02binary")
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ImportScreen)
        app.screen.query_one("#paths").value = str(corpus)
        await pilot.press("enter")
        await _wait_for_workers(app, pilot)
        log = "\n".join(str(line.text) for line in app.screen.query_one("#log").lines)
        assert "2 imported, 0 skipped as duplicates, 1 refused" in log
        assert "c.txt" in log and "binary file (contains NUL bytes)" in log
        # The new documents' entities were recognised in the same worker.
        assert "Recognising entities (rules)" in log
        assert documents_needing_entities(app.db) == []
        [interview_a] = [d for d in list_documents(app.db) if d.title == "Interview A"]
        assert {(e.text, e.label) for e in entities_for_document(app.db, interview_a.id)} >= {
            ("Angela Merkel", "PERSON"), ("Berlin", "GPE")}
        await pilot.press("escape")
        await pilot.pause()
        table = app.screen.query_one("#documents")
        titles = sorted(str(table.get_row_at(i)[1]) for i in range(table.row_count))
        assert titles == ["Interview A", "Interview B"]


async def test_export_from_the_app_writes_the_file(tmp_path):
    project = make_demo_project(tmp_path / "p.db")
    target = tmp_path / "passages.md"
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("E")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#format").value = "md"
        await pilot.pause()
        app.screen.query_one("#path").value = str(target)
        app.screen.query_one("#path").focus()
        await pilot.press("enter")
        await _wait_for_workers(app, pilot)
    content = target.read_text()
    assert "## US aid" in content and "> House Speaker Mike Johnson told reporters" in content


async def test_export_a_refi_qda_project_from_the_app(tmp_path):
    import zipfile

    project = make_demo_project(tmp_path / "p.db")
    target = tmp_path / "project.qdpx"
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("E")
        await pilot.pause()
        app.screen.query_one("#format").value = "qdpx"
        await pilot.pause()
        assert app.screen.query_one("#path").value.endswith(".qdpx")
        app.screen.query_one("#path").value = str(target)
        app.screen.query_one("#path").focus()
        await pilot.press("enter")
        await _wait_for_workers(app, pilot)
        log = "\n".join(str(line.text) for line in app.screen.query_one("#log").lines)
        assert "Wrote the QDPX file" in log and target.name in log
    with zipfile.ZipFile(target) as archive:
        assert b"US aid" in archive.read("project.qde")


async def test_import_a_refi_qda_project_from_the_app(tmp_path):
    from margin.store.db import open_database
    from margin.store.refi.exporter import export_qdpx

    demo = open_database(make_demo_project(tmp_path / "demo.db"))
    archive = export_qdpx(demo, tmp_path / "demo.qdpx")
    demo.conn.close()
    project = make_project(tmp_path / "empty.db", sample=False)
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one("#paths").value = str(archive)
        await pilot.press("enter")
        await _wait_for_workers(app, pilot)
        log = "\n".join(str(line.text) for line in app.screen.query_one("#log").lines)
        assert "documents 5 added" in log and "codings 4 added" in log
    assert len(list_documents(open_database(project))) == 5


async def test_keys_can_be_remapped_by_binding_id(tmp_path):
    project = make_project(tmp_path / "p.db")
    app = MarginApp(project, "ada", keymap={"reader.code": "K", "reader.visual": "V"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter", "V", "w", "K", *"Remapped", "enter")
        await pilot.pause()
        assert [c.code_name for c in codings_for_document(app.db, 1)] == ["Remapped"]


async def test_the_command_palette_offers_reader_actions(tmp_path):
    project = make_project(tmp_path / "p.db")
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for expected in ("Code (c)", "Uncode (x)", "Memo (m)", "Copy (y)", "Undo (u)",
                         "Export coded passages", "Import documents"):
            assert any(title.startswith(expected) for title in titles), expected


async def test_help_lists_every_reader_key_with_its_id(tmp_path):
    project = make_project(tmp_path / "p.db")
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {row[3] for row in app.screen.rows}
        for binding_id in ("reader.code", "reader.word", "reader.sentence", "reader.visual",
                           "reader.select_paragraph", "codebook.merge", "app.undo"):
            assert binding_id in ids
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)


async def test_at_80_columns_help_shows_every_binding_id_whole(tmp_path):
    # An id is what one copies into config.toml: it was cut with "…" at 80
    # columns (library.focus_cod…). A tall terminal shows every row at once.
    project = make_project(tmp_path / "p.db")
    app = MarginApp(project, "ada")
    async with app.run_test(size=(80, 200)) as pilot:
        await pilot.pause()
        await pilot.press("enter", "question_mark")
        await pilot.pause(0.3)
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        ids = [row[3] for row in app.screen.rows if row[3]]
        assert ids and [i for i in ids if i not in shown] == []


def test_store_never_imports_textual():
    code = (
        "import sys, margin.store.db, margin.store.documents, margin.store.codes, margin.store.codings, margin.store.export, "
        "margin.store.history, margin.store.config, margin.store.citations, margin.store.search.corpus, margin.store.search.index, "
        "margin.store.search.fulltext, margin.store.entities.storage, margin.store.entities.rules, "
        "margin.store.entities.spacy_backend, margin.store.entities.grouping, margin.store.entities.scoring; "
        "sys.exit(1 if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("offset_phrase", ["House Speaker Mike Johnson"])
async def test_opening_a_passage_puts_the_cursor_on_it(tmp_path, offset_phrase):
    project = make_demo_project(tmp_path / "p.db")
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = app.db.execute("SELECT text FROM documents WHERE id = 1").fetchone()[0]
        offset = text.index(offset_phrase)
        app.open_document(1, offset=offset)
        await pilot.pause()
        await pilot.pause()
        view = app.screen.query_one("#reader")
        assert view.cursor == offset
        rows = [view.render_line(y).text for y in range(view.size.height)]
        assert any("House Speaker Mike Johnson" in row for row in rows)


async def test_notifications_from_any_screen_never_read_markup(tmp_path):
    project = make_project(tmp_path / "p.db", sample=False)
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.notify("Joe Biden[b] and [bold]Putin")  # Widget.notify asks for markup
        await pilot.pause()
        [notification] = list(app._notifications)
        assert notification.message == "Joe Biden[b] and [bold]Putin"
        assert notification.markup is False
