"""The database file: schema, migrations, WAL, foreign keys, FTS."""

from __future__ import annotations

import sqlite3

import pytest

from margin.store.db import open_database, schema_version
from margin.store.errors import StoreError


def test_new_database_records_its_migrations_and_uses_wal(db, db_path):
    assert schema_version(db) == ["0001_core_schema", "0002_immutable_document_text", "0003_entities", "0004_document_metadata"]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {"documents", "codes", "codings", "coders", "memos", "history"} <= set(db.table_names())
    assert db["documents"].detect_fts() == "documents_fts"


def test_reopening_applies_no_migration_twice(db, db_path):
    db.conn.close()
    again = open_database(db_path)
    assert schema_version(again) == ["0001_core_schema", "0002_immutable_document_text", "0003_entities", "0004_document_metadata"]
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
    with pytest.raises(StoreError, match="cannot use .* as a margin database"):
        open_database(bogus)


def test_a_missing_folder_gives_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_database(tmp_path / "missing" / "x.db")


def test_the_fast_open_path_knows_every_migration():
    from margin.store.db import MIGRATION_NAMES
    from margin.store.schema import migrations

    assert MIGRATION_NAMES == tuple(m.name for m in migrations._migrations)


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
