"""`margin remove DOC_ID...`: asks on a terminal, --yes for scripts, refuses
unknown ids with one line and a non-zero exit."""

from __future__ import annotations

import json

from pty_terminal import needs_margin
from test_cli import margin


def _ids(db) -> list[int]:
    result = margin("documents", "--json", "--db", str(db))
    return [json.loads(line)["id"] for line in result.stdout.decode().splitlines()]


def test_remove_with_yes_deletes_and_says_what_went(tmp_path):
    db = tmp_path / "m.db"
    assert margin("import", "--sample", "--db", str(db)).returncode == 0
    result = margin("remove", "2", "4", "--yes", "--db", str(db))
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert out.startswith("Deleted 2 documents (“This year, Russia")
    assert "entity mentions go with them." in out
    assert _ids(db) == [1, 3, 5]


def test_unknown_or_malformed_ids_are_refused_and_nothing_is_deleted(tmp_path):
    db = tmp_path / "m.db"
    margin("import", "--sample", "--db", str(db))
    result = margin("remove", "1", "99", "--yes", "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.decode() == "Error: no document with id 99\n"
    result = margin("remove", "one", "--db", str(db))
    assert result.returncode == 2
    assert "not a document id: one" in result.stderr.decode()
    assert len(result.stderr.decode().splitlines()) == 1
    assert _ids(db) == [1, 2, 3, 4, 5]


def test_without_a_terminal_it_asks_for_yes(tmp_path):
    db = tmp_path / "m.db"
    margin("import", "--sample", "--db", str(db))
    result = margin("remove", "1", "--db", str(db), stdin=b"y\n")
    assert result.returncode == 1
    assert "add --yes to delete" in result.stderr.decode()
    assert _ids(db) == [1, 2, 3, 4, 5]


@needs_margin
def test_on_a_terminal_it_asks_naming_the_document(terminal):
    first = terminal(100, 24)  # creates the default database with the samples
    first.wait_for("5 documents")
    first.keys("q")
    assert first.exit_status() == 0

    answer_no = terminal(100, 24, "remove", "1")
    answer_no.wait_for("Delete “Diplomacy Watch: Still tap dancing around NATO for Kyiv”?",
                       "go with it. [y/N]:")
    answer_no.keys("n\r")
    assert answer_no.exit_status() == 1
    assert "Nothing deleted." in answer_no.text()

    answer_yes = terminal(100, 24, "remove", "1")
    answer_yes.wait_for("[y/N]:")
    answer_yes.keys("y\r")
    assert answer_yes.exit_status() == 0
    assert "Deleted “Diplomacy Watch" in answer_yes.text()
