"""The database connection of a worker thread.

sqlite3 connections belong to the thread that made them, so each worker
opens its own connection to the app's database and closes it when done;
a failure is reported on the UI thread, one way for every screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.app import App
from textual.worker import NoActiveWorker, get_current_worker

from margin.store.db import Database, open_database
from margin.store.errors import StoreError

T = TypeVar("T")


def worker_database(
    app: App,
    work: Callable[[Database], T],
    *,
    on_error: Callable[[Exception], object] | None = None,
    errors: tuple[type[Exception], ...] = (StoreError,),
) -> T | None:
    """Call ``work`` (in a worker thread) with the worker's own connection to
    ``app.db_path``, close the connection, and return what ``work`` returned.

    A StoreError opening the database or in ``work`` (every SQLite error on a
    margin connection is one; ``errors`` widens this) is reported with
    ``on_error(error)`` on the UI thread, by default the app's notification,
    and None is returned. A cancelled worker reports nothing: its screen has
    moved on, or the app has closed.
    """
    try:
        db = open_database(app.db_path)
        try:
            return work(db)
        finally:
            db.close()
    except errors as error:
        if not _cancelled():
            app.call_from_thread(on_error or app.report, error)
        return None


def _cancelled() -> bool:
    try:
        return get_current_worker().is_cancelled
    except NoActiveWorker:
        return False
