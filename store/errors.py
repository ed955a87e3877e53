"""Errors the store raises for things a user can fix or must know about.

Each carries a one-line message meant to be shown as it is, by the command
line (``Error: ...``) or the app (a notification), never as a traceback.
"""

from __future__ import annotations


class StoreError(Exception):
    """A user-facing problem: bad input, a missing row, a refused action."""


class NotFound(StoreError):
    """A document, code or coding that does not exist (any more)."""


class QuoteMismatch(StoreError):
    """A coding whose stored quote no longer matches the document text.

    This should never happen, because document text is immutable; if it does,
    the data is corrupt and we fail loudly instead of shifting a passage.
    """

    def __init__(self, document: str, start: int, end: int, quote: str, found: str):
        self.document, self.start, self.end = document, start, end
        self.quote, self.found = quote, found
        super().__init__(
            f"coding at {start}-{end} in document {document!r} does not match its text: "
            f"stored quote {_excerpt(quote)!r}, text has {_excerpt(found)!r}"
        )


class DatabaseProblem(StoreError):
    """SQLite refused or failed an operation: locked, full, read-only, corrupt.

    Every error a margin connection raises is one of these (see
    ``margin.store.db``), and also an instance of the sqlite3 class it stands
    for, so code inside the store may still catch ``sqlite3.IntegrityError``
    while the interface catches ``StoreError`` alone and needs no sqlite3.
    """


class DamagedDatabase(DatabaseProblem):
    """The database file is damaged (SQLite: "database disk image is
    malformed", "file is not a database"): what to do about it, in one line."""

    def __init__(self, path: object, detail: str):
        self.path, self.detail = path, detail
        where = f" {path}" if path else ""
        check = f"margin check --db {path}" if path else "margin check"
        super().__init__(
            f"the database{where} is damaged ({detail}): `{check}` shows what is damaged; "
            f"restore the file from a backup (or salvage it with `sqlite3 FILE .recover`)"
        )


class NewerDatabase(StoreError):
    """A database written by a newer margin: its schema has migrations this
    margin does not know. Reading it may work; writing could break it."""


class HistoryConflict(StoreError):
    """Undo/redo found the data changed since the action it would reverse."""


def _excerpt(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
