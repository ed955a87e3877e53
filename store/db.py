"""Opening a margin database.

The database is a plain SQLite file that sqlite-utils and Datasette understand:
real foreign keys, indexes, and an FTS table made by sqlite-utils; its schema
is kept by the migrations in store/schema.py.

Importing sqlite-utils costs ~50 ms, a sixth of margin's start-up. Reading
needs none of it, so ``Database`` answers ``query`` and ``execute`` itself with
the standard library and builds the sqlite-utils ``Database`` (on the same
connection) only when something else is asked of it: a write, a table object,
``atomic()``. An up-to-date file is recognised without sqlite-utils too.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from margin.store.errors import DamagedDatabase, DatabaseProblem, NewerDatabase, StoreError

# The migrations of store/schema.py, in order (a test keeps the two in step).
MIGRATION_NAMES = (
    "0001_core_schema",
    "0002_immutable_document_text",
    "0003_entities",
    "0004_document_metadata",
    "0005_one_coding_per_coder",
    "0006_document_deletes_cascade",
    "0007_views_for_other_tools",
    "0008_full_text_unstemmed_passages_memos",
    "0009_codings_by_coder",
    "0010_search_word_index",
    "0011_long_documents_indexed_in_pieces",
    "0012_search_word_pairs",
    "0013_codes_colour_chosen",
    "0014_history_long_texts",
)
MIGRATION_SET = "margin"


# sqlite3's error classes, each paired with a subclass that is also a
# DatabaseProblem (a StoreError): made once per class, on first use.
_PROBLEM_CLASSES: dict[type, type] = {}


# SQLite's words for a damaged file (older Pythons have no error names).
_DAMAGE_NAMES = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})
_DAMAGE_WORDS = ("malformed", "file is not a database", "database corrupt")


def damaged_database(error: BaseException | None, path: object = None) -> DamagedDatabase | None:
    """A DamagedDatabase if ``error`` (or one it was raised from) says the
    database file is damaged, else None."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DamagedDatabase):
            return error
        if isinstance(error, sqlite3.DatabaseError):
            name = getattr(error, "sqlite_errorname", "")
            if name in _DAMAGE_NAMES or any(word in str(error) for word in _DAMAGE_WORDS):
                return DamagedDatabase(getattr(error, "database_path", None) or path, str(error))
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def as_database_problem(error: sqlite3.Error, connection: sqlite3.Connection | None = None
                        ) -> DatabaseProblem:
    """The same error as a DatabaseProblem that is still an instance of its
    sqlite3 class (so ``except sqlite3.IntegrityError`` goes on working),
    knowing the file of ``connection`` (for the message of a damaged one)."""
    if isinstance(error, DatabaseProblem):
        return error
    kind = type(error)
    problem_class = _PROBLEM_CLASSES.get(kind)
    if problem_class is None:
        problem_class = type(kind.__name__, (DatabaseProblem, kind), {})
        _PROBLEM_CLASSES[kind] = problem_class
    problem = problem_class(*error.args)
    for attribute in ("sqlite_errorcode", "sqlite_errorname"):
        if hasattr(error, attribute):
            setattr(problem, attribute, getattr(error, attribute))
    problem.database_path = getattr(connection, "margin_path", None)
    return problem


class MarginConnection(sqlite3.Connection):
    """A connection whose errors are DatabaseProblems: the store's boundary.

    sqlite-utils runs its statements through ``execute`` too, so a locked,
    full or corrupt database surfaces as a StoreError wherever it happens.
    Not yet: an error raised while a cursor fetches later rows (a corrupt
    page met half-way through a read). ``Database.query`` converts those;
    a raw ``execute(...).fetchall()`` does not. Wrapping the cursor's
    ``__next__`` in Python would slow every row of the big reads.
    """

    def execute(self, *args, **kwargs):
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.Error as error:
            raise as_database_problem(error, self) from error

    def executemany(self, *args, **kwargs):
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.Error as error:
            raise as_database_problem(error, self) from error

    def executescript(self, *args, **kwargs):
        try:
            return super().executescript(*args, **kwargs)
        except sqlite3.Error as error:
            raise as_database_problem(error, self) from error


class Database:
    """A margin database: sqlite-utils' Database, imported only when needed."""

    # The action (store/history.py) a write belongs to, while one is open.
    _margin_active_log = None

    def __init__(self, conn: sqlite3.Connection, read_only: bool = False):
        self.conn = conn
        self._full: Any = None
        #: Opened for reading only (a read-only place, or a newer schema):
        #: any write fails with a DatabaseProblem.
        self.read_only = read_only

    def query(self, sql: str, params: Sequence | dict | None = None) -> Iterator[dict]:
        cursor = self.conn.execute(sql, params or [])
        keys = [column[0] for column in cursor.description or ()]
        try:
            # Rows are read as they are asked for: a corrupt page can fail here.
            for row in cursor:
                yield dict(zip(keys, row, strict=True))
        except sqlite3.Error as error:
            raise as_database_problem(error, self.conn) from error

    def execute(self, sql: str, params: Sequence | dict | None = None) -> sqlite3.Cursor:
        return self.conn.execute(sql, params or [])

    def close(self) -> None:
        """Close the connection (a worker's own, when the worker ends)."""
        self.conn.close()

    @property
    def sqlite_utils(self):
        """The sqlite-utils Database on this connection."""
        if self._full is None:
            import sqlite_utils

            # No plugins: margin uses none, and finding them scans every
            # installed package's entry points.
            self._full = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._full

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """One transaction, taking the write lock at its start.

        A deferred BEGIN (sqlite-utils' own) that reads before it writes fails
        at once with "database is locked" when another connection (an import
        worker, a second margin) has written meanwhile; BEGIN IMMEDIATE waits
        for the lock (the connection's busy timeout) instead. Nested calls are
        savepoints.
        """
        if self.conn.in_transaction:
            with self.sqlite_utils.atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """Several reads that see one state of the database (a read
        transaction), e.g. an export while the app keeps coding."""
        if self.conn.in_transaction:
            yield self
            return
        self.conn.execute("BEGIN")
        try:
            yield self
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def __getitem__(self, table: str):
        return self.sqlite_utils[table]

    def __getattr__(self, name: str):
        # Only reached for what this class does not define: table_names(),
        # atomic(), enable_wal()… all of sqlite-utils' Database.
        if name.startswith("__") or name == "_full":
            raise AttributeError(name)
        return getattr(self.sqlite_utils, name)


def open_database(path: str | Path | None, read_only: bool = False) -> Database:
    """Open (creating if needed) a margin database and bring its schema up to date.

    ``None`` opens an in-memory database (tests). Raises StoreError with a
    one-line message for files that are not margin/SQLite databases or cannot
    be opened, and NewerDatabase for one written by a newer margin.

    ``read_only``: the caller only reads. The file must then exist (a typo'd
    ``--db`` is an error, not a new empty database); it is opened as usual
    where margin may write (so an old schema is upgraded), and read-only where
    it may not: a read-only folder or file, or a schema from a newer margin.
    """
    if path is None:
        return _prepare(_connect(":memory:"), None, read_only=False)
    path = _usable_path(path, must_exist=read_only)
    if path.exists() and not _writable(path):
        if read_only:
            return _prepare(_connect_read_only(path), path, read_only=True)
        raise StoreError(
            f"cannot change {path}: the file or its folder is read-only "
            "(commands that only read it, such as margin documents or export, still work)"
        )
    db = _prepare(_connect(str(path)), path, read_only=False, newer_ok=read_only)
    if db.read_only:  # a newer schema, found on opening: read it read-only
        db.close()
        return _prepare(_connect_read_only(path), path, read_only=True)
    return db


def open_other_database(path: str | Path) -> Database:
    """Another margin database (a colleague's copy), to read from and never
    write to: opened read-only, whatever the file's permissions. One written
    by a newer margin is refused (NewerDatabase), as is a file that is not a
    margin database (StoreError) or a damaged one (DamagedDatabase). An older
    schema is brought up to date in an in-memory copy, never in the file."""
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    if not path.is_file():
        raise StoreError(f"no file at {path}")
    db = _prepare(_connect_read_only(path), path, read_only=True)
    try:
        applied = schema_version(db)
        if not applied:
            raise StoreError(f"{path} is not a margin database")
        newer = newer_schema(db, applied)
        if newer is not None:
            raise NewerDatabase(newer_database_message(path, db, applied, "read"))
        if tuple(applied) == MIGRATION_NAMES:
            return db
        copy = _connect(":memory:")
        db.conn.backup(copy)
    except sqlite3.DatabaseError as error:
        db.close()
        damage = damaged_database(error, path)
        if damage is not None:
            raise damage from None
        raise StoreError(f"cannot read {path} as a margin database: {error}") from None
    except StoreError:
        db.close()
        raise
    db.close()
    return _prepare(copy, None, read_only=False)
def open_as_it_is(path: str | Path) -> Database:
    """The file read-only, its schema neither checked nor upgraded: for
    `margin check`, which reports on a damaged, old or broken file rather
    than refusing it (or writing migrations into it). A file that is not an
    SQLite database at all is still a StoreError."""
    path = _usable_path(path, must_exist=True)
    if path.stat().st_size and not _has_sqlite_header(path):
        raise StoreError(f"{path} is not an SQLite database; it was left unchanged")
    if _writable(path):
        # Connected as a writer would be (never creating the file), though
        # nothing is written: FTS5 checks an index through an INSERT, which a
        # read-only connection refuses. The caller rolls that back.
        from urllib.parse import quote

        conn = _connect(f"file:{quote(str(path.resolve()))}?mode=rw", uri=True)
    else:
        conn = _connect_read_only(path)
    conn.margin_path = path  # named in the message of a damaged file
    return Database(conn, read_only=True)


def _usable_path(path: str | Path, must_exist: bool) -> Path:
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    if not path.parent.exists():
        raise StoreError(f"folder {path.parent} does not exist")
    if must_exist and not path.exists():
        raise StoreError(f"no database at {path} (margin import PATH... creates one)")
    return path


def _connect(target: str, uri: bool = False) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions. A write outside an
    # action commits at once (as sqlite-utils' execute() does); an action is
    # an explicit BEGIN…COMMIT (db.atomic()).
    try:
        return sqlite3.connect(target, isolation_level=None, factory=MarginConnection, uri=uri)
    except sqlite3.Error as error:
        raise StoreError(f"cannot open database {target}: {error}") from None


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes. A WAL database needs its -shm file,
    which a read-only folder cannot hold: then it is opened as immutable
    (nothing can change a file in a place nobody may write)."""
    from urllib.parse import quote

    uri = f"file:{quote(str(path.resolve()))}"
    conn = _connect(f"{uri}?mode=ro", uri=True)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.Error:
        conn.close()
    return _connect(f"{uri}?immutable=1", uri=True)


def _writable(path: Path) -> bool:
    """Whether margin may write to the file and keep its WAL files beside it."""
    if not os.access(path, os.W_OK):
        return False
    if os.access(path.parent, os.W_OK | os.X_OK):
        return True
    wal_files = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    return all(file.exists() and os.access(file, os.W_OK) for file in wal_files)


def _prepare(conn: sqlite3.Connection, path: Path | None, read_only: bool,
             newer_ok: bool = False) -> Database:
    """Check the schema of an open connection and bring it up to date."""
    conn.margin_path = path  # named in the message of a damaged file
    db = Database(conn, read_only=read_only)
    try:
        applied = schema_version(db)
        if not applied and db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(
                f"{path} is an SQLite database but not a margin one; it was left unchanged"
            )
        newer = newer_schema(db, applied)
        if newer is not None and not read_only:
            if newer_ok:  # the caller only reads: it gets a read-only connection
                db.read_only = True
                return db
            raise NewerDatabase(newer_database_message(path, db, applied, "change"))
        if read_only:
            return db
        db.execute("PRAGMA foreign_keys = ON")
        if path is not None and db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = wal")
        if tuple(applied) != MIGRATION_NAMES:
            from margin.store.schema import migrations

            # All pending migrations in one write transaction: two margins
            # opening a new file at once cannot both create the schema.
            with db.atomic():
                if tuple(schema_version(db)) != MIGRATION_NAMES:
                    migrations.apply(db.sqlite_utils)
                    # The schema number, for tools that read only the header.
                    db.execute(f"PRAGMA user_version = {len(MIGRATION_NAMES)}")
    except sqlite3.DatabaseError as error:
        conn.close()
        damage = damaged_database(error, path)
        if damage is not None and _has_sqlite_header(path):
            raise damage from None
        raise StoreError(f"cannot use {path} as a margin database: {error}") from None
    except StoreError:
        conn.close()
        raise
    return db


def _has_sqlite_header(path: Path | None) -> bool:
    """An SQLite file (if damaged), not some other file given as one."""
    try:
        with open(path, "rb") as file:  # type: ignore[arg-type]
            return file.read(16) == b"SQLite format 3\x00"
    except (OSError, TypeError):
        return False


def newer_schema(db: Database, applied: list[str] | None = None) -> int | None:
    """The schema number of a database written by a newer margin (one with
    migrations this margin does not know, or a higher user_version), else None."""
    applied = schema_version(db) if applied is None else applied
    unknown = [name for name in applied if name not in MIGRATION_NAMES]
    user_version = db.execute("PRAGMA user_version").fetchone()[0]
    if unknown or user_version > len(MIGRATION_NAMES):
        return max(len(applied), user_version)
    return None


def newer_database_message(path: object, db: Database, applied: list[str], to: str) -> str:
    """The one line that refuses a database from a newer margin. Its schema is
    named by number when that is higher than ours; when it is not (a margin of
    another line of development added migrations of its own), by the
    migrations this margin does not know, so the line never says that schema
    8 is newer than schema 10."""
    known = len(MIGRATION_NAMES)
    newer = newer_schema(db, applied) or 0
    if newer > known:
        which = f"schema {newer}"
    else:
        unknown = [name for name in applied if name not in MIGRATION_NAMES]
        which = "migrations this margin does not know: " + ", ".join(unknown)
    return (f"{path} was made by a newer margin ({which}); upgrade margin "
            f"to {to} it (this margin knows schema {known})")


def schema_version(db: Database) -> list[str]:
    """Names of the migrations applied to this database, oldest first."""
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    if not exists:
        return []
    rows = db.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
        [MIGRATION_SET],
    )
    return [row[0] for row in rows]
