"""In a real terminal: code colours in a 16-colour terminal, a broken config
file, a damaged database (see pty_terminal.py)."""

from __future__ import annotations

import shutil

from helpers import make_demo_project
from pty_terminal import needs_margin

from margin.store.db import open_database


def _backgrounds(screen, needle: str) -> set[str]:
    """The background colour names (pyte's) behind ``needle`` on screen."""
    lines = screen.screen.display
    for y, line in enumerate(lines):
        x = line.find(needle)
        if x >= 0:
            row = screen.screen.buffer[y]
            return {row[column].bg for column in range(x, x + len(needle))}
    raise AssertionError(f"{needle!r} is not on screen")


@needs_margin
def test_a_16_colour_terminal_shows_each_code_in_its_own_colour(terminal, tmp_path):
    """With TERM=linux two code tints used to become one grey."""
    project = make_demo_project(tmp_path / "demo.db")
    screen = terminal(120, 36, "--db", str(project), env_extra={"TERM": "linux", "COLORTERM": ""})
    screen.wait_for("Diplomacy Watch")
    screen.keys("\r")
    screen.wait_for("reiterated this goal", "The Kremlin said")
    aid, escalation = _backgrounds(screen, "reiterated"), _backgrounds(screen, "The Kremlin")
    plain = _backgrounds(screen, "Kyiv and Moscow both hinted")
    assert len(aid) == len(escalation) == len(plain) == 1
    assert len(aid | escalation | plain) == 3, (aid, escalation, plain)
    screen.keys("q")
    assert screen.exit_status() == 0


@needs_margin
def test_a_config_mistake_is_a_notice_not_a_traceback(terminal, tmp_path):
    """`code_template = "{name}{label.x}"` ended margin with an AttributeError."""
    config = tmp_path / "config" / "margin" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[entities]\ncode_template = "{name}{label.x}"\n[keys]\n"reader.code" = "v"\n')
    screen = terminal(120, 36)
    shown = screen.wait_for("2 config problems", "{label.x}", "margin — library", timeout=60)
    assert "Traceback" not in shown
    screen.keys("q")
    assert screen.exit_status() == 0


@needs_margin
def test_a_damaged_database_shows_what_to_do_and_exits_with_1(terminal, tmp_path):
    good = make_demo_project(tmp_path / "good.db")
    damaged = tmp_path / "damaged.db"
    shutil.copy(good, damaged)
    db = open_database(damaged)
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'documents'").fetchone()[0]
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.conn.close()
    with open(damaged, "r+b") as file:  # one damaged page: the documents table's
        file.seek((root - 1) * page_size)
        file.write(b"\xde\xad\xbe\xef" * (page_size // 4))
    screen = terminal(80, 24, "--db", str(damaged))
    shown = screen.wait_for("The database is damaged", "margin check", timeout=60)
    assert "Traceback" not in shown
    screen.keys("q")
    assert screen.exit_status() == 1
    shown = screen.wait_for("Error: the database")
    assert "is damaged (database disk image is malformed)" in shown.replace("\n", "")
