"""Coders: who coded what, and the one coder filter every reader of codings shares.

Every command that only reads (codes, export, search, stats, agreement)
takes ``coders: Sequence[str] = ()`` — coder names, empty for all — and turns
it into SQL with :func:`coder_condition`; an unknown name is one line that
lists the coders there are (:func:`coder_ids`), so a typo never filters to
nothing in silence. The app's blind mode passes the current coder with
``strict=False``: a coder who has not coded yet sees nothing, not an error.

Codings without a coder (a REFI-QDA selection without ``creatingUser``)
belong to the coder "unknown".
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from margin.store.db import Database
from margin.store.errors import StoreError
from margin.store.util import one_line

UNKNOWN = "unknown"


def coder_name(name: str) -> str:
    """A coder's name as it is stored ("unknown" for none)."""
    return one_line(name) or UNKNOWN


def coder_names(db: Database) -> list[str]:
    """Every coder's name, the first to code first (the order of the coders'
    colours in the reader)."""
    return [row[0] for row in db.execute("SELECT name FROM coders ORDER BY id")]


def coder_ids(db: Database, names: Sequence[str], *, strict: bool = True) -> list[int]:
    """The ids of the coders named. An unknown name is a one-line
    ``StoreError`` listing the coders there are; with ``strict=False`` it is
    left out (a coder who has not coded yet has no codings to show)."""
    ids = []
    for name in names:
        row = db.execute("SELECT id FROM coders WHERE name = ?", [coder_name(name)]).fetchone()
        if row is not None:
            ids.append(row[0])
        elif strict and coder_name(name) != UNKNOWN:  # codings without a coder
            known = coder_names(db)
            raise StoreError(
                f"no coder named {coder_name(name)!r}; coders: {', '.join(known) or 'none yet'}"
            )
    return ids


def coder_condition(db: Database, coders: Sequence[str], column: str = "coder_id", *,
                    strict: bool = True) -> tuple[str, list]:
    """An SQL condition (for a WHERE or an AND) that keeps the rows of the
    coders named, on ``column`` (a codings or memos ``coder_id``), and its
    parameters. No coders: ``("1", [])``, every row. Codings without a coder
    are kept where "unknown" is named."""
    if not coders:
        return "1", []
    ids = coder_ids(db, coders, strict=strict)
    condition = f"{column} IN (SELECT value FROM json_each(?))"
    if UNKNOWN in {coder_name(name) for name in coders}:
        condition = f"({condition} OR {column} IS NULL)"
    return condition, [json.dumps(ids)]


def keeps(coders: Sequence[str], coder: str | None) -> bool:
    """Whether the filter ``coders`` (names; empty: all) keeps a row of
    ``coder`` (a name; None or "": a coding without a coder, "unknown"'s):
    the rule of :func:`coder_condition`, for rows already read."""
    if not coders:
        return True
    return coder_name(coder or "") in {coder_name(name) for name in coders}


def coders_present(db: Database, names: Sequence[str]) -> bool:
    """Whether any coder named may have codings here: one with a row in
    coders, or "unknown" while there are codings without a coder. (A coder
    in blind mode who has not coded yet has none to show.)"""
    if coder_ids(db, names, strict=False):
        return True
    return UNKNOWN in {coder_name(name) for name in names} and db.execute(
        "SELECT 1 FROM codings WHERE coder_id IS NULL LIMIT 1").fetchone() is not None


def codes_of_passage(db: Database, document_id: int, start: int, end: int,
                     coders: Sequence[str], *, strict: bool = True) -> list[int]:
    """The ids of the codes the ``coders`` named coded exactly
    ``text[start:end]`` of a document with (a search result shown in blind
    mode names no other coder's codes)."""
    by_coder, params = coder_condition(db, coders, strict=strict)
    return [row[0] for row in db.execute(
        f'SELECT DISTINCT code_id FROM codings WHERE document_id = ? AND start = ? AND "end" = ? '
        f"AND {by_coder} ORDER BY code_id", [document_id, start, end, *params])]
