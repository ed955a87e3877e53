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

from margin.store.analysis.units import coded_rows, count_words_touched, covered, union
from margin.store.codes import codebook
from margin.store.db import Database
from margin.store.documents import document_texts, document_titles
from margin.store.errors import StoreError

#: The ways frequencies can be grouped (None: not grouped).
GROUPINGS = ("document", "coder")


@dataclass(frozen=True)
class Totals:
    """The four figures of a code (or of a code with its sub-codes)."""

    codings: int
    documents: int
    characters: int
    words: int


@dataclass(frozen=True)
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


class _Sums:
    """The four figures, added up document by document."""

    __slots__ = ("characters", "codings", "documents", "words")

    def __init__(self) -> None:
        self.codings = self.documents = self.characters = self.words = 0

    def totals(self) -> Totals:
        return Totals(self.codings, self.documents, self.characters, self.words)


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
        rows = coded_rows(db, coders=coders, documents=documents)
        texts = document_texts(db, sorted({row[1] for row in rows})) if rows else {}
        titles = document_titles(db) if by == "document" else {}

    parents = {code.id: code.parent_id for code in codes}
    ancestors: dict[int, list[int]] = {}
    for code in codes:  # parents come before their children
        parent = code.parent_id
        ancestors[code.id] = [parent, *ancestors.get(parent, [])] if parent in parents else []
    own: dict[tuple[int, object], _Sums] = defaultdict(_Sums)
    whole: dict[tuple[int, object], _Sums] = defaultdict(_Sums)
    for document_id, document_rows in groupby(rows, key=itemgetter(1)):
        _count_document(texts[document_id], document_id, document_rows, by, ancestors, own, whole)

    if by is None:
        groups_of: dict[int, list] = {code.id: [None] for code in codes}
    else:
        groups_of = defaultdict(list)
        for code_id, group in whole:
            groups_of[code_id].append(group)
        for found in groups_of.values():
            found.sort(key=lambda group: (str.casefold(group), group)
                       if isinstance(group, str) else group)
    empty = Totals(0, 0, 0, 0)
    result = []
    for code in codes:
        for group in groups_of.get(code.id, ()):
            mine = own[code.id, group].totals() if (code.id, group) in own else empty
            total = whole[code.id, group].totals() if (code.id, group) in whole else empty
            result.append(CodeFrequency(
                code_id=code.id, path=code.path, group_id=group,
                group=titles.get(group, "") if by == "document" else group,
                codings=mine.codings, documents=mine.documents,
                characters=mine.characters, words=mine.words, with_subcodes=total,
            ))
    return result


def _count_document(text: str, document_id: int, rows, by: str | None,
                    ancestors: dict[int, list[int]], own: dict, whole: dict) -> None:
    """Add one document's codings to the sums: per code (and group), and per
    code with everything beneath it (the union of its and its descendants'
    intervals in this document)."""
    intervals: dict[tuple[int, object], list[tuple[int, int]]] = defaultdict(list)
    for _, _, code_id, coder, start, end in rows:
        group = document_id if by == "document" else coder if by == "coder" else None
        intervals[code_id, group].append((start, end))
    beneath: dict[tuple[int, object], list[tuple[int, int]]] = defaultdict(list)
    codings_beneath: dict[tuple[int, object], int] = defaultdict(int)
    for (code_id, group), found in intervals.items():
        for ancestor in ancestors.get(code_id, ()):
            beneath[ancestor, group].extend(found)
            codings_beneath[ancestor, group] += len(found)
    keys = list(intervals)
    merged = [union(intervals[key]) for key in keys]
    parent_keys = list(beneath)
    parent_merged = [union(beneath[key] + intervals.get(key, [])) for key in parent_keys]
    words = count_words_touched(text, merged + parent_merged)
    for index, key in enumerate(keys):
        for sums in (own[key], *((whole[key],) if key not in beneath else ())):
            sums.codings += len(intervals[key])
            sums.documents += 1
            sums.characters += covered(merged[index])
            sums.words += words[index]
    for index, key in enumerate(parent_keys, start=len(keys)):
        sums = whole[key]
        sums.codings += codings_beneath[key] + len(intervals.get(key, ()))
        sums.documents += 1
        sums.characters += covered(parent_merged[index - len(keys)])
        sums.words += words[index]
