"""Codings: a code applied to a passage of a document, and memos.

A coding is ``text[start:end]`` of its document (code points, end exclusive)
and stores that passage as ``quote``. Everything that reads codings checks the
quote against the text and raises QuoteMismatch rather than show or export a
shifted passage.
"""

from __future__ import annotations

from dataclasses import dataclass

from margin.store.codes import get_code
from margin.store.db import Database
from margin.store.documents import document_text
from margin.store.errors import NotFound, QuoteMismatch, StoreError
from margin.store.history import action, writing
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


def ensure_coder(db: Database, name: str) -> int:
    """The coder's id, creating the coder on first use."""
    name = one_line(name) or "unknown"
    for row in db.query("SELECT id FROM coders WHERE name = ?", [name]):
        return row["id"]
    with writing(db):
        return db["coders"].insert({"uuid": new_uuid(), "name": name, "created": now()}).last_pk


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


def _check_span(text: str, start: int, end: int) -> None:
    if not 0 <= start < end <= len(text):
        raise StoreError(f"passage {start}-{end} is outside the document (0-{len(text)})")
    if not text[start:end].strip():
        raise StoreError("cannot code a passage that is only whitespace")


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
    _check_span(text, start, end)
    code = get_code(db, code_id)
    duplicate = db.execute(
        'SELECT 1 FROM codings WHERE document_id = ? AND code_id = ? AND start = ? AND "end" = ?',
        [document_id, code_id, start, end],
    ).fetchone()
    if duplicate:
        raise StoreError(f"this passage is already coded {code.path!r}")
    coder_id = ensure_coder(db, coder)
    timestamp = now()
    with action(db, f"Code passage as {code.name}") as log:
        return log.insert(
            "codings", new_coding_row(document_id, code_id, text, start, end, coder_id, timestamp)
        )


def new_coding_row(
    document_id: int, code_id: int, text: str, start: int, end: int, coder_id: int, timestamp: str
) -> dict:
    """The row of a new coding of ``text[start:end]`` (its quote stored with it)."""
    return {
        "uuid": new_uuid(),
        "document_id": document_id,
        "code_id": code_id,
        "start": start,
        "end": end,
        "quote": text[start:end],
        "memo": "",
        "coder_id": coder_id,
        "created": timestamp,
        "updated": timestamp,
    }


def remove_coding(db: Database, coding_id: int) -> None:
    coding = get_coding(db, coding_id)
    with action(db, f"Remove coding {coding.code_name}") as log:
        log.delete("codings", coding_id)


def change_boundaries(db: Database, coding_id: int, start: int, end: int) -> None:
    """Move a coding's start and end; its quote follows the text."""
    coding = get_coding(db, coding_id)
    text = document_text(db, coding.document_id)
    _check_span(text, start, end)
    if (start, end) == (coding.start, coding.end):
        return
    duplicate = db.execute(
        'SELECT 1 FROM codings WHERE document_id = ? AND code_id = ? AND start = ? AND "end" = ?'
        " AND id != ?",
        [coding.document_id, coding.code_id, start, end, coding_id],
    ).fetchone()
    if duplicate:
        raise StoreError(f"that passage is already coded {coding.code_name!r}")
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
