"""A database with one damaged page: a clear message and a non-zero exit, in
the app (its own screen) and on the command line (one line), never a
traceback; `margin check` says what SQLite finds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import make_demo_project

from margin.store.config import Config
from margin.store.db import open_database
from margin.store.errors import DamagedDatabase
from margin.tui.app import MarginApp
from margin.tui.damaged import DamagedDatabaseScreen

SIZE = (100, 30)


def damaged_copy(good: Path, table: str, name: str = "damaged.db") -> Path:
    """A copy of ``good`` whose ``table``'s first page is garbage."""
    damaged = good.with_name(name)
    shutil.copy(good, damaged)
    db = open_database(damaged)
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.conn.close()
    with open(damaged, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xde\xad\xbe\xef" * (page_size // 4))
    return damaged


def margin(*args: str):
    return subprocess.run([sys.executable, "-m", "margin.tui.cli", *args],
                          capture_output=True, env=dict(os.environ), timeout=120)


def test_the_command_line_says_the_database_is_damaged_in_one_line(tmp_path):
    damaged = damaged_copy(make_demo_project(tmp_path / "good.db"), "documents")
    result = margin("documents", "--db", str(damaged))
    assert result.returncode == 1
    [line] = result.stderr.decode().splitlines()
    assert line.startswith(f"Error: the database {damaged} is damaged (database disk image is "
                           "malformed): `margin check --db ")
    assert "backup" in line


def test_margin_check_finds_the_damage_the_message_points_to(tmp_path):
    good = make_demo_project(tmp_path / "good.db")
    assert margin("check", "--db", str(good)).returncode == 0
    damaged = damaged_copy(good, "entities")
    result = margin("check", "--db", str(damaged))
    assert result.returncode == 1
    assert b"PROBLEM" in result.stdout and b"database disk image is malformed" in result.stdout
    assert b"Traceback" not in result.stderr


def test_a_file_that_is_not_sqlite_is_not_called_damaged(tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("not a database " * 300)
    result = margin("documents", "--db", str(notes))
    assert result.returncode == 1
    assert b"damaged" not in result.stderr and b"Traceback" not in result.stderr


async def test_damage_found_while_reading_opens_the_damaged_database_screen(tmp_path):
    """The library reads fine; opening a document reads the damaged page."""
    damaged = damaged_copy(make_demo_project(tmp_path / "good.db"), "entities")
    config = Config(problems=["unknown key \"colour\"; ignored"])
    app = MarginApp(damaged, "ada", config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not isinstance(app.screen, DamagedDatabaseScreen)
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert isinstance(app.screen, DamagedDatabaseScreen)
        assert not app._notifications  # nothing covers it (the config notice waits)
        shown = str(app.screen.query_one("#damage-message").render())
        assert f"the database {damaged} is damaged (database disk image is malformed)" in shown
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 1
    assert app.damage is not None and "margin check" in app.damage


def test_a_file_damaged_where_the_schema_is_read_is_a_damaged_database(tmp_path):
    damaged = tmp_path / "damaged.db"
    shutil.copy(make_demo_project(tmp_path / "good.db"), damaged)
    with open(damaged, "r+b") as file:  # page 1 after SQLite's 100-byte header
        file.seek(100)
        file.write(b"\xde\xad\xbe\xef" * 200)
    try:
        open_database(damaged)
    except DamagedDatabase as error:
        assert str(damaged) in str(error)
    else:
        raise AssertionError("opened")
    result = margin("--db", str(damaged))  # the app: refused before it starts
    assert result.returncode == 1
    [line] = result.stderr.decode().splitlines()
    assert line.startswith(f"Error: the database {damaged} is damaged")
