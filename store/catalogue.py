"""What a database holds, and how tools other than margin should read it.

``database_summary`` counts rows and names the schema, ``file_sizes`` measures
the file and its write-ahead log (`margin info`).
``datasette_metadata`` describes the tables and the two views made for other
tools (``coded_passages``, ``code_paths``, migration 0007) to Datasette, and
hides what only margin needs: the undo history and the FTS tables (their
search boxes are on the tables they index, and on ``coded_passages``).
Datasette's metadata cannot hide one column of a table, so the bulky
``original`` and ``text`` are left out by the ``document_list`` view (and the
documents table's description links to it without them, ``?_nocol=``).
"""

from __future__ import annotations

from pathlib import Path

from margin.store.db import MIGRATION_NAMES, Database, newer_schema, schema_version
from margin.store.integrity import FULL_TEXT_INDEXES, PIECE_FULL_TEXT_INDEXES

_COUNTED = ("documents", "codes", "codings", "memos", "coders", "entities")


def file_sizes(path: str | Path) -> dict:
    """The database file's size and its write-ahead log's (``-wal``): while
    margin runs (or after a crash) recent work may be in the log alone, not
    yet checkpointed into the file; a copy needs both."""
    path = Path(path)
    wal = path.with_name(path.name + "-wal")

    def size(file: Path) -> int:
        try:
            return file.stat().st_size
        except OSError:
            return 0

    return {"database_bytes": size(path), "wal_bytes": size(wal)}


def database_summary(db: Database) -> dict:
    """Schema number and state, and how many rows each main table holds."""
    applied = schema_version(db)
    newer = newer_schema(db, applied)
    summary: dict = {
        "schema": newer or len(applied),
        "schema_known": len(MIGRATION_NAMES),
        "schema_current": tuple(applied) == MIGRATION_NAMES,
        "schema_newer": newer is not None,
    }
    tables = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    for table in _COUNTED:
        summary[table] = (db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]
                          if table in tables else 0)
    if "codings" in tables:
        # A coding's memo lives on the coding: a researcher counts it as a memo.
        summary["memos"] += db.execute(
            "SELECT COUNT(*) FROM codings WHERE memo IS NOT NULL AND memo != ''").fetchone()[0]
    return summary


def datasette_metadata() -> dict:
    """A Datasette metadata document for any margin database (JSON-ready)."""
    hidden = {"hidden": True}
    return {
        "title": "margin project",
        "description": "Documents, codes and coded passages of a margin project "
                       "(qualitative coding). Start with coded_passages.",
        "databases": {"*": {"tables": {
            "coded_passages": {
                "description": "Every coded passage: its document, the code's full path, "
                               "the quote, the coder's memo and who coded it when. "
                               "The search box looks in quotes and memos (stemmed: "
                               "talks finds talked).",
                "sort_desc": "created",
                "fts_table": "codings_fts",
                "fts_pk": "coding_id",
            },
            "code_paths": {
                "description": "Every code with its full path in the codebook "
                               "(Parent > Child) and its depth.",
                "sort": "path",
            },
            "documents": {
                "description_html": (
                    "Imported documents. <code>text</code> is what codings point into "
                    "(never changed after import); <code>original</code> is the source "
                    "text before boilerplate cleaning. "
                    '<a href="?_nocol=original&amp;_nocol=text">Without the long texts</a>; '
                    "document_list has the same rows without them."),
                "columns": {"text": "the text codings point into, by character offset",
                            "original": "the source text before cleaning "
                                        "(empty for a text over 2 M characters that is its own original)",
                            "hash": "sha256 of the original text"},
                "sort": "id",
            },
            "document_list": {
                "description": "Every document without its long texts: title, author, "
                               "publication date, words, where it came from.",
            },
            "codes": {"description": "The codebook; parent_id makes the tree."},
            "codings": {"description": "A passage of a document coded with a code: "
                                       "start/end are character offsets into documents.text; "
                                       "quote is the passage itself."},
            "memos": {"description": "Memos on documents and on codes."},
            "coders": {"description": "Who coded: one row per coder name."},
            "entities": {"description": "Named entities found by recognition "
                                        "(derived; rebuilt by margin entities --rebuild)."},
            "entity_reviews": {"description": "Decisions on entity mentions "
                                              "(accepted, rejected, relabelled)."},
            "entity_runs": hidden,
            "history": hidden,
            "history_texts": hidden,
            "_sqlite_migrations": hidden,
            # The full-text indexes: Datasette offers a search box on the
            # table each indexes (documents, codings, memos), and on the
            # coded_passages view through fts_table above.
            **{f"{index}{suffix}": hidden for index in {**FULL_TEXT_INDEXES, **PIECE_FULL_TEXT_INDEXES}
               for suffix in ("", "_config", "_data", "_docsize", "_idx")},
        }}},
    }
