"""The database file: schema, migrations, WAL, foreign keys, FTS."""

from __future__ import annotations

import sqlite3

import pytest

from margin.store.db import MIGRATION_NAMES, open_database, schema_version
from margin.store.errors import StoreError


def test_new_database_records_its_migrations_and_uses_wal(db, db_path):
    assert schema_version(db) == ["0001_core_schema", "0002_immutable_document_text", "0003_entities", "0004_document_metadata", "0005_one_coding_per_coder", "0006_document_deletes_cascade", "0007_views_for_other_tools", "0008_full_text_unstemmed_passages_memos", "0009_codings_by_coder", "0010_search_word_index", "0011_long_documents_indexed_in_pieces", "0012_search_word_pairs", "0013_codes_colour_chosen", "0014_history_long_texts"]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {"documents", "codes", "codings", "coders", "memos", "history"} <= set(db.table_names())
    assert db["documents"].detect_fts() == "documents_fts"


def test_reopening_applies_no_migration_twice(db, db_path):
    db.conn.close()
    again = open_database(db_path)
    assert schema_version(again) == ["0001_core_schema", "0002_immutable_document_text", "0003_entities", "0004_document_metadata", "0005_one_coding_per_coder", "0006_document_deletes_cascade", "0007_views_for_other_tools", "0008_full_text_unstemmed_passages_memos", "0009_codings_by_coder", "0010_search_word_index", "0011_long_documents_indexed_in_pieces", "0012_search_word_pairs", "0013_codes_colour_chosen", "0014_history_long_texts"]
    again.conn.close()


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO codings (uuid, document_id, code_id, start, \"end\", quote, created) "
            "VALUES ('x', 999, 999, 0, 1, 'a', 'now')"
        )


def test_full_text_search_finds_imported_documents(sample_db):
    rows = list(sample_db["documents"].search("Zelensky"))
    assert rows, "FTS should find a word of the sample corpus"


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match=r"cannot use .* as a margin database"):
        open_database(bogus)


def test_a_missing_folder_gives_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_database(tmp_path / "missing" / "x.db")


def test_the_fast_open_path_knows_every_migration():
    from margin.store.db import MIGRATION_NAMES
    from margin.store.schema import migrations

    assert tuple(m.name for m in migrations._migrations) == MIGRATION_NAMES


def test_reading_needs_no_sqlite_utils_import():
    """Start-up speed: opening an existing database and reading it must not
    import sqlite-utils (~50 ms); writing does."""
    import subprocess
    import sys

    code = """
import sys, tempfile, pathlib
from margin.store.db import open_database
path = pathlib.Path(tempfile.mkdtemp()) / "m.db"
open_database(path).conn.close()
for name in list(sys.modules):
    if name.startswith("sqlite_utils"):
        del sys.modules[name]
db = open_database(path)
from margin.store.documents import list_documents
from margin.store.codes import codebook
list_documents(db); codebook(db)
assert not any(m.startswith("sqlite_utils") for m in sys.modules), "imported on read"
from margin.store.codes import create_code
create_code(db, "x")
assert "sqlite_utils" in sys.modules
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_crash_right_after_an_action_loses_nothing(tmp_path):
    """Each action is committed when it returns: kill the process straight
    after (no close, no commit) and the coding is still there."""
    import subprocess
    import sys

    from margin.store.codings import codings_for_document

    path = tmp_path / "crash.db"
    code = f"""
import os
from margin.store.db import open_database
from margin.store.importing import import_sample_corpus
from margin.store.codes import create_code
from margin.store.codings import apply_coding
db = open_database({str(path)!r})
import_sample_corpus(db)
db.execute("UPDATE documents SET title = title")  # a plain write outside any action
code = create_code(db, "Officials")
apply_coding(db, 1, code, 0, 10, "ada")
os._exit(9)  # like kill -9: nothing closed, nothing flushed by Python
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 9, result.stderr
    db = open_database(path)
    assert [c.code_name for c in codings_for_document(db, 1)] == ["Officials"]


def test_an_action_waits_for_another_writer_instead_of_failing(sample_db, db_path):
    """An import worker (another connection) holding the write lock for a
    moment must not make a coding fail with "database is locked"."""
    import sqlite3
    import threading
    import time

    from margin.store.codes import codebook, create_code

    other = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE documents SET title = title WHERE id = 1")
    threading.Timer(0.5, lambda: other.execute("COMMIT")).start()
    started = time.perf_counter()
    create_code(sample_db, "Officials")
    assert time.perf_counter() - started >= 0.4
    assert [c.name for c in codebook(sample_db)] == ["Officials"]
    other.close()


def test_another_programs_sqlite_file_is_refused_and_left_unchanged(tmp_path):
    import sqlite3

    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, body TEXT)")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a margin one; it was left unchanged"):
        open_database(path)
    assert path.read_bytes() == before
    assert not (tmp_path / "other.db-wal").exists()


def test_an_older_database_is_upgraded_to_one_coding_per_coder(tmp_path):
    """A file made before migration 0005 (when any passage could be coded twice
    with one code): opening it merges each coder's exact duplicates into the
    oldest, memos joined, keeps other coders' codings of the same passage,
    and adds the unique index that keeps it so."""
    import sqlite_utils

    from margin.store.codings import codings_for_document
    from margin.store.schema import migrations

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0005_one_coding_per_coder")
    assert [m.name for m in migrations.applied(old)][-1] == "0004_document_metadata"
    old["coders"].insert_all([
        {"id": 1, "uuid": "c1", "name": "ada", "created": "2024-01-01"},
        {"id": 2, "uuid": "c2", "name": "bob", "created": "2024-01-01"},
    ])
    text = "Jake Sullivan spoke. Mike Johnson did not."
    old["documents"].insert({
        "id": 1, "uuid": "d1", "title": "Briefing", "text": text, "original": text,
        "word_count": 7, "hash": "h1", "imported": "2024-01-01"})
    old["codes"].insert_all([
        {"id": 1, "uuid": "k1", "name": "Officials", "colour": "#e6194b", "created": "2024-01-01"},
        {"id": 2, "uuid": "k2", "name": "Speech", "colour": "#3cb44b", "created": "2024-01-01"},
    ])

    def coding(id, code, coder, memo, created, start=0, end=13):
        return {"id": id, "uuid": f"u{id}", "document_id": 1, "code_id": code, "start": start,
                "end": end, "quote": text[start:end], "memo": memo, "coder_id": coder,
                "created": created, "updated": created}

    old["codings"].insert_all([
        # ada coded "Jake Sullivan" as Officials three times; id 2 is the oldest.
        coding(1, 1, 1, "third thought", "2024-03-01"),
        coding(2, 1, 1, "first thought", "2024-01-01"),
        coding(3, 1, 1, "", "2024-02-01"),
        coding(4, 1, 1, "first thought", "2024-02-15"),  # a repeated memo is kept once
        # bob's coding of the same passage with the same code is his own.
        coding(5, 1, 2, "bob's view", "2024-01-05"),
        # ada's coding of it with another code is another coding.
        coding(6, 2, 1, "", "2024-01-06"),
        # Two codings without a coder (imported) are one unknown coder's duplicates.
        coding(7, 1, None, "no coder", "2024-01-07"),
        coding(8, 1, None, "", "2024-01-08"),
        coding(9, 1, 1, "", "2024-01-09", start=21, end=33),
    ])
    old.conn.close()

    db = open_database(path)
    assert schema_version(db)[-1] == MIGRATION_NAMES[-1]  # upgraded to the latest
    kept = {(c.id, c.code_name, c.coder, c.quote): c.memo for c in codings_for_document(db, 1)}
    assert kept == {
        (2, "Officials", "ada", "Jake Sullivan"): "first thought\n\nthird thought",
        (5, "Officials", "bob", "Jake Sullivan"): "bob's view",
        (6, "Speech", "ada", "Jake Sullivan"): "",
        (7, "Officials", None, "Jake Sullivan"): "no coder",
        (9, "Officials", "ada", "Mike Johnson"): "",
    }
    indexes = {row[1]: row[2] for row in db.execute("PRAGMA index_list(codings)")}
    assert indexes["idx_codings_one_per_coder"] == 1  # unique
    # The writer's in-memory rule and the index are the same key.
    from margin.store.codings import _RULE_COLUMNS

    index_sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                           ["idx_codings_one_per_coder"]).fetchone()[0]
    assert index_sql.endswith(f"({_RULE_COLUMNS})")
    insert = ('INSERT INTO codings (uuid, document_id, code_id, start, "end", quote, coder_id, '
              "created) VALUES (?, 1, 1, 0, 13, 'Jake Sullivan', ?, 'now')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(insert, ["again-ada", 1])
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(insert, ["again-unknown", None])
    db.execute("INSERT INTO coders (id, uuid, name, created) VALUES (3, 'c3', 'cy', 'now')")
    db.execute(insert, ["third-coder", 3])
    db.conn.close()


def test_the_upgrade_that_merges_duplicates_leaves_no_undo_that_would_fail(tmp_path):
    """Actions recorded before migration 0005 may name the duplicate it
    dropped: after the upgrade, undo must not stop on them ("changed since")
    nor re-insert a duplicate the index refuses. The history is cleared;
    new actions undo as before."""
    import json

    import sqlite_utils

    from margin.store import history
    from margin.store.codings import apply_coding, codings_for_document
    from margin.store.schema import migrations

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0005_one_coding_per_coder")
    old["coders"].insert({"id": 1, "uuid": "c1", "name": "ada", "created": "2024-01-01"})
    text = "Jake Sullivan spoke. Mike Johnson did not."
    old["documents"].insert({
        "id": 1, "uuid": "d1", "title": "Briefing", "text": text, "original": text,
        "word_count": 7, "hash": "h1", "imported": "2024-01-01"})
    old["codes"].insert(
        {"id": 1, "uuid": "k1", "name": "Officials", "colour": "#e6194b", "created": "2024-01-01"})
    rows = [{"id": n, "uuid": f"u{n}", "document_id": 1, "code_id": 1, "start": 0, "end": 13,
             "quote": "Jake Sullivan", "memo": "", "coder_id": 1, "created": f"2024-01-0{n}",
             "updated": f"2024-01-0{n}"} for n in (1, 2)]
    old["codings"].insert_all(rows)
    # The action that coded the passage the second time (coding 2, a duplicate).
    old["history"].insert({"label": "Code passage as Officials", "undone": 0,
                           "created": "2024-01-02", "changes": json.dumps(
                               [{"table": "codings", "id": 2, "before": None, "after": rows[1]}])})
    old.conn.close()

    db = open_database(path)
    assert [c.id for c in codings_for_document(db, 1)] == [1]
    assert history.can_undo(db) is None
    assert history.undo(db) is None  # nothing to undo, and no HistoryConflict
    apply_coding(db, 1, 1, 21, 33, "ada")
    assert history.undo(db) == "Code passage as Officials"
    assert [c.id for c in codings_for_document(db, 1)] == [1]
    db.close()
