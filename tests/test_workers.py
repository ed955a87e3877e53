"""worker_database: a worker's own connection, closed after, failures reported."""

from __future__ import annotations

import pytest

from margin.store.db import open_database
from margin.store.errors import StoreError
from margin.tui.workers import worker_database


class FakeApp:
    """What worker_database uses of the app; call_from_thread runs at once."""

    def __init__(self, db_path):
        self.db_path = db_path
        self.reported: list[Exception] = []

    def call_from_thread(self, callback, *args):
        return callback(*args)

    def report(self, error: Exception) -> None:
        self.reported.append(error)


@pytest.fixture
def app(tmp_path):
    open_database(tmp_path / "w.db").close()
    return FakeApp(tmp_path / "w.db")


def test_the_work_gets_its_own_connection_which_is_closed_after(app):
    connections = []

    def work(db):
        connections.append(db)
        return db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    assert worker_database(app, work) == 0
    with pytest.raises(StoreError):  # closed: a margin connection's error is a StoreError
        connections[0].execute("SELECT 1")
    assert app.reported == []


def test_a_store_error_is_reported_once_and_the_connection_still_closed(app):
    connections = []

    def work(db):
        connections.append(db)
        raise StoreError("database is locked")

    errors: list[Exception] = []
    assert worker_database(app, work, on_error=errors.append) is None
    assert [str(e) for e in errors] == ["database is locked"]
    assert app.reported == []  # on_error replaces the app's notification
    with pytest.raises(StoreError):
        connections[0].execute("SELECT 1")


def test_an_sqlite_error_in_the_work_is_reported_by_the_app_by_default(app):
    assert worker_database(app, lambda db: db.execute("SELECT * FROM no_such_table")) is None
    assert "no_such_table" in str(app.reported[0])


def test_a_database_that_cannot_be_opened_is_reported_and_the_work_not_run(tmp_path):
    app = FakeApp(tmp_path)  # a folder, not a database file
    ran = []
    assert worker_database(app, ran.append) is None
    assert ran == [] and len(app.reported) == 1


def test_other_errors_are_not_caught_unless_asked_for(app):
    def bug(db):
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        worker_database(app, bug)
    assert worker_database(app, bug, errors=(Exception,)) is None
    assert [str(e) for e in app.reported] == ["a bug"]
