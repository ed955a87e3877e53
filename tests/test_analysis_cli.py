"""`margin stats codes|cooccurrence|matrix` and `margin retrieve` as a user
runs them: the same figures as the store, in the shapes promised (aligned
text, one JSON object a line, CSV without a BOM), filters, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from margin.store.analysis.cooccurrence import cooccurrence
from margin.store.analysis.frequencies import code_frequencies
from margin.store.codes import ensure_code_path
from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.store.documents import import_text
from margin.store.sources.textio import DecodedText
from margin.tui.commands import cli

TEXTS = [
    "Talks stalled in May. NATO met in June.\n\nThe escalation came later.",
    "A second text\x1b[31m with an escape. NATO again here.",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "project.db"
    db = open_database(path)
    first, second = (import_text(db, DecodedText(text, "utf-8", False), source="t",
                                 clean=False).document_id for text in TEXTS)
    db.execute("UPDATE documents SET title = ? WHERE id = ?", ["Bell\x07 title", second])
    db.conn.commit()
    escalation = ensure_code_path(db, "Conflict > Escalation")
    conflict = ensure_code_path(db, "Conflict")
    nato = ensure_code_path(db, "NATO")
    odd = ensure_code_path(db, "Odd\x1b[2J name")
    apply_coding(db, first, escalation, 0, 20, "ana")  # "Talks stalled in May"
    apply_coding(db, first, nato, 6, 39, "ana")  # "stalled in May. NATO met in June."
    apply_coding(db, first, conflict, 41, 67, "ben")  # "The escalation came later."
    apply_coding(db, second, nato, 0, 13, "ben")
    apply_coding(db, second, odd, 2, 8, "ben")
    apply_coding(db, second, ensure_code_path(db, "Zed"), 9, 33, "ben")  # over the ESC
    db.conn.close()
    return path


def run(project, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--db", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def margin(*args: str):
    return subprocess.run([sys.executable, "-m", "margin.tui.cli", *args],
                          capture_output=True, text=True, timeout=60)


def test_stats_codes_json_is_one_object_a_line_with_the_store_figures(project):
    lines = run(project, "stats", "codes", "--json").splitlines()
    records = [json.loads(line) for line in lines]
    db = open_database(project, read_only=True)
    expected = code_frequencies(db)
    assert [r["code"] for r in records] == [row.path for row in expected]
    conflict = records[0]
    assert list(conflict) == ["code", "codings", "documents", "characters", "words",
                              "with_subcodes"]
    assert conflict == {"code": "Conflict", "codings": 1, "documents": 1, "characters": 26,
                        "words": 4, "with_subcodes": {"codings": 2, "documents": 1,
                                                      "characters": 46, "words": 8}}
    by_coder = [json.loads(line) for line in
                run(project, "stats", "codes", "--by", "coder", "--json").splitlines()]
    assert {(r["code"], r["coder"]) for r in by_coder} >= {("Conflict", "ana"),
                                                            ("Conflict", "ben")}
    by_document = json.loads(run(project, "stats", "codes", "--by", "document",
                                 "--json").splitlines()[0])
    assert list(by_document)[:3] == ["code", "document_id", "document"]


def test_stats_codes_text_is_an_aligned_table_with_controls_shown(project):
    lines = run(project, "stats", "codes").splitlines()
    assert lines[0].split()[:5] == ["code", "codings", "documents", "characters", "words"]
    rows = {line.split("  ")[0].strip(): line for line in lines[1:]}
    # (a code's name never holds a control character: the store makes them spaces)
    assert set(rows) == {"Conflict", "Conflict > Escalation", "NATO", "Odd [2J name", "Zed"}
    assert "\x1b" not in "".join(lines)
    ends = {len(line) for line in lines}  # numbers right-aligned: every line as long
    assert len(ends) == 1
    assert rows["NATO"].split()[1:5] == ["2", "2", "46", "10"]


def test_stats_codes_filters_by_coder_repeatable_and_document(project):
    ana = [json.loads(line) for line in
           run(project, "stats", "codes", "--coder", "ana", "--json").splitlines()]
    assert {r["code"]: r["codings"] for r in ana}["NATO"] == 1
    both = [json.loads(line) for line in run(project, "stats", "codes", "--coder", "ana",
                                             "--coder", "ben", "--json").splitlines()]
    assert {r["code"]: r["codings"] for r in both}["NATO"] == 2
    second = [json.loads(line) for line in
              run(project, "stats", "codes", "--document", "2", "--json").splitlines()]
    assert {r["code"]: r["codings"] for r in second}["NATO"] == 1


def test_stats_csv_has_no_bom_and_the_json_fields(project):
    out = run(project, "stats", "codes", "--csv")
    assert not out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["code", "codings", "documents", "characters", "words",
                       "with_subcodes_codings", "with_subcodes_documents",
                       "with_subcodes_characters", "with_subcodes_words"]
    assert rows[1] == ["Conflict", "1", "1", "26", "4", "2", "1", "46", "8"]
    pairs = list(csv.reader(io.StringIO(run(project, "stats", "cooccurrence", "--csv"))))
    assert pairs[0] == ["code_a", "code_b", "count"]
    matrix = list(csv.reader(io.StringIO(run(project, "stats", "matrix", "--cols", "coders",
                                             "--csv"))))
    assert matrix[0] == ["code", "ana", "ben"]
    assert ["NATO", "1", "1"] in matrix


def test_stats_cooccurrence_each_unit_as_the_store_counts(project):
    db = open_database(project, read_only=True)
    for unit in ("overlap", "sentence", "paragraph", "document"):
        records = [json.loads(line) for line in
                   run(project, "stats", "cooccurrence", "--unit", unit, "--json").splitlines()]
        assert records == [pair.record() for pair in cooccurrence(db, unit=unit)], unit
        assert all(list(r) == ["code_a", "code_b", "count"] and r["count"] > 0
                   for r in records)
    overlap = {(r["code_a"], r["code_b"]): r["count"] for r in
               map(json.loads, run(project, "stats", "cooccurrence", "--json").splitlines())}
    assert overlap == {("Conflict > Escalation", "NATO"): 1, ("NATO", "Odd [2J name"): 1,
                       ("NATO", "Zed"): 1}
    paragraph = {(r["code_a"], r["code_b"]) for r in map(json.loads, run(
        project, "stats", "cooccurrence", "--unit", "document", "--json").splitlines())}
    assert ("Conflict", "NATO") in paragraph
    only = run(project, "stats", "cooccurrence", "--unit", "document", "--code", "Conflict")
    lines = only.splitlines()
    assert lines[0].split() == ["count", "code", "with", "code"]
    assert all("Conflict" in line for line in lines[1:]) and len(lines) == 4


def test_stats_matrix_by_documents_and_coders(project):
    text = run(project, "stats", "matrix").splitlines()
    assert text[0].split() == ["code", "1", "2"]
    assert text[-1].endswith("Bell␇ title") and "\x07" not in "".join(text)
    cells = [json.loads(line) for line in
             run(project, "stats", "matrix", "--cols", "documents", "--json").splitlines()]
    assert {"code": "NATO", "document_id": 2, "document": "Bell\x07 title",
            "codings": 1} in cells
    assert len(cells) == 5 * 2  # every cell, zeros too
    subcodes = [json.loads(line) for line in run(project, "stats", "matrix", "--cols", "coders",
                                                 "--with-subcodes", "--json").splitlines()]
    assert {"code": "Conflict", "coder": "ana", "codings": 1} in subcodes


def test_retrieve_prints_passages_and_writes_every_export_format(project, tmp_path):
    text = run(project, "retrieve", "Conflict AND NATO")
    assert text.splitlines() == ["   1:6       Conflict > Escalation; NATO",
                                 "             stalled in May"]
    records = [json.loads(line) for line in
               run(project, "retrieve", "Conflict NEAR NATO", "--json").splitlines()]
    assert records == [{"document_id": 1, "title": records[0]["title"], "start": 0, "end": 39,
                        "codes": ["Conflict > Escalation", "NATO"], "coders": ["ana"],
                        "quote": "Talks stalled in May. NATO met in June."}]
    union = json.loads(run(project, "retrieve", "Conflict AND NATO", "--combine", "union",
                           "--json"))
    assert (union["start"], union["end"]) == (0, 39)
    jsonl = [json.loads(line) for line in
             run(project, "retrieve", "NATO NOT Conflict", "--format", "jsonl").splitlines()]
    assert [(r["document_id"], r["quote"]) for r in jsonl] == [(2, "A second text")]
    shown = run(project, "retrieve", "Zed").splitlines()
    assert shown[1].strip() == "text␛[31m with an escape"  # ESC shown, not sent
    (exact,) = [json.loads(line) for line in run(project, "retrieve", "Zed", "--json").splitlines()]
    assert exact["quote"] == "text\x1b[31m with an escape"  # JSON keeps the text exact
    markdown = run(project, "retrieve", "Conflict OR NATO", "--format", "markdown")
    assert markdown.startswith("# Coded passages") and "## NATO" in markdown
    target = tmp_path / "found.csv"
    run(project, "retrieve", '"Conflict > Escalation" AND NATO', "--format", "csv",
        "-o", str(target))
    written = target.read_text("utf-8")
    assert written.startswith("\ufeff")  # a file for a spreadsheet: with a BOM
    assert "Conflict > Escalation; NATO" in written


def test_retrieve_errors_point_at_the_place_in_the_query(project):
    result = margin("retrieve", "Conflict AND (NATO OR Nope", "--db", str(project))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == ["Error: this ( is not closed",
                                          "  Conflict AND (NATO OR Nope",
                                          "               ^"]
    result = margin("retrieve", "Conflict AND Nope", "--db", str(project))
    assert result.stderr.splitlines() == ["Error: no code named 'Nope'",
                                          "  Conflict AND Nope",
                                          "               ^"]
    result = margin("stats", "codes", "--coder", "bob", "--db", str(project))
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: no coder named 'bob'; coders: ana, ben"
    result = margin("stats", "cooccurrence", "--code", "Nope", "--db", str(project))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("Error: no code 'Nope'")


def invoked(project, *args: str):
    """`margin --db PROJECT *args` in this process: its exit code, stdout and stderr."""
    return CliRunner().invoke(cli, ["--db", str(project), *args])


def test_an_unknown_code_is_answered_with_the_codes_most_like_it(project):
    """A typo in a code's name: the one-line error says which codes were
    meant (the closest one to three paths), and the caret stays under it."""
    result = margin("retrieve", "Conflict AND Escalaton", "--db", str(project))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: no code named 'Escalaton' (did you mean 'Conflict > Escalation'?)",
        "  Conflict AND Escalaton",
        "               ^"]
    # Two close ones, best first; nothing close: no guess.
    result = invoked(project, "retrieve", "Conflikt")
    assert result.exit_code == 1 and result.stderr.splitlines()[0] == (
        "Error: no code named 'Conflikt' (did you mean 'Conflict' or "
        "'Conflict > Escalation'?)")
    result = invoked(project, "retrieve", "Quorum")
    assert result.stderr.splitlines()[0] == "Error: no code named 'Quorum'"
    # The same rule for --code of stats cooccurrence.
    result = invoked(project, "stats", "cooccurrence", "--code", "NAT0")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no code 'NAT0' (did you mean 'NATO'?)"


def test_the_coder_before_a_reading_command_is_the_writer_and_says_so(project):
    """`margin --coder ana stats …` names who writes: the figures are every
    coder's, as without it, and one line on stderr says how to filter;
    the command's own --coder is the filter."""
    everyone = invoked(project, "stats", "codes", "--json")
    written = invoked(project, "--coder", "ana", "stats", "codes", "--json")
    assert written.exit_code == 0 and written.stdout == everyone.stdout
    assert written.stderr.splitlines() == [
        "note: --coder ana before the command names who writes and filters nothing; to keep "
        "only ana's codings, put it after: margin stats codes --coder ana …"]
    filtered = invoked(project, "--coder", "ana", "stats", "matrix", "--coder", "ben", "--json")
    assert filtered.stdout == invoked(project, "stats", "matrix", "--coder", "ben",
                                      "--json").stdout
    assert filtered.stdout != invoked(project, "stats", "matrix", "--json").stdout
    assert filtered.stderr.splitlines() == [
        "note: --coder ana before the command names who writes; margin stats matrix counts "
        "the coders of its own --coder (ben)"]
    retrieved = invoked(project, "--coder", "ben", "retrieve", "NATO")
    assert retrieved.stdout == invoked(project, "retrieve", "NATO").stdout
    assert retrieved.stderr.startswith("note: --coder ben before the command names who writes")
    # Every command whose --coder is a filter says the same (one option, one note).
    for command in (["codes"], ["export", "--format", "jsonl"], ["search", "NATO"]):
        noted = invoked(project, "--coder", "ben", *command)
        assert noted.exit_code == 0, noted.output
        assert noted.stdout == invoked(project, *command).stdout
        assert noted.stderr.startswith("note: --coder ben before the command names who writes")
    # A command that writes says nothing of filters: there the --coder is who writes.
    added = invoked(project, "--coder", "ben", "codes", "add", "Hunches")
    assert added.exit_code == 0 and added.stderr == ""
    # Without it, nothing is said.
    assert everyone.stderr == ""
