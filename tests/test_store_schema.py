"""The database file: schema, migrations, WAL, foreign keys, FTS."""

from __future__ import annotations

import sqlite3

import pytest

from store.db import open_database, schema_version
from store.errors import StoreError


def test_new_database_records_its_migrations_and_uses_wal(db, db_path):
    assert schema_version(db) == ["0001_core_schema", "0002_immutable_document_text"]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {"documents", "codes", "codings", "coders", "memos", "history"} <= set(db.table_names())
    assert db["documents"].detect_fts() == "documents_fts"


def test_reopening_applies_no_migration_twice(db, db_path):
    db.conn.close()
    again = open_database(db_path)
    assert schema_version(again) == ["0001_core_schema", "0002_immutable_document_text"]
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
