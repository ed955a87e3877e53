"""Code co-occurrence: how often two codes apply together.

Definitions (the README's "Analysis" section says the same):

* ``unit="overlap"``: the count for codes A and B is the number of pairs
  (a coding of A, a coding of B) in the same document that share at least
  one character. Two codings of A by two coders that both overlap one coding
  of B make two pairs.
* ``unit="sentence"``, ``"paragraph"`` or ``"document"``: the number of those
  units (cut by the one segmenter, :mod:`..textspans`) in which both codes
  apply; a coding applies to every unit it overlaps by at least one
  character. Two codings of A in one sentence still make that sentence one.

A code is counted as itself: a coding of a sub-code is not a coding of its
parent here (a parent and its child would otherwise always co-occur). Pairs
are of two different codes; ``code_a`` comes before ``code_b`` in the
codebook's order, and only pairs with a count above zero are listed, in that
order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations, groupby
from operator import itemgetter

from margin.store.analysis.units import (
    UNITS,
    coded_rows,
    coding_filter,
    indexed_units,
    units_touched,
)
from margin.store.codes import codebook
from margin.store.db import Database
from margin.store.documents import document_texts
from margin.store.errors import StoreError

#: What co-occurrence can be counted in.
COOCCURRENCE_UNITS = ("overlap", *UNITS)


@dataclass(frozen=True)
class Pair:
    """Two codes and how often they co-occur (see the module's docstring)."""

    code_a_id: int
    code_a: str
    code_b_id: int
    code_b: str
    count: int

    def record(self) -> dict:
        """The pair as the command line's JSON object."""
        return {"code_a": self.code_a, "code_b": self.code_b, "count": self.count}


def pair_table(pairs: Sequence[Pair]) -> tuple[list[str], list[list]]:
    """A header and rows for CSV."""
    return ["code_a", "code_b", "count"], [[p.code_a, p.code_b, p.count] for p in pairs]


def check_unit(unit: str) -> None:
    if unit not in COOCCURRENCE_UNITS:
        raise StoreError(f"unknown unit {unit!r}: use {', '.join(COOCCURRENCE_UNITS)}")


def cooccurrence(
    db: Database,
    *,
    unit: str = "overlap",
    codes: Sequence[int] = (),
    coders: Sequence[str] = (),
    documents: Sequence[int] = (),
) -> list[Pair]:
    """Every pair of codes that co-occur, with its count (see the module's
    docstring). ``codes`` (ids): only pairs in which at least one of the
    two is one of these; ``coders`` (names) and ``documents`` (ids) filter
    the codings counted (empty: all)."""
    check_unit(unit)
    with db.snapshot():
        book = codebook(db)
        if unit == "document":  # which codes each document has is enough
            where, params = coding_filter(db, coders=coders, documents=documents)
            rows = db.execute(f"SELECT DISTINCT document_id, code_id FROM codings {where} "
                              "ORDER BY document_id", params).fetchall()
        else:
            rows = coded_rows(db, coders=coders, documents=documents)
        texts = {}
        if unit in ("sentence", "paragraph") and rows:
            texts = document_texts(db, sorted({row[1] for row in rows}))
    order = {code.id: index for index, code in enumerate(book)}
    paths = {code.id: code.path for code in book}
    counts = count_pairs(rows, unit, texts)
    wanted = set(codes)
    pairs = []
    for (a, b), count in counts.items():
        if count and (not wanted or a in wanted or b in wanted):
            if order[a] > order[b]:  # the first in the codebook's order first
                a, b = b, a
            pairs.append(Pair(a, paths[a], b, paths[b], count))
    pairs.sort(key=lambda pair: (order[pair.code_a_id], order[pair.code_b_id]))
    return pairs


def count_pairs(rows: Sequence[tuple], unit: str,
                texts: dict[int, str]) -> dict[tuple[int, int], int]:
    """How often each pair of codes co-occurs by ``unit``, keyed by the two
    code ids, the smaller first. ``rows``: for "document", ``(document_id,
    code_id)`` pairs; else :func:`~.units.coded_rows`, ordered by document;
    ``texts``: the documents' texts, for sentences and paragraphs."""
    counts: Counter = Counter()
    if unit == "document":
        for _, group in groupby(rows, key=itemgetter(0)):
            _count_units([{code_id for _, code_id in group}], counts)
        return counts
    for document_id, group in groupby(rows, key=itemgetter(1)):
        if unit == "overlap":
            _count_overlapping(group, counts)
            continue
        units = indexed_units(texts[document_id], unit)
        codes_in: dict[int, set[int]] = defaultdict(set)
        for _, _, code_id, _, start, end in group:
            for index in units_touched(units, (start, end)):
                codes_in[index].add(code_id)
        _count_units(codes_in.values(), counts)
    return counts


def _count_overlapping(group: Iterable[tuple], counts: dict) -> None:
    """Pairs of codings of different codes that share a character, by a
    sweep over the codings in order of their starts: each coding meets the
    earlier ones still open at its start."""
    open_codings: list[tuple[int, int]] = []  # (end, code_id)
    for start, end, code_id in sorted((row[4], row[5], row[2]) for row in group):
        if end <= start:
            continue
        open_codings = [item for item in open_codings if item[0] > start]
        for _, other in open_codings:
            if other != code_id:
                counts[(other, code_id) if other < code_id else (code_id, other)] += 1
        open_codings.append((end, code_id))


def _count_units(code_sets: Iterable[set[int]], counts: Counter) -> None:
    for codes in code_sets:
        if len(codes) > 1:
            counts.update(combinations(sorted(codes), 2))  # counted in C
