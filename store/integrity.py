"""Is this database whole? What `margin check` reports and `--repair` fixes.

A margin database is a plain SQLite file that other tools may change, a disk
may damage, and a newer margin may have written. The check looks at what a
researcher relies on, each as one finding:

- **schema**: which migrations are applied, and whether a newer margin wrote it;
- **pages**: SQLite's own ``PRAGMA integrity_check`` (damaged pages, indexes);
- **references**: ``PRAGMA foreign_key_check``, rows pointing at a document,
  code or coder that is gone (left by a delete from outside before the
  cascading trigger of migration 0006, or with foreign keys off);
- **quotes**: every coding's stored quote against its document's text, and
  its offsets inside that text (the invariant every export relies on);
- **full text**: each FTS5 index (:data:`FULL_TEXT_INDEXES`) in step with
  the table it indexes.

``repair`` fixes only what is safe to fix without judgement: orphaned rows
are deleted (what they pointed at is gone, so nothing can show them), a
missing coder or parent code becomes none, and a full-text index out of
step is rebuilt from its table. A quote that no longer matches its text, or a
damaged page, is reported, never "fixed": the right copy is in a backup.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from margin.store.db import MIGRATION_NAMES, Database, newer_schema, schema_version
from margin.store.util import plural

#: Every full-text index of a margin database, with what it indexes (an
#: index a database does not have yet, before its migration, is skipped).
FULL_TEXT_INDEXES = {
    "documents_fts": "the documents",
    "documents_unstemmed_fts": "the documents' words as written",
    "codings_fts": "the coded passages",
    "memos_fts": "the memos",
}

# Rows whose reference is gone: delete them (they belong to what is gone), or
# clear the reference (the row stands on its own without it).
_DELETE_ORPHANS = {
    ("codings", "documents"), ("codings", "codes"), ("memos", "documents"), ("memos", "codes"),
    ("entities", "documents"), ("entity_runs", "documents"), ("entity_reviews", "documents"),
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

    @property
    def ok(self) -> bool:
        return all(finding.ok for finding in self.findings)


def check_database(db: Database, detail_limit: int = 20) -> CheckReport:
    """Every finding about ``db``, read-only (a snapshot of one state)."""
    findings = [_schema(db), _pages(db, detail_limit)]
    if not findings[-1].ok:  # on damaged pages, further reads may only fail
        return CheckReport(findings)
    with db.snapshot():
        findings += [_references(db, detail_limit), _quotes(db, detail_limit), _full_text(db)]
    return CheckReport(findings)


def repair_database(db: Database) -> CheckReport:
    """Fix what is safe (see the module docstring) in one transaction, then
    check again. Returns the new report, with what was repaired."""
    repaired: list[str] = []
    if not _pages(db, 1).ok:  # nothing is safe to change in a damaged file
        return check_database(db)
    with db.atomic():
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
        for index in _indexes_out_of_step(db):
            db.execute(f"INSERT INTO [{index}]([{index}]) VALUES ('rebuild')")
            repaired.append(f"rebuilt the full-text index of {FULL_TEXT_INDEXES[index]}")
    report = check_database(db)
    report.repaired = repaired
    return report


def _schema(db: Database) -> Finding:
    applied = schema_version(db)
    newer = newer_schema(db, applied)
    if newer is not None:
        return Finding("schema", False, f"made by a newer margin (schema {newer}); "
                       f"this margin knows schema {len(MIGRATION_NAMES)}: upgrade margin")
    missing = [name for name in MIGRATION_NAMES if name not in applied]
    if missing:  # only on a read-only copy: opening for writing upgrades it
        return Finding("schema", False, f"schema {len(applied)} of {len(MIGRATION_NAMES)}: "
                       "open it once with write access to upgrade", details=missing)
    return Finding("schema", True, f"schema {len(applied)}, up to date")


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


def _indexes_out_of_step(db: Database) -> list[str]:
    present = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    wrong = []
    for index in FULL_TEXT_INDEXES:
        if index not in present:
            continue
        try:
            # rank = 1: compare the index with the table it indexes.
            db.execute(f"INSERT INTO [{index}]([{index}], rank) VALUES ('integrity-check', 1)")
        except sqlite3.Error:
            wrong.append(index)
    return wrong


def _full_text(db: Database) -> Finding:
    wrong = _indexes_out_of_step(db)
    if wrong:
        count = plural(len(wrong), "full-text index", "full-text indexes")
        return Finding("full text", False, f"{count} out of step with the rows indexed",
                       repairable=True,
                       details=[f"{index} ({FULL_TEXT_INDEXES[index]})" for index in wrong])
    return Finding("full text", True, "the full-text indexes are in step with the rows indexed")
