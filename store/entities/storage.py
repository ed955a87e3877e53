"""Entities in the database: recognition results, review decisions, and
turning reviewed mentions into codings.

Recognition output (``entities``, ``entity_runs``) is derived data: a rebuild
replaces it and it is not part of the undo history. What the researcher
decides about a mention (``entity_reviews``: accepted, rejected, relabelled)
is keyed by the mention's span, so it survives a rebuild, and it is written in
the same undoable action as the codings it produced.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from margin.store.codes import ensure_code_path
from margin.store.codings import NewCoding, ensure_coder, write_codings
from margin.store.db import Database
from margin.store.documents import Pacer, derived_writes, document_text, document_texts
from margin.store.entities import ALL_LABELS, EntitySpan, Recogniser
from margin.store.entities.grouping import EntityGroup, Mention, group_mentions
from margin.store.entities.parallel import (
    LONG_TEXT_CHARS,
    RecognitionRunner,
    recognition_workers,
)
from margin.store.errors import StoreError
from margin.store.history import action, writing
from margin.store.textspans import SCOPES, scope_span, scope_spans
from margin.store.util import TemplateError, fill_template, now

ACCEPTED = "accepted"
REJECTED = "rejected"
# The type was corrected, nothing decided or coded (yet).
CORRECTED = "corrected"
DEFAULT_CODE_TEMPLATE = "{label} > {name}"

# Documents are recognised and stored this many at a time, so that progress
# shows and a crash loses at most one batch of (re-computable) work.
_BATCH = 8
# A big document's entities (a 100 MB text has some 1.7 million mentions)
# are written in many short transactions, so that another writer (the app
# coding meanwhile, a second margin) never waits long for the lock: each
# holds it for about _HOLD seconds (its number of rows sized from the pace of
# the one before, between _MIN_ROWS and _MAX_ROWS), and the next begins
# some time after the last commit: as long as that transaction held the
# lock, between _PAUSE / 2 and _PAUSE. Without the pause the next BEGIN
# IMMEDIATE would take the lock again within microseconds while a waiting
# writer's busy handler sleeps between tries: it would starve and fail with
# "database is locked". SQLite's busy handler sleeps at most 25 ms at a time
# in the first 128 ms of a wait, then 50 and 100 ms: a pause as long as the
# hold (at least 50 ms) always falls on one of its tries.
_HOLD = 0.1
_PAUSE = 0.1
_FIRST_ROWS = 5_000
_MIN_ROWS = 500
_MAX_ROWS = 20_000
# A document with more mentions than this, stored outside a transaction, is
# written so (fewer go in one transaction).
_ROWS_PER_COMMIT = 20_000


@dataclass(frozen=True, slots=True)
class StoredEntity:
    """A mention as the reader shows it: the recogniser's span with the
    researcher's label correction and decision applied."""

    document_id: int
    start: int
    end: int
    label: str
    text: str
    decision: str | None = None  # None (not reviewed), "accepted", "rejected", "corrected"

    def as_mention(self) -> Mention:
        return Mention(self.document_id, self.start, self.end, self.label, self.text)


@dataclass
class RecognitionSummary:
    documents: int
    entities: int
    seconds: float
    backend: str
    version: str


# ------------------------------------------------------------- recognition


def documents_needing_entities(db: Database) -> list[int]:
    """Documents that have never been through recognition (e.g. just imported)."""
    rows = db.query(
        "SELECT id FROM documents WHERE id NOT IN (SELECT document_id FROM entity_runs) ORDER BY id"
    )
    return [row["id"] for row in rows]


def all_document_ids(db: Database) -> list[int]:
    return [row["id"] for row in db.query("SELECT id FROM documents ORDER BY id")]


def store_entities(
    db: Database,
    document_id: int,
    spans: Sequence[EntitySpan],
    backend: str,
    version: str,
    text: str | None = None,
) -> int:
    """Replace a document's entities with ``spans`` (one transaction, or part
    of the caller's: an import writes a document and its entities together).

    Every span is checked against the document text (``text``, when the
    caller has it at hand, else read): a backend that returned shifted
    offsets is a bug that must not reach the reader.
    """
    if text is None:
        text = document_text(db, document_id)
    _check_spans(text, spans, backend, document_id)
    rows = [(document_id, s.start, s.end, s.label, s.text) for s in spans]
    if db.conn.in_transaction or len(rows) <= _ROWS_PER_COMMIT:
        with writing(db):
            if not _document_exists(db, document_id):
                return 0  # deleted while it was being recognised: nothing to store
            db.execute("DELETE FROM entities WHERE document_id = ?", [document_id])
            _insert_entities(db, rows)
            _record_run(db, document_id, backend, version)
        return len(spans)
    # A big document: written in short transactions (see _PacedWriter).
    with _PacedWriter(db, document_id) as writer:
        if writer.start() and writer.insert(rows) and writer.finish([], backend, version):
            return len(spans)
    return 0


def store_long_text_entities(
    db: Database, document_id: int, text: str, runner: RecognitionRunner,
    between: Iterator[Callable[[], None]] | None = None, pacer: Pacer | None = None,
) -> int | None:
    """Recognise a very long stored text in pieces (``runner``: in its
    worker processes, see :meth:`RecognitionRunner.recognise_pieces`) and
    store its entities as the pieces come, in short transactions; returns how
    many, or None if stopped before the end (cancelled, or the document
    deleted meanwhile).

    The document's run row goes first (a rebuild: with its old entities, in
    short transactions too) and comes back in the last transaction: until
    then the document is one that still needs its entities
    (:func:`documents_needing_entities`), so a crash or a cancel half-way
    leaves a consistent database, which the app (in the background) or
    ``margin entities --rebuild`` completes.

    ``between`` is other work in steps (the import indexes the text's full
    text meanwhile: documents.piece_steps), a step for each piece recognised,
    each done in one of the transactions that store the entities; the
    caller finishes what is left.
    """
    with _PacedWriter(db, document_id, pacer) as writer:
        return _store_pieces(writer, text, runner, between)


def _store_pieces(writer: _PacedWriter, text: str, runner: RecognitionRunner,
                  between: Iterator[Callable[[], None]] | None = None) -> int | None:
    recogniser = runner.recogniser
    document_id = writer.document_id
    if not writer.start():
        return None
    rows: list[tuple] = []
    stored = reached = 0
    for offset, piece, spans in runner.recognise_pieces(text):
        _check_spans(piece, spans, recogniser.name, document_id, offset)
        rows += [(document_id, offset + s.start, offset + s.end, s.label, s.text) for s in spans]
        reached = offset + len(piece)
        step = next(between, None) if between is not None else None
        if step is not None:
            writer.riders.append(step)
        while len(rows) >= writer.rows_per_commit:
            batch, rows = rows[:writer.rows_per_commit], rows[writer.rows_per_commit:]
            if not writer.insert(batch):
                return None
            stored += len(batch)
    if reached < len(text):
        return None  # cancelled: the document still needs its entities
    if not writer.finish(rows, recogniser.name, recogniser.version):
        return None
    return stored + len(rows)


def _check_spans(text: str, spans: Sequence[EntitySpan], backend: str, document_id: int,
                 offset: int = 0) -> None:
    """Every span must match ``text`` (a document's, or a piece of it at
    ``offset``): a backend that returned shifted offsets is a bug that must
    not reach the reader."""
    for span in spans:
        if not (0 <= span.start < span.end <= len(text)) or text[span.start:span.end] != span.text:
            raise StoreError(
                f"{backend} returned entity {span.text!r} at {offset + span.start}-"
                f"{offset + span.end}, which does not match document {document_id}'s text"
            )


class _PacedWriter:
    """A big document's entities written in short transactions (see _HOLD):
    :meth:`start` takes away its run row and old entities, :meth:`insert`
    adds rows, :meth:`finish` the last rows and the run row. Each returns
    False once the document is gone (deleted meanwhile: its delete trigger
    took what was written).

    Used as a context manager, for the time of its many commits:

    * ``PRAGMA synchronous = NORMAL``: in WAL mode a commit then does not
      wait for the disk (fsync) while it holds the lock; a power cut may
      lose the last commits, never the database's consistency, and these
      rows are derived (the run row comes last: without it the document is
      recognised again).
    * A passive checkpoint after each commit, in the pause, so the WAL file
      stays short: otherwise another writer's commit may be the one that
      finds it long and copies it back into the database, a wait of seconds
      on a busy disk, counted as that writer's.
    """

    def __init__(self, db: Database, document_id: int, pacer: Pacer | None = None) -> None:
        self.db = db
        self.document_id = document_id
        self.rows_per_commit = _FIRST_ROWS
        self.pacer = pacer or Pacer(db, _PAUSE / 2, _PAUSE)
        self._derived = derived_writes(db)
        # Other work for the next transactions, one item each (the import's
        # indexing of the text's pieces: documents.piece_steps), so that it
        # needs no transactions, and no pauses, of its own.
        self.riders: list[Callable[[], None]] = []

    def __enter__(self) -> _PacedWriter:
        self._derived.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._derived.__exit__(*exc_info)

    def _transaction(self, work: Callable[[], int]) -> int | None:
        """``work()`` in one transaction if the document is still there;
        the rows it wrote or deleted (None: the document is gone)."""
        rows: int | None = None
        rider = 0.0
        with self.pacer.transaction():
            if _document_exists(self.db, self.document_id):
                if self.riders:
                    began = time.monotonic()
                    self.riders.pop(0)()
                    rider = time.monotonic() - began
                rows = work()
        if rows:
            # Shrink at once when a transaction took too long, grow by half at
            # most: on a busy machine one fast commit says little of the next.
            per_row = max(self.pacer.held - rider, 1e-6) / rows
            fits = min(int(_HOLD / per_row), self.rows_per_commit * 3 // 2)
            self.rows_per_commit = max(_MIN_ROWS, min(_MAX_ROWS, fits))
        return rows

    def start(self) -> bool:
        def forget_run() -> int:
            self.db.execute("DELETE FROM entity_runs WHERE document_id = ?", [self.document_id])
            return 0

        if self._transaction(forget_run) is None:
            return False
        while True:
            limit = self.rows_per_commit
            deleted = self._transaction(lambda limit=limit: self.db.execute(
                "DELETE FROM entities WHERE rowid IN (SELECT rowid FROM entities "
                f"WHERE document_id = ? LIMIT {limit})", [self.document_id]).rowcount)
            if deleted is None:
                return False
            if deleted < limit:
                return True

    def insert(self, rows: Sequence[tuple]) -> bool:
        first = 0
        while first < len(rows):
            part = rows[first:first + self.rows_per_commit]
            if self._transaction(lambda part=part: _insert_entities(self.db, part)) is None:
                return False
            first += len(part)
        return True

    def finish(self, rows: Sequence[tuple], backend: str, version: str) -> bool:
        split = len(rows) - min(len(rows), self.rows_per_commit)
        if not self.insert(rows[:split]):
            return False
        last = rows[split:]

        def last_rows_and_run() -> int:
            _insert_entities(self.db, last)
            _record_run(self.db, self.document_id, backend, version)
            return len(last)

        return self._transaction(last_rows_and_run) is not None


def _document_exists(db: Database, document_id: int) -> bool:
    return db.execute("SELECT 1 FROM documents WHERE id = ?", [document_id]).fetchone() is not None


def _insert_entities(db: Database, rows: Sequence[tuple]) -> int:
    db.conn.executemany(
        'INSERT INTO entities (document_id, start, "end", label, text) VALUES (?, ?, ?, ?, ?)',
        rows,
    )
    return len(rows)


def _record_run(db: Database, document_id: int, backend: str, version: str) -> None:
    db.execute(
        "INSERT OR REPLACE INTO entity_runs (document_id, backend, version, created) "
        "VALUES (?, ?, ?, ?)",
        [document_id, backend, version, now()],
    )


def recognise_documents(
    db: Database,
    document_ids: Iterable[int],
    recogniser: Recogniser,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    workers: int | None = 0,
) -> RecognitionSummary:
    """Recognise and store the entities of each document.

    ``progress(done, total)`` is called after each batch; ``cancelled()`` is
    checked between batches (a worker that is asked to stop stops there).
    ``workers`` > 1 recognises in that many processes (see
    :mod:`margin.store.entities.parallel`; None: as many as the documents'
    words are worth); the results are stored here.
    """
    ids = list(document_ids)
    if workers is None:
        words = db.execute(
            "SELECT COALESCE(SUM(word_count), 0) FROM documents "
            "WHERE id IN (SELECT value FROM json_each(?))", [json.dumps(ids)]).fetchone()[0]
        workers = recognition_workers(words, recogniser.name)
    started = time.perf_counter()
    found = done = 0
    with RecognitionRunner(recogniser, workers, cancelled) as runner:
        for documents, entities in recognise_in_batches(db, ids, runner):
            found, done = found + entities, done + documents
            if progress:
                progress(done, len(ids))
    return RecognitionSummary(
        done, found, time.perf_counter() - started, recogniser.name, recogniser.version
    )


def recognise_in_batches(
    db: Database, document_ids: Sequence[int], runner: RecognitionRunner
) -> Iterator[tuple[int, int]]:
    """Recognise (with ``runner``) and store the entities of stored documents,
    a few at a time; yields (documents, entities) stored after each batch."""

    def batches() -> Iterator[tuple[list[tuple[int, str | None]], list[str]]]:
        for first in range(0, len(document_ids), _BATCH):
            batch = document_ids[first:first + _BATCH]
            texts = document_texts(db, batch)
            # A very long text is not held while others are recognised: it is
            # read again when its turn comes, and recognised in pieces.
            present = [(i, None if len(texts[i]) > LONG_TEXT_CHARS else texts[i])
                       for i in batch if i in texts]
            del texts
            yield present, [text for _, text in present if text is not None]

    recogniser = runner.recogniser
    for present, results in runner.map(batches()):
        found = 0
        spans_of = iter(results)
        for document_id, text in present:
            if text is None:
                found += store_long_text_entities(
                    db, document_id, document_text(db, document_id), runner) or 0
            else:
                found += store_entities(db, document_id, next(spans_of), recogniser.name,
                                        recogniser.version, text=text)
        yield len(present), found


def entity_runs(db: Database) -> dict[tuple[str, str], int]:
    """How many documents each (backend, version) recognised."""
    return {
        (row["backend"], row["version"]): row["n"]
        for row in db.query(
            "SELECT backend, version, COUNT(*) AS n FROM entity_runs GROUP BY backend, version"
        )
    }


# ------------------------------------------------------------------ reading

_ENTITY_SELECT = """
    SELECT e.document_id, e.start, e."end", COALESCE(r.label, e.label) AS label, e.text,
           r.decision
    FROM entities e
    LEFT JOIN entity_reviews r
      ON r.document_id = e.document_id AND r.start = e.start AND r."end" = e."end"
"""


def _stored(row: dict) -> StoredEntity:
    return StoredEntity(
        row["document_id"], row["start"], row["end"], row["label"], row["text"], row["decision"]
    )


def entities_for_document(
    db: Database, document_id: int, starting_before: int | None = None
) -> list[StoredEntity]:
    """A document's mentions in text order (those starting before an offset,
    if given), with review corrections applied."""
    # Plain tuples, not dicts: a 1 MB document has some 20,000 mentions.
    sql = _ENTITY_SELECT + " WHERE e.document_id = ?"
    params: list[object] = [document_id]
    if starting_before is not None:
        sql += " AND e.start < ?"
        params.append(starting_before)
    rows = db.execute(sql + " ORDER BY e.start", params).fetchall()
    return [StoredEntity(*row) for row in rows]


def entity_label_counts(db: Database, document_id: int) -> dict[str, int]:
    """How many of a document's mentions each label has (after corrections),
    rejected mentions left out: what a reader lists before reading them all."""
    rows = db.execute(
        """SELECT COALESCE(r.label, e.label), COUNT(*)
           FROM entities e
           LEFT JOIN entity_reviews r
             ON r.document_id = e.document_id AND r.start = e.start AND r."end" = e."end"
           WHERE e.document_id = ? AND r.decision IS NOT ?
           GROUP BY 1""",
        [document_id, REJECTED],
    )
    return dict(rows.fetchall())


def corpus_entities(db: Database, label: str | None = None) -> list[StoredEntity]:
    """Every mention in the corpus (optionally of one label, after corrections)."""
    sql = _ENTITY_SELECT
    params: list[object] = []
    if label is not None:
        sql += " WHERE COALESCE(r.label, e.label) = ?"
        params.append(label)
    rows = db.query(sql + " ORDER BY e.document_id, e.start", params)
    return [_stored(row) for row in rows]


def corpus_groups(db: Database, label: str | None = None) -> list[EntityGroup]:
    """The corpus's mentions grouped into real-world entities (each
    document's part as the entity panel groups that document alone)."""
    texts: dict[int, str] = {}

    def text_of(document_id: int) -> str:
        if document_id not in texts:
            texts.clear()  # one document at a time: grouping asks in order
            texts[document_id] = document_text(db, document_id)
        return texts[document_id]

    return group_mentions((entity.as_mention() for entity in corpus_entities(db, label)),
                          text_of)


# ----------------------------------------------------- review and coding


@dataclass(frozen=True, slots=True)
class MentionDecision:
    """What the researcher decided about one mention in the review screen."""

    mention: Mention
    decision: str  # "accepted", "rejected" or "corrected" (type fixed, not coded)
    label: str  # possibly corrected
    name: str  # the entity's name for the code ("Vladimir Putin")


@dataclass
class ReviewResult:
    accepted: int
    rejected: int
    codings: int
    already_coded: int  # passages this coder had already coded with the code (left alone)
    codes: list[str]


def code_path_for(template: str, label: str, name: str) -> str:
    """The code an accepted mention goes under, e.g. "PERSON > Vladimir Putin".

    ``template`` uses ``{label}`` and ``{name}``; a ">" inside a name would
    split the path, so it is replaced.
    """
    safe_name = " ".join(name.replace(">", "›").split()) or "?"
    try:
        path = fill_template(template, label=label, name=safe_name)
    except TemplateError as error:
        raise StoreError(
            f"bad entity code template {template!r} ({error}): use {{label}} and {{name}}"
        ) from None
    if not path.replace(">", "").strip():
        raise StoreError(f"entity code template {template!r} gives an empty code name")
    return path


def apply_review(
    db: Database,
    decisions: Sequence[MentionDecision],
    *,
    scope: str,
    coder: str,
    template: str = DEFAULT_CODE_TEMPLATE,
) -> ReviewResult:
    """Record every decision and code every accepted mention: one undoable action.

    Accepted mentions become codings under ``template`` (one code per entity);
    mentions of one code falling in the same passage (two in a sentence, at
    sentence scope) give one coding; passages ``coder`` has already coded
    with that code are counted, not coded twice (another coder's coding of a
    passage does not count).
    """
    if scope not in SCOPES:
        raise StoreError(f"unknown scope {scope!r}: use word, sentence or paragraph")
    for decision in decisions:
        if decision.decision not in (ACCEPTED, REJECTED, CORRECTED):
            raise StoreError(f"unknown decision {decision.decision!r}")
        if decision.label not in ALL_LABELS:
            raise StoreError(f"unknown entity label {decision.label!r}")
    texts: dict[int, str] = {}
    units: dict[int, list[tuple[int, int]] | None] = {}
    paths = {
        d: code_path_for(template, d.label, d.name) for d in decisions if d.decision == ACCEPTED
    }
    coder_id = ensure_coder(db, coder)
    timestamp = now()
    accepted = sum(1 for d in decisions if d.decision == ACCEPTED)
    rejected = sum(1 for d in decisions if d.decision == REJECTED)
    label = (f"Code {accepted} entity mention{'s' if accepted != 1 else ''}" if accepted
             else f"Review {len(decisions)} entity mention{'s' if len(decisions) != 1 else ''}")
    passages: list[NewCoding] = []
    with action(db, label) as log:
        code_ids: dict[str, int] = {}
        for decision in decisions:
            mention = decision.mention
            _record_decision(db, log, decision, coder_id, timestamp)
            if decision.decision != ACCEPTED:
                continue
            path = paths[decision]
            if path not in code_ids:
                code_ids[path] = ensure_code_path(db, path)
            if mention.document_id not in texts:
                texts[mention.document_id] = document_text(db, mention.document_id)
                units[mention.document_id] = scope_spans(texts[mention.document_id], scope)
            text = texts[mention.document_id]
            if text[mention.start:mention.end] != mention.text:
                raise StoreError(
                    f"entity {mention.text!r} at {mention.start}-{mention.end} no longer "
                    f"matches document {mention.document_id}; rebuild the entities"
                )
            start, end = scope_span(
                text, mention.start, mention.end, scope, units[mention.document_id])
            passages.append(NewCoding(mention.document_id, code_ids[path], start, end, coder_id))
        # Mentions of one code in one passage repeat each other: one coding.
        written = write_codings(db, passages, log=log, texts=texts)
    codings, already = len(written.added), len(written.already_coded)
    return ReviewResult(accepted, rejected, codings, already, sorted(set(paths.values())))


def _record_decision(db: Database, log, decision: MentionDecision, coder_id: int, timestamp: str):
    mention = decision.mention
    values = {"label": decision.label, "decision": decision.decision, "coder_id": coder_id,
              "created": timestamp}
    existing = db.execute(
        'SELECT id, label, decision, coder_id FROM entity_reviews '
        'WHERE document_id = ? AND start = ? AND "end" = ?',
        [mention.document_id, mention.start, mention.end],
    ).fetchone()
    if existing and tuple(existing[1:]) == (decision.label, decision.decision, coder_id):
        return  # decided so already: a review run again must not add an empty undo step
    if existing:
        log.update("entity_reviews", existing[0], values)
    else:
        log.insert(
            "entity_reviews",
            {"document_id": mention.document_id, "start": mention.start, "end": mention.end,
             **values},
        )
