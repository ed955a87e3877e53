"""Retrieval by code combinations: the query language (what it reads, where
it says a query is wrong) and what each operator finds, against references
computed from the codings (tests/analysis_corpus.py)."""

from __future__ import annotations

import re

import pytest
from analysis_corpus import Corpus, codings_strategy
from hypothesis import HealthCheck, given, settings

from margin.store.analysis.retrieval import (
    QueryError,
    Term,
    as_passages,
    parse_query,
    retrieve,
)
from margin.store.analysis.units import unit_spans
from margin.store.codes import ensure_code_path
from margin.store.export import render

EXAMPLES = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    corpus = Corpus(tmp_path_factory.mktemp("retrieval"))
    yield corpus
    corpus.db.conn.close()


def shape(node) -> str:
    if isinstance(node, Term):
        return node.name
    unit = f"/{node.unit}" if node.unit else ""
    return f"({shape(node.left)} {node.operator}{unit} {shape(node.right)})"


@pytest.mark.parametrize(("query", "read"), [
    ("A AND B", "(A AND B)"),
    ("A OR B AND C", "(A OR (B AND C))"),
    ("A AND B NEAR C", "(A AND (B NEAR C))"),
    ("A NOT B AND C", "((A NOT B) AND C)"),
    ("A AND NOT B", "(A NOT B)"),
    ("(A OR B) NEAR/paragraph C", "((A OR B) NEAR/paragraph C)"),
    ("Use of force and more OR B", "(Use of force and more OR B)"),
    ('"Conflict > Use of force" NOT "NOT"', "(Conflict > Use of force NOT NOT)"),
    ("Conflict>Escalation  NEAR/sentence  NATO", "(Conflict > Escalation NEAR/sentence NATO)"),
    ("A NEAR B NEAR/document C", "((A NEAR B) NEAR/document C)"),
])
def test_the_query_language_reads_operators_precedence_and_names(query, read):
    assert shape(parse_query(query).root) == read


@pytest.mark.parametrize(("query", "message", "position"), [
    ("", "the query is empty", 0),
    ("   ", "the query is empty", 0),
    ("A AND", "AND needs a code after it", 2),
    ("A AND (B OR C", "this ( is not closed", 6),
    ("A OR B)", "this ) closes no (", 6),
    ("NOT A", "NOT needs a code on its left", 0),
    ("A OR NOT B", "NOT needs a code on its left", 5),
    ("AND A", "AND needs a code on each side", 0),
    ('A AND "B', "a quote is not closed", 6),
    ('A AND ""', "empty quotes", 6),
    ("A NEAR/page B", "the unit is one of sentence, paragraph, document", 2),
    ('"A" "B"', "expected AND, OR, NOT or NEAR", 4),
    ("A AND ()", "expected a code before )", 7),
    ("(" * 40 + "A" + ")" * 40, "more than 32 nested parentheses", 32),
    (" OR ".join(["A"] * 70), "more than 64 codes", 64 * len("A OR ")),
])
def test_a_query_that_cannot_be_read_says_where(query, message, position):
    with pytest.raises(QueryError, match=re.escape(message)) as caught:
        parse_query(query)
    assert caught.value.position == position


def test_unknown_and_ambiguous_codes_are_errors_at_their_place(corpus):
    with pytest.raises(QueryError, match="no code named 'Nope'") as caught:
        retrieve(corpus.db, "A AND Nope")
    assert caught.value.position == 6
    ensure_code_path(corpus.db, "B > A1")  # now "A1" is "A > A1" or "B > A1"
    try:
        with pytest.raises(QueryError, match="'A1' is ambiguous") as caught:
            retrieve(corpus.db, "B OR A1")
        assert caught.value.position == 5
        assert retrieve(corpus.db, '"A > A1" OR B') is not None  # a full path is not
    finally:
        corpus.db.execute("DELETE FROM codes WHERE id = ?",
                          [corpus.db.execute("SELECT MAX(id) FROM codes").fetchone()[0]])
        corpus.db.conn.commit()


def found(results) -> set[tuple[int, int, int]]:
    return {(r.document_id, r.start, r.end) for r in results}


def points(coding) -> set[int]:
    return set(range(coding[4], coding[5]))


def pairs(codings, left: set[int], right: set[int], same=None):
    """Every (a, b): a coding of a code in ``left``, one in ``right``, in one
    document, sharing a code point (or, with ``same``, a unit)."""
    for a in codings:
        for b in codings:
            if a[2] in left and b[2] in right and a[1] == b[1] and (
                    same(a, b) if same else points(a) & points(b)):
                yield a, b


@EXAMPLES
@given(codings_strategy)
def test_each_operator_finds_what_its_definition_says(corpus, drawn):
    codings = corpus.code(drawn)
    a, b, c = (corpus.beneath(corpus.code_ids[path]) for path in ("A", "B", "C"))
    of = lambda codes: {(x[1], x[4], x[5]) for x in codings if x[2] in codes}  # noqa: E731

    # A code: every coding of it and of the codes beneath it.
    assert found(retrieve(corpus.db, "A")) == of(a)
    assert found(retrieve(corpus.db, "A > A1")) == of(corpus.beneath(corpus.code_ids["A > A1"]))
    # OR: every passage of either.
    assert found(retrieve(corpus.db, "A OR B")) == of(a | b)
    # AND: where a passage of each overlaps (or, combined as a union, both).
    overlapping = list(pairs(codings, a, b))
    assert found(retrieve(corpus.db, "A AND B")) == {
        (x[1], max(x[4], y[4]), min(x[5], y[5])) for x, y in overlapping}
    as_union = {(x[1], min(x[4], y[4]), max(x[5], y[5])) for x, y in overlapping}
    assert found(retrieve(corpus.db, "A AND B", combine="union")) == as_union
    # NEAR: overlapping, always both passages together.
    assert found(retrieve(corpus.db, "A NEAR B")) == as_union
    # NOT: the passages of A sharing no code point with any of B.
    b_points = corpus.points([x for x in codings if x[2] in b])
    assert found(retrieve(corpus.db, "A NOT B")) == {
        (x[1], x[4], x[5]) for x in codings
        if x[2] in a and not points(x) & b_points.get(x[1], set())}
    # NEAR/paragraph: a passage of each touching one paragraph, both together.
    for unit in ("sentence", "paragraph"):
        def same_unit(x, y, unit=unit):
            return any(points(x) & u and points(y) & u for u in corpus.units(x[1], unit))
        assert found(retrieve(corpus.db, f"A NEAR/{unit} B")) == {
            (x[1], min(x[4], y[4]), max(x[5], y[5]))
            for x, y in pairs(codings, a, b, same_unit)}, unit
    # Nesting: (A AND B) OR C is the one and the other.
    assert found(retrieve(corpus.db, "(A AND B) OR C")) == \
        found(retrieve(corpus.db, "A AND B")) | of(c)
    # Every passage is the text between its offsets, with the codes that made it.
    for result in retrieve(corpus.db, "(A AND B) OR C"):
        assert result.quote == corpus.texts[result.document_id][result.start:result.end]
        assert result.codes and set(result.codes) <= {corpus.paths[i] for i in a | b | c}


def test_a_passage_says_which_codes_and_coders_made_it(corpus):
    corpus.code([(0, 1, 0, 0, 20), (0, 4, 1, 6, 30), (0, 4, 0, 6, 30)])
    # A > A1 by ana at 0-20; B by ben and by ana at 6-36.
    (hit,) = retrieve(corpus.db, "A AND B")
    assert (hit.start, hit.end, hit.quote) == (6, 20, corpus.texts[corpus.documents[0]][6:20])
    assert hit.codes == ("A > A1", "B") and hit.coders == ("ana", "ben")
    assert [r.codes for r in retrieve(corpus.db, "A AND B", coders=["ana"])] == [("A > A1", "B")]
    assert retrieve(corpus.db, "A AND B", documents=[corpus.documents[1]]) == []
    (same,) = retrieve(corpus.db, "B")  # two coders, one stretch of text: one passage
    assert same.coders == ("ana", "ben") and len(same.coding_ids) == 2


def test_near_paragraph_joins_passages_of_one_paragraph_only(corpus):
    text = corpus.texts[corpus.documents[0]]
    paragraphs = unit_spans(text, "paragraph")
    first, second = paragraphs[0], paragraphs[1]
    corpus.code([(0, 0, 0, first[0], 5), (0, 4, 0, first[1] - 5, 5), (0, 5, 0, second[0], 5)])
    (hit,) = retrieve(corpus.db, "A NEAR/paragraph B")
    assert (hit.start, hit.end) == (first[0], first[1])
    assert retrieve(corpus.db, "A NEAR/paragraph C") == []
    assert retrieve(corpus.db, "A AND B") == []  # they do not overlap


def test_retrieved_passages_are_written_in_every_export_format(corpus):
    corpus.code([(0, 0, 0, 0, 20), (0, 4, 1, 6, 30)])
    passages = as_passages(corpus.db, retrieve(corpus.db, "A AND B"))
    (passage,) = passages
    assert (passage.code, passage.coder, passage.uuid) == ("A; B", "ana; ben", "")
    assert passage.paragraph == 1
    assert "A; B" in render(passages, "csv")
    assert '"code": "A; B"' in render(passages, "jsonl")
    assert "## A; B" in render(passages, "md")
    (single,) = as_passages(corpus.db, retrieve(corpus.db, "A"))
    assert single.uuid == "coding-1"  # one coding: its own uuid
