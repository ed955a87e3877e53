"""history.changes_since: which rows actions, undo, redo and dropped actions changed."""

from __future__ import annotations

from helpers import _code

from margin.store.codes import create_code, rename_code
from margin.store.codings import remove_coding, set_coding_memo
from margin.store.history import changes_since, redo, undo

PHRASE = "with the help of North Korean troops"  # in the second sample article


def test_nothing_changed_costs_nothing_and_keeps_the_state(sample_db):
    create_code(sample_db, "Signals")
    state, _ = changes_since(sample_db)
    again, nothing = changes_since(sample_db, state)
    assert again is state
    assert nothing.rows == frozenset() and nothing.coding_documents == frozenset()


def test_actions_done_undone_and_redone(sample_db):
    signals = create_code(sample_db, "Signals")
    state, touched = changes_since(sample_db)
    assert touched.rows == {("codes", signals)}

    coding = _code(sample_db, signals, PHRASE, document_id=2)
    state, touched = changes_since(sample_db, state)
    assert touched.rows == {("codings", coding)}
    assert touched.coding_documents == {2}

    rename_code(sample_db, signals, "Hints")
    set_coding_memo(sample_db, coding, "both capitals")  # an update: no document_id recorded
    state, touched = changes_since(sample_db, state)
    assert touched.rows == {("codes", signals), ("codings", coding)}
    assert touched.coding_documents == {2}

    undo(sample_db)
    state, touched = changes_since(sample_db, state)
    assert touched.rows == {("codings", coding)}
    undo(sample_db)
    undo(sample_db)  # the coding is gone; its document is still known
    state, touched = changes_since(sample_db, state)
    assert touched.rows == {("codes", signals), ("codings", coding)}
    assert touched.coding_documents == {2}

    redo(sample_db)
    state, touched = changes_since(sample_db, state)
    assert touched.rows == {("codings", coding)} and touched.coding_documents == {2}


def test_an_undone_action_dropped_before_it_was_seen_undone_still_counts(sample_db):
    signals = create_code(sample_db, "Signals")
    coding = _code(sample_db, signals, PHRASE, document_id=2)
    state, _ = changes_since(sample_db)
    undo(sample_db)  # the coding goes…
    other = create_code(sample_db, "Other")  # …and SQLite gives its history id to this action
    state, touched = changes_since(sample_db, state)
    assert touched.rows == {("codings", coding), ("codes", other)}
    assert touched.coding_documents == {2}
    # The new action is known by its own rows from now on.
    undo(sample_db)
    _, touched = changes_since(sample_db, state)
    assert touched.rows == {("codes", other)} and touched.coding_documents == frozenset()


def test_a_deleted_coding_names_its_document(sample_db):
    signals = create_code(sample_db, "Signals")
    coding = _code(sample_db, signals, PHRASE, document_id=2)
    state, _ = changes_since(sample_db)
    remove_coding(sample_db, coding)
    _, touched = changes_since(sample_db, state)
    assert touched.rows == {("codings", coding)} and touched.coding_documents == {2}


def test_many_rows_go_in_a_few_at_a_time_when_they_are_big(tmp_path, monkeypatch):
    # Rows go into one JSON value a statement: big rows (documents' texts in
    # a merge) must never make that value pass SQLite's limit on one value.
    import sqlite3

    from margin.store import history
    from margin.store.db import open_database

    db = open_database(tmp_path / "p.db")
    db.conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 200_000)
    monkeypatch.setattr(history, "_CHARACTERS_A_STATEMENT", 100_000)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    rows = [[n, "x" * 48_000] for n in range(1, 9)]
    with history.writing(db):
        history.insert_many(db, "notes", ["id", "body"], rows)
    assert db.execute("SELECT COUNT(*), SUM(LENGTH(body)) FROM notes").fetchone() == (8, 384_000)
