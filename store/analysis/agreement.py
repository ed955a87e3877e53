"""Agreement between coders: percent agreement, Cohen's κ and Krippendorff's
α (nominal), per code and pooled over the codes; the places where two coders
differ; and reconciling one place.

**Units.** ``character``: every character (code point) of the documents the
coders share is a unit; for a code, a coder rates a unit 1 where one of their
codings of that code covers it, else 0. ``sentence`` / ``paragraph``: the
units are those documents' sentences or paragraphs (:mod:`..textspans`, the
one segmenter), rated 1 when one of the coder's codings of the code overlaps
the unit by at least one character. **Pooled**: every (unit, code) pair of the
codes reported, together.

**The documents the coders share** are those in which *each* of the coders
named has at least one coding (of any code, whatever ``codes`` says),
narrowed to ``documents`` when given. A document only one of them has coded
says nothing about agreement: it would count as the other coder's silence.

**A code** is the code itself, not its sub-codes: every code of the codebook
gets its own row (``codes`` narrows the rows to those codes). Without
``codes``, the rows are the codes at least one of the coders applied in the
shared documents.

Every count comes from intervals (:mod:`.units`): for characters, "both
coded" is the length of the intersection of the two coders' merged codings,
"A only" and "B only" the rest of each, "neither" the remainder of the text;
for sentences and paragraphs, the sets of units the merged codings touch
(bisection). Nothing is computed per character.

**Several coders.** α is computed over all of them (the coincidence matrix,
from how many units exactly k of the m coders rated 1); percent agreement is
the share of agreeing coder pairs over all units and pairs; κ, a two-coder
figure, is given per pair (:attr:`Agreement.pairs`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations, groupby
from operator import itemgetter

from margin.store.analysis.units import (
    coded_rows,
    coded_spans,
    covered,
    indexed_units,
    intersection,
    union,
    units_touched,
)
from margin.store.coders import UNKNOWN, coder_condition, coder_ids
from margin.store.codes import codebook, get_code
from margin.store.codings import NewCoding, coder_name, ensure_coder, write_codings
from margin.store.db import Database
from margin.store.documents import document_text
from margin.store.errors import StoreError
from margin.store.history import action
from margin.store.textspans import Span, trim_span
from margin.store.util import join_memos, now

UNITS = ("character", "sentence", "paragraph")
#: What a reconciling coder may adopt at a place where two coders differ.
VERSIONS = ("a", "b", "union", "intersection")
#: Documents' texts are read this many at a time (SQLite's parameter limit).
_BATCH = 500


# ------------------------------------------------------------------ figures


@dataclass(frozen=True)
class Figures:
    """The agreement of ``coders`` on one code (``code`` None: pooled)."""

    code_id: int | None
    code: str | None  # the code's path; None for the pooled row
    coders: tuple[str, ...]
    unit: str
    units: int  # units compared (for the pooled row: units × codes)
    coded: tuple[int, ...]  # units each coder rated 1
    agreement: float | None  # share of agreeing ratings (coder pairs), 0–1
    kappa: float | None  # Cohen's κ (two coders only)
    alpha: float | None  # Krippendorff's α, nominal
    note: str = ""  # why a figure is None

    def record(self) -> dict:
        """The object of ``margin agreement --json``. Two coders: the issue's
        keys (``coded_a``, ``coded_b``); more: ``coders`` and ``coded``
        (one count per coder, in the same order)."""
        record: dict = {"code": self.code, "unit": self.unit}
        if len(self.coders) == 2:
            record.update(kappa=self.kappa, alpha=self.alpha, agreement=self.agreement,
                          units=self.units, coded_a=self.coded[0], coded_b=self.coded[1])
        else:
            record.update(coders=list(self.coders), kappa=self.kappa, alpha=self.alpha,
                          agreement=self.agreement, units=self.units, coded=list(self.coded))
        if self.note:
            record["note"] = self.note
        return record


@dataclass
class _Tally:
    """The counts the figures of m coders are computed from."""

    coders: int
    units: int = 0
    coded: list[int] = field(default_factory=list)  # per coder
    both: list[int] = field(default_factory=list)  # per pair, in combinations() order
    # Units rated 1 by exactly k coders, k = 1..m (k = 0 is the remainder).
    rated_by: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        m = self.coders
        self.coded = self.coded or [0] * m
        self.both = self.both or [0] * (m * (m - 1) // 2)
        self.rated_by = self.rated_by or [0] * (m + 1)

    def add(self, other: _Tally) -> None:
        self.units += other.units
        for mine, theirs in ((self.coded, other.coded), (self.both, other.both),
                             (self.rated_by, other.rated_by)):
            for i, value in enumerate(theirs):
                mine[i] += value

    def histogram(self) -> list[int]:
        """Units rated 1 by exactly k coders, k = 0..m."""
        return [self.units - sum(self.rated_by[1:]), *self.rated_by[1:]]

    def pair(self, i: int, j: int, index: int) -> _Tally:
        """The tally of coders i and j alone (``index``: the pair's place)."""
        both = self.both[index]
        only = self.coded[i] + self.coded[j] - 2 * both
        return _Tally(2, self.units, [self.coded[i], self.coded[j]], [both], [0, only, both])


def cohen_kappa(units: int, coded_a: int, coded_b: int, both: int) -> float | None:
    """Cohen's κ of two coders' 0/1 ratings of ``units`` units, from the
    2 × 2 table (exact integer arithmetic up to the one division); None when
    chance agreement is 1 (both coders rated every unit the same)."""
    n = units
    agree = both + (n - coded_a - coded_b + both)  # 1-1 and 0-0
    chance = coded_a * coded_b + (n - coded_a) * (n - coded_b)  # × n²
    if n == 0 or chance == n * n:
        return None
    return (n * agree - chance) / (n * n - chance)


def krippendorff_alpha(histogram: Sequence[int]) -> float | None:
    """Krippendorff's α (nominal) of m coders' 0/1 ratings, every coder
    rating every unit, from ``histogram[k]`` = units rated 1 by exactly k
    coders. Coincidences: a unit rated 1 by k of m coders adds k(m−k)/(m−1)
    to each of o₀₁ and o₁₀; α = 1 − (n−1)·o₀₁ / (n₀·n₁) with n = m × units.
    None when there is no variation (every rating the same value)."""
    m = len(histogram) - 1
    n = m * sum(histogram)
    ones = sum(k * count for k, count in enumerate(histogram))
    zeros = n - ones
    if m < 2 or ones == 0 or zeros == 0:
        return None
    disagreeing = sum(k * (m - k) * count for k, count in enumerate(histogram))  # (m−1)·o₀₁
    return 1 - (n - 1) * disagreeing / ((m - 1) * zeros * ones)


def pairwise_agreement(histogram: Sequence[int]) -> float | None:
    """The share of coder pairs that agree, over all units (two coders: the
    share of units both rated the same)."""
    m = len(histogram) - 1
    units = sum(histogram)
    pairs = m * (m - 1) // 2
    if units == 0 or pairs == 0:
        return None
    agreeing = sum(count * (k * (k - 1) // 2 + (m - k) * (m - k - 1) // 2)
                   for k, count in enumerate(histogram))
    return agreeing / (units * pairs)


NO_UNITS = "no units to compare"
NO_VARIATION = "no variation: every unit has the same rating from every coder"
KAPPA_PAIRS = "kappa compares two coders: see the pairs"


def _figures(code_id: int | None, code: str | None, coders: tuple[str, ...], unit: str,
             tally: _Tally) -> Figures:
    histogram = tally.histogram()
    notes = []
    if tally.units == 0:
        notes.append(NO_UNITS)
    alpha = krippendorff_alpha(histogram) if tally.units else None
    if tally.units and alpha is None:
        notes.append(NO_VARIATION)
    kappa = None
    if len(coders) == 2:
        kappa = cohen_kappa(tally.units, tally.coded[0], tally.coded[1], tally.both[0])
    else:
        notes.append(KAPPA_PAIRS)
    return Figures(code_id, code, coders, unit, tally.units, tuple(tally.coded),
                   pairwise_agreement(histogram), kappa, alpha, "; ".join(notes))


# -------------------------------------------------------------- the report


@dataclass(frozen=True)
class Agreement:
    """What ``margin agreement`` prints and the agreement screen shows."""

    coders: tuple[str, ...]
    unit: str
    documents: tuple[int, ...]  # the documents the coders share
    rows: list[Figures]  # the pooled row first, then one per code (codebook order)
    # Three coders or more: each pair's rows (pooled first, then the codes),
    # pair after pair; empty for two coders (``rows`` are the pair's).
    pairs: list[Figures] = field(default_factory=list)


def coders_by_codings(db: Database) -> list[tuple[str, int]]:
    """Every coder with the number of their codings, most first (then by name)."""
    return [(name, count) for name, count in db.execute(
        """SELECT coders.name, COUNT(codings.id) AS n FROM coders
           LEFT JOIN codings ON codings.coder_id = coders.id
           GROUP BY coders.id ORDER BY n DESC, coders.name""")]


def _checked_coders(db: Database, coders: Sequence[str]) -> tuple[list[str], list[int]]:
    names = [coder_name(name) for name in coders]
    if len(set(names)) < 2:
        raise StoreError("agreement compares two coders or more: name two different coders")
    if len(set(names)) < len(names):
        raise StoreError("each coder once, please: "
                         + ", ".join(sorted({n for n in names if names.count(n) > 1})))
    return names, coder_ids(db, names)


def shared_documents(db: Database, coders: Sequence[str],
                     documents: Sequence[int] = ()) -> list[int]:
    """The documents in which each of ``coders`` has at least one coding (any
    code), among ``documents`` if given, by id."""
    names, _ = _checked_coders(db, coders)
    # The one coder filter: codings without a coder are "unknown"'s, and each
    # coder named counts once, whether or not it has a row in coders.
    by_coder, params = coder_condition(db, names, "codings.coder_id")
    sql = f"""SELECT codings.document_id FROM codings
              LEFT JOIN coders ON coders.id = codings.coder_id
              WHERE {by_coder}
              GROUP BY codings.document_id HAVING COUNT(DISTINCT IFNULL(coders.name, ?)) = ?
              ORDER BY codings.document_id"""
    shared = [row[0] for row in db.execute(sql, [*params, UNKNOWN, len(names)])]
    if documents:
        wanted = set(documents)
        shared = [d for d in shared if d in wanted]
    return shared


def _no_shared(names: Sequence[str], documents: Sequence[int]) -> StoreError:
    who = " and ".join(names) if len(names) == 2 else "all of " + ", ".join(names)
    among = " among the documents given" if documents else ""
    return StoreError(f"no document{among} was coded by {who}: agreement needs documents "
                      "each of them has coded")


def _texts(db: Database, document_ids: Sequence[int]) -> dict[int, str]:
    texts: dict[int, str] = {}
    for i in range(0, len(document_ids), _BATCH):
        batch = list(document_ids[i:i + _BATCH])
        marks = ", ".join("?" * len(batch))
        texts.update(db.execute(f"SELECT id, text FROM documents WHERE id IN ({marks})", batch))
    return texts


def agreement(
    db: Database,
    coders: Sequence[str],
    *,
    unit: str = "character",
    codes: Sequence[int] = (),
    documents: Sequence[int] = (),
) -> Agreement:
    """The agreement of ``coders`` (names, two or more) per code and pooled,
    in ``unit``s, over the documents they share (narrowed to ``documents``),
    for ``codes`` (ids; empty: every code one of them applied there)."""
    if unit not in UNITS:
        raise StoreError(f"unknown unit {unit!r}: use {', '.join(UNITS)}")
    names, _ = _checked_coders(db, coders)
    m = len(names)
    # Plain rows (id, document, code, coder, start, end), by document, code,
    # coder and start: 100,000 of them are read in a fraction of a second.
    rows = coded_rows(db, coders=names, documents=documents, codes=codes)
    if codes:  # the documents shared are those with codings of any code
        shared = shared_documents(db, names, documents)
    else:
        per_document = Counter(document for document, _ in {(r[1], r[3]) for r in rows})
        shared = sorted(document for document, count in per_document.items() if count == m)
    if not shared:
        raise _no_shared(names, documents)
    in_shared = set(shared)
    rows = [r for r in rows if r[1] in in_shared]
    position = {name: i for i, name in enumerate(names)}
    pairs = list(combinations(range(m), 2))
    texts = _texts(db, shared)
    tallies: dict[int, _Tally] = {}
    total = 0
    by_document_and_code = itemgetter(1, 2)
    by_coder = itemgetter(3)
    if unit == "character":
        total = sum(len(text) for text in texts.values())
        for (_document, code_id), group in groupby(rows, by_document_and_code):
            tally = tallies.setdefault(code_id, _Tally(m))
            merged: list[list[Span]] = [[] for _ in range(m)]
            for coder, coder_rows in groupby(group, by_coder):
                merged[position[coder]] = union((r[4], r[5]) for r in coder_rows)
            _tally_characters(tally, merged, pairs)
    else:
        units_of = {}
        for document_id in shared:
            units_of[document_id] = indexed_units(texts[document_id], unit)
            total += len(units_of[document_id])
        for (document_id, code_id), group in groupby(rows, by_document_and_code):
            tally = tallies.setdefault(code_id, _Tally(m))
            units = units_of[document_id]
            touched: list[set[int]] = [set() for _ in range(m)]
            for coder, coder_rows in groupby(group, by_coder):
                found = touched[position[coder]]
                for interval in union((r[4], r[5]) for r in coder_rows):
                    found.update(units_touched(units, interval))
            _tally_units(tally, touched, pairs)
    by_id = {code.id: code for code in codebook(db)}
    wanted = list(dict.fromkeys(codes)) if codes else [c for c in by_id if c in tallies]
    unknown = [c for c in wanted if c not in by_id]
    if unknown:
        raise StoreError(f"no code with id {unknown[0]}")
    rows, pair_rows = [], []  # the report's, now
    pooled = _Tally(m)
    per_code = []
    for code_id in wanted:
        tally = tallies.get(code_id) or _Tally(m)
        tally.units = total
        pooled.add(tally)
        per_code.append((code_id, by_id[code_id].path, tally))
    coders_ = tuple(names)
    rows.append(_figures(None, None, coders_, unit, pooled))
    rows += [_figures(code_id, path, coders_, unit, tally) for code_id, path, tally in per_code]
    if m > 2:
        for index, (i, j) in enumerate(pairs):
            pair = (names[i], names[j])
            pair_rows.append(_figures(None, None, pair, unit, pooled.pair(i, j, index)))
            pair_rows += [_figures(code_id, path, pair, unit, tally.pair(i, j, index))
                          for code_id, path, tally in per_code]
    return Agreement(coders_, unit, tuple(shared), rows, pair_rows)


def _tally_characters(tally: _Tally, merged: list[list[Span]],
                      pairs: list[tuple[int, int]]) -> None:
    """Add one document's characters of one code: each coder's merged codings."""
    coded = [covered(intervals) for intervals in merged]
    for i, length in enumerate(coded):
        tally.coded[i] += length
    for index, (i, j) in enumerate(pairs):
        both = covered(intersection(merged[i], merged[j])) if merged[i] and merged[j] else 0
        tally.both[index] += both
    if tally.coders == 2:  # both is the one pair's
        tally.rated_by[2] += both
        tally.rated_by[1] += coded[0] + coded[1] - 2 * both
        return
    # How many coders cover each stretch: a sweep over the interval ends.
    events = sorted([(s, 1) for intervals in merged for s, _ in intervals]
                    + [(e, -1) for intervals in merged for _, e in intervals])
    depth, last = 0, 0
    for offset, step in events:
        if depth:
            tally.rated_by[depth] += offset - last
        depth += step
        last = offset


def _tally_units(tally: _Tally, touched: list[set[int]], pairs: list[tuple[int, int]]) -> None:
    """Add one document's units of one code: the units each coder touched."""
    for i, found in enumerate(touched):
        tally.coded[i] += len(found)
    for index, (i, j) in enumerate(pairs):
        both = len(touched[i] & touched[j])
        tally.both[index] += both
    if tally.coders == 2:  # both is the one pair's
        tally.rated_by[2] += both
        tally.rated_by[1] += len(touched[0]) + len(touched[1]) - 2 * both
        return
    raters = Counter(u for found in touched for u in found)  # unit → coders who rated it 1
    for k, units in Counter(raters.values()).items():
        tally.rated_by[k] += units


# ------------------------------------------------------------ disagreements


@dataclass(frozen=True)
class Place:
    """A stretch of a document where two coders' codings of a code differ:
    a connected run of their codings (in sentence or paragraph units: of the
    units those codings touch) that is not the same for both."""

    document_id: int
    code_id: int
    coder_a: str
    coder_b: str
    start: int  # from the first coding of either coder here
    end: int  # to the end of the last
    a: tuple[Span, ...]  # coder A's codings here, merged
    b: tuple[Span, ...]
    # The versions (VERSIONS) the reconciling coder's codings here already
    # equal, when that coder is neither A nor B and has coded here.
    reconciled: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """"only a", "only b" or "boundaries" (both coded, differently)."""
        if not self.b:
            return "only a"
        if not self.a:
            return "only b"
        return "boundaries"

    def version(self, name: str) -> list[Span]:
        """The passages of a version: A's, B's, their union or intersection."""
        if name == "a":
            return list(self.a)
        if name == "b":
            return list(self.b)
        if name == "union":
            return union(self.a + self.b)
        if name == "intersection":
            return intersection(list(self.a), list(self.b))
        raise StoreError(f"unknown version {name!r}: use {', '.join(VERSIONS)}")

    def describe(self, name: str) -> str:
        return {"a": f"{self.coder_a}'s version", "b": f"{self.coder_b}'s version",
                "union": f"the union of {self.coder_a}'s and {self.coder_b}'s",
                "intersection": f"the intersection of {self.coder_a}'s and {self.coder_b}'s",
                }.get(name, name)


def disagreements(
    db: Database,
    coder_a: str,
    coder_b: str,
    code_id: int,
    *,
    unit: str = "character",
    documents: Sequence[int] = (),
    reconciler: str | None = None,
) -> list[Place]:
    """The places where ``coder_a`` and ``coder_b`` differ on a code, in the
    documents they share, by document and offset. ``reconciler``: whose
    reconciliations to report (:attr:`Place.reconciled`)."""
    if unit not in UNITS:
        raise StoreError(f"unknown unit {unit!r}: use {', '.join(UNITS)}")
    names, _ = _checked_coders(db, [coder_a, coder_b])
    shared = shared_documents(db, names, documents)
    if not shared:
        raise _no_shared(names, documents)
    in_shared = set(shared)
    third = coder_name(reconciler) if reconciler else None
    if third in names or (third and not _known_coder(db, third)):
        third = None
    wanted = names + ([third] if third else [])
    spans = [s for s in coded_spans(db, coders=wanted, documents=documents, codes=[code_id])
             if s.document_id in in_shared]
    texts = _texts(db, sorted({s.document_id for s in spans})) if unit != "character" else {}
    places: list[Place] = []
    for document_id, group in groupby(spans, lambda s: s.document_id):
        by_coder: dict[str, list[Span]] = {name: [] for name in wanted}
        for s in group:
            by_coder[s.coder].append((s.start, s.end))
        a, b = union(by_coder[names[0]]), union(by_coder[names[1]])
        units = indexed_units(texts[document_id], unit) if unit != "character" else None
        for a_here, b_here in _components(a, b, units):
            if units is not None and _touched(units, a_here) == _touched(units, b_here):
                continue
            if units is None and a_here == b_here:
                continue
            start = min(s for s, _ in a_here + b_here)
            end = max(e for _, e in a_here + b_here)
            place = Place(document_id, code_id, names[0], names[1], start, end,
                          tuple(a_here), tuple(b_here))
            if third:
                mine = _inside(by_coder[third], start, end)
                if mine:
                    place = replace(place, reconciled=tuple(
                        v for v in VERSIONS if union(mine) == place.version(v)))
            places.append(place)
    return places


def _known_coder(db: Database, name: str) -> bool:
    return db.execute("SELECT 1 FROM coders WHERE name = ?", [name]).fetchone() is not None


def _touched(units, intervals: Sequence[Span]) -> set[int]:
    return {i for interval in intervals for i in units_touched(units, interval)}


def _components(a: list[Span], b: list[Span], units) -> list[tuple[list[Span], list[Span]]]:
    """Runs of overlapping or touching codings of A and B (each coder's
    merged), as (A's, B's) pairs. With ``units``, each coding reaches over
    the units it touches, so that two codings in one sentence are one run."""
    def reach(interval: Span) -> Span:
        if units is None:
            return interval
        touched = units_touched(units, interval)
        if not touched:
            return interval
        return min(interval[0], units[touched[0]][0]), max(interval[1], units[touched[-1]][1])

    items = sorted([(*reach(i), 0, i) for i in a] + [(*reach(i), 1, i) for i in b])
    runs: list[tuple[list[Span], list[Span]]] = []
    end = None
    for start, stop, who, interval in items:
        if end is None or start > end:
            runs.append(([], []))
            end = stop
        else:
            end = max(end, stop)
        runs[-1][who].append(interval)
    return runs


def _inside(intervals: Sequence[Span], start: int, end: int) -> list[Span]:
    return [(s, e) for s, e in intervals if start <= s and e <= end]


def reconcile(db: Database, place: Place, version: str, coder: str) -> int:
    """Adopt a version (VERSIONS) of a place as ``coder``'s: that coder's
    codings of the code inside the place are replaced by the version's
    passages, as one undoable action. A coding of theirs that straddles the
    place is cut at it: the part outside stays (the same coding, its memo
    with it; one that reaches past both ends leaves two parts, each with the
    memo). Returns how many codings the version has. The reconciling coder
    may be A or B themselves (adopting the other's version makes the place
    agree) or a third coder."""
    target = place.version(version)
    code = get_code(db, place.code_id)
    name = coder_name(coder)
    rows = db.execute(
        """SELECT codings.id, codings.start, codings."end", codings.memo FROM codings
           JOIN coders ON coders.id = codings.coder_id
           WHERE codings.document_id = ? AND codings.code_id = ? AND coders.name = ?
             AND codings.start < ? AND codings."end" > ?
           ORDER BY codings.start, codings."end" """,
        [place.document_id, place.code_id, name, place.end, place.start]).fetchall()
    inside = [row for row in rows if place.start <= row[1] and row[2] <= place.end]
    straddling = [row for row in rows if not (place.start <= row[1] and row[2] <= place.end)]
    if not straddling and [(start, end) for _, start, end, _ in inside] == target:
        raise StoreError(f"{name}'s codings of {code.path} here are already "
                         f"{place.describe(version)}")
    text = document_text(db, place.document_id)
    with action(db, f"Reconcile {code.path}: adopt {place.describe(version)}") as log:
        coder_id = ensure_coder(db, name)
        for coding_id, _, _, _ in inside:
            log.delete("codings", coding_id)
        # A memo of a coding replaced goes to the new passages it overlaps,
        # so that adopting a version loses no one's note.
        new = [NewCoding(place.document_id, place.code_id, start, end, coder_id,
                         memo=join_memos(*(memo for _, old_start, old_end, memo in inside
                                           if old_start < end and start < old_end)))
               for start, end in target]
        new += _cut_at(log, text, place, straddling, coder_id)
        write_codings(db, new, log=log, texts={place.document_id: text})
    return len(target)


def _cut_at(log, text: str, place: Place, straddling: list, coder_id: int) -> list[NewCoding]:
    """Cut each coding that straddles ``place`` at it: the coding keeps its
    first part outside (its id, UUID and memo); a second part (one reaching
    past both ends) is returned as a new coding with the same memo. A part
    that is only whitespace, or a passage the coder already has, goes."""
    kept = {(start, end) for _, start, end, _ in log.db.execute(
        """SELECT id, start, "end", memo FROM codings WHERE document_id = ? AND code_id = ?
           AND coder_id = ? AND (start >= ? OR "end" <= ?)""",
        [place.document_id, place.code_id, coder_id, place.end, place.start])}
    more: list[NewCoding] = []
    for coding_id, start, end, memo in straddling:
        parts = [span for span in (trim_span(text, start, min(end, place.start)),
                                   trim_span(text, max(start, place.end), end))
                 if span is not None and span[0] < span[1] and span not in kept]
        if not parts:
            log.delete("codings", coding_id)
            continue
        first = parts[0]
        kept.add(first)
        log.update("codings", coding_id, {"start": first[0], "end": first[1],
                                          "quote": text[first[0]:first[1]], "updated": now()})
        for part in parts[1:]:
            kept.add(part)
            more.append(NewCoding(place.document_id, place.code_id, part[0], part[1], coder_id,
                                  memo=memo or ""))
    return more
