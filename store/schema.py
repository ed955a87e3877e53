"""The schema of a margin database, as migrations recorded in the database.

Each migration runs in its own transaction and is recorded in
``_sqlite_migrations`` (sqlite-utils' ``Migrations``), so an old file opened by
a newer margin is upgraded in place. ``margin.store.db.MIGRATION_NAMES`` lists them
too, so that opening an up-to-date database needs no sqlite-utils import.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from margin.store.util import join_memos, now

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




@migrations(name="0003_entities")
def _entities(db: sqlite_utils.Database) -> None:
    # What a recogniser found: derived data, replaced wholesale by a rebuild
    # and never part of the undo history.
    db["entities"].create(
        {
            "id": int,
            "document_id": int,
            "start": int,
            "end": int,
            "label": str,
            "text": str,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id")],
        not_null={"document_id", "start", "end", "label", "text"},
    )
    db["entities"].create_index(["document_id", "start"])
    db["entities"].create_index(["label", "text"])
    # One row per document that has been through recognition (even if it had
    # no entities), naming the backend and its version.
    db["entity_runs"].create(
        {"document_id": int, "backend": str, "version": str, "created": str},
        pk="document_id",
        foreign_keys=[("document_id", "documents", "id")],
        not_null={"backend", "version", "created"},
    )
    # The researcher's decisions on mentions (accepted, rejected, relabelled),
    # keyed by span rather than by entity row so that they survive a rebuild.
    # Written by undoable actions, so undo takes them back with the codings.
    db["entity_reviews"].create(
        {
            "id": int,
            "document_id": int,
            "start": int,
            "end": int,
            "label": str,
            "decision": str,
            "coder_id": int,
            "created": str,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id"), ("coder_id", "coders", "id")],
        not_null={"document_id", "start", "end", "label", "decision", "created"},
    )
    db["entity_reviews"].create_index(["document_id", "start", "end"], unique=True)


@migrations(name="0004_document_metadata")
def _document_metadata(db: sqlite_utils.Database) -> None:
    # What the source format says about a document, where it says it: the
    # author and the publication date (ISO text), shown in the library.
    db["documents"].add_column("author", str)
    db["documents"].add_column("published", str)


@migrations(name="0005_one_coding_per_coder")
def _one_coding_per_coder(db: sqlite_utils.Database) -> None:
    # A coder codes a passage with a code once; another coder may code the
    # same passage with the same code (team work, agreement). The rule is this
    # unique index, and margin.store.codings.write_codings checks it before
    # writing. SQLite treats NULLs in a unique index as distinct, so a coding
    # without a coder (a REFI-QDA selection without creatingUser) is indexed
    # as coder 0, "unknown": codings of unknown coders count as one coder's.
    # Exact duplicates of one coder (possible before) are merged first: the
    # oldest stays, with the memos of all of them joined by a blank line.
    key = 'document_id, code_id, IFNULL(coder_id, 0), start, "end"'
    duplicated = db.execute(
        f"SELECT {key} FROM codings GROUP BY {key} HAVING COUNT(*) > 1").fetchall()
    for values in duplicated:
        rows = db.execute(
            f"SELECT id, memo FROM codings WHERE ({key}) = (?, ?, ?, ?, ?) ORDER BY created, id",
            values,
        ).fetchall()
        (kept_id, kept_memo), dropped = rows[0], rows[1:]
        memo = join_memos(*(row[1] for row in rows))
        if memo != (kept_memo or ""):
            db.execute("UPDATE codings SET memo = ?, updated = ? WHERE id = ?",
                       [memo, now(), kept_id])
        db.execute(
            f"DELETE FROM codings WHERE id IN ({','.join('?' * len(dropped))})",
            [row[0] for row in dropped],
        )
    if duplicated:
        # Actions recorded before the merge may name the rows it dropped or
        # changed: undoing one would fail, or re-insert a duplicate the index
        # refuses, and block every older undo. They cannot be undone across
        # this upgrade, so the history is cleared (the data itself is kept).
        from margin.store.history import forget_history

        forget_history(db)
    db.execute(f"CREATE UNIQUE INDEX idx_codings_one_per_coder ON codings ({key})")


@migrations(name="0006_document_deletes_cascade")
def _document_deletes_cascade(db: sqlite_utils.Database) -> None:
    # Deleting a document, from margin or from outside (sqlite-utils, the
    # sqlite3 shell, Datasette), takes what points into its text with it, so
    # no coding, memo or entity is left pointing at nothing. A trigger rather
    # than ON DELETE CASCADE: a cascade acts only in connections that turn
    # PRAGMA foreign_keys on, and sqlite-utils and the sqlite3 shell leave it
    # off, the very tools this is for. A trigger fires for every client.
    # margin's own deletes (store/documents.py) delete and record these rows
    # first, inside the undoable action; the trigger then finds none.
    children = ("codings", "memos", "entities", "entity_runs", "entity_reviews")
    db.execute(
        "CREATE TRIGGER documents_delete_cascades BEFORE DELETE ON documents BEGIN "
        + " ".join(f"DELETE FROM {table} WHERE document_id = OLD.id;" for table in children)
        + " END"
    )
    # Orphans left by such deletes before this migration go now: they point
    # at no text, so nothing can show, export or check them.
    for table in children:
        db.execute(
            f"DELETE FROM {table} WHERE document_id IS NOT NULL "
            "AND document_id NOT IN (SELECT id FROM documents)"
        )


@migrations(name="0007_views_for_other_tools")
def _views_for_other_tools(db: sqlite_utils.Database) -> None:
    # Datasette, sqlite-utils and spreadsheets read the data without knowing
    # margin's tables: every code with its full path ("Parent > Child"); every
    # document without its long texts; every coded passage with its document
    # title, code path, coder and memo.
    db.execute(
        """CREATE VIEW code_paths AS
           WITH RECURSIVE walk(id, path, depth) AS (
               SELECT id, name, 0 FROM codes WHERE parent_id IS NULL
               UNION ALL
               SELECT codes.id, walk.path || ' > ' || codes.name, walk.depth + 1
               FROM codes JOIN walk ON codes.parent_id = walk.id
           )
           SELECT codes.id AS code_id, codes.uuid, walk.path, walk.depth,
                  codes.name, codes.colour, codes.description
           FROM walk JOIN codes ON codes.id = walk.id"""
    )
    db.execute(
        """CREATE VIEW document_list AS
           SELECT id, uuid, title, author, published, word_count, source_path,
                  encoding, cleaned, imported
           FROM documents"""
    )
    db.execute(
        """CREATE VIEW coded_passages AS
           SELECT codings.id AS coding_id, codings.uuid,
                  documents.id AS document_id, documents.title AS document_title,
                  code_paths.path AS code_path, codings.start, codings."end",
                  codings.quote, codings.memo, coders.name AS coder,
                  codings.created
           FROM codings
           JOIN documents ON documents.id = codings.document_id
           JOIN code_paths ON code_paths.code_id = codings.code_id
           LEFT JOIN coders ON coders.id = codings.coder_id"""
    )


@migrations(name="0008_search_word_index")
def _search_word_index(db: sqlite_utils.Database) -> None:
    # The persistent word index of coded passages and memos for fuzzy search
    # (store/search/wordindex.py): posting lists, the vocabulary, and a log
    # that triggers on codings and memos fill in the same transaction as each
    # write, whoever makes it. Built here from what the file already holds.
    from margin.store.db import Database
    from margin.store.word_postings import rebuild

    rebuild(Database(db.conn))
