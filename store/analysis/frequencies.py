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
from dataclasses import dataclass

from margin.store.analysis.units import (
    coded_spans,
    count_touched,
    covered,
    indexed_words,
    union,
)
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


class _Tally:
    """Codings of one code (or code and sub-codes) in one group."""

    __slots__ = ("codings", "intervals")

    def __init__(self) -> None:
        self.codings = 0
        self.intervals: dict[int, list[tuple[int, int]]] = defaultdict(list)

    def add(self, document_id: int, start: int, end: int) -> None:
        self.codings += 1
        self.intervals[document_id].append((start, end))

    def totals(self, words_of: _Words) -> Totals:
        characters = words = 0
        for document_id, intervals in self.intervals.items():
            merged = union(intervals)
            characters += covered(merged)
            words += count_touched(words_of[document_id], merged)
        return Totals(self.codings, len(self.intervals), characters, words)


class _Words(dict):
    """Each document's words, cut on first use."""

    def __init__(self, texts: dict[int, str]):
        super().__init__()
        self.texts = texts

    def __missing__(self, document_id: int):
        words = self[document_id] = indexed_words(self.texts.get(document_id, ""))
        return words


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
        spans = coded_spans(db, coders=coders, documents=documents)
        texts = document_texts(db, sorted({span.document_id for span in spans})) if spans else {}
        titles = document_titles(db) if by == "document" else {}

    parents = {code.id: code.parent_id for code in codes}
    own: dict[tuple[int, object], _Tally] = defaultdict(_Tally)
    whole: dict[tuple[int, object], _Tally] = defaultdict(_Tally)
    for span in spans:
        group = span.document_id if by == "document" else span.coder if by == "coder" else None
        own[span.code_id, group].add(span.document_id, span.start, span.end)
        code_id: int | None = span.code_id
        while code_id is not None:
            whole[code_id, group].add(span.document_id, span.start, span.end)
            code_id = parents.get(code_id)

    words_of = _Words(texts)
    empty = Totals(0, 0, 0, 0)
    if by is None:
        groups_of: dict[int, list] = {code.id: [None] for code in codes}
    else:
        groups_of = defaultdict(list)
        for code_id, group in whole:
            groups_of[code_id].append(group)
        for found in groups_of.values():
            found.sort()
    rows = []
    for code in codes:
        for group in groups_of.get(code.id, ()):
            mine = own[code.id, group].totals(words_of) \
                if (code.id, group) in own else empty
            total = whole[code.id, group].totals(words_of) \
                if (code.id, group) in whole else empty
            label = titles.get(group, "") if by == "document" else group
            rows.append(CodeFrequency(
                code_id=code.id, path=code.path, group_id=group, group=label,
                codings=mine.codings, documents=mine.documents,
                characters=mine.characters, words=mine.words, with_subcodes=total,
            ))
    return rows
