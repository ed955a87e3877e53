"""Is this database whole? What `margin check` reports and `--repair` fixes.

A margin database is a plain SQLite file that other tools may change, a disk
may damage, and a newer margin may have written. The check looks at what a
researcher relies on, each as one finding:

- **schema**: which migrations are applied, and whether a newer margin wrote it;
- **pages**: SQLite's own ``PRAGMA integrity_check`` (damaged pages, indexes);
- **tables**, **indexes and triggers**: what the applied migrations make,
  compared with what the file has (the migrations, applied to an empty
  database, are the one description of the schema);
- **references**: ``PRAGMA foreign_key_check``, rows pointing at a document,
  code or coder that is gone (left by a delete from outside before the
  cascading trigger of migration 0006, or with foreign keys off);
- **quotes**: every coding's stored quote against its document's text, and
  its offsets inside that text (the invariant every export relies on);
- **full text**: each FTS5 index (:data:`FULL_TEXT_INDEXES`) holds the rows
  of the table it indexes, and no others (its own rowids against the
  table's; the piece indexes against the pieces marked indexed). Read only:
  the check never takes the write lock (FTS5's own 'integrity-check' is an
  INSERT, and had to index a 100 MB text again to compare it).

The file is checked as it is (:func:`check_file`): never upgraded or
changed, and a check that cannot read what it checks is a finding, not a
traceback.

``repair`` fixes only what is safe to fix without judgement: an old schema
is upgraded, a dropped index, trigger or view is made again, orphaned rows
are deleted (what they pointed at is gone, so nothing can show them), a
missing coder or parent code becomes none, and a full-text index out of
step is rebuilt from its table (as is one whose trigger was missing: it
may have missed a change to a row that the check cannot see). A quote that no longer matches its text, a
missing table or a damaged page is reported, never "fixed", and then
nothing is changed: the right copy is in a backup.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from margin.store.db import (
    MIGRATION_NAMES,
    Database,
    newer_schema,
    open_as_it_is,
    open_database,
    schema_version,
)
from margin.store.documents import (
    PIECE_INDEXES,
    document_text,
    documents_being_indexed,
    index_pieces,
)
from margin.store.util import plural

#: Every full-text index of a margin database, with what it indexes (an
#: index a database does not have yet, before its migration, is skipped).
FULL_TEXT_INDEXES = {
    "documents_fts": "the documents",
    "documents_unstemmed_fts": "the documents' words as written",
    "codings_fts": "the coded passages",
    "memos_fts": "the memos",
}
#: And those of the very long documents' pieces (migration 0011), checked
#: and rebuilt their own way (see _pieces_out_of_step).
PIECE_FULL_TEXT_INDEXES = {
    "document_pieces_fts": "the very long documents, in pieces",
    "document_pieces_unstemmed_fts": "the very long documents' words as written, in pieces",
}
_EVERY_INDEX = {**FULL_TEXT_INDEXES, **PIECE_FULL_TEXT_INDEXES}
# The whole-text indexes of the documents leave out those indexed in pieces
# (migration 0011): what each indexes of a row of ``documents``.
_WHOLE_TEXT_COLUMNS = {"documents_fts": ("title", "text"), "documents_unstemmed_fts": ("text",)}
# The table each whole-row index indexes (its content table).
_INDEXED_TABLES = {"documents_fts": "documents", "documents_unstemmed_fts": "documents",
                   "codings_fts": "codings", "memos_fts": "memos"}

# Findings that stop a repair: nothing is changed in a file with these.
_BLOCKING = frozenset({"schema", "pages", "tables"})

# Rows whose reference is gone: delete them (they belong to what is gone), or
# clear the reference (the row stands on its own without it).
_DELETE_ORPHANS = {
    ("codings", "documents"), ("codings", "codes"), ("memos", "documents"), ("memos", "codes"),
    ("entities", "documents"), ("entity_runs", "documents"), ("entity_reviews", "documents"),
    ("document_pieces", "documents"),
}
_CLEAR_REFERENCE = {("codings", "coders"): "coder_id", ("memos", "coders"): "coder_id",
                    ("entity_reviews", "coders"): "coder_id", ("codes", "codes"): "parent_id"}


@dataclass
class Finding:
    """One aspect of the database: fine, or a problem (and whether
    ``repair`` can fix it)."""

    name: str
    ok: bool
    message: str
    repairable: bool = False
    details: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"check": self.name, "ok": self.ok, "message": self.message,
                "repairable": self.repairable, "details": self.details}


@dataclass
class CheckReport:
    findings: list[Finding]
    repaired: list[str] = field(default_factory=list)
    schema: int | None = None  # migrations applied, where the file was read as it is

    @property
    def ok(self) -> bool:
        return all(finding.ok for finding in self.findings)

    @property
    def repairable(self) -> bool:
        """Whether ``--repair`` would fix something: a problem it can fix,
        and none that stops it from changing the file."""
        return (not any(finding.name in _BLOCKING and not finding.ok
                        for finding in self.findings)
                and any(finding.repairable and not finding.ok for finding in self.findings))


def check_file(path: str | Path) -> CheckReport:
    """`margin check`: every finding about the file as it is. It is never
    upgraded or changed, so an old, damaged or broken file is reported, not
    refused, and no migration runs over damaged pages (which could make
    things worse)."""
    db = open_as_it_is(path)
    try:
        report = check_database(db)
        report.schema = len(schema_version(db)) if report.ok else None
        return report
    finally:
        db.close()


def repair_file(path: str | Path) -> CheckReport:
    """`margin check --repair`: check the file as it is; if nothing stands in
    the way (damaged pages, missing tables, a newer or foreign schema), open
    it for writing, which upgrades an old schema, and repair what is safe.
    Otherwise nothing is changed, and the report says why."""
    first = check_file(path)
    if any(finding.name in _BLOCKING and not finding.ok for finding in first.findings):
        return first
    db = open_database(path)  # an old schema is upgraded here
    try:
        before = len(schema_version(db)) if first.schema is None else first.schema
        report = repair_database(db)
        after = len(schema_version(db))
    finally:
        db.close()
    if after != before:
        report.repaired.insert(0, f"upgraded the schema from {before} to {after}")
    return report


def check_database(db: Database, detail_limit: int = 20) -> CheckReport:
    """Every finding about ``db``, read-only (a snapshot of one state). A
    check that cannot read what it checks (a missing table) is a finding."""
    schema = _guarded("schema", _schema, db)
    findings = [schema, _pages(db, detail_limit)]
    if not findings[-1].ok:  # on damaged pages, further reads may only fail
        return CheckReport(findings)
    if schema.ok or schema.message.startswith("made by a newer margin"):
        findings += [_guarded("tables", _tables, db),
                     _guarded("indexes and triggers", _derived, db)]
    if not schema.ok and not schema.message.startswith("made by a newer margin"):
        return CheckReport(findings)  # not margin's, or unreadable: nothing more to check
    with db.snapshot():
        findings += [_guarded("references", _references, db, detail_limit),
                     _guarded("quotes", _quotes, db, detail_limit),
                     _guarded("full text", _full_text, db)]
    return CheckReport(findings)


def _guarded(name: str, check, *args) -> Finding:
    try:
        return check(*args)
    except sqlite3.Error as error:  # a table missing, a page unreadable
        return Finding(name, False, f"could not be checked: {error}")


def repair_database(db: Database) -> CheckReport:
    """Fix what is safe (see the module docstring) in one transaction, then
    check again. Returns the new report, with what was repaired."""
    repaired: list[str] = []
    if not _pages(db, 1).ok:  # nothing is safe to change in a damaged file
        return check_database(db)
    with db.atomic():
        # The whole-row indexes whose trigger was missing: they may have
        # missed a change of a row that is still there (a memo, a title),
        # which the check, comparing rowids, cannot see.
        behind: set[str] = set()
        for kind, name, sql in _missing_parts(db):
            if kind == "table":
                continue  # its rows are gone: that needs a backup
            db.execute("SAVEPOINT remake")
            try:  # a unique index the rows now break stays missing, and reported
                db.execute(sql)
                repaired.append(f"made {kind} {name} again")
                if kind == "trigger":
                    behind |= {index for index in FULL_TEXT_INDEXES
                               if re.search(rf"\b{index}\b", sql)}
            except sqlite3.Error:
                db.execute("ROLLBACK TO remake")
            db.execute("RELEASE remake")
        for table, parent, row_ids in _orphans(db):
            marks = ",".join("?" * len(row_ids))
            if (table, parent) in _DELETE_ORPHANS:
                db.execute(f"DELETE FROM [{table}] WHERE rowid IN ({marks})", row_ids)
                repaired.append(f"deleted {plural(len(row_ids), 'row')} of {table} "
                                f"whose {parent[:-1]} is gone")
            elif (table, parent) in _CLEAR_REFERENCE:
                column = _CLEAR_REFERENCE[table, parent]
                db.execute(f"UPDATE [{table}] SET [{column}] = NULL WHERE rowid IN ({marks})",
                           row_ids)
                repaired.append(f"cleared {column} of {plural(len(row_ids), 'row')} of {table} "
                                f"whose {parent[:-1]} is gone")
        wrong = set(_indexes_out_of_step(db)) | behind
        for index in [index for index in _EVERY_INDEX if index in wrong]:
            _rebuild_full_text(db, index)
            repaired.append(f"rebuilt the full-text index of {_EVERY_INDEX[index]}")
    if _has_pieces(db):
        # Documents left half indexed (a crash, a cancel): the rest of their
        # pieces, each in a transaction of its own.
        for document in documents_being_indexed(db):
            if index_pieces(db, document.id):
                repaired.append(f"indexed the rest of #{document.id} “{document.title}” "
                                f"({document.pieces - document.indexed} of "
                                f"{plural(document.pieces, 'piece')})")
    report = check_database(db)
    report.repaired = repaired
    return report


def _schema(db: Database) -> Finding:
    applied = schema_version(db)
    newer = newer_schema(db, applied)
    if newer is not None:
        return Finding("schema", False, f"made by a newer margin (schema {newer}); "
                       f"this margin knows schema {len(MIGRATION_NAMES)}: upgrade margin")
    if not applied:
        if db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
            return Finding("schema", False, "an SQLite database but not a margin one "
                           "(no record of margin's migrations)")
        return Finding("schema", False, "an empty file: no margin schema yet")
    missing = [name for name in MIGRATION_NAMES if name not in applied]
    if missing:
        return Finding("schema", True, f"schema {len(applied)} of {len(MIGRATION_NAMES)}, "
                       "older: upgraded when margin next opens it to write")
    return Finding("schema", True, f"schema {len(applied)}, up to date")


def _tables(db: Database) -> Finding:
    """Every table the applied migrations make is there."""
    applied = len(schema_version(db))
    missing = [name for kind, name, _sql in _missing_parts(db) if kind == "table"]
    if missing:
        return Finding("tables", False, f"{plural(len(missing), 'table')} of schema {applied} "
                       "missing: restore the file from a backup", details=missing)
    return Finding("tables", True, f"every table of schema {applied} is there")


def _derived(db: Database) -> Finding:
    """Every index, trigger and view the applied migrations make is there (a
    tool may have dropped one: without its trigger an index falls out of step
    in silence). They hold no data of their own: repair makes them again."""
    missing = [f"{kind} {name}" for kind, name, _sql in _missing_parts(db) if kind != "table"]
    if missing:
        count = plural(len(missing), "index, trigger or view", "indexes, triggers or views")
        return Finding("indexes and triggers", False, f"{count} missing", repairable=True,
                       details=missing)
    return Finding("indexes and triggers", True, "every index, trigger and view is there")


def _missing_parts(db: Database) -> list[tuple[str, str, str]]:
    """(type, name, SQL) of what the migrations applied to ``db`` make and
    ``db`` lacks, in the order they were made."""
    present = {tuple(row) for row in db.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()}
    return [part for part in _schema_parts(tuple(schema_version(db)))
            if part[:2] not in present]


def _schema_parts(applied: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(type, name, SQL) of what the migrations ``applied`` make, as made in
    an empty database: the migrations are the one description of the schema."""
    import sqlite_utils

    from margin.store.schema import migrations

    memory = sqlite_utils.Database(memory=True, execute_plugins=False)
    pending = [name for name in MIGRATION_NAMES if name not in applied]
    migrations.apply(memory, stop_before=pending[0] if pending else None)
    parts = [tuple(row) for row in memory.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
        "ORDER BY rowid").fetchall()]
    memory.close()
    return parts


def _pages(db: Database, limit: int) -> Finding:
    try:
        rows = [row[0] for row in db.execute(f"PRAGMA integrity_check({limit})").fetchall()]
    except sqlite3.Error as error:  # raised while fetching, so not yet a DatabaseProblem
        rows = [str(error)]
    if rows == ["ok"]:
        return Finding("pages", True, "SQLite finds every page and index intact")
    return Finding("pages", False, "the file is damaged: restore it from a backup, or "
                   "try `sqlite3 FILE .recover`", details=rows)


def _orphans(db: Database) -> list[tuple[str, str, list[int]]]:
    """(table, parent table, rowids) of rows whose reference is gone."""
    found: dict[tuple[str, str], list[int]] = {}
    for table, rowid, parent, _key in db.execute("PRAGMA foreign_key_check").fetchall():
        found.setdefault((table, parent), []).append(rowid)
    return [(table, parent, rows) for (table, parent), rows in sorted(found.items())]


def _references(db: Database, limit: int) -> Finding:
    orphans = _orphans(db)
    if not orphans:
        return Finding("references", True, "every reference points at a row that exists")
    details = [f"{plural(len(rows), 'row')} of {table} point at a {parent[:-1]} that is gone "
               f"(e.g. rowid {', '.join(map(str, rows[:5]))})" for table, parent, rows in orphans]
    total = sum(len(rows) for _, _, rows in orphans)
    return Finding("references", False, f"{plural(total, 'row')} point at nothing",
                   repairable=True, details=details[:limit])


def _quotes(db: Database, limit: int) -> Finding:
    checked, wrong = 0, []
    documents = db.execute("SELECT id, title FROM documents ORDER BY id").fetchall()
    for document_id, title in documents:
        codings = db.execute(
            'SELECT id, start, "end", quote FROM codings WHERE document_id = ?', [document_id]
        ).fetchall()
        if not codings:
            continue
        text = db.execute("SELECT text FROM documents WHERE id = ?", [document_id]).fetchone()[0]
        for coding_id, start, end, quote in codings:
            checked += 1
            if not (0 <= start < end <= len(text)):
                wrong.append(f"coding {coding_id} in #{document_id} {title!r}: offsets "
                             f"{start}-{end} outside its text of {len(text):,} characters")
            elif text[start:end] != quote:
                wrong.append(f"coding {coding_id} in #{document_id} {title!r} at {start}-{end}: "
                             "its quote differs from the text there")
    if wrong:
        return Finding("quotes", False, f"{plural(len(wrong), 'coding')} do not match their "
                       "text: restore from a backup, or delete and code them again",
                       details=wrong[:limit])
    return Finding("quotes", True, f"{plural(checked, 'coding')} match their text")


def _has_pieces(db: Database) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                      "AND name = 'document_pieces'").fetchone() is not None


def _rebuild_full_text(db: Database, index: str) -> None:
    """Make ``index`` again from what it indexes."""
    if index in PIECE_INDEXES:  # from each indexed piece of each document's text
        db.execute(f"INSERT INTO [{index}]([{index}]) VALUES ('delete-all')")
        for (document_id,) in db.execute("SELECT DISTINCT document_id FROM document_pieces "
                                         "WHERE indexed").fetchall():
            text = document_text(db, document_id)
            for piece_id, start, end in db.execute(
                    'SELECT id, start, "end" FROM document_pieces WHERE document_id = ? '
                    "AND indexed", [document_id]).fetchall():
                db.execute(f"INSERT INTO [{index}] (rowid, text) VALUES (?, ?)",
                           [piece_id, text[start:end]])
        return
    if index in _WHOLE_TEXT_COLUMNS and _has_pieces(db):
        # Every document but those indexed in pieces (a 'rebuild' would
        # index their whole texts, to take them out again).
        names = ", ".join(f"[{column}]" for column in _WHOLE_TEXT_COLUMNS[index])
        db.execute(f"INSERT INTO [{index}]([{index}]) VALUES ('delete-all')")
        db.execute(f"INSERT INTO [{index}] (rowid, {names}) SELECT id, {names} FROM documents "
                   "WHERE NOT indexed_in_pieces")
        return
    db.execute(f"INSERT INTO [{index}]([{index}]) VALUES ('rebuild')")


def _pieces_out_of_step(db: Database, index: str) -> bool:
    """Whether a piece index holds other pieces than those marked indexed
    (by the index's own rowids, its ``_docsize`` rows: their text is not
    compared, which would read each document's whole text)."""
    listed = {row[0] for row in db.execute(f"SELECT id FROM [{index}_docsize]")}
    marked = {row[0] for row in db.execute("SELECT id FROM document_pieces WHERE indexed")}
    return listed != marked


def _rows_out_of_step(db: Database, index: str) -> bool:
    """Whether a whole-row index holds other rows than its table: the
    index's own rowids (its ``_docsize`` rows) against the table's, less
    the documents indexed in pieces for the documents' indexes."""
    table = _INDEXED_TABLES[index]
    where = " WHERE NOT indexed_in_pieces" if table == "documents" and _has_pieces(db) else ""
    listed = {row[0] for row in db.execute(f"SELECT id FROM [{index}_docsize]")}
    rows = {row[0] for row in db.execute(f"SELECT rowid FROM [{table}]{where}")}
    return listed != rows


def _indexes_out_of_step(db: Database) -> list[str]:
    """The full-text indexes that do not hold the rows they index. Read
    only: each index's own rowids are compared with the rows (or pieces) it
    indexes. FTS5's 'integrity-check', which also compares every row's
    words, is an INSERT: it took the write lock, for 13.7 s with a 100 MB
    text (whose words it had to index again to compare them), and a
    read-only file could not be checked at all."""
    present = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    wrong = []
    for index in _EVERY_INDEX:
        if index not in present:
            continue
        if index in PIECE_INDEXES:
            out_of_step = _pieces_out_of_step(db, index)
        else:
            out_of_step = _rows_out_of_step(db, index)
        if out_of_step:
            wrong.append(index)
    return wrong


def _full_text(db: Database) -> Finding:
    wrong = _indexes_out_of_step(db)
    being_indexed = documents_being_indexed(db) if _has_pieces(db) else []
    if wrong:
        count = plural(len(wrong), "full-text index", "full-text indexes")
        return Finding("full text", False, f"{count} out of step with the rows indexed",
                       repairable=True,
                       details=[f"{index} ({_EVERY_INDEX[index]})" for index in wrong])
    if being_indexed:
        # Not a fault: an import under way, or one stopped half-way. Search
        # finds what is indexed so far and says so; repair completes it.
        return Finding("full text", True, "the full-text indexes are in step with the rows "
                       f"indexed; {plural(len(being_indexed), 'document')} still being indexed "
                       "(`margin check --repair` or the next import completes it)",
                       repairable=True, details=[document.note for document in being_indexed])
    return Finding("full text", True, "the full-text indexes are in step with the rows indexed")
