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
    coded_rows,
    coding_filter,
    count_words_touched,
    covered,
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
        if by == "coder":
            rows = coded_rows(db, coders=coders, documents=documents)
        else:  # the same rows without the coders' names (no join: a third faster)
            where, params = coding_filter(db, coders=coders, documents=documents)
            rows = db.execute(
                f"""SELECT id, document_id, code_id, NULL, start, "end" FROM codings {where}
                    ORDER BY document_id, code_id, IFNULL(coder_id, 0), start, "end" """,
                params).fetchall()
        texts = document_texts(db, sorted({row[1] for row in rows})) if rows else {}
        titles = document_titles(db) if by == "document" else {}

    parents = {code.id: code.parent_id for code in codes}
    ancestors: dict[int, list[int]] = {}
    for code in codes:  # parents come before their children
        parent = code.parent_id
        ancestors[code.id] = [parent, *ancestors.get(parent, [])] if parent in parents else []
    own: dict[tuple[int, object], list[int]] = {}
    whole: dict[tuple[int, object], list[int]] = {}
    for document_id, document_rows in groupby(rows, key=itemgetter(1)):
        _count_document(texts[document_id], document_id, document_rows, by, ancestors, own, whole)

    if by is None:
        groups_of: dict[int, list] = {code.id: [None] for code in codes}
    else:
        groups_of = defaultdict(list)
        for code_id, group in whole:  # by document: in document order already
            groups_of[code_id].append(group)
        if by == "coder":
            for found in groups_of.values():
                found.sort(key=lambda name: (name.casefold(), name))
    empty = (0, 0, 0, 0)
    result = []
    for code in codes:
        for group in groups_of.get(code.id, ()):
            key = (code.id, group)
            total = whole.get(key)
            result.append(CodeFrequency(
                code.id, code.path, group,
                titles.get(group, "") if by == "document" else group,
                *own.get(key, empty), Totals(*total) if total else Totals(0, 0, 0, 0),
            ))
    return result


def _count_document(text: str, document_id: int, rows, by: str | None,
                    ancestors: dict[int, list[int]], own: dict, whole: dict) -> None:
    """Add one document's codings to the sums ``[codings, documents,
    characters, words]``: per code (and group), and per code with everything
    beneath it (the union of its and its descendants' intervals here)."""
    intervals: dict[tuple[int, object], list[tuple[int, int]]] = {}
    group = document_id if by == "document" else None
    for _, _, code_id, coder, start, end in rows:
        key = (code_id, coder if by == "coder" else group)
        found = intervals.get(key)
        if found is None:
            intervals[key] = [(start, end)]
        else:
            found.append((start, end))
    beneath: dict[tuple[int, object], list[tuple[int, int]]] = {}
    for (code_id, group_key), found in intervals.items():
        for ancestor in ancestors[code_id]:
            beneath.setdefault((ancestor, group_key), []).extend(found)
    # One list of merged intervals per figure: each code's own, and the
    # whole of each code with codings beneath it (a code without is its own).
    targets: list[tuple[list[list[int]], int]] = []
    lists: list[list[tuple[int, int]]] = []
    for key, found in intervals.items():
        lists.append(found if len(found) == 1 else union(found))
        sums = [own.setdefault(key, [0, 0, 0, 0])]
        if key not in beneath:
            sums.append(whole.setdefault(key, [0, 0, 0, 0]))
        targets.append((sums, len(found)))
    for key, found in beneath.items():
        mine = intervals.get(key, [])
        lists.append(union(found + mine))
        targets.append(([whole.setdefault(key, [0, 0, 0, 0])], len(found) + len(mine)))
    words = count_words_touched(text, lists)
    for (sums, codings), merged, counted in zip(targets, lists, words, strict=True):
        characters = covered(merged)
        for figures in sums:
            figures[0] += codings
            figures[1] += 1
            figures[2] += characters
            figures[3] += counted
