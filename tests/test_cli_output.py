"""What the command line prints: `--json` with standard output closed
(`>&-`) is one error line and a non-zero exit, never records dropped in
silence (a command that would change the database stops before it does); a
code name written from outside prints without its control characters."""

from __future__ import annotations

import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from margin.store.codes import create_code
from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.store.importing import import_sample_corpus

ERROR = "Error: cannot write to standard output: Bad file descriptor"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("closed") / "p.db"
    db = open_database(path)
    import_sample_corpus(db)
    apply_coding(db, 1, create_code(db, "Talks"), 0, 20, "ada")
    db.close()
    return path


def run_closed(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    command = shlex.join([sys.executable, "-m", "margin.tui.cli", *args])
    return subprocess.run(["bash", "-c", f"{command} >&-"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, cwd=cwd)


def counts(path: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(path)
    try:
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                     for table in ("documents", "codes", "codings"))
    finally:
        conn.close()


@pytest.mark.parametrize("args", [
    ("documents", "--json"),
    ("codes", "--json"),
    ("search", "talks", "--json"),
    ("fts", "negotiat*", "--json"),
    ("check", "--json"),
    ("info", "--json"),
    ("entities", "1", "--json"),
    ("datasette-metadata",),
    ("code", "Talks", "--document", "2", "--start", "0", "--end", "10", "--json"),
    ("codes", "add", "Brand new", "--json"),
    ("import", "{notes}", "--json"),
], ids=lambda args: " ".join(args[:2]))
def test_json_to_a_closed_standard_output_is_one_error_line(project, tmp_path, args):
    notes = tmp_path / "notes.txt"
    notes.write_text("Field notes from the border.\n")
    args = tuple(str(notes) if arg == "{notes}" else arg for arg in args)
    before = counts(project)
    global_db = () if args[0] == "datasette-metadata" else ("--db", str(project))
    result = run_closed(*global_db, *args)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [ERROR]
    assert counts(project) == before  # nothing written that nobody was told of


def test_code_names_written_from_outside_print_without_control_sequences(tmp_path):
    """A name set by sqlite-utils, Datasette or a REFI project (XML carries
    C1 controls) reaches `margin codes` as it is stored."""
    path = tmp_path / "names.db"
    open_database(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO codes (uuid, name, colour, created) VALUES "
                 "('u1', 'Evil\x1b]0;pwned\x07\x9b2J name', '#888888', '2026')")
    conn.commit()
    conn.close()
    result = subprocess.run([sys.executable, "-m", "margin.tui.cli", "codes", "--db", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Evil" in result.stdout and "name  0" in result.stdout
    assert not any(char in result.stdout for char in "\x1b\x07\x9b")


def _commands(group, prefix=()):
    import click

    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_commands_json_is_the_one_shared_option():
    # A command that grows its own --json would print to a closed standard
    # output in silence again (the cases above test the commands one by one).
    from margin.tui.commands import cli

    own = [" ".join(path) for path, command in _commands(cli)
           for parameter in command.params
           if "--json" in getattr(parameter, "opts", ())
           and getattr(parameter.callback, "__name__", "") != "_json_wanted"]
    assert own == []
