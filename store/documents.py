"""Documents: storing one imported text, listing the library, reading one document.

Files, folders, standard input and the samples come in through the one import
flow, store/importing.py, which reads and decodes them and calls
:func:`prepare_text` and :func:`save_prepared` here.

A document's ``text`` never changes after import: codings point into it by
code-point offsets. ``original`` keeps the decoded source before boilerplate
cleaning (or, for a transcript, the WebVTT/SubRip source of its readable
text), so nothing of the source is ever lost.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from margin.store.coders import coder_condition
from margin.store.db import Database
from margin.store.errors import NotFound, StoreError
from margin.store.history import action, writing
from margin.store.textspans import text_pieces
from margin.store.util import new_uuid, now, one_line, plural

# Importing reads sources (store/sources/: decoding, cleaning, titles,
# transcripts, formats): ~17 ms of imports that the library and the reader,
# which only read documents, do not wait for. They are imported where used.
if TYPE_CHECKING:
    from margin.store.sources.textio import DecodedText

#: A text longer than this (code points) is not indexed whole in the
#: full-text indexes documents_fts and documents_unstemmed_fts, which would
#: hold the write lock for seconds (a 100 MB text: 3-4 s on an idle machine),
#: but in pieces of about PIECE_CHARS, each in a short transaction of its
#: own (migration 0011, :func:`index_pieces`).
PIECES_ABOVE = 2_000_000
PIECE_CHARS = 1_000_000

@dataclass
class Document:
    id: int
    uuid: str
    title: str
    text: str
    source_path: str | None
    encoding: str | None
    cleaned: bool
    word_count: int
    imported: str
    coding_count: int = 0


@dataclass
class DocumentSummary:
    """A library row: everything but the text."""

    id: int
    uuid: str
    title: str
    source_path: str | None
    word_count: int
    coding_count: int
    imported: str
    author: str | None = None
    published: str | None = None

    @property
    def date(self) -> str:
        """The publication date where the source gave one, else the import date."""
        return (self.published or self.imported or "")[:10]

    @property
    def source(self) -> str:
        """Who or where the document comes from, for the library: the author,
        else the file's name."""
        if self.author:
            return self.author
        if not self.source_path or self.source_path.startswith("<"):
            return ""
        if self.source_path.startswith("sample:"):
            return "sample article"
        return os.path.basename(self.source_path)


@dataclass
class ImportResult:
    source: str
    status: str  # "imported", "duplicate" or "refused"
    message: str
    document_id: int | None = None
    title: str | None = None


def list_documents(db: Database, coders: Sequence[str] = (), *,
                   strict: bool = True) -> list[DocumentSummary]:
    """Every document, with its codings counted (the ``coders`` named' only,
    if given: store/coders.py)."""
    columns = "d.id, d.uuid, d.title, d.source_path, d.word_count, d.imported, d.author, d.published"
    if not coders:
        rows = db.query(
            f"""SELECT {columns},
                       (SELECT COUNT(*) FROM codings c WHERE c.document_id = d.id) AS coding_count
                FROM documents d ORDER BY d.id""")
    else:  # counted from the coders' index (migration 0008), not row by row
        by_coder, params = coder_condition(db, coders, strict=strict)
        rows = db.query(
            f"""SELECT {columns}, IFNULL(counted.n, 0) AS coding_count
                FROM documents d LEFT JOIN (
                    SELECT document_id, COUNT(*) AS n FROM codings WHERE {by_coder}
                    GROUP BY document_id) counted ON counted.document_id = d.id
                ORDER BY d.id""", params)
    return [DocumentSummary(**row) for row in rows]


def get_document(db: Database, document_id: int) -> Document:
    rows = list(
        db.query(
            """SELECT id, uuid, title, text, source_path, encoding, cleaned, word_count, imported,
                      (SELECT COUNT(*) FROM codings c WHERE c.document_id = d.id) AS coding_count
               FROM documents d WHERE id = ?""",
            [document_id],
        )
    )
    if not rows:
        raise NotFound(f"document {document_id} does not exist")
    row = rows[0]
    row["cleaned"] = bool(row["cleaned"])
    return Document(**row)


def document_text(db: Database, document_id: int) -> str:
    """A document's text: the one place it is read (codings, entities,
    search and the reader all point into exactly this string)."""
    for (text,) in db.execute("SELECT text FROM documents WHERE id = ?", [document_id]):
        return text
    raise NotFound(f"document {document_id} does not exist")


def document_texts(db: Database, document_ids: Sequence[int]) -> dict[int, str]:
    """The texts of several documents at once, by id (those that exist):
    :func:`document_text` for a batch, in one query."""
    marks = ",".join("?" * len(document_ids))
    return dict(db.execute(
        f"SELECT id, text FROM documents WHERE id IN ({marks})", list(document_ids)))


def document_titles(db: Database) -> dict[int, str]:
    """Every document's title by its id (cheap: no text, no counts)."""
    return {row["id"]: row["title"] for row in db.query("SELECT id, title FROM documents")}


def find_document(db: Database, reference: str) -> Document:
    """A document by id, uuid or exact title (for the command line)."""
    reference = reference.strip()
    if reference.isdigit():
        return get_document(db, int(reference))
    for row in db.query(
        "SELECT id FROM documents WHERE uuid = ? OR title = ? ORDER BY id", [reference, reference]
    ):
        return get_document(db, row["id"])
    raise NotFound(f"no document with id, uuid or title {reference!r}")


def rename_document(db: Database, document_id: int, title: str) -> None:
    title = one_line(title)
    if not title:
        raise StoreError("a document needs a title")
    get_document(db, document_id)
    with action(db, f"Rename document to {title}") as log:
        log.update("documents", document_id, {"title": title, "updated": now()})


@dataclass
class Deletion:
    """What deleting documents takes with it: the confirmation's question
    before, the notice after."""

    titles: list[str]
    codings: int
    memos: int  # memos on the documents and on their codings
    entities: int  # entity mentions

    @property
    def what_goes(self) -> str:
        """"“Title”" or "3 documents (“A”, “B”, “C”)"."""
        if len(self.titles) == 1:
            return f"“{self.titles[0]}”"
        shown = ", ".join(f"“{title}”" for title in self.titles[:3])
        more = ", …" if len(self.titles) > 3 else ""
        return f"{plural(len(self.titles), 'document')} ({shown}{more})"

    @property
    def what_goes_with(self) -> str:
        """"Its 12 codings, 3 memos and 140 entity mentions go with it." """
        whose, them = ("Its", "it") if len(self.titles) == 1 else ("Their", "them")
        counted = [(count, noun) for count, noun in (
            (self.codings, "coding"), (self.memos, "memo"), (self.entities, "entity mention"))
            if count]
        if not counted:
            return f"No codings, memos or entity mentions go with {them}."
        parts = [plural(count, noun) for count, noun in counted]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        verb = "goes" if len(counted) == 1 and counted[0][0] == 1 else "go"
        return f"{whose} {listed} {verb} with {them}."

    @property
    def question(self) -> str:
        return f"Delete {self.what_goes}? {self.what_goes_with} (u undoes it.)"


def deletion(db: Database, document_ids: Sequence[int]) -> Deletion:
    """What :func:`delete_documents` would delete; unknown ids are refused."""
    document_ids = list(dict.fromkeys(document_ids))
    titles = document_titles(db)
    unknown = [str(document_id) for document_id in document_ids if document_id not in titles]
    if unknown:
        raise NotFound(f"no document with id {', '.join(unknown)}")
    marks = ",".join("?" * len(document_ids))

    def count(sql: str) -> int:
        return db.execute(sql.format(marks=marks), document_ids).fetchone()[0]

    return Deletion(
        titles=[titles[document_id] for document_id in document_ids],
        codings=count("SELECT COUNT(*) FROM codings WHERE document_id IN ({marks})"),
        memos=count("SELECT COUNT(*) FROM memos WHERE text != '' AND document_id IN ({marks})")
        + count("SELECT COUNT(*) FROM codings WHERE memo != '' AND document_id IN ({marks})"),
        entities=count("SELECT COUNT(*) FROM entities WHERE document_id IN ({marks})"),
    )


def delete_documents(db: Database, document_ids: Sequence[int]) -> Deletion:
    """Delete documents and everything that belongs to them (the rows of
    every table with a foreign key to ``documents``: codings, memos, entity
    mentions, recognition runs and review decisions) as one undoable action.

    The rows are recorded whole in the history (see ``RowsChange`` in
    store/history.py): undo puts back exactly those rows, ids included, so
    codings, search, the full-text index (kept by triggers) and the history
    before the deletion find them as they were. The text stays in the
    history's record until the action drops out of the history.

    A very long document's pieces leave the piece indexes first, a short
    transaction each (:func:`unindex_pieces`), and its text is written to
    the history's texts before the action (store/history.py, ``_stage``):
    the action's transaction then holds the write lock for the rows alone
    (0.9 s at 100 MB: SQLite freeing the text's pages). Undo puts the
    pieces back unindexed and indexes them after (``_DERIVED_COLUMNS``).
    """
    result = deletion(db, document_ids)
    document_ids = list(dict.fromkeys(document_ids))
    label = f"Delete {result.what_goes}"
    # A very long document's pieces leave the piece indexes first, each in a
    # short transaction (unindex_pieces): the action's own transaction then
    # deletes them unindexed, and holds the write lock for the rows alone.
    unindexed = unindex_documents(db, document_ids)
    marks = ",".join("?" * len(document_ids))
    long = [row[0] for row in db.execute(
        f"SELECT id FROM documents WHERE indexed_in_pieces AND id IN ({marks})", document_ids)]
    try:
        with action(db, label, long_texts=[document_text(db, document_id)
                                           for document_id in long]) as log:
            dependents = _tables_referencing_documents(db)
            for document_id in document_ids:
                for table, column in dependents:
                    log.delete_where(table, column, document_id)
                log.delete_where("documents", "id", document_id)
    except StoreError:
        for document_id in unindexed:  # nothing was deleted: indexed again
            index_pieces(db, document_id)
        raise
    if long:
        checkpoint(db)
    return result


def checkpoint(db: Database) -> None:
    """A passive checkpoint after a big commit (a long text's row stored,
    deleted or put back): the WAL is copied back now, by the writer that
    made it long, not in another writer's commit, where it would count as
    that writer's wait (seconds for 100 MB)."""
    if not db.conn.in_transaction:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def _tables_referencing_documents(db: Database) -> list[tuple[str, str]]:
    """(table, column) of every foreign key to ``documents``: whatever a
    later migration adds that belongs to a document goes with it too."""
    found = []
    for (table,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
        for foreign_key in db.execute(f"PRAGMA foreign_key_list([{table}])").fetchall():
            if foreign_key[2] == "documents" and table != "documents":
                found.append((table, foreign_key[3]))
    return found


@dataclass
class PreparedText:
    """A text ready to be stored: decoded, normalised, cleaned, titled,
    checked against the library (see :func:`prepare_text`)."""

    source: str
    text: str
    original: str
    digest: str
    title: str
    words: int
    encoding: str
    clean: bool
    notes: list[str]
    author: str | None = None
    published: str | None = None
    # A very long text (PIECES_ABOVE): (start, end) of each piece its full
    # text is indexed in, cut here, before the transaction that stores it.
    pieces: list[tuple[int, int]] | None = None


def prepare_text(
    db: Database,
    decoded: DecodedText,
    *,
    source: str,
    clean: bool,
    title: str | None = None,
    readable: str | None = None,
    author: str | None = None,
    published: str | None = None,
) -> PreparedText | ImportResult:
    """Everything :func:`import_text` does before writing: the text to store,
    or the result that stops it (a duplicate, nothing left after cleaning).

    ``readable``, when given, is stored as the text instead of the (cleaned)
    decoded text, which is still kept as ``original``: a transcript's
    readable rendering of its WebVTT or SubRip source.  It is not cleaned.
    """
    import hashlib

    from margin.store.sources.cleaning import clean_boilerplate, cleaning_report
    from margin.store.sources.textio import count_words, normalise_text
    from margin.store.sources.titles import guess_title

    original = normalise_text(decoded.text)
    digest = hashlib.sha256(original.encode("utf-8")).hexdigest()
    duplicate = _duplicate(db, source, digest)
    if duplicate is not None:
        return duplicate
    if readable is not None:
        text, clean = normalise_text(readable), False
    else:
        text = clean_boilerplate(original) if clean else original
    if not text.strip():
        return ImportResult(source, "refused", "no text left after removing boilerplate")
    title = one_line(title or guess_title(text)) or "Untitled"
    words = count_words(text)
    notes = [f"“{title}”", f"{words:,} words"]
    if decoded.detected:
        notes.append(f"encoding detected as {decoded.encoding}")
    if clean:
        removed = cleaning_report(original, text)
        if removed:
            notes.append(f"{removed} boilerplate lines removed")
    pieces = None
    if len(text) > PIECES_ABOVE:
        pieces = pieces_of(text)
        # SQLite is given the text as UTF-8, which Python makes (and keeps
        # with the string) when it is first bound: 0.4 s for 100 MB. Made
        # here, it is not made while the document's transaction holds the
        # write lock; the second statement lets go of SQLite's copy.
        db.execute("SELECT length(?)", [text]).fetchone()
        db.execute("SELECT length(?)", [""]).fetchone()
    return PreparedText(
        source, text, original, digest, title, words, decoded.encoding, clean, notes,
        one_line(author) or None if author else None, published or None, pieces,
    )


def indexed_in_pieces(text: str) -> bool:
    """Whether a text is long enough to be indexed in pieces (PIECES_ABOVE)."""
    return len(text) > PIECES_ABOVE


def pieces_of(text: str) -> list[tuple[int, int]]:
    """(start, end) of each piece a very long text's full text is indexed in."""
    return [(offset, offset + len(piece)) for offset, piece in text_pieces(text, PIECE_CHARS)]


def _duplicate(db: Database, source: str, digest: str) -> ImportResult | None:
    for row in db.query("SELECT id, title FROM documents WHERE hash = ?", [digest]):
        return ImportResult(
            source, "duplicate", f"already imported as #{row['id']} “{row['title']}”",
            row["id"], row["title"],
        )
    return None


def save_prepared(
    db: Database,
    prepared: PreparedText,
    *,
    also: Callable[[int, str], None] | None = None,
) -> ImportResult:
    """Store a prepared text as a new document: one transaction, in which
    ``also(document_id, text)`` writes what belongs with it (its entities).

    The library is checked for the same text again inside the transaction
    (another import may have stored it since it was prepared).
    """
    source = prepared.source
    timestamp = now()
    # Inside an import's batch, this document is a savepoint of the batch's
    # transaction: its failure must refuse it alone and let the batch go on.
    in_batch = db.conn.in_transaction
    try:
        with db.atomic():
            duplicate = _duplicate(db, source, prepared.digest)
            if duplicate is not None:
                return duplicate
            pieces = prepared.pieces
            if pieces is None and len(prepared.text) > PIECES_ABOVE:
                pieces = pieces_of(prepared.text)
            in_pieces = pieces is not None
            row = {
                "uuid": new_uuid(),
                "title": prepared.title,
                "text": prepared.text,
                # A very long text is stored once: its original, when it is
                # the text itself, is "" (100 MB were bound, copied and
                # written twice).
                "original": "" if in_pieces and (prepared.original is prepared.text
                                                or prepared.original == prepared.text)
                else prepared.original,
                "source_path": source,
                "encoding": prepared.encoding,
                "cleaned": int(prepared.clean),
                "word_count": prepared.words,
                "hash": prepared.digest,
                "imported": timestamp,
                "updated": timestamp,
                "author": prepared.author,
                "published": prepared.published,
                "indexed_in_pieces": int(in_pieces),
            }
            # A plain INSERT: sqlite-utils' insert() rebuilds its statement
            # for every row, a tenth of a 1,000-file import's time.
            document_id = db.execute(
                f"INSERT INTO documents ({', '.join(row)}) "
                f"VALUES ({', '.join(':' + column for column in row)})",
                row,
            ).lastrowid
            del row  # the text's bound copy goes now, not with the function
            if in_pieces:
                # Its full text is indexed piece by piece after this
                # transaction (index_pieces); here only where the pieces are.
                db.conn.executemany(
                    'INSERT INTO document_pieces (document_id, start, "end") VALUES (?, ?, ?)',
                    ((document_id, start, end) for start, end in pieces))
            if also is not None:
                also(document_id, prepared.text)
    except (StoreError, sqlite3.Error) as error:  # disk full, locked, read-only, bad entities…
        if in_batch and not db.conn.in_transaction:
            # SQLite rolled the whole batch back (a full disk, an I/O error):
            # the documents before this one are gone too; the batch says so.
            raise
        return ImportResult(source, "refused", f"could not save: {error}")
    return ImportResult(source, "imported", ", ".join(prepared.notes), document_id,
                        prepared.title)


def import_text(
    db: Database, decoded: DecodedText, *, source: str, clean: bool, **fields: str | None
) -> ImportResult:
    """Store one decoded text as a new document (one transaction): what
    :func:`prepare_text` prepares (``fields``: title, readable, author,
    published), saved by :func:`save_prepared`.

    Text seen before (same original after decoding) is reported and skipped.
    """
    prepared = prepare_text(db, decoded, source=source, clean=clean, **fields)
    if isinstance(prepared, ImportResult):
        return prepared
    return save_prepared(db, prepared)


# ------------------------------------------------ a long text's full text in pieces


@dataclass(frozen=True)
class BeingIndexed:
    """A very long document whose full text is not yet indexed to the end."""

    id: int
    title: str
    indexed: int  # pieces indexed
    pieces: int

    @property
    def note(self) -> str:
        return (f"#{self.id} “{one_line(self.title)}” is still being indexed "
                f"({self.indexed} of {plural(self.pieces, 'piece')})")


def documents_being_indexed(db: Database, document_ids: Sequence[int] | None = None
                            ) -> list[BeingIndexed]:
    """The very long documents with pieces of their text not yet in the
    full-text indexes (an import under way, or stopped by a crash or a
    cancel: :func:`index_pieces` completes them), by id."""
    try:
        rows = db.execute(
            """SELECT d.id, d.title, SUM(p.indexed), COUNT(*) FROM document_pieces p
               JOIN documents d ON d.id = p.document_id
               GROUP BY p.document_id HAVING SUM(p.indexed) < COUNT(*) ORDER BY d.id""").fetchall()
    except sqlite3.OperationalError:  # no such table: a schema before 0011, read as it is
        return []
    wanted = None if document_ids is None else set(document_ids)
    return [BeingIndexed(*row) for row in rows if wanted is None or row[0] in wanted]


# Pacing of short transactions (a long text's pieces here, its entities in
# entities/storage.py): after each commit, a pause as long as the lock was
# held (at least ``shortest``, at most ``longest``), so that a writer waiting
# in its busy handler gets its turn instead of starving. SQLite's busy
# handler sleeps at most 100 ms between tries: a pause that long always
# falls on one, a longer one only slows the import down.
_PAUSE_MIN = 0.05
_PAUSE_MAX = 0.1


class Pacer:
    """Short transactions that take turns with other writers: each waits,
    after the last commit, as long as that transaction held the lock (between
    ``shortest`` and ``longest`` seconds); after each commit a passive
    checkpoint keeps the WAL file short, so that another writer's commit is
    not the one that finds it long and copies it back (a wait of seconds on a
    busy disk, counted as that writer's). One pacer can be shared by two
    kinds of work interleaved (a long text's index pieces and its entities)."""

    def __init__(self, db: Database, shortest: float | None = None,
                 longest: float | None = None) -> None:
        self.db = db
        self.shortest = _PAUSE_MIN if shortest is None else shortest
        self.longest = _PAUSE_MAX if longest is None else longest
        self.committed = 0.0  # time.monotonic() of the last commit
        self.pause = self.shortest
        self.held = 0.0  # how long the last transaction held the lock

    @contextmanager
    def transaction(self) -> Iterator[None]:
        rest = self.committed + self.pause - time.monotonic()
        if rest > 0:
            time.sleep(rest)
        with writing(self.db):
            began = time.monotonic()  # the lock is held from here
            yield
        self.committed = time.monotonic()
        self.held = self.committed - began
        self.pause = min(self.longest, max(self.shortest, self.held))
        self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


@contextmanager
def derived_writes(db: Database) -> Iterator[None]:
    """``PRAGMA synchronous = NORMAL`` for a while: in WAL mode a commit then
    does not wait for the disk (fsync) while it holds the lock. A power cut
    may lose the last commits, never the database's consistency: for rows
    that can be made again (index pieces, entities: each marked done in its
    own commit) that is the right trade."""
    synchronous = db.execute("PRAGMA synchronous").fetchone()[0]
    db.execute("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        if not db.conn.in_transaction:
            db.execute(f"PRAGMA synchronous = {int(synchronous)}")


def index_pieces(db: Database, document_id: int, text: str | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 pacer: Pacer | None = None) -> bool:
    """Index the pieces of a very long document's text that are not indexed
    yet, each in a transaction of its own (its rows in document_pieces_fts and
    document_pieces_unstemmed_fts, and its ``indexed`` mark), paced so that
    another writer never waits long. ``text`` is the document's, if the
    caller has it. Returns True once every piece is indexed; False if
    ``cancelled()`` or the document is gone (what is done stays done)."""
    with derived_writes(db):
        for _ in indexing_pieces(db, document_id, text, pacer):
            if cancelled is not None and cancelled():
                return False
    return not documents_being_indexed(db, [document_id]) and _document_exists(db, document_id)


def indexing_pieces(db: Database, document_id: int, text: str | None = None,
                    pacer: Pacer | None = None) -> Iterator[None]:
    """:func:`index_pieces` a piece at a time, each in a transaction of its
    own: each ``next()`` indexes one."""
    pacer = pacer or Pacer(db)
    for step in piece_steps(db, document_id, text):
        with pacer.transaction():
            step()
        yield


def piece_steps(db: Database, document_id: int, text: str | None = None
                ) -> Iterator[Callable[[], None]]:
    """The indexing of each piece not indexed yet, in order, as a function to
    call inside a transaction (the caller's: the import runs one in each of
    some of the short transactions that store the text's entities)."""
    pending = db.execute(
        'SELECT id, start, "end" FROM document_pieces WHERE document_id = ? AND NOT indexed '
        "ORDER BY start", [document_id]).fetchall()
    if not pending:
        return
    if text is None:
        text = document_text(db, document_id)

    def step(piece_id: int, start: int, end: int) -> None:
        marked = db.execute(
            "UPDATE document_pieces SET indexed = 1 WHERE id = ? AND NOT indexed",
            [piece_id]).rowcount
        if marked:  # not deleted, nor indexed by another process meanwhile
            piece = text[start:end]
            for index in PIECE_INDEXES:
                db.execute(f"INSERT INTO [{index}] (rowid, text) VALUES (?, ?)",
                           [piece_id, piece])

    for piece_id, start, end in pending:
        yield lambda piece_id=piece_id, start=start, end=end: step(piece_id, start, end)


def unindex_pieces(db: Database, document_id: int, pacer: Pacer | None = None) -> None:
    """Take a very long document's pieces out of the piece indexes, each in
    a short transaction of its own (its rows' 'delete', given the piece's
    text, read once for them all, and its ``indexed`` mark back to 0), paced
    as :func:`index_pieces` is. What deleting the document (or redoing its
    delete) does first: the piece indexes are external-content tables
    without ``contentless_delete`` (SQLite 3.40), so taking a piece out
    needs its text, and the trigger document_pieces_ad, which a delete of
    an indexed piece fires, reads the whole text again for each piece
    (pieces × length: a minute at 100 MB, with the write lock held).
    Meanwhile the document is "being indexed", as during its import; a
    crash half-way leaves it so, and `margin check --repair` or the next
    import indexes it again."""
    pending = db.execute(
        'SELECT id, start, "end" FROM document_pieces WHERE document_id = ? AND indexed '
        "ORDER BY start", [document_id]).fetchall()
    if not pending:
        return
    text = document_text(db, document_id)
    pacer = pacer or Pacer(db)
    with derived_writes(db):
        for piece_id, start, end in pending:
            with pacer.transaction():
                marked = db.execute(
                    "UPDATE document_pieces SET indexed = 0 WHERE id = ? AND indexed",
                    [piece_id]).rowcount
                if marked:  # not deleted, nor taken out by another process meanwhile
                    piece = text[start:end]
                    for index in PIECE_INDEXES:
                        db.execute(f"INSERT INTO [{index}] ([{index}], rowid, text) "
                                   "VALUES ('delete', ?, ?)", [piece_id, piece])


def unindex_documents(db: Database, document_ids: Sequence[int]) -> list[int]:
    """:func:`unindex_pieces` of those of ``document_ids`` indexed in pieces
    (none inside a transaction: there the triggers do it, in that
    transaction); the ids of those that had pieces indexed."""
    if db.conn.in_transaction or not document_ids:
        return []
    marks = ",".join("?" * len(document_ids))
    try:
        pieced = [row[0] for row in db.execute(
            f"SELECT DISTINCT document_id FROM document_pieces WHERE indexed "
            f"AND document_id IN ({marks}) ORDER BY document_id", list(document_ids))]
    except sqlite3.OperationalError:  # no such table: a schema before 0011
        return []
    for document_id in pieced:
        unindex_pieces(db, document_id)
    return pieced


def index_documents(db: Database, document_ids: Sequence[int]) -> None:
    """:func:`index_pieces` of each of ``document_ids`` that has pieces not
    yet indexed (after an undo or redo put its rows back, unindexed)."""
    if not document_ids or db.conn.in_transaction:
        return
    for document in documents_being_indexed(db, document_ids):
        index_pieces(db, document.id)


def index_all_pieces(db: Database, cancelled: Callable[[], bool] | None = None) -> list[int]:
    """Complete the full-text index of every document still being indexed
    (after a crash or a cancel); the ids of those now complete."""
    return [document.id for document in documents_being_indexed(db)
            if index_pieces(db, document.id, cancelled=cancelled)]


#: The full-text indexes of very long documents' pieces (migration 0011).
PIECE_INDEXES = ("document_pieces_fts", "document_pieces_unstemmed_fts")


def _document_exists(db: Database, document_id: int) -> bool:
    return db.execute("SELECT 1 FROM documents WHERE id = ?", [document_id]).fetchone() is not None
