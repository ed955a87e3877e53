"""Codings: a code applied to a passage of a document, and memos.

A coding is ``text[start:end]`` of its document (code points, end exclusive)
and stores that passage as ``quote``. Everything that reads codings checks the
quote against the text and raises QuoteMismatch rather than show or export a
shifted passage.

:func:`write_codings` is the one writer of codings: applying a code, coding
every search hit, coding reviewed entity mentions and importing a REFI-QDA
project all go through it, and nothing else inserts into ``codings``. It
keeps the rule of the unique index ``idx_codings_one_per_coder`` (migration
0005): a coder codes a passage with a code once, and another coder may code
the same passage with the same code (:func:`coding_key`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from margin.store.coders import coder_condition, coder_name
from margin.store.codes import get_code
from margin.store.db import Database
from margin.store.documents import document_text
from margin.store.errors import NotFound, QuoteMismatch, StoreError
from margin.store.history import ChangeLog, action, active_log, insert_many, writing
from margin.store.textspans import Span, trim_span
from margin.store.util import new_uuid, now, one_line


@dataclass(slots=True)
class Coding:
    id: int
    uuid: str
    document_id: int
    code_id: int
    start: int
    end: int
    quote: str
    memo: str
    coder: str | None
    created: str
    updated: str | None
    code_name: str = ""
    colour: str = ""


def find_coder(db: Database, name: str) -> int | None:
    """The coder's id, or None if nobody of that name has coded yet."""
    for (coder_id,) in db.execute("SELECT id FROM coders WHERE name = ?", [coder_name(name)]):
        return coder_id
    return None


def ensure_coder(db: Database, name: str) -> int:
    """The coder's id, creating the coder on first use."""
    coder_id = find_coder(db, name)
    if coder_id is not None:
        return coder_id
    with writing(db):
        return db["coders"].insert(
            {"uuid": new_uuid(), "name": coder_name(name), "created": now()}).last_pk


# ------------------------------------------------------- the duplicate rule

#: The coder a coding without one counts as in the duplicate rule: the unique
#: index is on IFNULL(coder_id, 0), because SQLite's NULLs never collide.
UNKNOWN_CODER = 0
#: The unique index's columns (store/schema.py, migration 0005).
_RULE_COLUMNS = 'document_id, code_id, IFNULL(coder_id, 0), start, "end"'

CodingKey = tuple[int, int, int, int, int]


def coding_key(
    document_id: int, code_id: int, coder_id: int | None, start: int, end: int
) -> CodingKey:
    """What makes two codings one: the same passage of a document coded with
    the same code by the same coder (codings without a coder: one unknown
    coder). Two coders' codings of a passage with one code are two codings."""
    return (document_id, code_id, UNKNOWN_CODER if coder_id is None else coder_id, start, end)


def coded_keys(
    db: Database, document_id: int, code_ids: Iterable[int] | None = None
) -> set[CodingKey]:
    """The :func:`coding_key` of every coding of a document (with one of
    ``code_ids``, if given): one indexed query."""
    sql = f"SELECT {_RULE_COLUMNS} FROM codings WHERE document_id = ?"
    params: list[object] = [document_id]
    if code_ids is not None:
        sql += " AND code_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(sorted(set(code_ids))))
    return set(db.execute(sql, params).fetchall())


def _by(coder: str | None) -> str:
    return f"by {coder}" if coder else "by an unknown coder"


# ---------------------------------------------------------- the one writer


@dataclass(frozen=True, slots=True)
class NewCoding:
    """A coding to create: ``text[start:end]`` of a document coded with a
    code by a coder (None: not known, as in a REFI-QDA selection without
    ``creatingUser``). ``uuid`` and ``created`` default to new and now."""

    document_id: int
    code_id: int
    start: int
    end: int
    coder_id: int | None
    memo: str = ""
    uuid: str | None = None
    created: str | None = None

    @property
    def key(self) -> CodingKey:
        return coding_key(self.document_id, self.code_id, self.coder_id, self.start, self.end)


@dataclass
class CodingsWritten:
    """What :func:`write_codings` did with each coding it was given."""

    added: list[NewCoding] = field(default_factory=list)
    # The coder had already coded the passage with the code: left alone.
    already_coded: list[NewCoding] = field(default_factory=list)
    # The same passage, code and coder as one earlier in the same call.
    repeated: list[NewCoding] = field(default_factory=list)
    # The ids of the added codings, when written through an action's log.
    ids: list[int] = field(default_factory=list)


_CODING_COLUMNS = ("uuid", "document_id", "code_id", "start", "end", "quote", "memo",
                   "coder_id", "created", "updated")


def split_new_codings(
    db: Database, codings: Iterable[NewCoding], texts: dict[int, str] | None = None
) -> CodingsWritten:
    """Which of ``codings`` :func:`write_codings` would add, which their coder
    has already coded, and which repeat one earlier in the list; writes
    nothing. Each passage is first checked against its document's text and
    trimmed of the whitespace at its ends (:func:`trimmed_coding`), so the
    codings reported are the ones that would be stored. ``texts`` (document
    id → text) is used and filled as texts are read. The stored codings are
    read once per document, into memory."""
    result = CodingsWritten()
    known = texts if texts is not None else {}
    batch = []
    for coding in codings:
        text = known.get(coding.document_id)
        if text is None:
            text = known[coding.document_id] = document_text(db, coding.document_id)
        batch.append(trimmed_coding(text, coding))
    code_ids: dict[int, set[int]] = {}
    for coding in batch:
        code_ids.setdefault(coding.document_id, set()).add(coding.code_id)
    stored = {document_id: coded_keys(db, document_id, codes)
              for document_id, codes in code_ids.items()}
    seen: set[CodingKey] = set()
    for coding in batch:
        key = coding.key
        if key in seen:
            result.repeated.append(coding)
        elif key in stored[coding.document_id]:
            seen.add(key)
            result.already_coded.append(coding)
        else:
            seen.add(key)
            result.added.append(coding)
    return result


def checked_span(text: str, start: int, end: int, document_id: int | None = None) -> Span:
    """The passage ``text[start:end]`` as it is stored: inside the text, and
    without whitespace at either end (a selection that ran onto a line break
    or the next sentence's indentation keeps its words only). A passage that
    is outside the text or only whitespace is a StoreError."""
    where = "the document" if document_id is None else f"the document #{document_id}"
    if not 0 <= start < end <= len(text):
        raise StoreError(f"passage {start}-{end} is outside {where} (0-{len(text)}); "
                         "nothing was coded")
    span = trim_span(text, start, end)
    if span is None:
        raise StoreError(f"passage {start}-{end} of {where} is only whitespace; "
                         "nothing was coded")
    return span


def trimmed_coding(text: str, coding: NewCoding) -> NewCoding:
    """``coding`` with its passage checked and trimmed (:func:`checked_span`)."""
    start, end = checked_span(text, coding.start, coding.end, coding.document_id)
    if (start, end) == (coding.start, coding.end):
        return coding
    return dataclasses.replace(coding, start=start, end=end)


def write_codings(
    db: Database,
    codings: Iterable[NewCoding],
    *,
    log: ChangeLog | None = None,
    texts: Mapping[int, str] | None = None,
    many: bool = False,
) -> CodingsWritten:
    """Create codings: the one place rows are inserted into ``codings``.

    Each passage is checked against its document's text
    (``texts[document_id]`` where given, else read) and trimmed: a stored
    passage never starts or ends with whitespace, and one that is only
    whitespace is refused (StoreError) — whoever asks, the reader, the
    search, the entity review or a REFI-QDA import. Each coding is then
    checked against the duplicate rule (:func:`coding_key`), in memory,
    against the stored codings of its document and those before it in
    ``codings``; the ones its coder already has are reported, not written.
    The quote stored is the trimmed passage.

    With ``log`` (an action's ChangeLog; the open action's when there is one)
    each coding is written through the log, so that undo takes it back, and
    its id is in ``ids``. Without an action the codings are inserted at once
    (``executemany``) in the caller's transaction, or in one of their own: an
    import, not undoable, 100,000 codings in one to two seconds.

    ``many`` (with an action): the codings are inserted at once and recorded
    as one ``RowsChange`` (``ChangeLog.insert_rows``) rather than row by row,
    so that an undoable action can add 100,000 codings (a merge) in seconds.
    """
    known = dict(texts or {})
    result = split_new_codings(db, codings, known)
    timestamp = now()
    rows: list[tuple] = []
    for coding in result.added:
        text = known[coding.document_id]
        start, end = coding.start, coding.end
        created = coding.created or timestamp
        rows.append((coding.uuid or new_uuid(), coding.document_id, coding.code_id, start, end,
                     text[start:end], coding.memo or "", coding.coder_id, created, created))
    if log is None:
        log = active_log(db)
    if log is not None and many:
        result.ids = log.insert_rows("codings", list(_CODING_COLUMNS), [list(r) for r in rows])
    elif log is not None:
        result.ids = [log.insert("codings", dict(zip(_CODING_COLUMNS, row, strict=True)))
                      for row in rows]
    elif rows and db.conn.in_transaction:
        # The caller's transaction (an import's): a savepoint here would make
        # SQLite copy every page it changes to a sub-journal, ~50 % slower.
        insert_many(db, "codings", list(_CODING_COLUMNS), rows)
    elif rows:
        with writing(db):
            insert_many(db, "codings", list(_CODING_COLUMNS), rows)
    return result


_CODING_SELECT = """
    SELECT c.id, c.uuid, c.document_id, c.code_id, c.start, c."end", c.quote, c.memo,
           coders.name AS coder, c.created, c.updated, codes.name AS code_name, codes.colour
    FROM codings c
    JOIN codes ON codes.id = c.code_id
    LEFT JOIN coders ON coders.id = c.coder_id
"""


def verify_quote(title: str, text: str, start: int, end: int, quote: str) -> None:
    found = text[start:end]
    if found != quote:
        raise QuoteMismatch(title, start, end, quote, found)


def _document_title(db: Database, document_id: int) -> str:
    for (title,) in db.execute("SELECT title FROM documents WHERE id = ?", [document_id]):
        return title
    raise NotFound(f"document {document_id} does not exist")


def codings_for_document(
    db: Database, document_id: int, starting_before: int | None = None
) -> list[Coding]:
    """The codings of a document (those starting before an offset, if given),
    by position, each checked against the text."""
    text = document_text(db, document_id)
    # Plain tuples, not dicts: this runs each time a document opens (5,000
    # codings in ~20 ms instead of ~50 ms).
    limit = len(text) + 1 if starting_before is None else starting_before
    cursor = db.execute(
        _CODING_SELECT + ' WHERE c.document_id = ? AND c.start < ? ORDER BY c.start, c."end", c.id',
        [document_id, limit],
    )
    codings = [Coding(*row) for row in cursor.fetchall()]
    for coding in codings:
        if text[coding.start:coding.end] != coding.quote:
            verify_quote(_document_title(db, document_id), text, coding.start, coding.end,
                         coding.quote)
    return codings


def get_coding(db: Database, coding_id: int) -> Coding:
    rows = list(db.query(_CODING_SELECT + " WHERE c.id = ?", [coding_id]))
    if not rows:
        raise NotFound(f"coding {coding_id} does not exist")
    return Coding(**rows[0])


def apply_coding(
    db: Database,
    document_id: int,
    code_id: int,
    start: int,
    end: int,
    coder: str,
) -> int:
    """Code text[start:end] with a code (one undoable action); returns its id."""
    text = document_text(db, document_id)
    start, end = checked_span(text, start, end, document_id)
    code = get_code(db, code_id)
    with action(db, f"Code passage as {code.name}") as log:
        coder_id = ensure_coder(db, coder)
        written = write_codings(
            db, [NewCoding(document_id, code_id, start, end, coder_id)], log=log,
            texts={document_id: text})
        if not written.ids:
            raise StoreError(
                f"this passage is already coded {code.path!r} {_by(coder_name(coder))}")
        return written.ids[0]


def remove_coding(db: Database, coding_id: int) -> None:
    coding = get_coding(db, coding_id)
    with action(db, f"Remove coding {coding.code_name}") as log:
        log.delete("codings", coding_id)


def change_boundaries(db: Database, coding_id: int, start: int, end: int) -> None:
    """Move a coding's start and end; its quote follows the text."""
    coding = get_coding(db, coding_id)
    text = document_text(db, coding.document_id)
    start, end = checked_span(text, start, end, coding.document_id)
    if (start, end) == (coding.start, coding.end):
        return
    (coder_id,) = db.execute("SELECT coder_id FROM codings WHERE id = ?", [coding_id]).fetchone()
    moved = coding_key(coding.document_id, coding.code_id, coder_id, start, end)
    if moved in coded_keys(db, coding.document_id, [coding.code_id]):
        raise StoreError(
            f"that passage is already coded {coding.code_name!r} {_by(coding.coder)}")
    with action(db, f"Change boundaries of {coding.code_name}") as log:
        log.update(
            "codings",
            coding_id,
            {"start": start, "end": end, "quote": text[start:end], "updated": now()},
        )


def set_coding_memo(db: Database, coding_id: int, memo: str) -> None:
    coding = get_coding(db, coding_id)
    if memo.strip() == coding.memo.strip():
        return
    with action(db, f"Edit memo of {coding.code_name} coding") as log:
        log.update("codings", coding_id, {"memo": memo.strip(), "updated": now()})


def memo_text(db: Database, *, document_id: int | None = None,
              code_id: int | None = None) -> str:
    """The memo of a document or a code ("" when there is none)."""
    column, value = _memo_target(document_id, code_id)
    for row in db.query(f"SELECT text FROM memos WHERE {column} = ?", [value]):
        return row["text"]
    return ""


def set_memo(db: Database, text: str, coder: str, *, document_id: int | None = None,
             code_id: int | None = None) -> None:
    """Write the memo of a document or a code; empty text deletes it."""
    column, value = _memo_target(document_id, code_id)
    text = text.strip()
    existing = list(db.query(f"SELECT id, text FROM memos WHERE {column} = ?", [value]))
    if (existing[0]["text"] if existing else "") == text:
        return
    coder_id = ensure_coder(db, coder)
    what = "document" if document_id is not None else "code"
    with action(db, f"Edit {what} memo") as log:
        if existing and not text:
            log.delete("memos", existing[0]["id"])
        elif existing:
            log.update("memos", existing[0]["id"],
                       {"text": text, "coder_id": coder_id, "updated": now()})
        else:
            timestamp = now()
            log.insert("memos", {
                "uuid": new_uuid(), column: value, "text": text, "coder_id": coder_id,
                "created": timestamp, "updated": timestamp,
            })


MEMO_KINDS = ("document", "code", "coding")


@dataclass(frozen=True, slots=True)
class MemoEntry:
    """One memo, wherever it is written: on a document, a code, or a coding
    (``kind``). ``place`` names where it is in one line (the document's
    title; the code's path; a coding's code path and document title).
    ``document_id`` is set for document and coding memos, ``code_id`` for
    code and coding memos, ``coding_id``, ``start`` and ``end`` for coding
    memos."""

    kind: str
    text: str
    place: str
    document_id: int | None = None
    code_id: int | None = None
    coding_id: int | None = None
    start: int | None = None
    end: int | None = None
    coder: str | None = None
    updated: str = ""


def all_memos(db: Database, coders: Sequence[str] = (), *, strict: bool = True
              ) -> list[MemoEntry]:
    """Every memo that is not empty, by kind (document memos, then code
    memos, then coding memos); document memos by title, code memos in
    codebook order, coding memos by document title and position. With
    ``coders``, only those coders' coding memos (blind mode): a document's
    or a code's memo is one note shared by everyone."""
    from margin.store.codes import codebook

    by_coder, params = coder_condition(db, coders, "c.coder_id", strict=strict)

    paths = {code.id: code.path for code in codebook(db)}
    order = {code_id: number for number, code_id in enumerate(paths)}
    documents, codes = [], []
    for row in db.execute(
        """SELECT m.document_id, m.code_id, m.text, d.title, coders.name,
                  IFNULL(m.updated, m.created)
           FROM memos m LEFT JOIN documents d ON d.id = m.document_id
           LEFT JOIN coders ON coders.id = m.coder_id
           WHERE TRIM(m.text) != ''"""
    ):
        document_id, code_id, text, title, coder, updated = row
        if document_id is not None:
            documents.append(MemoEntry("document", text, one_line(title or ""),
                                       document_id=document_id, coder=coder, updated=updated))
        elif code_id in paths:
            codes.append(MemoEntry("code", text, paths[code_id], code_id=code_id,
                                   coder=coder, updated=updated))
    documents.sort(key=lambda memo: (memo.place.casefold(), memo.document_id))
    codes.sort(key=lambda memo: order[memo.code_id])
    codings = [
        MemoEntry("coding", memo, f"{paths.get(code_id, '?')} · {one_line(title)}",
                  document_id=document_id, code_id=code_id, coding_id=coding_id,
                  start=start, end=end, coder=coder, updated=updated or created)
        for coding_id, document_id, code_id, start, end, memo, title, coder, created, updated
        in db.execute(
            f"""SELECT c.id, c.document_id, c.code_id, c.start, c."end", c.memo, d.title,
                      coders.name, c.created, c.updated
               FROM codings c JOIN documents d ON d.id = c.document_id
               LEFT JOIN coders ON coders.id = c.coder_id
               WHERE TRIM(c.memo) != '' AND {by_coder}
               ORDER BY d.title COLLATE NOCASE, c.document_id, c.start, c."end", c.id""", params)
    ]
    return documents + codes + codings


def _memo_target(document_id: int | None, code_id: int | None) -> tuple[str, int]:
    if (document_id is None) == (code_id is None):
        raise ValueError("a memo belongs to exactly one document or code")
    return ("document_id", document_id) if document_id is not None else ("code_id", code_id)


def apply_new_code(
    db: Database,
    document_id: int,
    code_path: str,
    start: int,
    end: int,
    coder: str,
) -> tuple[int, int]:
    """Create the code at ``code_path`` ("A > B"; existing levels are reused)
    and code the passage with it, as one undoable action.
    Returns (code id, coding id)."""
    from margin.store.codes import ensure_code_path

    with action(db, f"Code passage as new code {code_path.strip()}"):
        code_id = ensure_code_path(db, code_path)
        return code_id, apply_coding(db, document_id, code_id, start, end, coder)
