"""Agreement figures against the reference implementations: scikit-learn's
``cohen_kappa_score`` and the ``krippendorff`` package, on ratings expanded
unit by unit in the test (the straightforward way the store never takes),
for generated codings in every unit; and the places two coders differ, and
reconciling them."""

from __future__ import annotations

import itertools
import math
import random
import warnings

import krippendorff
import pytest
from helpers import make_two_coder_project
from sklearn.metrics import cohen_kappa_score

from margin.store.analysis.agreement import (
    KAPPA_PAIRS,
    NO_VARIATION,
    agreement,
    disagreements,
    reconcile,
    shared_documents,
)
from margin.store.analysis.units import unit_spans
from margin.store.codes import create_code, find_code
from margin.store.codings import NewCoding, apply_coding, ensure_coder, write_codings
from margin.store.db import open_database
from margin.store.documents import document_text, import_text
from margin.store.errors import StoreError
from margin.store.history import undo, writing
from margin.store.sources.textio import DecodedText
from margin.store.textspans import trim_span

WORDS = ("talks", "resumed", "in", "Geneva", "after", "the", "ceasefire", "held", "for",
         "three", "days", "while", "observers", "counted", "shells", "near", "town")


def _text(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.randint(1, 4)):
        sentences = []
        for _ in range(rng.randint(1, 4)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(3, 9))]
            sentences.append(" ".join(words).capitalize() + ".")
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Six documents, three codes, three coders; the codings are written by
    each test (``_code_randomly``)."""
    db = open_database(tmp_path_factory.mktemp("agreement") / "a.db")
    rng = random.Random(13)
    for _ in range(6):
        import_text(db, DecodedText(_text(rng), "utf-8", False), source="test", clean=False)
    parent = create_code(db, "Conflict")
    codes = [parent, create_code(db, "Talks", parent_id=parent), create_code(db, "Aid")]
    coders = {name: ensure_coder(db, name) for name in ("ana", "ben", "cy")}
    yield db, codes, coders
    db.close()


def _clear(db) -> None:
    with writing(db):
        db.execute("DELETE FROM codings")
        db.execute("DELETE FROM history")


def _random_spans(rng: random.Random, text: str, count: int) -> list[tuple[int, int]]:
    spans = []
    while len(spans) < count:
        start = rng.randrange(len(text))
        trimmed = trim_span(text, start, min(len(text), start + rng.randint(1, 120)))
        if trimmed:
            spans.append(trimmed)
    return spans


def _code_randomly(db, codes, coders, seed: int, *, mode: str = "random") -> None:
    """Codings of documents 1–4 by every coder (document 5 by ana only,
    document 6 by nobody). ``mode``: "random" (each coder their own),
    "identical" (every coder the same), "disjoint" (each coder their own code)."""
    _clear(db)
    rng = random.Random(seed)
    rows = []
    for document_id in range(1, 5):
        text = document_text(db, document_id)
        shared = {code: _random_spans(rng, text, rng.randint(1, 4)) for code in codes}
        for index, coder_id in enumerate(coders.values()):
            mine = []
            for position, code in enumerate(codes):
                if mode == "identical":
                    spans = shared[code]
                elif mode == "disjoint":
                    spans = shared[code] if position == index else []
                else:
                    spans = _random_spans(rng, text, rng.randint(0, 5))
                mine += [NewCoding(document_id, code, s, e, coder_id) for s, e in spans]
            if not mine:  # every coder codes documents 1–4 (with some code)
                mine = [NewCoding(document_id, codes[-1], *_random_spans(rng, text, 1)[0],
                                  coder_id)]
            rows += mine
    text = document_text(db, 5)
    rows += [NewCoding(5, codes[0], s, e, coders["ana"]) for s, e in _random_spans(rng, text, 3)]
    write_codings(db, rows)


def _ratings(db, coder: str, code_id: int, unit: str, documents) -> list[int]:
    """One 0/1 rating per unit, unit by unit: the reference."""
    ratings = []
    spans_of = {}
    for (document_id, start, end) in db.execute(
            """SELECT document_id, start, "end" FROM codings JOIN coders
               ON coders.id = codings.coder_id WHERE coders.name = ? AND code_id = ?""",
            [coder, code_id]):
        spans_of.setdefault(document_id, []).append((start, end))
    for document_id in documents:
        text = document_text(db, document_id)
        mine = spans_of.get(document_id, [])
        if unit == "character":
            covered = set()
            for start, end in mine:
                covered.update(range(start, end))
            ratings += [int(i in covered) for i in range(len(text))]
        else:
            for u_start, u_end in unit_spans(text, unit):
                ratings.append(int(any(s < u_end and u_start < e for s, e in mine)))
    return ratings


def _pooled(db, coder: str, report, row, unit: str) -> list[int]:
    """The ratings behind a row: its code's, or every code's of the report
    one after the other (the pooled row)."""
    ids = [row.code_id] if row.code_id is not None else [
        r.code_id for r in report.rows if r.code_id is not None]
    ratings = []
    for code_id in ids:
        ratings += _ratings(db, coder, code_id, unit, report.documents)
    return ratings


def _reference_kappa(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = cohen_kappa_score(a, b)
    return None if math.isnan(value) else value


def _reference_alpha(*ratings):
    try:
        return krippendorff.alpha(reliability_data=[list(r) for r in ratings],
                                  level_of_measurement="nominal")
    except ValueError:  # one value in the domain: no variation
        return None


def _close(ours, reference) -> bool:
    if reference is None:
        return ours is None
    return ours is not None and math.isclose(ours, reference, abs_tol=1e-9)


SCENARIOS = [("random", seed) for seed in range(6)] + [("identical", 1), ("disjoint", 2)]


@pytest.mark.parametrize("unit", ["character", "sentence", "paragraph"])
@pytest.mark.parametrize(("mode", "seed"), SCENARIOS)
def test_two_coders_kappa_alpha_and_agreement_match_the_references(corpus, unit, mode, seed):
    db, codes, coders = corpus
    _code_randomly(db, codes, coders, seed, mode=mode)
    report = agreement(db, ["ana", "ben"], unit=unit)
    shared = shared_documents(db, ["ana", "ben"])
    assert shared == [1, 2, 3, 4]  # 5: only ana; 6: nobody
    assert list(report.documents) == shared
    pooled_a, pooled_b = [], []
    rows = {row.code_id: row for row in report.rows}
    for code_id in [c for c in codes if c in rows]:
        a = _ratings(db, "ana", code_id, unit, shared)
        b = _ratings(db, "ben", code_id, unit, shared)
        pooled_a += a
        pooled_b += b
        row = rows[code_id]
        assert row.units == len(a)
        assert row.coded == (sum(a), sum(b))
        assert _close(row.kappa, _reference_kappa(a, b)), (row, code_id)
        assert _close(row.alpha, _reference_alpha(a, b)), (row, code_id)
        assert math.isclose(row.agreement, sum(x == y for x, y in zip(a, b, strict=True)) / len(a))
        assert (row.note == NO_VARIATION) == (row.alpha is None)
    pooled = rows[None]
    assert pooled.code is None and pooled.units == len(pooled_a)
    assert _close(pooled.kappa, _reference_kappa(pooled_a, pooled_b))
    assert _close(pooled.alpha, _reference_alpha(pooled_a, pooled_b))
    if mode == "identical":
        assert all(row.agreement == 1 for row in report.rows)
        assert all(row.kappa in (1, None) for row in report.rows)
    if mode == "disjoint":
        assert pooled.kappa is not None and pooled.kappa <= 0


@pytest.mark.parametrize("unit", ["character", "sentence"])
def test_three_coders_alpha_over_all_and_kappa_for_each_pair(corpus, unit):
    db, codes, coders = corpus
    _code_randomly(db, codes, coders, 7)
    names = ["ana", "ben", "cy"]
    report = agreement(db, names, unit=unit)
    shared = list(report.documents)
    assert shared == shared_documents(db, names) == [1, 2, 3, 4]
    for row in report.rows:
        ratings = [_pooled(db, name, report, row, unit) for name in names]
        assert row.kappa is None and KAPPA_PAIRS in row.note
        assert _close(row.alpha, _reference_alpha(*ratings)), row
        pairs_agreeing = sum(x == y for i in range(3) for j in range(i + 1, 3)
                             for x, y in zip(ratings[i], ratings[j], strict=True))
        assert math.isclose(row.agreement, pairs_agreeing / (3 * len(ratings[0])))
        assert row.record()["coders"] == names and len(row.record()["coded"]) == 3
    assert {row.coders for row in report.pairs} == {("ana", "ben"), ("ana", "cy"),
                                                    ("ben", "cy")}
    for row in report.pairs:
        a, b = (_pooled(db, name, report, row, unit) for name in row.coders)
        assert _close(row.kappa, _reference_kappa(a, b)), row
        assert _close(row.alpha, _reference_alpha(a, b)), row


def test_code_filter_is_the_code_itself_not_its_sub_codes(corpus):
    db, codes, coders = corpus
    _code_randomly(db, codes, coders, 3)
    parent = codes[0]
    report = agreement(db, ["ana", "ben"], codes=[parent])
    assert [row.code for row in report.rows] == [None, "Conflict"]
    a = _ratings(db, "ana", parent, "character", report.documents)
    assert report.rows[1].coded[0] == sum(a)
    assert report.rows[0].kappa == report.rows[1].kappa  # pooled over the one code
    narrowed = agreement(db, ["ana", "ben"], documents=[2, 5, 6])
    assert narrowed.documents == (2,)


def test_mistakes_are_one_line_errors(corpus):
    db, codes, coders = corpus
    _code_randomly(db, codes, coders, 4)
    with pytest.raises(StoreError, match="two coders or more"):
        agreement(db, ["ana"])
    with pytest.raises(StoreError, match="two coders or more"):
        agreement(db, ["ana", "ana"])
    with pytest.raises(StoreError, match="no coder named 'zed'; coders: ana, ben, cy"):
        agreement(db, ["ana", "zed"])
    with pytest.raises(StoreError, match="no document among the documents given was coded by "
                                         "ana and ben"):
        agreement(db, ["ana", "ben"], documents=[5, 6])
    with pytest.raises(StoreError, match="unknown unit 'word'"):
        agreement(db, ["ana", "ben"], unit="word")


def test_places_where_two_coders_differ_and_reconciling_them(corpus):
    db, codes, coders = corpus
    _clear(db)
    text = document_text(db, 1)
    code = codes[2]
    words = [(m_start, m_start + len(w)) for m_start, w in _word_offsets(text)][:12]
    # ana: words 0-1 and 6; ben: words 1-2 (a different boundary) and 9 (only ben).
    both_agree = (words[4][0], words[4][1])
    for coder, spans in (("ana", [(words[0][0], words[1][1]), (words[6][0], words[6][1]),
                                  both_agree]),
                         ("ben", [(words[1][0], words[2][1]), (words[9][0], words[9][1]),
                                  both_agree])):
        for start, end in spans:
            apply_coding(db, 1, code, start, end, coder)
    places = disagreements(db, "ana", "ben", code)
    assert [(p.kind, p.start, p.end) for p in places] == [
        ("boundaries", words[0][0], words[2][1]),
        ("only a", words[6][0], words[6][1]),
        ("only b", words[9][0], words[9][1]),
    ]
    boundaries = places[0]
    assert boundaries.version("union") == [(words[0][0], words[2][1])]
    assert boundaries.version("intersection") == [words[1]]
    # ana adopts ben's version: the place agrees, one undoable action.
    reconcile(db, boundaries, "b", "ana")
    assert [p.kind for p in disagreements(db, "ana", "ben", code)] == ["only a", "only b"]
    assert undo(db).startswith("Reconcile Aid: adopt ben's version")
    assert len(disagreements(db, "ana", "ben", code)) == 3
    # A third coder adopts the union: the place stays, marked as reconciled.
    reconcile(db, boundaries, "union", "cy")
    again = disagreements(db, "ana", "ben", code, reconciler="cy")
    assert again[0].reconciled == ("union",)
    with pytest.raises(StoreError, match="already the union"):
        reconcile(db, again[0], "union", "cy")
    reconcile(db, again[0], "intersection", "cy")
    cy = db.execute("""SELECT start, "end" FROM codings WHERE coder_id = ?""",
                    [coders["cy"]]).fetchall()
    assert [tuple(row) for row in cy] == [words[1]]


def test_in_sentences_and_paragraphs_a_place_is_where_the_units_touched_differ(tmp_path):
    make_two_coder_project(tmp_path / "team.db")
    db = open_database(tmp_path / "team.db")
    talks = find_code(db, "Talks").id
    by_character = disagreements(db, "ana", "ben", talks)
    assert [p.kind for p in by_character] == ["only a", "boundaries", "only b"]
    # "Moscow said the talks were over" (ana) and "the talks were over" (ben):
    # one sentence, one paragraph, so in those units they agree there.
    for unit in ("sentence", "paragraph"):
        places = disagreements(db, "ana", "ben", talks, unit=unit)
        assert [(p.kind, p.document_id) for p in places] == [("only a", 1), ("only b", 2)]
    report = agreement(db, ["ana", "ben"], unit="sentence", codes=[talks])
    assert report.rows[1].coded == (2, 2) and report.rows[1].units == 6  # 4 + 2 sentences
    db.close()


def _word_offsets(text: str):
    import re

    return [(m.start(), m.group()) for m in re.finditer(r"\w+", text)]


def test_adopting_a_version_keeps_the_memos_of_the_codings_it_replaces(corpus):
    db, codes, _ = corpus
    _clear(db)
    text = document_text(db, 1)
    code = codes[2]
    words = [(start, start + len(w)) for start, w in _word_offsets(text)][:6]
    first = apply_coding(db, 1, code, words[0][0], words[1][1], "ana")
    from margin.store.codings import set_coding_memo

    set_coding_memo(db, first, "ana's note on why")
    apply_coding(db, 1, code, words[0][0], words[2][1], "ben")
    place = disagreements(db, "ana", "ben", code)[0]
    reconcile(db, place, "b", "ana")
    adopted = db.execute(
        "SELECT start, memo FROM codings JOIN coders ON coders.id = coder_id "
        "WHERE name = 'ana'").fetchall()
    assert adopted == [(words[0][0], "ana's note on why")]


def test_adopting_a_version_cuts_the_reconcilers_codings_that_straddle_the_place(corpus):
    """cy coded from before the place into it, and from inside it past its
    end: adopting a version cuts both at the place (the parts outside kept,
    with their memos), so cy has no overlapping codings of the code; one
    action, undone at once."""
    from margin.store.codings import set_coding_memo

    db, codes, coders = corpus
    _clear(db)
    text = document_text(db, 1)
    code = codes[2]
    words = [(start, start + len(w)) for start, w in _word_offsets(text)][:12]
    apply_coding(db, 1, code, words[3][0], words[4][1], "ana")
    apply_coding(db, 1, code, words[4][0], words[6][1], "ben")
    left = apply_coding(db, 1, code, words[1][0], words[3][1], "cy")  # in from before
    set_coding_memo(db, left, "cy: the lead-in")
    right = apply_coding(db, 1, code, words[6][0], words[8][1], "cy")  # out past the end
    set_coding_memo(db, right, "cy: what followed")

    def cy() -> list[tuple]:
        return [tuple(row) for row in db.execute(
            'SELECT start, "end", quote, memo FROM codings WHERE coder_id = ? '
            'ORDER BY start', [coders["cy"]])]

    before = cy()
    [place] = disagreements(db, "ana", "ben", code)
    assert (place.start, place.end) == (words[3][0], words[6][1])
    reconcile(db, place, "union", "cy")
    after = cy()
    assert [(start, end, memo) for start, end, _, memo in after] == [
        (words[1][0], words[2][1], "cy: the lead-in"),  # cut at the place
        (words[3][0], words[6][1], ""),  # the version
        (words[7][0], words[8][1], "cy: what followed"),
    ]
    assert all(quote == text[start:end] for start, end, quote, _ in after)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(after))  # no overlaps
    assert disagreements(db, "ana", "ben", code, reconciler="cy")[0].reconciled == ("union",)
    assert undo(db).startswith("Reconcile Aid: adopt the union")
    assert cy() == before
    # One coding reaching past both ends: two parts outside, each with its memo.
    with writing(db):
        db.execute("DELETE FROM codings WHERE coder_id = ?", [coders["cy"]])
    wide = apply_coding(db, 1, code, words[2][0], words[8][1], "cy")
    set_coding_memo(db, wide, "cy: the whole exchange")
    reconcile(db, place, "a", "cy")
    assert [(start, end, memo) for start, end, _, memo in cy()] == [
        (words[2][0], words[2][1], "cy: the whole exchange"),
        (words[3][0], words[4][1], ""),
        (words[7][0], words[8][1], "cy: the whole exchange"),
    ]
