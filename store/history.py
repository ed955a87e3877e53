"""One transaction per user action, and multi-step undo/redo of those actions.

Every action that changes codes, codings, memos or documents runs inside
``with action(db, label) as log:``. The log performs the writes and records the
row as it was before and after each one. When the block ends, the writes and a
``history`` row holding that record are committed together: a crash loses at
most the action in flight, and the undo history is as durable as the data.

Undo restores the "before" rows in reverse order; redo re-applies the "after"
rows in order. Before touching anything, both check that every row is still
exactly as the action left it, so an undo never silently overwrites a change
made since (by another margin window, say); that raises HistoryConflict.

Readers that cache data follow the history with :func:`history_stamp` (has
anything changed?) or :func:`changes_since` (which rows changed?). This module
alone reads the ``changes`` the history records.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

from margin.store.db import Database
from margin.store.errors import HistoryConflict, NotFound, StoreError
from margin.store.util import now

# Keep this many actions; older ones can no longer be undone.
HISTORY_LIMIT = 1000

_ACTIVE_LOG_ATTRIBUTE = "_margin_active_log"


@dataclass
class Change:
    table: str
    row_id: int
    before: dict | None
    after: dict | None

    def to_json(self) -> dict:
        return {"table": self.table, "id": self.row_id, "before": self.before, "after": self.after}

    @classmethod
    def from_json(cls, data: dict) -> Change | RowsChange:
        if "rows" in data:
            return RowsChange.from_json(data)
        return cls(data["table"], data["id"], data["before"], data["after"])


@dataclass
class RowsChange:
    """Many rows of one table deleted at once (a document's codings, its
    entity mentions, the document itself): recorded as the column names and
    each row's values, so that undo puts back exactly those rows, ids and all,
    with one check and one statement per table instead of two per row.

    ``kept`` (rows inserted by :meth:`ChangeLog.insert_rows` with
    ``kept=True``, as a merge's documents): while the action stands, their
    values are in their table and the history holds only their keys and a
    digest of each row (``rows`` is None), not a second copy of every text.
    Undo reads them from the table (checking the digests) before deleting
    them and records them whole, for redo; redo puts them back and records
    only keys and digests again."""

    table: str
    key: str  # the primary key column
    columns: list[str]
    rows: list[list] | None  # the rows as they were, in ``columns`` order
    deleted: bool = True  # the action deleted them (redo deletes them again)
    kept: bool = False
    ids: list | None = None  # kept, while in the table: the keys…
    digests: list[str] | None = None  # …and each row's digest (_row_digest)

    def to_json(self) -> dict:
        data = {"table": self.table, "key": self.key, "columns": self.columns,
                "rows": self.rows, "deleted": self.deleted}
        if self.kept:
            data.update(kept=True, ids=self.ids, digests=self.digests)
        return data

    @classmethod
    def from_json(cls, data: dict) -> RowsChange:
        return cls(data["table"], data["key"], data["columns"], data["rows"], data["deleted"],
                   data.get("kept", False), data.get("ids"), data.get("digests"))

    @property
    def row_ids(self) -> list:
        if self.rows is None:
            return list(self.ids or [])
        index = self.columns.index(self.key)
        return [row[index] for row in self.rows]

    def keep_in_table(self, db: Database) -> None:
        """Record only the keys and digests of the rows, as they are in the
        table now (a kept change whose rows are in place)."""
        ids = self.row_ids
        key = self.columns.index(self.key)
        # Read back in key order: each row is found by its own key.
        by_id = {row[key]: row for row in _read_rows(db, self, ids)}
        self.ids = sorted(ids)
        self.digests = [_row_digest(by_id[row_id]) for row_id in self.ids]
        self.rows = None

    def take_from_table(self, db: Database) -> None:
        """Read the rows back from the table (a kept change about to be
        undone), each checked against its digest."""
        rows = _read_rows(db, self, self.ids or [])
        if len(rows) != len(self.ids or []) or any(
                _row_digest(row) != digest
                for row, digest in zip(rows, self.digests or [], strict=False)):
            raise HistoryConflict(
                f"cannot undo/redo: {self.table} rows were changed since; nothing was changed")
        self.rows, self.ids, self.digests = rows, None, None


def _read_rows(db: Database, change: RowsChange, ids: list) -> list[list]:
    """The rows of ``ids`` as they are in the table (those there), by key."""
    rows: list[list] = []
    ordered = sorted(ids)
    for first in range(0, len(ordered), _CHUNK):
        chunk = ordered[first:first + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rows += [list(row) for row in db.execute(
            f"SELECT {', '.join(f'[{c}]' for c in change.columns)} FROM [{change.table}] "
            f"WHERE [{change.key}] IN ({marks}) ORDER BY [{change.key}]", chunk)]
    return rows


def _row_digest(row: list) -> str:
    return hashlib.sha256(repr(row).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class ChangeLog:
    """Performs writes inside an action and records each row's before/after."""

    def __init__(self, db: Database, label: str):
        self.db = db
        self.label = label
        self.changes: list[Change | RowsChange] = []
        #: Very long texts the action records, each written beforehand to
        #: history_texts (:func:`_stage`), with the ids of its rows there.
        self.staged: list[tuple[str, list[int]]] = []

    def recorded(self) -> tuple[str, str | None]:
        """The changes as the history records them (JSON), and the ids of
        the rows of history_texts they name (JSON, or None): a long text
        staged there is recorded as ``{"staged": [ids]}``."""
        data = [change.to_json() for change in self.changes]
        if not self.staged:
            return json.dumps(data), None
        named: list[int] = []

        def marked(value):
            if isinstance(value, str) and len(value) > _LONG_ROW:
                # Compared, not hashed: hashing 100 MB costs more than
                # comparing it with the one text of its length.
                for text, ids in self.staged:
                    if len(text) == len(value) and text == value:
                        named.extend(ids)
                        return {_STAGED: ids}
            return value

        for item in data:
            if item.get("rows"):
                item["rows"] = [[marked(value) for value in row] for row in item["rows"]]
            for side in ("before", "after"):
                if isinstance(item.get(side), dict):
                    item[side] = {key: marked(value) for key, value in item[side].items()}
        return json.dumps(data), json.dumps(named) if named else None

    def insert(self, table: str, row: dict) -> int:
        row_id = self.db[table].insert(row).last_pk
        self.changes.append(Change(table, row_id, None, _row(self.db, table, row_id)))
        return row_id

    def update(self, table: str, row_id: int, values: dict) -> None:
        before = _row(self.db, table, row_id)
        if before is None:
            raise NotFound(f"{table[:-1]} {row_id} does not exist")
        self.db[table].update(row_id, values)
        after = _row(self.db, table, row_id)
        # Only the columns that changed: renaming a document must not copy its
        # (immutable, possibly megabytes of) text into the history.
        changed = [column for column in after if after[column] != before[column]]
        self.changes.append(Change(
            table, row_id,
            {column: before[column] for column in changed},
            {column: after[column] for column in changed},
        ))

    def delete(self, table: str, row_id: int) -> None:
        before = _row(self.db, table, row_id)
        if before is None:
            raise NotFound(f"{table[:-1]} {row_id} does not exist")
        self.db[table].delete(row_id)
        self.changes.append(Change(table, row_id, before, None))

    def insert_rows(self, table: str, columns: list[str], rows: list[list], *,
                    kept: bool = False) -> list:
        """Insert many rows at once (one ``executemany``), recorded as one
        :class:`RowsChange`: undo deletes exactly these rows, redo puts them
        back. Rows without the primary key among ``columns`` get the ids after
        the table's largest (the action holds the write lock); returns the
        rows' keys. Rows of one call must not refer to each other (undo
        deletes them in chunks): insert a tree's levels one call each.
        ``kept``: the history holds the rows' keys and digests, not their
        values, while the action stands (big rows: a merge's documents)."""
        if not rows:
            return []
        key = _primary_key(self.db, table)
        if key not in columns:
            first = (self.db.execute(f"SELECT MAX([{key}]) FROM [{table}]").fetchone()[0]
                     or 0) + 1
            columns = [key, *columns]
            rows = [[row_id, *row] for row_id, row in enumerate(rows, start=first)]
        else:
            rows = [list(row) for row in rows]
        insert_many(self.db, table, columns, rows)
        change = RowsChange(table, key, list(columns), rows, deleted=False, kept=kept)
        index = columns.index(key)
        ids = [row[index] for row in rows]
        if kept:
            change.keep_in_table(self.db)
        self.changes.append(change)
        return ids

    def delete_where(self, table: str, column: str, value) -> int:
        """Delete every row of ``table`` whose ``column`` is ``value``, recorded
        as one :class:`RowsChange`; returns how many rows went."""
        key = _primary_key(self.db, table)
        cursor = self.db.execute(
            f"SELECT * FROM [{table}] WHERE [{column}] = ? ORDER BY [{key}]", [value])
        columns = [description[0] for description in cursor.description]
        rows = [list(row) for row in cursor.fetchall()]
        if not rows:
            return 0
        self.db.execute(f"DELETE FROM [{table}] WHERE [{column}] = ?", [value])
        self.changes.append(RowsChange(table, key, columns, rows))
        return len(rows)


@contextmanager
def action(db: Database, label: str, *, long_texts: Sequence[str] = ()) -> Iterator[ChangeLog]:
    """Run one user action as one transaction, recorded for undo.

    Nested calls join the outer action, so composite actions (merging codes,
    coding a batch of passages) undo as one step. ``long_texts``: texts of
    megabytes the action will record (a document it deletes), written to
    history_texts before its transaction (:func:`_stage`).
    """
    active = active_log(db)
    if active is not None:
        yield active
        return
    log = ChangeLog(db, label)
    log.staged = _stage(db, long_texts)
    setattr(db, _ACTIVE_LOG_ATTRIBUTE, log)
    try:
        with writing(db):
            yield log
            if log.changes:
                # A new action makes the undone actions unreachable for redo.
                db.execute("DELETE FROM history WHERE undone = 1")
                changes, texts = log.recorded()
                recorded = {"label": label, "changes": changes, "undone": 0, "created": now()}
                if texts is not None:
                    recorded["texts"] = texts
                db["history"].insert(recorded)
                db.execute(
                    "DELETE FROM history WHERE id <= (SELECT MAX(id) FROM history) - ?",
                    [HISTORY_LIMIT],
                )
    finally:
        setattr(db, _ACTIVE_LOG_ATTRIBUTE, None)


_STAGED = "staged"  # a text recorded in history_texts: {"staged": [its rows' ids]}
_STAGED_CHARS = 4_000_000  # characters a row of history_texts
_ORPHANED_AFTER_DAYS = 1 / 24


def _stage(db: Database, texts: Sequence[str]) -> list[tuple[str, list[int]]]:
    """Write each very long text an action is about to record (a document
    it deletes) to history_texts, a few megabytes a row, each row a short
    transaction (paced as a long text's index pieces are): the action's own
    transaction then names the rows instead of copying the text (migration
    0014). Rows no history row names (an action that failed, a crash) are
    dropped first, once they are an hour old."""
    texts = [text for text in texts if len(text) > _LONG_ROW]
    if not texts or db.conn.in_transaction or "history_texts" not in db.table_names():
        return []
    from margin.store.documents import Pacer, derived_writes

    pacer = Pacer(db)
    staged = []
    with derived_writes(db):
        with pacer.transaction():
            # (an hour old: another process's rows, written for its action
            # under way, are named by no history row yet either)
            db.execute("DELETE FROM history_texts WHERE written < julianday('now') - ? "
                       "AND id NOT IN (SELECT value FROM history, json_each(history.texts) "
                       "WHERE history.texts IS NOT NULL)", [_ORPHANED_AFTER_DAYS])
        for text in texts:
            ids = []
            for start in range(0, len(text), _STAGED_CHARS):
                with pacer.transaction():
                    ids.append(db.execute("INSERT INTO history_texts (text) VALUES (?)",
                                          [text[start:start + _STAGED_CHARS]]).lastrowid)
            staged.append((text, ids))
    return staged


def _unstaged(db: Database, changes: list[Change | RowsChange]) -> None:
    """Put the texts recorded in history_texts back into ``changes``."""
    def text(value):
        if isinstance(value, dict) and list(value) == [_STAGED]:
            ids = value[_STAGED]
            marks = ",".join("?" * len(ids))
            parts = dict(db.execute(f"SELECT id, text FROM history_texts WHERE id IN ({marks})",
                                    ids).fetchall())
            if len(parts) != len(ids):
                raise HistoryConflict("cannot undo/redo: the text it recorded is gone; "
                                      "nothing was changed")
            return "".join(parts[row_id] for row_id in ids)
        return value

    for change in changes:
        if isinstance(change, RowsChange):
            if change.rows is not None and any(
                    isinstance(value, dict) for row in change.rows for value in row):
                change.rows = [[text(value) for value in row] for row in change.rows]
        else:
            for side in ("before", "after"):
                state = getattr(change, side)
                if state and any(isinstance(value, dict) for value in state.values()):
                    setattr(change, side, {key: text(value) for key, value in state.items()})


def active_log(db: Database) -> ChangeLog | None:
    """The log of the action open on ``db``, if one is: a write made now
    belongs to it (and is undone with it)."""
    return getattr(db, _ACTIVE_LOG_ATTRIBUTE, None)


@contextmanager
def writing(db: Database) -> Iterator[None]:
    """A transaction whose storage failures become one-line StoreErrors."""
    try:
        with db.atomic():
            yield
    except sqlite3.IntegrityError as error:
        raise StoreError(f"refused by the database: {error}") from None
    except sqlite3.OperationalError as error:
        # "database or disk is full", "database is locked", "readonly database"…
        raise StoreError(f"could not save ({error}); nothing was changed") from None


def forget_history(db) -> None:
    """Drop every recorded action: nothing can be undone or redone after.
    For a migration that rewrote rows the history refers to."""
    db.execute("DELETE FROM history")


def history_stamp(db: Database) -> tuple:
    """Changes whenever an action is done, undone or redone: a screen that
    cached data compares stamps to know whether to read it again."""
    # MAX(created): an undone action dropped by a new one leaves its id to it.
    return tuple(db.execute(
        "SELECT MAX(id), COUNT(*), SUM(undone), MAX(created) FROM history").fetchone())


def can_undo(db: Database) -> str | None:
    """The label of the action undo would reverse, or None."""
    row = _next_row(db, undone=0)
    return row["label"] if row else None


def undo(db: Database) -> str | None:
    """Reverse the latest action; returns its label, or None if nothing to undo."""
    row = _next_row(db, undone=0)
    if row is None:
        return None
    changes = _changes(row["changes"])
    _unstaged(db, changes)
    with _pieces_around(db, changes, undoing=True), writing(db):
        for change in reversed(changes):
            if isinstance(change, RowsChange):
                if change.kept and change.rows is None:
                    change.take_from_table(db)  # for redo: the rows, whole
                _restore_rows(db, change, deleting=not change.deleted)
            else:
                _restore(db, change.table, change.row_id, expected=change.after,
                         wanted=change.before)
        db["history"].update(row["id"], {"undone": 1, **_rewritten(changes)})
    return row["label"]


# A column that follows the full-text indexes, not the action: whether a
# very long document's piece is indexed (migration 0011). Undo and redo
# neither compare nor restore it: a piece goes back unindexed, and is indexed
# after the step's transaction, a piece a short transaction (as an import
# does it); a piece they delete is taken out of the indexes first, the same
# way (store/documents.py: index_pieces, unindex_pieces). In one transaction
# the pieces' triggers would read the whole text once a piece, holding the
# write lock for a minute at 100 MB.
_DERIVED_COLUMNS = {"document_pieces": "indexed"}


@contextmanager
def _pieces_around(db: Database, changes: list[Change | RowsChange],
                   undoing: bool) -> Iterator[None]:
    """Around an undo or redo of ``changes``: the very long documents whose
    pieces it deletes leave the piece indexes before (and come back to them
    if the step fails); those whose pieces it puts back are indexed after."""
    going: set[int] = set()
    coming: set[int] = set()
    for change in changes:
        if (isinstance(change, RowsChange) and change.table in _DERIVED_COLUMNS
                and change.rows is not None):
            documents = {row[change.columns.index("document_id")] for row in change.rows}
            # Undo puts back what the action deleted; redo deletes it again.
            (coming if change.deleted == undoing else going).update(documents)
    if not going and not coming:
        yield
        return
    from margin.store.documents import checkpoint, index_documents, unindex_documents

    unindexed = unindex_documents(db, sorted(going))
    try:
        yield
    except StoreError:
        index_documents(db, unindexed)  # nothing was changed: indexed again
        raise
    checkpoint(db)
    index_documents(db, sorted(coming))


def _rewritten(changes: list[Change | RowsChange]) -> dict:
    """The history row's new ``changes`` when a kept change moved its rows
    between the history and the table; nothing otherwise."""
    if not any(isinstance(change, RowsChange) and change.kept for change in changes):
        return {}
    return {"changes": json.dumps([change.to_json() for change in changes])}


def redo(db: Database) -> str | None:
    """Re-apply the most recently undone action; returns its label or None."""
    row = _next_row(db, undone=1)
    if row is None:
        return None
    changes = _changes(row["changes"])
    _unstaged(db, changes)
    with _pieces_around(db, changes, undoing=False), writing(db):
        for change in changes:
            if isinstance(change, RowsChange):
                _restore_rows(db, change, deleting=change.deleted)
                if change.kept and not change.deleted:
                    change.keep_in_table(db)  # in the table again: keys and digests
            else:
                _restore(db, change.table, change.row_id, expected=change.before,
                         wanted=change.after)
        db["history"].update(row["id"], {"undone": 0, **_rewritten(changes)})
    return row["label"]


class Touched(NamedTuple):
    """Rows that actions, undos or redos changed."""

    #: (table, row id) of every row changed.
    rows: frozenset[tuple[str, int]]
    #: The documents whose codings are among ``rows``: a coding's passage
    #: belongs to its document even once the coding is gone.
    coding_documents: frozenset[int]


NOTHING_TOUCHED = Touched(frozenset(), frozenset())


@dataclass(frozen=True)
class HistoryState:
    """How far a reader has followed the history: pass the state
    :func:`changes_since` returned back to it next time. Opaque to callers."""

    #: history id -> (undone, created, label) as last seen
    actions: Mapping[int, tuple] = field(default_factory=dict)
    #: history id -> the rows that action changes, as last read
    touched: Mapping[int, Touched] = field(default_factory=dict)


def changes_since(db: Database, since: HistoryState | None = None) -> tuple[HistoryState, Touched]:
    """The rows that actions done, undone, redone or dropped changed since
    ``since`` (``None``: since the start, every row in the history), and the
    state to pass next time. Unchanged history costs one small query.

    SQLite gives the id of an action dropped from the history (undone, then
    cleared by a new action) to the next one, so an action is known by its id
    together with its time and label; the rows of a dropped action count as
    changed, as it was undone before it went.
    """
    since = since or HistoryState()
    with db.snapshot():  # the list of actions and their changes, as of one moment
        actions = {
            row[0]: (row[1], row[2], row[3])
            for row in db.execute("SELECT id, undone, created, label FROM history")
        }
        changed = [hid for hid, state in actions.items() if since.actions.get(hid) != state]
        # Gone, or its id now another action's.
        dropped = {
            hid
            for hid, state in since.actions.items()
            if actions.get(hid, (None,))[1:] != state[1:]
        }
        if not changed and not dropped:
            return since, NOTHING_TOUCHED
        touched = {hid: rows for hid, rows in since.touched.items() if hid not in dropped}
        # Undone or redone actions change the same rows as when first read.
        unread = [hid for hid in changed if hid not in touched]
        for first in range(0, len(unread), 500):
            chunk = unread[first : first + 500]
            for hid, changes in db.execute(
                f"SELECT id, changes FROM history WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                touched[hid] = _touched_by(db, _changes(changes))
    counted = [since.touched[hid] for hid in dropped if hid in since.touched]
    counted += [touched[hid] for hid in changed]
    rows = frozenset[tuple[str, int]]().union(*(each.rows for each in counted))
    documents = frozenset[int]().union(*(each.coding_documents for each in counted))
    return HistoryState(actions, touched), Touched(rows, documents)


def _touched_by(db: Database, changes: list[Change | RowsChange]) -> Touched:
    rows: set[tuple[str, int]] = set()
    documents: set[int] = set()
    for change in changes:
        if isinstance(change, RowsChange):
            rows.update((change.table, row_id) for row_id in change.row_ids)
            if change.table == "codings" and change.rows is not None:
                index = change.columns.index("document_id")
                documents.update(row[index] for row in change.rows)
            continue
        rows.add((change.table, change.row_id))
        if change.table != "codings":
            continue
        # Inserts and deletes record the whole row; updates only the columns
        # they changed, so then the document is looked up.
        states = [state for state in (change.before, change.after) if state]
        found = {state["document_id"] for state in states if "document_id" in state}
        if not found:
            row = db.execute(
                "SELECT document_id FROM codings WHERE id = ?", [change.row_id]
            ).fetchone()
            found = {row[0]} if row else set()
        documents |= found
    return Touched(frozenset(rows), frozenset(documents))


def _changes(recorded: str) -> list[Change | RowsChange]:
    return [Change.from_json(change) for change in json.loads(recorded)]


def _next_row(db: Database, undone: int) -> dict | None:
    # Undo takes the newest done action; redo the oldest undone one, which is
    # the one undone most recently because undo walks backwards.
    order = "id DESC" if undone == 0 else "id ASC"
    rows = list(db["history"].rows_where("undone = ?", [undone], order_by=order, limit=1))
    return rows[0] if rows else None


def _restore(db, table: str, row_id: int, expected: dict | None, wanted: dict | None) -> None:
    """Put a row back from ``expected`` to ``wanted``: whole rows for inserts
    and deletes (one side is None), the changed columns for updates."""
    current = _row(db, table, row_id)
    is_update = expected is not None and wanted is not None
    if is_update:
        unchanged = current is not None and all(current[k] == v for k, v in expected.items())
    else:
        unchanged = current == expected
    if not unchanged:
        raise HistoryConflict(
            f"cannot undo/redo: {table[:-1]} {row_id} was changed since; nothing was changed"
        )
    if wanted is None:
        db[table].delete(row_id)
    elif current is None:
        db[table].insert(wanted)
    else:
        db[table].update(row_id, wanted)


def _restore_rows(db, change: RowsChange, deleting: bool) -> None:
    """Delete the rows of ``change`` again (``deleting``), or put them back:
    either only if every one of them is as the action left it."""
    key = change.key
    derived = _DERIVED_COLUMNS.get(change.table)
    masked = change.columns.index(derived) if derived in change.columns else None

    def compared(row: list) -> list:
        return row if masked is None else [*row[:masked], None, *row[masked + 1:]]

    for first in range(0, len(change.rows), _CHUNK):
        rows = change.rows[first : first + _CHUNK]
        ids = [row[change.columns.index(key)] for row in rows]
        marks = ",".join("?" * len(ids))
        cursor = db.execute(
            f"SELECT {', '.join(f'[{c}]' for c in change.columns)} FROM [{change.table}] "
            f"WHERE [{key}] IN ({marks}) ORDER BY [{key}]", ids)
        current = [compared(list(row)) for row in cursor.fetchall()]
        expected = sorted((compared(row) for row in rows),
                          key=lambda row: row[change.columns.index(key)]) if deleting else []
        if current != expected:
            raise HistoryConflict(
                f"cannot undo/redo: {change.table} rows were changed since; nothing was changed")
        if deleting:
            db.execute(f"DELETE FROM [{change.table}] WHERE [{key}] IN ({marks})", ids)
        elif masked is not None:  # put back as not derived yet (see _DERIVED_COLUMNS)
            insert_many(db, change.table, change.columns,
                        [[*row[:masked], 0, *row[masked + 1:]] for row in rows])
        else:
            insert_many(db, change.table, change.columns, rows)


_CHUNK = 500


def insert_many(db: Database, table: str, columns: list[str], rows: list) -> None:
    """Insert many rows, a few thousand a statement: ``INSERT … SELECT`` over
    ``json_each`` of the rows, not one statement a row (``executemany``).
    Tables with an FTS5 index kept by triggers (codings, memos, documents)
    make each statement flush what the index gathered, so a statement a row
    costs ~200 µs a row more (bench/fulltext_bench.py). Rows holding bytes,
    which JSON cannot carry, go in one statement a row."""
    names = ", ".join(f"[{column}]" for column in columns)
    one_a_row = f"INSERT INTO [{table}] ({names}) VALUES ({', '.join('?' * len(columns))})"
    if any(isinstance(value, bytes) for row in rows for value in row):
        db.conn.executemany(one_a_row, rows)
        return
    # A row with a very long text (a document of megabytes put back by undo)
    # goes in on its own, as parameters: through JSON, each of its columns
    # would parse the whole row again (16 s for a 100 MB text).
    long = {index for index, row in enumerate(rows)
            if sum(len(value) for value in row if isinstance(value, str)) > _LONG_ROW}
    if long:
        db.conn.executemany(one_a_row, [rows[index] for index in sorted(long)])
        rows = [row for index, row in enumerate(rows) if index not in long]
    select = ", ".join(f"json_extract(value, '$[{index}]')" for index in range(len(columns)))
    statement = f"INSERT INTO [{table}] ({names}) SELECT {select} FROM json_each(?)"
    chunk: list = []
    size = 0
    for row in rows:
        chunk.append(row)
        size += sum(len(value) for value in row if isinstance(value, str))
        # A few thousand rows, and never near SQLite's limit on one value
        # (a billion bytes): documents' texts go in a few at a time.
        if len(chunk) >= _ROWS_A_STATEMENT or size >= _CHARACTERS_A_STATEMENT:
            db.conn.execute(statement, [json.dumps(chunk)])
            chunk, size = [], 0
    if chunk:
        db.conn.execute(statement, [json.dumps(chunk)])


_ROWS_A_STATEMENT = 5_000
_LONG_ROW = 1_000_000  # characters
_CHARACTERS_A_STATEMENT = 50_000_000


def _primary_key(db, table: str) -> str:
    keys = [row[1] for row in db.execute(f"PRAGMA table_info([{table}])") if row[5]]
    if len(keys) != 1:
        raise StoreError(f"{table} has no single primary key: its rows cannot be recorded")
    return keys[0]


def _row(db: Database, table: str, row_id: int) -> dict | None:
    rows = list(db.query(f"SELECT * FROM [{table}] WHERE id = ?", [row_id]))
    return rows[0] if rows else None
