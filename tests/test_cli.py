"""The command line as a user types it: real processes, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from margin.store.db import open_database


def margin(*args: str, stdin: bytes | None = None, env_extra: dict | None = None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "margin.tui.cli", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=60,
    )


def test_version():
    result = margin("--version")
    assert result.returncode == 0
    assert result.stdout.decode().startswith("margin, version ")


def test_default_database_is_created_with_the_sample_corpus(tmp_path):
    result = margin("documents", "--json")
    assert result.returncode == 0, result.stderr
    titles = [d["title"] for d in json.loads(result.stdout)]
    assert len(titles) == 5
    assert "Diplomacy Watch: Still tap dancing around NATO for Kyiv" in titles
    assert "The Great Diplomatic Divide: Reading Between the Lines of the Kremlin Summit" in titles
    assert (tmp_path / "data" / "margin" / "margin.db").exists()


def test_a_named_database_starts_empty_and_import_sample_fills_it(tmp_path):
    db = str(tmp_path / "project.db")
    # Listing is reading: a --db that does not exist is a mistake, not a new file.
    assert margin("--db", db, "documents", "--json").returncode == 1
    assert not (tmp_path / "project.db").exists()
    open_database(db).close()  # an empty project, as the app or an import makes it
    assert json.loads(margin("--db", db, "documents", "--json").stdout) == []
    result = margin("import", "--sample", "--db", db)
    assert result.returncode == 0
    assert len(json.loads(margin("documents", "--json", env_extra={"MARGIN_DB": db}).stdout)) == 5


def test_import_reports_each_refusal_and_still_imports_the_rest(tmp_path):
    db = str(tmp_path / "p.db")
    folder = tmp_path / "corpus"
    (folder / "nested").mkdir(parents=True)
    (folder / "nested" / "interview.md").write_text("# Interview with A\n\nWe talked.\n")
    (folder / "notes.txt").write_bytes("Caf\xe9 notes, cr\xe8me br\xfbl\xe9e, d\xe9j\xe0 vu. "
                                       .encode("cp1252") * 5)
    (folder / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / "empty.txt").write_bytes(b"")
    result = margin("import", str(folder), str(tmp_path / "missing.txt"), "--db", db)
    err = result.stderr.decode()
    assert result.returncode == 1
    assert "picture.txt: binary file" in err
    assert "empty.txt: empty file" in err
    assert "missing.txt: file not found" in err
    assert "Traceback" not in err
    out = result.stdout.decode()
    assert "“Interview with A”" in out
    assert "encoding detected as" in out
    assert "2 imported, 0 skipped as duplicates, 3 refused" in err

    again = margin("import", str(folder / "nested"), "--db", db)
    assert again.returncode == 0
    assert "already imported" in again.stderr.decode()


def test_import_from_stdin_normalises_line_endings(tmp_path):
    db = str(tmp_path / "p.db")
    result = margin("import", "-", "--db", db, stdin=b"Field notes\r\n\r\nDay one.\r\n")
    assert result.returncode == 0
    [document] = json.loads(margin("documents", "--json", "--db", db).stdout)
    assert document["title"] == "Field notes"


def test_codes_and_export_after_coding(tmp_path):
    db_path = tmp_path / "p.db"
    from margin.store.codes import create_code
    from margin.store.codings import apply_coding
    from margin.store.db import open_database
    from margin.store.documents import get_document
    from margin.store.importing import import_sample_corpus

    db = open_database(db_path)
    import_sample_corpus(db)
    parent = create_code(db, "Actors")
    code = create_code(db, "Officials", parent_id=parent)
    text = get_document(db, 1).text
    start = text.index("Jake Sullivan")
    apply_coding(db, 1, code, start, start + 13, "ada")
    db.conn.close()

    codes = margin("codes", "--db", str(db_path))
    assert codes.stdout.decode().splitlines() == ["Actors  0 (1 with sub-codes)", "  Officials  1"]
    exported = margin("export", "--format", "jsonl", "--code", "Actors", "--db", str(db_path))
    assert json.loads(exported.stdout)["quote"] == "Jake Sullivan"
    output = tmp_path / "out.csv"
    written = margin("export", "--format", "csv", "-o", str(output), "--db", str(db_path))
    assert written.returncode == 0
    assert output.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    "args, message",
    [
        (["export", "--format", "csv", "--code", "Nope"], "Error: no code named 'Nope'"),
        (["export", "--format", "xml"], "Invalid value for '--format'"),
        (["export", "--format", "csv", "-o", "/no/such/folder/x.csv"], "does not exist"),
        (["--db", "/no/such/folder/x.db", "documents"], "Error: folder /no/such/folder"),
        (["import"], "give PATH... to import"),
    ],
)
def test_user_mistakes_give_one_line_and_no_traceback(tmp_path, args, message):
    open_database(tmp_path / "p.db").close()
    result = margin(*args, env_extra={"MARGIN_DB": str(tmp_path / "p.db")})
    err = result.stderr.decode()
    assert result.returncode != 0
    assert message in err
    assert "Traceback" not in err


def test_a_corrupt_database_file_is_an_error_not_a_traceback(tmp_path):
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    result = margin("--db", str(broken), "documents")
    assert result.returncode == 1
    assert result.stderr.decode().startswith("Error: ")
    assert "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], (None, None)),
        (["--db", "x.db"], ("x.db", None)),
        (["--db=x.db", "--coder", "Ada"], ("x.db", "Ada")),
        (["--coder=Ada"], (None, "Ada")),
        (["--db"], "click"),
        (["--db", "--coder"], "click"),
        (["--help"], "click"),
        (["documents"], "click"),
        (["--db", "x.db", "export"], "click"),
        (["--db", "a", "--db", "b"], "click"),
    ],
)
def test_only_app_arguments_skip_the_click_command_line(argv, expected):
    from margin.tui.cli import app_settings

    settings = app_settings(argv)
    if expected == "click":
        assert settings is None
    else:
        db, coder = expected
        assert (str(settings.db_path) if settings.db_path else None, settings.coder) == (db, coder)


def test_opening_the_app_on_a_missing_folder_is_a_one_line_error(tmp_path):
    result = margin("--db", str(tmp_path / "nope" / "x.db"))
    assert result.returncode == 1
    assert result.stderr.decode().strip() == f"Error: folder {tmp_path / 'nope'} does not exist"


def test_usage_mistakes_are_one_line_too(tmp_path):
    result = margin("export", env_extra={"MARGIN_DB": str(tmp_path / "p.db")})
    lines = result.stderr.decode().strip().splitlines()
    assert result.returncode == 2
    assert len(lines) == 1
    assert lines[0].startswith("Error: Missing option '--format'.")
    assert lines[0].endswith("(see margin export --help)")


def test_an_empty_db_option_asks_for_a_file_name(tmp_path):
    for args in (["--db", "", "documents"], ["--db="]):
        result = margin(*args)
        assert result.returncode == 1
        assert result.stderr.decode().strip() == "Error: --db needs a file name"


# ------------------------------------------------------------------ entities

NEWS = (
    "Russian President Vladimir Putin met NATO officials in Kyiv on Dec. 2.\r\n"
    "Putin offered $725 million, about 40% of the request.\r\n"
)


def test_entities_of_a_file_as_json_lines_with_offsets_into_the_normalised_text(tmp_path):
    path = tmp_path / "news.txt"
    path.write_bytes(NEWS.encode("utf-8"))
    result = margin("entities", str(path), "--json", "--backend", "rules")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.decode().splitlines()
    record = json.loads(line)
    assert record["source"] == str(path)
    text = NEWS.replace("\r\n", "\n")  # what an import stores
    found = {(e["text"], e["label"]) for e in record["entities"]}
    assert {("Vladimir Putin", "PERSON"), ("NATO", "ORG"), ("Kyiv", "GPE"),
            ("$725 million", "MONEY"), ("40%", "PERCENT")} <= found
    for entity in record["entities"]:
        assert text[entity["start"]:entity["end"]] == entity["text"]
        assert set(entity) == {"start", "end", "label", "text"}


def test_entities_of_stored_documents_and_a_rebuild(tmp_path):
    db = str(tmp_path / "p.db")
    path = tmp_path / "news.txt"
    path.write_text(NEWS, encoding="utf-8")
    imported = margin("--db", db, "import", str(path))
    assert imported.returncode == 0, imported.stderr
    assert "entities in 1 documents (rules" in imported.stderr.decode()
    stored = margin("--db", db, "entities", "1", "--json")
    assert stored.returncode == 0, stored.stderr
    record = json.loads(stored.stdout)
    assert record["source"] == "1"
    assert ("Kyiv", "GPE") in {(e["text"], e["label"]) for e in record["entities"]}
    rebuilt = margin("--db", db, "entities", "--rebuild", "--backend", "rules")
    assert rebuilt.returncode == 0 and "entities in 1 documents" in rebuilt.stderr.decode()
    table = margin("--db", db, "entities", "1").stdout.decode()
    assert table.splitlines()[0].startswith("1: ")
    assert any(line.split()[1:3] == ["GPE", "Kyiv"] for line in table.splitlines()[1:])


def test_entities_refuses_missing_and_binary_sources_with_one_line_each(tmp_path):
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    good = tmp_path / "news.txt"
    good.write_text(NEWS, encoding="utf-8")
    result = margin("--db", str(tmp_path / "p.db"), "entities", str(tmp_path / "nope.txt"),
                    str(binary), str(good), "--json", "--backend", "rules")
    assert result.returncode == 1
    errors = result.stderr.decode().splitlines()
    assert len(errors) == 2 and "Traceback" not in result.stderr.decode()
    assert "nope.txt: no such file" in errors[0]
    assert "PNG" in errors[1]
    assert json.loads(result.stdout)["source"] == str(good)  # the rest still ran


def test_import_with_no_entities_leaves_them_for_later(tmp_path):
    db = str(tmp_path / "p.db")
    path = tmp_path / "news.txt"
    path.write_text(NEWS, encoding="utf-8")
    result = margin("--db", db, "import", "--no-entities", str(path))
    assert result.returncode == 0 and "entities" not in result.stderr.decode()
    stored = margin("--db", db, "entities", "1", "--json")
    assert json.loads(stored.stdout)["entities"] == []
    assert "has not been through recognition yet" in stored.stderr.decode()
    rebuilt = margin("--db", db, "entities", "--rebuild", "--json")
    summary = json.loads(rebuilt.stdout)
    assert summary["documents"] == 1 and summary["entities"] >= 5
    assert summary["backend"] == "rules"
    again = margin("--db", db, "entities", "1", "--json")
    assert len(json.loads(again.stdout)["entities"]) == summary["entities"]
    assert again.stderr == b""


def test_entities_of_standard_input():
    result = margin("entities", "-", "--json", stdin=NEWS.encode("utf-16"))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    text = NEWS.replace("\r\n", "\n")
    assert record["source"] == "-"
    assert {e["text"] for e in record["entities"]} >= {"Vladimir Putin", "Kyiv"}
    assert all(text[e["start"]:e["end"]] == e["text"] for e in record["entities"])


def test_export_a_refi_qda_project_and_codebook(tmp_path):
    import zipfile

    from helpers import make_demo_project

    db = str(make_demo_project(tmp_path / "demo.db"))
    project = tmp_path / "project.qdpx"
    result = margin("--db", db, "export", "--format", "qdpx", "-o", str(project))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(project) as archive:
        names = archive.namelist()
    assert names[0] == "project.qde" and sum(n.startswith("sources/") for n in names) == 5
    codebook = tmp_path / "codebook.qdc"
    assert margin("--db", db, "export", "--format", "qdc", "-o", str(codebook)).returncode == 0
    assert b"US aid" in codebook.read_bytes()
    missing = margin("--db", db, "export", "--format", "qdpx")
    assert missing.returncode == 2 and "give -o FILE" in missing.stderr.decode()


def test_export_then_import_a_refi_qda_project_into_an_empty_database(tmp_path):
    from helpers import make_demo_project

    source = str(make_demo_project(tmp_path / "demo.db"))
    project = tmp_path / "project.qdpx"
    assert margin("--db", source, "export", "--format", "qdpx", "-o", str(project)).returncode == 0
    target = str(tmp_path / "empty.db")
    result = margin("--db", target, "import", str(project))
    assert result.returncode == 0, result.stderr
    assert "documents 5 added" in result.stdout.decode()
    before = margin("--db", source, "export", "--format", "jsonl").stdout.decode().splitlines()
    after = margin("--db", target, "export", "--format", "jsonl").stdout.decode().splitlines()
    key = ("document_uuid", "code", "start", "end", "quote", "memo", "coder", "uuid")
    assert [tuple(json.loads(r)[k] for k in key) for r in after] == [
        tuple(json.loads(r)[k] for k in key) for r in before]
    broken = tmp_path / "broken.qdpx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    refused = margin("--db", target, "import", str(broken))
    assert refused.returncode == 1 and "refused" in refused.stderr.decode()
    assert "Traceback" not in refused.stderr.decode()
