"""Coding from a script, as a script writer runs it: real processes, then
what the database and the app's undo see."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from margin.store.codes import codebook
from margin.store.codings import codings_for_document
from margin.store.db import open_database
from margin.store.documents import import_text
from margin.store.history import can_undo, undo
from margin.store.sources.textio import DecodedText

TEXT = "NATO met in Brussels. NATO said little.\n\nKyiv asked NATO for more."


def margin(*args: str, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "margin.tui.cli", *args],
        input=stdin.encode() if stdin is not None else None,
        capture_output=True, timeout=60, env={**os.environ},
    )


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "p.db"
    db = open_database(path)
    import_text(db, DecodedText(TEXT, "utf-8", False), source="a.txt", clean=False)
    db.close()
    return str(path)


def codings(path: str) -> list[tuple[str, str, str | None]]:
    db = open_database(path)
    try:
        return sorted((c.code_name, c.quote, c.coder) for c in codings_for_document(db, 1))
    finally:
        db.close()


def test_code_by_offsets_and_by_quote(project):
    assert margin("--db", project, "codes", "add", "Actors > Alliances").returncode == 0
    by_offsets = margin("--db", project, "--coder", "ana", "code", "Alliances",
                        "--document", "1", "--start", "0", "--end", "4")
    assert by_offsets.returncode == 0, by_offsets.stderr
    assert by_offsets.stdout.decode() == "Coded 1 passage\n"
    by_quote = margin("--db", project, "--coder", "ana", "code", "Actors > Alliances",
                      "--document", "1", "--quote", "NATO", "--nth", "3", "--json")
    assert json.loads(by_quote.stdout) == {"coded": 1, "already_coded": 0, "removed": 0,
                                           "created_codes": []}
    db = open_database(project)
    starts = sorted(c.start for c in codings_for_document(db, 1))
    db.close()
    assert starts == [0, TEXT.index("NATO for")]


def test_an_ambiguous_quote_or_a_missing_code_changes_nothing(project):
    margin("--db", project, "codes", "add", "Alliances")
    ambiguous = margin("--db", project, "code", "Alliances", "--document", "1", "--quote", "NATO")
    assert ambiguous.returncode == 1
    assert ambiguous.stderr.decode() == (
        "Error: quote 'NATO' occurs 3 times; say which with nth (1 is the first) or all\n"
        "Nothing was changed.\n")
    missing = margin("--db", project, "code", "Alliance", "--document", "1", "--quote", "Kyiv")
    assert missing.returncode == 1 and "no code 'Alliance'" in missing.stderr.decode()
    assert codings(project) == []
    every = margin("--db", project, "--coder", "ana", "code", "Alliances", "--document", "1",
                   "--quote", "NATO", "--all")
    assert every.stdout.decode() == "Coded 3 passages\n"


def test_bulk_coding_from_jsonl_is_one_undoable_action_or_nothing(project):
    lines = [
        {"document": 1, "code": "Places > Cities", "quote": "Brussels", "memo": "host"},
        {"document": "NATO met in Brussels.", "code": "Actors",
         "quote": "Kyiv", "coder": "ben"},
        {"document": 1, "code": "Actors", "start": 0, "end": 4},
    ]
    bad = [*lines, {"document": 1, "code": "Actors", "quote": "Paris"}]
    refused = margin("--db", project, "--coder", "ana", "code", "--create", "--from", "-",
                     stdin="\n".join(json.dumps(line) for line in bad))
    assert refused.returncode == 1
    assert "line 4: quote 'Paris' is not in the document" in refused.stderr.decode()
    assert codings(project) == []

    done = margin("--db", project, "--coder", "ana", "code", "--create", "--from", "-",
                  stdin="\n".join(json.dumps(line) for line in lines))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == "Coded 3 passages; created 2 codes: Places > Cities, Actors\n"
    assert codings(project) == [("Actors", "Kyiv", "ben"), ("Actors", "NATO", "ana"),
                                ("Cities", "Brussels", "ana")]
    db = open_database(project)
    assert can_undo(db) == "Code 3 passages from a script"
    undo(db)  # as u in the app: the whole run goes, codes too
    assert codings_for_document(db, 1) == [] and codebook(db) == []
    db.close()


def test_bulk_coding_names_each_bad_line(project):
    result = margin("--db", project, "code", "--from", "-",
                    stdin='{"document": 1}\nnot json\n{"document": 1, "code": "A", "colour": 1}\n')
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        "Error: line 1: document and code are required",
        "Error: line 2: not JSON (Expecting value)",
        "Error: line 3: unknown field(s) colour",
        "Nothing was changed.",
    ]


def test_uncode_removes_only_my_coding_unless_any_coder(project):
    for coder in ("ana", "ben"):
        margin("--db", project, "--coder", coder, "code", "--create", "Actors",
               "--document", "1", "--start", "0", "--end", "4")
    mine = margin("--db", project, "--coder", "ana", "uncode", "Actors", "--document", "1",
                  "--quote", "NATO", "--nth", "1")
    assert mine.stdout.decode() == "Removed 1 coding\n"
    assert codings(project) == [("Actors", "NATO", "ben")]
    again = margin("--db", project, "--coder", "ana", "uncode", "Actors", "--document", "1",
                   "--start", "0", "--end", "4")
    assert again.returncode == 1 and "'Actors' is not on the passage 0-4 by ana" in (
        again.stderr.decode())
    everyone = margin("--db", project, "uncode", "Actors", "--document", "1", "--start", "0",
                      "--end", "4", "--any-coder")
    assert everyone.returncode == 0 and codings(project) == []


def test_codebook_commands_are_undoable_actions(project):
    assert margin("--db", project, "codes", "add", "Diplo", "--colour", "#336699").returncode == 0
    margin("--db", project, "codes", "add", "Actors")
    assert margin("--db", project, "codes", "rename", "Diplo", "Diplomacy").stdout.decode() == (
        "Renamed Diplo to Diplomacy\n")
    assert margin("--db", project, "codes", "move", "Diplomacy", "--under", "Actors"
                  ).stdout.decode() == "Moved Diplomacy to Actors > Diplomacy\n"
    listed = json.loads(margin("--db", project, "codes", "--json").stdout)
    assert [code["path"] for code in listed] == ["Actors", "Actors > Diplomacy"]
    assert listed[1]["colour"] == "#336699"
    refused = margin("--db", project, "codes", "delete", "Actors")
    assert refused.returncode == 1 and "needs --yes" in refused.stderr.decode()
    deleted = margin("--db", project, "codes", "delete", "Actors", "--yes", "--json")
    assert json.loads(deleted.stdout) == {"path": "Actors", "codes": 2, "codings": 0}
    db = open_database(project)
    assert can_undo(db).startswith("Delete")
    undo(db)
    assert [code.path for code in codebook(db)] == ["Actors", "Actors > Diplomacy"]
    db.close()


def test_merge_from_the_command_line(project):
    margin("--db", project, "code", "--create", "A", "--document", "1", "--start", "0",
           "--end", "4")
    margin("--db", project, "code", "--create", "B", "--document", "1", "--quote", "Kyiv")
    merged = margin("--db", project, "codes", "merge", "A", "B")
    assert merged.stdout.decode() == "Merged A into B (1 coding moved)\n"
    assert [name for name, _, _ in codings(project)] == ["B", "B"]


def test_full_text_search_on_the_command_line(project):
    found = margin("--db", project, "fts", "Brussels OR Kyiv", "--json")
    hits = [json.loads(line) for line in found.stdout.decode().splitlines()]
    assert [(hit["text"], hit["start"]) for hit in hits] == [
        ("Brussels", TEXT.index("Brussels")), ("Kyiv", TEXT.index("Kyiv"))]
    shown = margin("--db", project, "fts", "asked").stdout.decode()
    assert shown == f"   1:{TEXT.index('asked'):<7} Kyiv [asked] NATO for more.\n"
    bad = margin("--db", project, "fts", '"unclosed')
    assert bad.returncode == 1 and "Traceback" not in bad.stderr.decode()
