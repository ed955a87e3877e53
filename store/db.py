"""Opening a margin database and keeping its schema up to date.

The database is a plain SQLite file that sqlite-utils and Datasette understand:
real foreign keys, indexes, and an FTS table made by sqlite-utils. The schema is
created and upgraded by migrations recorded in the database itself
(``_sqlite_migrations``), so an old file opened by a newer margin is upgraded
in place, one transaction per migration.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from .errors import StoreError

migrations = Migrations("margin")


@migrations(name="0001_core_schema")
def _core_schema(db: sqlite_utils.Database) -> None:
    db["coders"].create(
        {"id": int, "uuid": str, "name": str, "created": str},
        pk="id",
        not_null={"uuid", "name", "created"},
    )
    db["coders"].create_index(["uuid"], unique=True)
    db["coders"].create_index(["name"], unique=True)

    db["documents"].create(
        {
            "id": int,
            "uuid": str,
            "title": str,
            # The text codings point into: never changed after import.
            "text": str,
            # The text as decoded from the source, before boilerplate cleaning,
            # so that nothing of the source is ever lost.
            "original": str,
            "source_path": str,
            "encoding": str,
            "cleaned": int,
            "word_count": int,
            # sha256 of the original text: re-importing it is detected.
            "hash": str,
            "imported": str,
            "updated": str,
        },
        pk="id",
        not_null={"uuid", "title", "text", "original", "word_count", "hash", "imported"},
        defaults={"cleaned": 0},
    )
    db["documents"].create_index(["uuid"], unique=True)
    db["documents"].create_index(["hash"], unique=True)

    db["codes"].create(
        {
            "id": int,
            "uuid": str,
            "parent_id": int,
            "name": str,
            "colour": str,
            "description": str,
            "created": str,
            "updated": str,
        },
        pk="id",
        foreign_keys=[("parent_id", "codes", "id")],
        not_null={"uuid", "name", "colour", "created"},
        defaults={"description": ""},
    )
    db["codes"].create_index(["uuid"], unique=True)
    db["codes"].create_index(["parent_id"])

    db["codings"].create(
        {
            "id": int,
            "uuid": str,
            "document_id": int,
            "code_id": int,
            "start": int,
            "end": int,
            "quote": str,
            "memo": str,
            "coder_id": int,
            "created": str,
            "updated": str,
        },
        pk="id",
        foreign_keys=[
            ("document_id", "documents", "id"),
            ("code_id", "codes", "id"),
            ("coder_id", "coders", "id"),
        ],
        not_null={"uuid", "document_id", "code_id", "start", "end", "quote", "created"},
        defaults={"memo": ""},
    )
    db["codings"].create_index(["uuid"], unique=True)
    db["codings"].create_index(["document_id", "start"])
    db["codings"].create_index(["code_id"])

    # Memos on documents and on codes; a coding's memo lives on the coding.
    db["memos"].create(
        {
            "id": int,
            "uuid": str,
            "document_id": int,
            "code_id": int,
            "text": str,
            "coder_id": int,
            "created": str,
            "updated": str,
        },
        pk="id",
        foreign_keys=[
            ("document_id", "documents", "id"),
            ("code_id", "codes", "id"),
            ("coder_id", "coders", "id"),
        ],
        not_null={"uuid", "text", "created"},
    )
    db["memos"].create_index(["uuid"], unique=True)
    db["memos"].create_index(["document_id"], unique=True)
    db["memos"].create_index(["code_id"], unique=True)

    # The undo/redo history: each row is one user action with the before and
    # after state of every row it touched (see store/history.py).
    db["history"].create(
        {"id": int, "label": str, "changes": str, "undone": int, "created": str},
        pk="id",
        not_null={"label", "changes", "created"},
        defaults={"undone": 0},
    )

    db["documents"].enable_fts(["title", "text"], create_triggers=True, tokenize="porter")


@migrations(name="0002_immutable_document_text")
def _immutable_text(db: sqlite_utils.Database) -> None:
    # Codings point into the text by offset: changing it would shift them all.
    for column in ("text", "original"):
        db.execute(
            f"""CREATE TRIGGER documents_{column}_is_immutable
                BEFORE UPDATE OF {column} ON documents
                WHEN NEW.{column} IS NOT OLD.{column}
                BEGIN SELECT RAISE(ABORT, 'document {column} is immutable'); END"""
        )


def open_database(path: str | Path | None) -> sqlite_utils.Database:
    """Open (creating if needed) a margin database and bring its schema up to date.

    ``None`` opens an in-memory database (tests). Raises StoreError with a
    one-line message for files that are not margin/SQLite databases or cannot
    be opened.
    """
    if path is None:
        conn = sqlite3.connect(":memory:")
    else:
        path = Path(path)
        if path.is_dir():
            raise StoreError(f"{path} is a directory, not a database file")
        if not path.parent.exists():
            raise StoreError(f"folder {path.parent} does not exist")
        try:
            conn = sqlite3.connect(str(path))
        except sqlite3.Error as error:
            raise StoreError(f"cannot open database {path}: {error}") from None
    db = sqlite_utils.Database(conn)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        if path is not None:
            db.enable_wal()
        migrations.apply(db)
    except sqlite3.DatabaseError as error:
        conn.close()
        raise StoreError(f"cannot use {path} as a margin database: {error}") from None
    return db


def schema_version(db: sqlite_utils.Database) -> list[str]:
    """Names of the migrations applied to this database, oldest first."""
    return [migration.name for migration in migrations.applied(db)]
