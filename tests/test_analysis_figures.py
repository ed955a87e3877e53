"""Frequencies, co-occurrence and the matrix against straightforward
references computed from the codings themselves: sets of code points,
every pair of codings, every unit (tests/analysis_corpus.py)."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest
from analysis_corpus import CODERS, Corpus, codings_strategy
from hypothesis import HealthCheck, given, settings

from margin.store.analysis.cooccurrence import cooccurrence
from margin.store.analysis.frequencies import Totals, code_frequencies
from margin.store.analysis.matrix import code_matrix
from margin.store.analysis.retrieval import passages_behind
from margin.store.codes import ensure_code_path
from margin.store.errors import StoreError

EXAMPLES = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    corpus = Corpus(tmp_path_factory.mktemp("analysis"))
    yield corpus
    corpus.db.conn.close()


def reference_totals(corpus: Corpus, codings) -> Totals:
    points = corpus.points(codings)
    words = sum(1 for document_id, covered in points.items()
                for start, end in corpus.words(document_id)
                if covered & set(range(start, end)))
    return Totals(codings=len(codings), documents=len(points),
                  characters=sum(len(covered) for covered in points.values()), words=words)


@EXAMPLES
@given(codings_strategy)
def test_frequencies_are_the_codings_documents_and_the_union_of_code_points(corpus, drawn):
    codings = corpus.code(drawn)
    rows = code_frequencies(corpus.db)
    assert [row.path for row in rows] == [corpus.paths[i] for i in sorted(
        corpus.paths, key=lambda i: [p.casefold() for p in corpus.paths[i].split(" > ")])]
    for row in rows:
        own = [c for c in codings if c[2] == row.code_id]
        beneath = [c for c in codings if c[2] in corpus.beneath(row.code_id)]
        assert row.own == reference_totals(corpus, own), row.path
        assert row.with_subcodes == reference_totals(corpus, beneath), row.path


@EXAMPLES
@given(codings_strategy)
def test_frequencies_by_document_and_by_coder_split_the_same_figures(corpus, drawn):
    codings = corpus.code(drawn)
    for by, group_of, groups in (("document", 1, corpus.documents), ("coder", 3, CODERS)):
        rows = {(row.code_id, row.group_id): row for row in code_frequencies(corpus.db, by=by)}
        for code_id in corpus.paths:
            for group in groups:
                own = [c for c in codings if c[2] == code_id and c[group_of] == group]
                beneath = [c for c in codings
                           if c[2] in corpus.beneath(code_id) and c[group_of] == group]
                row = rows.get((code_id, group))
                if not beneath:
                    assert row is None  # no row for a group without any of them
                    continue
                assert row.own == reference_totals(corpus, own)
                assert row.with_subcodes == reference_totals(corpus, beneath)
                assert row.group == (group if by == "coder" else corpus.db.execute(
                    "SELECT title FROM documents WHERE id = ?", [group]).fetchone()[0])


def test_by_coder_codings_without_a_coder_are_coder_unknown(corpus):
    """Codings with no coder count as coder "unknown", one group with a
    coder of that name if there is one (their characters merged)."""
    corpus.code([(0, 4, 0, 0, 10), (0, 4, 1, 5, 10)])  # code B, ana 0-10, ben 5-15
    db = corpus.db
    with db.atomic():
        db.execute("INSERT INTO coders (id, uuid, name, created) "
                   "VALUES (9, 'coder-9', 'unknown', '')")
        db.execute("UPDATE codings SET coder_id = NULL WHERE start = 0")
        db.execute("UPDATE codings SET coder_id = 9 WHERE start = 5")
    try:
        rows = [row for row in code_frequencies(db, by="coder") if row.path == "B"]
        assert [(row.group, row.codings, row.characters, row.words) for row in rows] == [
            ("unknown", 2, 15, 3)]
    finally:
        with db.atomic():
            db.execute("DELETE FROM codings")
            db.execute("DELETE FROM coders WHERE id = 9")


def test_overlapping_codings_of_a_code_count_their_characters_once(corpus):
    corpus.code([(0, 4, 0, 0, 10), (0, 4, 1, 5, 10)])  # code B, ana 0-10, ben 5-15
    (row,) = [row for row in code_frequencies(corpus.db) if row.path == "B"]
    assert (row.codings, row.documents, row.characters) == (2, 1, 15)
    assert row.words == 3  # "Alpha beta gamma": gamma is touched, so it counts


@EXAMPLES
@given(codings_strategy)
def test_cooccurrence_counts_pairs_of_overlapping_codings_and_shared_units(corpus, drawn):
    codings = corpus.code(drawn)
    expected_overlap: Counter = Counter()
    for a, b in combinations(codings, 2):
        if a[1] == b[1] and a[2] != b[2] and set(range(a[4], a[5])) & set(range(b[4], b[5])):
            expected_overlap[frozenset((a[2], b[2]))] += 1
    expected = {"overlap": expected_overlap}
    for unit in ("sentence", "paragraph", "document"):
        counts: Counter = Counter()
        for document_id in corpus.documents:
            for unit_points in corpus.units(document_id, unit):
                applying = {c[2] for c in codings if c[1] == document_id
                            and unit_points & set(range(c[4], c[5]))}
                for a, b in combinations(sorted(applying), 2):
                    counts[frozenset((a, b))] += 1
        expected[unit] = counts
    for unit, counts in expected.items():
        pairs = cooccurrence(corpus.db, unit=unit)
        assert {frozenset((p.code_a_id, p.code_b_id)): p.count for p in pairs} == \
            {pair: n for pair, n in counts.items() if n}, unit
        assert all(p.count > 0 and p.code_a == corpus.paths[p.code_a_id] for p in pairs)
        assert len({(p.code_a_id, p.code_b_id) for p in pairs}) == len(pairs)


def test_cooccurrence_filters_by_code_coder_and_document(corpus):
    ids = corpus.code_ids
    corpus.code([(0, 0, 0, 0, 20), (0, 4, 0, 5, 20), (0, 5, 1, 10, 20), (1, 4, 1, 0, 30),
                 (1, 5, 1, 5, 5)])  # A, B by ana; C by ben; doc 2: B and C by ben
    pairs = {(p.code_a, p.code_b): p.count for p in cooccurrence(corpus.db)}
    assert pairs == {("A", "B"): 1, ("A", "C"): 1, ("B", "C"): 2}
    only_a = cooccurrence(corpus.db, codes=[ids["A"]])
    assert {(p.code_a, p.code_b) for p in only_a} == {("A", "B"), ("A", "C")}
    assert [(p.code_a, p.code_b) for p in cooccurrence(corpus.db, coders=["ana"])] == \
        [("A", "B")]
    assert [(p.code_a, p.code_b, p.count) for p in
            cooccurrence(corpus.db, documents=[corpus.documents[1]])] == [("B", "C", 1)]
    with pytest.raises(StoreError, match="unknown unit 'page'"):
        cooccurrence(corpus.db, unit="page")


def test_a_parent_and_its_sub_code_are_two_codes_in_cooccurrence(corpus):
    corpus.code([(0, 0, 0, 0, 20), (0, 1, 0, 5, 5)])  # A and A > A1 overlap
    assert [(p.code_a, p.code_b, p.count) for p in cooccurrence(corpus.db)] == \
        [("A", "A > A1", 1)]


@EXAMPLES
@given(codings_strategy)
def test_matrix_counts_codings_per_code_and_document_or_coder(corpus, drawn):
    codings = corpus.code(drawn)
    by_document = code_matrix(corpus.db)
    assert [key for key, _ in by_document.cols] == corpus.documents
    for (code_id, path), counts in zip(by_document.rows, by_document.counts, strict=True):
        assert path == corpus.paths[code_id]
        assert counts == [sum(1 for c in codings if c[2] == code_id and c[1] == d)
                          for d in corpus.documents]
    by_coder = code_matrix(corpus.db, cols="coders", with_subcodes=True)
    assert [key for key, _ in by_coder.cols] == sorted({c[3] for c in codings})
    for (code_id, _), counts in zip(by_coder.rows, by_coder.counts, strict=True):
        assert counts == [sum(1 for c in codings if c[2] in corpus.beneath(code_id)
                              and c[3] == coder) for coder, _ in by_coder.cols]


def test_matrix_filters_keep_the_columns_asked_for(corpus):
    corpus.code([(0, 0, 0, 0, 20), (1, 0, 1, 0, 20)])
    matrix = code_matrix(corpus.db, documents=[corpus.documents[1]])
    assert [key for key, _ in matrix.cols] == [corpus.documents[1]]
    assert matrix.counts[0] == [1]
    assert code_matrix(corpus.db, cols="coders", coders=["ben"]).cols == [("ben", "ben")]
    with pytest.raises(StoreError, match="no coder named 'bob'"):
        code_matrix(corpus.db, coders=["bob"])


@EXAMPLES
@given(codings_strategy)
def test_the_passages_behind_a_cell_are_the_codings_it_counts(corpus, drawn):
    codings = corpus.code(drawn)
    a, b = corpus.code_ids["A"], corpus.code_ids["B"]
    behind = passages_behind(corpus.db, code_id=a, document_id=corpus.documents[0],
                             coder="ana")
    assert [p.coding_id for p in behind] == [
        c[0] for c in sorted(codings, key=lambda c: (c[4], c[5], c[0]))
        if c[2] == a and c[1] == corpus.documents[0] and c[3] == "ana"]
    for p in behind:
        assert p.quote == corpus.texts[p.document_id][p.start:p.end] and p.code == "A"
    both = passages_behind(corpus.db, code_id=a, with_code_id=b)
    expected = {x[0] for x in codings for y in codings
                if {x[2], y[2]} == {a, b} and x[1] == y[1]
                and set(range(x[4], x[5])) & set(range(y[4], y[5]))}
    assert {p.coding_id for p in both} == expected
    pairs = {(p.code_a_id, p.code_b_id): p.count for p in cooccurrence(corpus.db)}
    assert bool(both) == bool(pairs.get((a, b)) or pairs.get((b, a)))


def test_codings_that_only_touch_do_not_overlap_but_share_their_sentence(corpus):
    corpus.code([(0, 0, 0, 0, 10), (0, 4, 0, 10, 6)])  # A: "Alpha beta", B: " gamma"
    assert cooccurrence(corpus.db, unit="overlap") == []
    assert [(p.code_a, p.code_b, p.count) for p in cooccurrence(corpus.db, unit="sentence")] \
        == [("A", "B", 1)]


def test_a_pair_names_first_the_code_that_comes_first_in_the_codebook(corpus):
    late = ensure_code_path(corpus.db, "Aardvark")  # made last, listed first
    try:
        corpus.code([(0, 5, 0, 0, 20)])  # C
        corpus.db.execute(
            "INSERT INTO codings (uuid, document_id, code_id, start, \"end\", quote, coder_id, "
            "created) VALUES ('late', ?, ?, 5, 10, ?, 1, '')",
            [corpus.documents[0], late, corpus.texts[corpus.documents[0]][5:10]])
        for unit in ("overlap", "sentence", "paragraph", "document"):
            assert [(p.code_a, p.code_b) for p in cooccurrence(corpus.db, unit=unit)] == \
                [("Aardvark", "C")], unit
    finally:
        corpus.db.execute("DELETE FROM codings WHERE code_id = ?", [late])
        corpus.db.execute("DELETE FROM codes WHERE id = ?", [late])
        corpus.db.conn.commit()


def test_the_passages_behind_a_cell_can_include_sub_codes(corpus):
    corpus.code([(0, 1, 0, 0, 20), (0, 4, 1, 5, 10)])  # A > A1 (ana) overlaps B (ben)
    a, b = corpus.code_ids["A"], corpus.code_ids["B"]
    assert passages_behind(corpus.db, code_id=a, with_code_id=b) == []
    behind = passages_behind(corpus.db, code_id=a, with_code_id=b, with_subcodes=True)
    assert [(p.code, p.coder, p.start) for p in behind] == [("A > A1", "ana", 0),
                                                             ("B", "ben", 5)]
    assert passages_behind(corpus.db, code_id=a, with_code_id=b, with_subcodes=True,
                           coders=["ana"]) == []  # the table's filter: ben's B is not in it
