"""The code × document (or code × coder) matrix: how many codings of each
code in each document, or by each coder.

Rows are every code of the codebook, in its order. Columns are every
document (in the library's order, by id; those named in ``documents`` when
given), or every coder with a coding (by name; those named in ``coders``
when given). A cell counts the codings of the row's code itself; with
``with_subcodes=True``, of the code and every code beneath it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from margin.store.analysis.units import coding_filter
from margin.store.codes import codebook
from margin.store.codings import coder_name
from margin.store.db import Database
from margin.store.documents import document_titles
from margin.store.errors import StoreError

#: What the columns can be.
MATRIX_COLUMNS = ("documents", "coders")


@dataclass(frozen=True)
class Matrix:
    """``counts[i][j]``: codings of ``rows[i]`` in (or by) ``cols[j]``.

    ``rows``: ``(code_id, path)``; ``cols``: ``(document_id, title)`` or
    ``(coder name, coder name)``."""

    rows: list[tuple[int, str]]
    cols: list[tuple[int | str, str]]
    counts: list[list[int]]
    kind: str = "documents"  # what the columns are: "documents" or "coders"

    def total(self) -> int:
        return sum(sum(row) for row in self.counts)

    def records(self) -> list[dict]:
        """Every cell as the command line's JSON object: ``code``, the
        column (``document_id`` and ``document``, or ``coder``) and
        ``codings``."""
        records = []
        for (_, path), counts in zip(self.rows, self.counts, strict=True):
            for (key, label), count in zip(self.cols, counts, strict=True):
                column = {"document_id": key, "document": label} if self.kind == "documents" \
                    else {"coder": label}
                records.append({"code": path, **column, "codings": count})
        return records

    def table(self) -> tuple[list[str], list[list]]:
        """A header and rows for CSV: a row per code, a column per document
        ("id: title") or coder."""
        labels = [f"{key}: {label}" if self.kind == "documents" else label for key, label in self.cols]
        return (["code", *labels],
                [[path, *counts] for (_, path), counts in zip(self.rows, self.counts, strict=True)])


def code_matrix(
    db: Database,
    *,
    cols: str = "documents",
    coders: Sequence[str] = (),
    documents: Sequence[int] = (),
    with_subcodes: bool = False,
) -> Matrix:
    """The matrix (see the module's docstring); ``coders`` (names) and
    ``documents`` (ids) filter the codings counted (empty: all)."""
    if cols not in MATRIX_COLUMNS:
        raise StoreError(f"unknown columns {cols!r}: use {' or '.join(MATRIX_COLUMNS)}")
    with db.snapshot():
        book = codebook(db)
        where, params = coding_filter(db, coders=coders, documents=documents)
        column = "codings.document_id" if cols == "documents" else "IFNULL(coders.name, 'unknown')"
        counted = db.execute(
            f"""SELECT codings.code_id, {column}, COUNT(*) FROM codings
                LEFT JOIN coders ON coders.id = codings.coder_id {where}
                GROUP BY 1, 2""", params).fetchall()
        titles = document_titles(db) if cols == "documents" else {}
    if cols == "documents":
        wanted = set(documents)
        columns: list[tuple[int | str, str]] = [
            (document_id, title) for document_id, title in sorted(titles.items())
            if not wanted or document_id in wanted]
    else:
        names = {key for _, key, _ in counted} | {coder_name(name) for name in coders}
        columns = [(name, name) for name in sorted(names, key=str.casefold)]

    parents = {code.id: code.parent_id for code in book}
    cells: Counter = Counter()
    for code_id, key, count in counted:
        while code_id is not None:
            cells[code_id, key] += count
            code_id = parents.get(code_id) if with_subcodes else None
    return Matrix(
        rows=[(code.id, code.path) for code in book],
        cols=columns,
        counts=[[cells[code.id, key] for key, _ in columns] for code in book],
        kind=cols,
    )
