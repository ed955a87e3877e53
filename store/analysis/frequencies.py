"""Code frequencies: per code, how many codings, documents, characters and
words, on its own and with its sub-codes.

Definitions (the README's "Analysis" section says the same):

* **codings**: the number of codings of the code (every coder's, unless
  filtered to some coders).
* **documents**: the number of documents with at least one of them.
* **characters**: the code points of the documents' texts that the code
  covers. Codings of the code that overlap (two coders on one passage, a
  passage coded inside a longer one) are merged first, so a character is
  counted once however many codings cover it: the *union* of the codings.
* **words**: the words of the text that the covered characters touch, each
  counted once: the words of the one segmenter (``textspans.word_spans``:
  runs of letters, digits and marks, ``don't`` one word), runs of
  punctuation left out. A word only partly coded counts.
* **with sub-codes**: the same four figures over the codings of the code and
  of every code beneath it, merged the same way (a character coded with a
  parent and a child counts once).

``by="document"`` and ``by="coder"`` give these figures per document or per
coder (characters merged within that document or that coder's codings):
one row per code and group in which the code or one of its sub-codes has a
coding. Without ``by``, one row per code of the codebook, in its order,
codes without codings included (with zeros).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import groupby
from operator import itemgetter

from margin.store.analysis.units import (
    Span,
    coding_filter,
    measure_intervals,
    union,
)
from margin.store.codes import codebook
from margin.store.db import Database
from margin.store.documents import document_texts, document_titles
from margin.store.errors import StoreError

#: The ways frequencies can be grouped (None: not grouped).
GROUPINGS = ("document", "coder")


@dataclass(slots=True)
class Totals:
    """The four figures of a code (or of a code with its sub-codes)."""

    codings: int
    documents: int
    characters: int
    words: int


@dataclass(slots=True)
class CodeFrequency:
    """One code's figures, overall or in one group (a document, a coder).

    ``group_id`` is the document's id or the coder's name (None without
    grouping); ``group`` is what to show: the document's title or the
    coder's name."""

    code_id: int
    path: str
    group_id: int | str | None
    group: str | None
    codings: int
    documents: int
    characters: int
    words: int
    with_subcodes: Totals

    @property
    def own(self) -> Totals:
        return Totals(self.codings, self.documents, self.characters, self.words)

    def record(self, by: str | None = None) -> dict:
        """The row as the command line's JSON object: ``code``, the group
        (``document_id`` and ``document``, or ``coder``) with ``by``, the
        four figures and ``with_subcodes`` (the four again)."""
        record: dict = {"code": self.path}
        if by == "document":
            record.update(document_id=self.group_id, document=self.group)
        elif by == "coder":
            record["coder"] = self.group
        record.update(asdict(self.own))
        record["with_subcodes"] = asdict(self.with_subcodes)
        return record


FIGURES = ("codings", "documents", "characters", "words")


def frequency_table(rows: Sequence[CodeFrequency],
                    by: str | None = None) -> tuple[list[str], list[list]]:
    """A header and rows for CSV: the JSON objects' fields, the sub-code
    totals as ``with_subcodes_codings`` and so on."""
    group = {"document": ["document_id", "document"], "coder": ["coder"]}.get(by or "", [])
    header = ["code", *group, *FIGURES, *(f"with_subcodes_{name}" for name in FIGURES)]
    table = []
    for row in rows:
        record = row.record(by)
        table.append([record[key] for key in ("code", *group, *FIGURES)]
                     + [record["with_subcodes"][name] for name in FIGURES])
    return header, table


def code_frequencies(
    db: Database,
    *,
    by: str | None = None,
    coders: Sequence[str] = (),
    documents: Sequence[int] = (),
) -> list[CodeFrequency]:
    """Every code's figures (see the module's docstring for what they
    count), in the codebook's order; with ``by`` ("document" or "coder"),
    per group, groups in document id or coder name order. ``coders``
    (names) and ``documents`` (ids) filter the codings counted (empty: all);
    an unknown coder is a one-line :class:`StoreError`."""
    if by is not None and by not in GROUPINGS:
        raise StoreError(f"cannot group frequencies by {by!r}: use {' or '.join(GROUPINGS)}")
    with db.snapshot():
        codes = codebook(db)
        # (document_id, code_id, coder_id or NULL, start, end): no join (the
        # coders' names are put on the groups, not on every row), and without
        # grouping by coder, read from the index alone.
        where, params = coding_filter(db, coders=coders, documents=documents)
        rows = db.execute(
            f"""SELECT document_id, code_id, {'coder_id' if by == 'coder' else 'NULL'},
                       start, "end" FROM codings {where}
                ORDER BY document_id, code_id{
                    ', IFNULL(coder_id, 0)' if by == 'coder' else ''}""",  # (the index's order)
            params).fetchall()
        names = dict(db.execute("SELECT id, name FROM coders").fetchall()) \
            if by == "coder" else {}
        texts = document_texts(db, sorted({row[0] for row in rows})) if rows else {}
        titles = document_titles(db) if by == "document" else {}

    parents = {code.id: code.parent_id for code in codes}
    depth: dict[int, int] = {}
    for code in codes:  # parents come before their children
        depth[code.id] = depth[code.parent_id] + 1 if code.parent_id in parents else 0
    key_of = itemgetter(1, 2) if by == "coder" else itemgetter(1)
    counted = ((document_id, _count_document(texts[document_id], document_id, document_rows,
                                             by, key_of, names, parents, depth))
               for document_id, document_rows in groupby(rows, key=itemgetter(0)))
    empty = (0, 0, 0, 0)
    result: list[CodeFrequency] = []
    append, make, totals = result.append, CodeFrequency, Totals
    if by == "document":
        # Each code and document is one document's figures: no sums, and the
        # rows come in document order (tens of thousands of them: kept lean).
        found_in: dict[int, list] = defaultdict(list)
        for document_id, figures in counted:
            for (code_id, _), mine, total in figures:
                found_in[code_id].append((document_id, mine or empty, total))
        for code in codes:
            code_id, path = code.id, code.path
            for document_id, mine, total in found_in.get(code_id, ()):
                append(make(code_id, path, document_id, titles.get(document_id, ""),
                            mine[0], mine[1], mine[2], mine[3],
                            totals(total[0], total[1], total[2], total[3])))
        return result
    own: dict[tuple[int, object], list[int]] = {}
    whole: dict[tuple[int, object], list[int]] = {}
    for _, figures in counted:
        for key, mine, total in figures:
            for sums, add in ((own, mine), (whole, total)):
                if add is None:
                    continue
                found = sums.get(key)
                if found is None:
                    sums[key] = list(add)
                else:
                    found[0] += add[0]
                    found[1] += 1
                    found[2] += add[2]
                    found[3] += add[3]
    if by is None:
        groups_of: dict[int, list] = {code.id: [None] for code in codes}
    else:
        groups_of = defaultdict(list)
        for code_id, group in whole:
            groups_of[code_id].append(group)
        for found in groups_of.values():
            found.sort(key=lambda name: (name.casefold(), name))
    for code in codes:
        code_id, path = code.id, code.path
        for group in groups_of.get(code_id, ()):
            key = (code_id, group)
            mine, total = own.get(key, empty), whole.get(key, empty)
            append(make(code_id, path, group, group, mine[0], mine[1], mine[2], mine[3],
                        totals(total[0], total[1], total[2], total[3])))
    return result


def _count_document(text: str, document_id: int, rows, by: str | None, key_of,
                    names: dict[int, str], parents: dict[int, int | None],
                    depth: dict[int, int]) -> list[tuple[tuple[int, object], tuple | None,
                                                         tuple]]:
    """One document's figures ``(codings, 1, characters, words)``: per code
    (and group) ``(key, own or None, whole)``, ``whole`` with everything
    beneath it: the union of its own merged intervals and its children's
    wholes, made from the deepest codes up (each list merged once, not
    every coding again for every ancestor)."""
    group = document_id if by == "document" else None
    merged: dict[tuple[int, object], tuple[list[Span], int]] = {}
    # Rows come ordered by code (and coder): one group per code (and coder).
    for found, code_rows in groupby(rows, key=key_of):
        spans = [(row[3], row[4]) for row in code_rows]
        if by == "coder":  # codings without a coder are coder "unknown"
            key = (found[0], names.get(found[1], "unknown"))
            if key in merged:  # (and so may be a coder of that name)
                earlier, count = merged[key]
                spans, codings = earlier + spans, count + len(spans)
                merged[key] = (union(spans), codings)
                continue
        else:
            key = (found, group)
        merged[key] = (spans if len(spans) == 1 else union(spans), len(spans))
    # Wholes, deepest first: a code's own merged list with its children's.
    wholes: dict[tuple[int, object], tuple[list[Span], int]] = {}
    levels: dict[int, set] = {}
    for key in merged:
        levels.setdefault(depth[key[0]], set()).add(key)
    pending: dict[tuple[int, object], list[tuple[list[Span], int]]] = {}
    for level in range(max(levels, default=-1), -1, -1):
        for key in levels.get(level, ()):
            mine = merged.get(key)
            below = pending.pop(key, None)
            if below is None:
                result = mine
            else:
                if mine is not None:
                    below.append(mine)
                result = (union([span for spans, _ in below for span in spans]),
                          sum(count for _, count in below))
            wholes[key] = result
            parent = parents[key[0]]
            if parent in parents:
                parent_key = (parent, key[1])
                if parent_key not in pending:
                    pending[parent_key] = []
                    levels.setdefault(level - 1, set()).add(parent_key)
                pending[parent_key].append(result)
    # One measure per distinct list (a code without codings beneath it has
    # its own list as its whole).
    lists = [spans for spans, _ in merged.values()]
    apart = [key for key, (spans, _) in wholes.items()
             if key not in merged or merged[key][0] is not spans]
    lists += [wholes[key][0] for key in apart]
    measured = measure_intervals(text, lists)
    own = {key: (codings, 1, characters, words) for (key, (_, codings)), (characters, words)
           in zip(merged.items(), measured, strict=False)}
    whole = {key: (wholes[key][1], 1, characters, words) for key, (characters, words)
             in zip(apart, measured[len(merged):], strict=True)}
    return [(key, own.get(key), whole.get(key) or own[key]) for key in wholes]
