"""The import dialog and `margin import` run the one import flow and show the
same lines for the same input."""

from __future__ import annotations

import re

from click.testing import CliRunner
from helpers import make_project, wait_for
from test_importing import conflicting_project, make_folder

from margin.store.codes import create_code
from margin.store.db import open_database
from margin.tui.app import MarginApp
from margin.tui.commands import cli
from margin.tui.transfer import ImportScreen

SIZE = (160, 40)


def _same_database_twice(tmp_path):
    """Two empty projects in the same state, with a REFI-QDA project that
    conflicts with both (a code of theirs has the GUID of one of ours)."""
    paths = [make_project(tmp_path / f"{name}.db", sample=False) for name in ("cli", "dialog")]
    first = open_database(paths[0])
    project = conflicting_project(tmp_path, first)
    uuid = first.execute("SELECT uuid FROM codes WHERE name = 'Players'").fetchone()[0]
    first.close()
    second = open_database(paths[1])
    players = create_code(second, "Players")
    second.execute("UPDATE codes SET uuid = ? WHERE id = ?", [uuid, players])
    second.close()
    return paths, project


async def import_in_the_dialog(app, pilot, sources: list[str]) -> ImportScreen:
    """Open the import dialog with `i`, type the sources, press Enter."""
    await pilot.pause()
    await pilot.press("i")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, ImportScreen)
    dialog.query_one("#paths").value = " ".join(sources)
    await pilot.press("enter")
    return dialog


async def test_the_dialog_shows_the_lines_the_command_line_prints(tmp_path):
    (cli_db, dialog_db), project = _same_database_twice(tmp_path)
    folder = make_folder(tmp_path)
    sources = [str(folder), str(project)]

    result = CliRunner().invoke(cli, ["--db", str(cli_db), "import", *sources,
                                      "--backend", "rules"])
    assert result.exit_code == 1, result.output  # the PNG is refused
    printed = result.output.splitlines()  # stdout and stderr as a terminal shows them

    app = MarginApp(dialog_db, "ada", entity_backend="rules")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await import_in_the_dialog(app, pilot, sources)
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = list(dialog.shown)
        log = "".join(str(line.text) for line in dialog.query_one("#log").lines)

    assert shown == printed
    # The log holds exactly those lines (wrapped to its width).
    assert re.sub(r"\s", "", log) == re.sub(r"\s", "", "".join(printed))
    assert any(line.startswith("  conflict: code ") for line in shown)
    assert any("c-picture.txt: binary file" in line for line in shown)
    assert "4 imported, 0 skipped as duplicates, 1 refused" in shown  # 3 files, 1 project


async def test_closing_the_dialog_cancels_a_big_import_between_files(tmp_path):
    """Big enough for worker processes, which start from inside the running
    app (whose sys.stderr has no file descriptor), and stop when it closes."""
    from test_importing import NEWS

    from margin.store.documents import list_documents
    from margin.store.entities.storage import documents_needing_entities

    folder = tmp_path / "big"
    folder.mkdir()
    for number in range(300):  # about 430,000 words: recognised in worker processes
        (folder / f"{number:03}.txt").write_text(f"Note {number}\n\n{NEWS * 40}",
                                                 encoding="utf-8")
    project = make_project(tmp_path / "p.db", sample=False)
    app = MarginApp(project, "ada", entity_backend="rules")
    async with app.run_test(size=SIZE) as pilot:
        await import_in_the_dialog(app, pilot, [str(folder)])
        db = open_database(project)
        await wait_for(pilot, lambda: len(list_documents(db)) > 0, timeout=30)
        await pilot.press("escape")  # closes the dialog: its worker is cancelled
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert 0 < len(list_documents(db)) < 300
        # Whatever was imported came with its entities: nothing half-done.
        assert documents_needing_entities(db) == []
        db.close()
