"""The full-text indexes other tools use (migration 0009): coded passages and
memos found by `sqlite-utils search` and Datasette, kept in step through every
action, undo and redo and edits from outside; `margin check` checks each
index and `--repair` rebuilds it; an older database gets them on upgrade."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from margin.store.catalogue import datasette_metadata
from margin.store.codes import create_code
from margin.store.codings import apply_coding, remove_coding, set_coding_memo, set_memo
from margin.store.db import open_database, schema_version
from margin.store.documents import import_text
from margin.store.history import redo, undo
from margin.store.integrity import FULL_TEXT_INDEXES, check_database, repair_database
from margin.store.sources.textio import DecodedText

TEXT = ("Security guarantees were discussed at length.\n\n"
        "The negotiations on a ceasefire stalled in Istanbul.")
SQLITE_UTILS = Path(sys.executable).parent / "sqlite-utils"


def _search(path: Path, table: str, query: str) -> list[dict]:
    """What `sqlite-utils search` prints for the query, as rows."""
    result = subprocess.run([SQLITE_UTILS, "search", str(path), table, query, "--json-cols"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "p.db"
    db = open_database(path)
    document = import_text(db, DecodedText(TEXT, "utf-8", False), source="a.txt",
                           clean=False).document_id
    code = create_code(db, "Safety")
    start = TEXT.index("Security")
    coding = apply_coding(db, document, code, start, start + len("Security guarantees"), "ana")
    yield db, path, document, code, coding
    db.close()


def test_sqlite_utils_finds_coded_passages_and_memos(project):
    db, path, document, _code, coding = project
    assert db["codings"].detect_fts() == "codings_fts"
    assert db["memos"].detect_fts() == "memos_fts"
    # The documents keep their index (the unstemmed one is margin's own).
    assert db["documents"].detect_fts() == "documents_fts"
    (row,) = _search(path, "codings", "guarantee")  # stemmed: guarantees
    assert row["id"] == coding and row["quote"] == "Security guarantees"
    set_coding_memo(db, coding, "a promise of protection")
    set_memo(db, "Read against the ceasefire timeline", "ana", document_id=document)
    assert [row["id"] for row in _search(path, "codings", "promise")] == [coding]
    assert [row["text"] for row in _search(path, "memos", "timelines")] == [
        "Read against the ceasefire timeline"]
    # A memo changed: the old words are gone from the index.
    set_memo(db, "Nothing yet", "ana", document_id=document)
    assert _search(path, "memos", "timeline") == []
    assert check_database(db).ok


def test_the_indexes_follow_undo_redo_and_deletes_from_outside(project):
    db, path, document, code, coding = project

    def found(table: str, query: str) -> list[int]:
        return [row[0] for row in db.execute(
            f"SELECT rowid FROM {table} WHERE {table} MATCH ?", [query])]

    assert found("codings_fts", "security") == [coding]
    remove_coding(db, coding)
    assert found("codings_fts", "security") == []
    undo(db)
    assert found("codings_fts", "security") == [coding]
    redo(db)
    assert found("codings_fts", "security") == []
    undo(db)
    set_memo(db, "A memo on the code", "ana", code_id=code)
    assert len(found("memos_fts", "memo")) == 1
    undo(db)
    assert found("memos_fts", "memo") == []
    # Deleting the document from outside takes its codings, and their index rows.
    set_memo(db, "A memo on the document", "ana", document_id=document)
    db.close()
    outside = sqlite3.connect(path)
    outside.execute("DELETE FROM documents")
    outside.commit()
    outside.close()
    db = open_database(path)
    for index in FULL_TEXT_INDEXES:
        assert db.execute(f"SELECT COUNT(*) FROM {index}").fetchone()[0] == 0, index
    assert check_database(db).ok
    db.close()


def test_datasette_searches_coded_passages_through_the_codings_index(project):
    db, _path, _document, _code, _coding = project
    tables = datasette_metadata()["databases"]["*"]["tables"]
    view = tables["coded_passages"]
    assert (view["fts_table"], view["fts_pk"]) == ("codings_fts", "coding_id")
    # What Datasette runs for a search of a view with fts_table and fts_pk.
    rows = db.execute(
        "SELECT code_path, quote FROM coded_passages WHERE coding_id IN "
        "(SELECT rowid FROM codings_fts WHERE codings_fts MATCH ?)", ["guarantee"]).fetchall()
    assert rows == [("Safety", "Security guarantees")]
    for index in FULL_TEXT_INDEXES:
        assert tables[index] == {"hidden": True} and tables[f"{index}_data"] == {"hidden": True}


@pytest.mark.parametrize("index", list(FULL_TEXT_INDEXES))
def test_each_index_out_of_step_is_found_and_rebuilt(project, index):
    db, path, document, _code, coding = project
    set_coding_memo(db, coding, "a promise")
    set_memo(db, "A memo", "ana", document_id=document)
    db.close()
    outside = sqlite3.connect(path)  # a tool that emptied the index behind its back
    outside.execute(f"DELETE FROM {index}_docsize")
    outside.execute(f"DELETE FROM {index}_idx")
    outside.commit()
    outside.close()
    result = subprocess.run([sys.executable, "-m", "margin.tui.cli", "check", "--db", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "PROBLEM     full text: 1 full-text index out of step" in result.stdout
    assert f"   {index} ({FULL_TEXT_INDEXES[index]})" in result.stdout
    db = open_database(path)
    report = repair_database(db)
    assert report.ok
    assert report.repaired == [f"rebuilt the full-text index of {FULL_TEXT_INDEXES[index]}"]
    assert db.execute(f"SELECT COUNT(*) FROM {index}_docsize").fetchone()[0] == 1
    db.close()


def test_an_older_database_gets_the_indexes_of_what_it_holds(tmp_path):
    import sqlite_utils

    from margin.store.schema import migrations

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0008_full_text_unstemmed_passages_memos")
    old["coders"].insert({"id": 1, "uuid": "c1", "name": "ada", "created": "2024"})
    old["documents"].insert({"id": 1, "uuid": "d1", "title": "T", "text": TEXT,
                             "original": TEXT, "word_count": 14, "hash": "h", "imported": "2024"})
    old["codes"].insert({"id": 1, "uuid": "k1", "name": "Safety", "colour": "#e6194b",
                         "created": "2024"})
    old["codings"].insert({"id": 7, "uuid": "u7", "document_id": 1, "code_id": 1, "start": 0,
                           "end": 8, "quote": "Security", "memo": "first thoughts",
                           "coder_id": 1, "created": "2024"})
    old["memos"].insert({"id": 3, "uuid": "m3", "document_id": 1, "text": "ceasefire notes",
                         "created": "2024"})
    old.conn.close()
    db = open_database(path)
    assert "0008_full_text_unstemmed_passages_memos" in schema_version(db)
    assert db.execute("SELECT rowid FROM codings_fts WHERE codings_fts MATCH 'thought'"
                      ).fetchall() == [(7,)]
    assert db.execute("SELECT rowid FROM memos_fts WHERE memos_fts MATCH 'note'"
                      ).fetchall() == [(3,)]
    from margin.store.search.fulltext import search_documents

    assert [hit.text for hit in search_documents(db, "negotiat*")] == ["negotiations"]
    assert check_database(db).ok
    db.close()


def test_margin_fts_finds_every_sample_article_with_negotiations_or_security(sample_db, db_path):
    texts = {row[0]: row[1] for row in sample_db.execute("SELECT id, text FROM documents")}
    sample_db.close()
    for query in ("negotiat*", "securit*"):
        result = subprocess.run(
            [sys.executable, "-m", "margin.tui.cli", "fts", query, "--json", "--limit", "1000",
             "--db", str(db_path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        hits = [json.loads(line) for line in result.stdout.splitlines()]
        assert {hit["document_id"] for hit in hits} == {
            id for id, text in texts.items() if re.search(rf"\b{query[:-1]}", text, re.I)}
        assert len(hits) > 10
        assert all(hit["text"].lower().startswith(query[:-1]) for hit in hits)


def test_codings_written_in_bulk_are_indexed_and_stored_exactly(project):
    """An import's codings go in a chunk a statement (store/codings.py): the
    same rows, with their types, as one at a time, and all of them indexed."""
    from margin.store.codings import NewCoding, write_codings

    db, _path, document, code, _coding = project
    words = [(match.start(), match.end()) for match in re.finditer(r"\w+", TEXT)][2:]
    with db.atomic():
        written = write_codings(db, [NewCoding(document, code, start, end, None, "memo ✓")
                                     for start, end in words], texts={document: TEXT})
    assert len(written.added) == len(words)
    rows = db.execute(
        "SELECT typeof(start), typeof(\"end\"), typeof(coder_id), quote, memo FROM codings "
        "WHERE coder_id IS NULL ORDER BY id").fetchall()
    assert [row[3] for row in rows] == [TEXT[start:end] for start, end in words]
    assert {row[:3] for row in rows} == {("integer", "integer", "null")}
    assert {row[4] for row in rows} == {"memo ✓"}
    assert len(db.execute("SELECT rowid FROM codings_fts WHERE codings_fts MATCH 'memo'"
                          ).fetchall()) == len(words)
    assert check_database(db).ok
