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


def _create_full_text(db: sqlite_utils.Database, table_fts: str, table: str,
                      columns: tuple[str, ...], tokenize: str, sqlite_utils_way: bool) -> None:
    """An external-content FTS5 table over ``table`` and the triggers that
    keep it in step, filled from the rows already there. Written out here
    rather than by ``enable_fts``, whose executescript() would commit the
    migration's transaction halfway."""
    names = ", ".join(f"[{column}]" for column in columns)
    old = ", ".join(f"old.[{column}]" for column in columns)
    new = ", ".join(f"new.[{column}]" for column in columns)
    # content=[table] is how sqlite-utils and Datasette recognise a table's
    # full-text index (detect_fts); content='table' hides one from them.
    content = f"[{table}]" if sqlite_utils_way else f"'{table}'"
    triggers = (f"{table}_ai", f"{table}_ad", f"{table}_au") if sqlite_utils_way else (
        f"{table_fts}_ai", f"{table_fts}_ad", f"{table_fts}_au")
    db.execute(f"CREATE VIRTUAL TABLE [{table_fts}] USING FTS5 ({names}, "
               f"tokenize='{tokenize}', content={content})")
    db.execute(f"INSERT INTO [{table_fts}] (rowid, {names}) SELECT rowid, {names} FROM [{table}]")
    db.execute(f"CREATE TRIGGER [{triggers[0]}] AFTER INSERT ON [{table}] BEGIN "
               f"INSERT INTO [{table_fts}] (rowid, {names}) VALUES (new.rowid, {new}); END")
    db.execute(f"CREATE TRIGGER [{triggers[1]}] AFTER DELETE ON [{table}] BEGIN "
               f"INSERT INTO [{table_fts}] ([{table_fts}], rowid, {names}) "
               f"VALUES ('delete', old.rowid, {old}); END")
    # Only a change of an indexed column is indexed again (a renamed
    # document, a coding's new timestamp leave the index alone).
    db.execute(f"CREATE TRIGGER [{triggers[2]}] AFTER UPDATE OF {names} ON [{table}] BEGIN "
               f"INSERT INTO [{table_fts}] ([{table_fts}], rowid, {names}) "
               f"VALUES ('delete', old.rowid, {old}); "
               f"INSERT INTO [{table_fts}] (rowid, {names}) VALUES (new.rowid, {new}); END")


@migrations(name="0008_full_text_unstemmed_passages_memos")
def _full_text_unstemmed_passages_memos(db: sqlite_utils.Database) -> None:
    # documents_fts holds porter stems, so a prefix matched stems only
    # (securit* found nothing: "security" is indexed as "secur"). A second,
    # unstemmed index of the documents' text answers prefixes
    # (store/search/fulltext.py); it is hidden from detect_fts, so sqlite-utils
    # and Datasette keep using documents_fts for the documents. Coded passages
    # (quote and memo) and memos get indexes of their own, the sqlite-utils
    # way, so `sqlite-utils search` and Datasette find them; their triggers
    # follow every action, undo and redo, and deletes from outside.
    _create_full_text(db, "documents_unstemmed_fts", "documents", ("text",), "unicode61", False)
    _create_full_text(db, "codings_fts", "codings", ("quote", "memo"), "porter", True)
    _create_full_text(db, "memos_fts", "memos", ("text",), "porter", True)
@migrations(name="0009_codings_by_coder")
def _codings_by_coder(db: sqlite_utils.Database) -> None:
    # One coder's codings (blind mode, --coder, agreement) counted per code
    # or per document from this index alone: 4 ms instead of 120–180 ms for
    # 100,000 codings, where the other indexes would read every row.
    db.execute("CREATE INDEX idx_codings_coder ON codings (coder_id, code_id, document_id)")
@migrations(name="0010_search_word_index")
def _search_word_index(db: sqlite_utils.Database) -> None:
    # The persistent word index of coded passages and memos for fuzzy search
    # (store/search/wordindex.py): posting lists, the vocabulary, and a log
    # that triggers on codings and memos fill in the same transaction as each
    # write, whoever makes it. Built here from what the file already holds.
    from margin.store.db import Database
    from margin.store.word_postings import rebuild

    rebuild(Database(db.conn))


# What a very long document's full text is indexed in (store/documents.py,
# PIECES_ABOVE): pieces of its text, each a row of its own in two FTS5
# indexes, so that no transaction holds the write lock for the whole text.
_PIECE_INDEXES = (("document_pieces_fts", "porter"), ("document_pieces_unstemmed_fts", "unicode61"))


@migrations(name="0011_long_documents_indexed_in_pieces")
def _long_documents_indexed_in_pieces(db: sqlite_utils.Database) -> None:
    # Indexing a 100 MB text in documents_fts and documents_unstemmed_fts is
    # one FTS5 insert each, seconds with the write lock held: every other
    # writer waits. A very long document is marked (indexed_in_pieces = 1)
    # and left out of those two indexes; its text is cut into pieces
    # (document_pieces: code-point offsets into documents.text), and each
    # piece is indexed in a short transaction of its own, in
    # document_pieces_fts (stems) and document_pieces_unstemmed_fts (words as
    # written). Until every piece is (indexed = 1), the document is "being
    # indexed": search finds what is indexed so far and says so, `margin
    # check` reports it, and `margin check --repair` or the next import
    # completes it. The piece indexes read their text from the document
    # (the view document_piece_texts), so the text is stored once.
    db.execute("ALTER TABLE documents ADD COLUMN indexed_in_pieces INTEGER NOT NULL DEFAULT 0")
    db.execute(
        """CREATE TABLE document_pieces (
               id INTEGER PRIMARY KEY,
               document_id INTEGER NOT NULL REFERENCES documents(id),
               start INTEGER NOT NULL,
               "end" INTEGER NOT NULL,
               indexed INTEGER NOT NULL DEFAULT 0)""")
    db.execute("CREATE INDEX idx_document_pieces_document ON document_pieces (document_id, start)")
    db.execute(
        """CREATE VIEW document_piece_texts AS
           SELECT p.id AS id, p.document_id AS document_id,
                  substr(d.text, p.start + 1, p."end" - p.start) AS text
           FROM document_pieces p JOIN documents d ON d.id = p.document_id""")
    for index, tokenize in _PIECE_INDEXES:
        db.execute(f"CREATE VIRTUAL TABLE [{index}] USING FTS5 (text, tokenize='{tokenize}', "
                   "content='document_piece_texts', content_rowid='id')")
    piece_text = ('(SELECT substr(text, {row}.start + 1, {row}."end" - {row}.start) '
                  "FROM documents WHERE id = {row}.document_id)")
    # A piece put back (undo of a delete) is indexed again; a piece deleted
    # leaves its indexes while its document's text is still there to say
    # which words to take out (documents_delete_pieces, below, deletes the
    # pieces before their document from any client).
    db.execute(
        "CREATE TRIGGER document_pieces_ai AFTER INSERT ON document_pieces WHEN new.indexed BEGIN "
        + " ".join(f"INSERT INTO [{index}] (rowid, text) VALUES "
                   f"(new.id, {piece_text.format(row='new')});" for index, _ in _PIECE_INDEXES)
        + " END")
    db.execute(
        "CREATE TRIGGER document_pieces_ad AFTER DELETE ON document_pieces WHEN old.indexed BEGIN "
        + " ".join(f"INSERT INTO [{index}] ([{index}], rowid, text) VALUES "
                   f"('delete', old.id, {piece_text.format(row='old')});"
                   for index, _ in _PIECE_INDEXES)
        + " END")
    db.execute("CREATE TRIGGER documents_delete_pieces BEFORE DELETE ON documents BEGIN "
               "DELETE FROM document_pieces WHERE document_id = old.id; END")
    # The whole-text indexes leave the marked documents out.
    for trigger in ("documents_ai", "documents_ad", "documents_au", "documents_unstemmed_fts_ai",
                    "documents_unstemmed_fts_ad", "documents_unstemmed_fts_au"):
        db.execute(f"DROP TRIGGER IF EXISTS [{trigger}]")
    for index, columns, trigger in (("documents_fts", ("title", "text"), "documents"),
                                    ("documents_unstemmed_fts", ("text",),
                                     "documents_unstemmed_fts")):
        names = ", ".join(f"[{column}]" for column in columns)
        old = ", ".join(f"old.[{column}]" for column in columns)
        new = ", ".join(f"new.[{column}]" for column in columns)
        delete = (f"INSERT INTO [{index}] ([{index}], rowid, {names}) "
                  f"SELECT 'delete', old.rowid, {old} WHERE old.indexed_in_pieces = 0;")
        insert = (f"INSERT INTO [{index}] (rowid, {names}) "
                  f"SELECT new.rowid, {new} WHERE new.indexed_in_pieces = 0;")
        # The stemmed index's update trigger follows any update, as
        # sqlite-utils made it (a title is indexed there); the unstemmed
        # one only a change of the text.
        of = "" if index == "documents_fts" else " OF [text], [indexed_in_pieces]"
        db.execute(f"CREATE TRIGGER [{trigger}_ai] AFTER INSERT ON [documents] BEGIN {insert} END")
        db.execute(f"CREATE TRIGGER [{trigger}_ad] AFTER DELETE ON [documents] BEGIN {delete} END")
        db.execute(f"CREATE TRIGGER [{trigger}_au] AFTER UPDATE{of} ON [documents] BEGIN "
                   f"{delete} {insert} END")


@migrations(name="0012_search_word_pairs")
def _search_word_pairs(db: sqlite_utils.Database) -> None:
    # The rare pairs of neighbouring words beside the word postings
    # (store/word_postings.py, search_pairs): at a million passages, the words
    # of a half-remembered fragment are each in thousands of passages, and
    # only the order of two of them ("week. This", where one sentence ends
    # and another begins) tells its passage from the rest. Built here from
    # what the file already holds, with the word postings.
    from margin.store.db import Database
    from margin.store.word_postings import pairs_built, rebuild

    if not pairs_built(Database(db.conn)):  # (0010 may have just built them)
        rebuild(Database(db.conn))


@migrations(name="0013_codes_colour_chosen")
def _codes_colour_chosen(db: sqlite_utils.Database) -> None:
    # Whose a code's colour is: 1, chosen (the colour picker, `margin codes
    # add|recolour --colour`); 0, picked by margin for a new code; NULL, not
    # known (codes from before this migration, and from REFI-QDA files, whose
    # colours may be another tool's defaults). A merge tells a real colour
    # difference (both chosen) by it.
    db.execute("ALTER TABLE codes ADD COLUMN colour_chosen INTEGER")


@migrations(name="0014_history_long_texts")
def _history_long_texts(db: sqlite_utils.Database) -> None:
    # Deleting a 100 MB document recorded its text in the action's history
    # row: SQLite copying 100 MB, with the write lock held, on top of
    # deleting it (1.2-1.9 s). Such a text is now written here first, a few
    # megabytes a row, each row a short transaction of its own, and the
    # action's history row names those rows (history.texts, a JSON list of
    # their ids). They go with their history row, whoever deletes it.
    # (written: when, so that a row no history row names yet, another
    # process's action under way, is not taken for one a crash left behind)
    db.execute("CREATE TABLE history_texts (id INTEGER PRIMARY KEY, text TEXT NOT NULL, "
               "written REAL NOT NULL DEFAULT (julianday('now')))")
    db.execute("ALTER TABLE history ADD COLUMN texts TEXT")
    db.execute("CREATE TRIGGER history_texts_go AFTER DELETE ON history "
               "WHEN old.texts IS NOT NULL BEGIN "
               "DELETE FROM history_texts WHERE id IN (SELECT value FROM json_each(old.texts)); "
               "END")
