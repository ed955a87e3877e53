"""`margin agreement` as a user runs it: the table, --json, --csv, several
coders, and mistakes as one line (in process: main() is what the console
script calls)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from margin.store.codes import create_code
from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.store.documents import import_text
from margin.store.sources.textio import DecodedText
from margin.tui.cli import main

TEXT = ("NATO met in Brussels. NATO said little.\n\nKyiv asked NATO for more. "
        "Moscow said no.\n\nThe talks resumed in Geneva.")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "p.db"
    db = open_database(path)
    for ending in ("", " Two.", " Three."):  # three different texts (a copy is refused)
        import_text(db, DecodedText(TEXT + ending, "utf-8", False), source="a.txt",
                    clean=False)
    actors = create_code(db, "Actors")
    alliances = create_code(db, "Alliances\x1b[2J", parent_id=actors)
    talks = create_code(db, "=Talks")

    def code(document, code_id, phrase, coder):
        start = TEXT.index(phrase)
        apply_coding(db, document, code_id, start, start + len(phrase), coder)

    code(1, alliances, "NATO met in Brussels", "ana")
    code(1, alliances, "NATO met", "ben")
    code(1, talks, "The talks resumed", "ana")
    code(1, talks, "The talks resumed", "ben")
    code(1, talks, "The talks resumed in Geneva", "cy")
    code(2, actors, "Kyiv", "ana")  # document 2: only ana; 3: nobody
    db.close()
    return str(path)


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        status = 0
    except SystemExit as exit:
        status = exit.code or 0
    out = capsys.readouterr()
    return status, out.out, out.err


def test_table_of_two_coders_per_code_and_pooled(project, capsys):
    status, out, err = run(capsys, "agreement", "--db", project, "--coder", "ana",
                           "--coder", "ben")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "Agreement of ana and ben in characters, over 1 document both coded"
    assert lines[1].split() == ["code", "kappa", "alpha", "agree", "units", "ana", "ben"]
    assert lines[2].startswith("All codes (pooled)")
    rows = {line[:25].strip(): line[25:].split() for line in lines[3:]}
    assert rows["=Talks"] == ["1.000", "1.000", "100.0%", f"{len(TEXT):,}", "17", "17"]
    assert "\x1b" not in out  # a control character in a code name is never sent
    assert "Actors" not in rows  # coded by ana in document 2 only: not shared


def test_json_is_one_object_a_line_with_the_issues_keys(project, capsys):
    status, out, _ = run(capsys, "agreement", "--db", project, "--coder", "ana", "--coder",
                         "ben", "--unit", "sentence", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert records[0]["code"] is None
    assert list(records[1]) == ["code", "unit", "kappa", "alpha", "agreement", "units",
                                "coded_a", "coded_b"]
    talks = next(r for r in records if r["code"] == "=Talks")
    assert talks == {"code": "=Talks", "unit": "sentence", "kappa": 1.0, "alpha": 1.0,
                     "agreement": 1.0, "units": 5, "coded_a": 1, "coded_b": 1}
    # One code, in paragraphs: different boundaries in the same paragraph agree.
    status, out, _ = run(capsys, "agreement", "--db", project, "--coder", "ana", "--coder",
                         "ben", "--unit", "paragraph", "--code", "Actors > Alliances [2J",
                         "--json")
    assert [json.loads(line)["kappa"] for line in out.splitlines()] == [1.0, 1.0]


def test_an_undefined_figure_is_null_with_a_note(tmp_path, capsys):
    path = tmp_path / "same.db"
    db = open_database(path)
    import_text(db, DecodedText("One. Two.", "utf-8", False), source="a.txt", clean=False)
    code = create_code(db, "All")
    apply_coding(db, 1, code, 0, 9, "ana")
    apply_coding(db, 1, code, 0, 9, "ben")
    db.close()
    status, out, _ = run(capsys, "agreement", "--db", str(path), "--coder", "ana", "--coder",
                         "ben", "--unit", "sentence", "--json")
    record = json.loads(out.splitlines()[1])
    assert status == 0
    assert record["kappa"] is None and record["alpha"] is None and record["agreement"] == 1.0
    assert record["note"].startswith("no variation")
    status, out, _ = run(capsys, "agreement", "--db", str(path), "--coder", "ana", "--coder",
                         "ben", "--unit", "sentence")
    assert out.splitlines()[2].split()[3:6] == ["–", "–", "100.0%"]
    assert out.splitlines()[-1].startswith("– undefined: no variation")


def test_csv_and_three_coders_with_the_pairwise_kappa_table(project, capsys):
    status, out, _ = run(capsys, "agreement", "--db", project, "--coder", "ana", "--coder",
                         "ben", "--coder", "cy", "--csv")
    assert status == 0 and not out.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(out)))
    everyone = [r for r in rows if not r["coder_a"]]
    pairs = {(r["coder_a"], r["coder_b"]) for r in rows if r["coder_a"]}
    assert pairs == {("ana", "ben"), ("ana", "cy"), ("ben", "cy")}
    assert all(r["kappa"] == "" and r["alpha"] for r in everyone)
    assert "'=Talks" in {r["code"] for r in rows}  # a spreadsheet must not run it
    status, out, _ = run(capsys, "agreement", "--db", project, "--coder", "ana", "--coder",
                         "ben", "--coder", "cy")
    assert "Cohen's kappa, pair by pair:" in out
    assert out.splitlines()[1].split() == ["code", "alpha", "agree", "units", "ana", "ben",
                                           "cy"]
    status, out, _ = run(capsys, "agreement", "--db", project, "--coder", "ana", "--coder",
                         "ben", "--coder", "cy", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["coders"] == ["ana", "ben", "cy"] and records[0]["kappa"] is None
    assert {(r.get("coder_a"), r.get("coder_b")) for r in records} >= {("ana", "cy")}


@pytest.mark.parametrize(("args", "message"), [
    (["--coder", "ana"], "Error: name two coders or more: --coder A --coder B"),
    (["--coder", "ana", "--coder", "zed"], "Error: no coder named 'zed'; coders: ana, ben, cy"),
    (["--coder", "ana", "--coder", "ben", "--document", "3"],
     "Error: no document among the documents given was coded by ana and ben"),
    (["--coder", "ana", "--coder", "ben", "--code", "Nope"], "Error: no code 'Nope'"),
    (["--coder", "ana", "--coder", "ben", "--json", "--csv"], "Error: --json or --csv"),
])
def test_mistakes_are_one_line(project, capsys, args, message):
    status, out, err = run(capsys, "agreement", "--db", project, *args)
    assert status != 0 and out == ""
    assert err.startswith(message) and len(err.splitlines()) == 1
