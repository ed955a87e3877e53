"""The entity scorer, and the integrity of the hand-checked gold set."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from margin.store.entities import MAIN_LABELS, EntitySpan
from margin.store.entities.scoring import (
    GOLD_DIR,
    SEEDS_DIR,
    GoldFormatError,
    format_table,
    gold_documents,
    load_gold,
    parse_markup,
    score,
)
from margin.store.sources.textio import read_text_file

TEXT = "Putin met Trump in Moscow on Tuesday."


def span(text: str, surface: str, label: str, occurrence: int = 0) -> EntitySpan:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    return EntitySpan(start, start + len(surface), label, surface)


GOLD = [
    span(TEXT, "Putin", "PERSON"),
    span(TEXT, "Trump", "PERSON"),
    span(TEXT, "Moscow", "GPE"),
    span(TEXT, "Tuesday", "DATE"),
]


# --- the scorer on tiny hand-made cases -------------------------------------


def test_perfect_prediction_scores_one() -> None:
    scores = score([list(GOLD)], [GOLD])
    for counts in (scores.labelled_micro, scores.unlabelled_micro):
        assert (counts.precision, counts.recall, counts.f1) == (1.0, 1.0, 1.0)
    assert scores.labelled["PERSON"].f1 == 1.0
    assert scores.labelled["GPE"].gold == 1
    assert scores.labelled["MONEY"].gold == 0 and scores.labelled["MONEY"].f1 == 0.0


def test_wrong_label_counts_unlabelled_but_not_labelled() -> None:
    predicted = [*GOLD[:2], span(TEXT, "Moscow", "LOC"), GOLD[3]]
    scores = score([predicted], [GOLD])
    assert scores.labelled_micro.predicted_correct == 3
    assert scores.labelled_micro.precision == pytest.approx(3 / 4)
    assert scores.labelled_micro.recall == pytest.approx(3 / 4)
    assert scores.unlabelled_micro.f1 == 1.0
    # Labelled: a false positive for LOC and a false negative for GPE.
    assert (scores.labelled["LOC"].predicted, scores.labelled["LOC"].precision) == (1, 0.0)
    assert (scores.labelled["GPE"].gold, scores.labelled["GPE"].recall) == (1, 0.0)
    # Unlabelled: the LOC prediction is a right span and the GPE was found.
    assert scores.unlabelled["LOC"].precision == 1.0
    assert scores.unlabelled["GPE"].recall == 1.0


def test_boundary_error_is_a_false_positive_and_a_false_negative() -> None:
    text = "President Vladimir Putin spoke."
    gold = [span(text, "Vladimir Putin", "PERSON")]
    predicted = [span(text, "President Vladimir Putin", "PERSON")]
    scores = score([predicted], [gold])
    for counts in (scores.labelled_micro, scores.unlabelled_micro):
        assert (counts.predicted, counts.predicted_correct) == (1, 0)  # a false positive
        assert (counts.gold, counts.gold_found) == (1, 0)  # and a false negative
        assert counts.f1 == 0.0


def test_labels_outside_the_gold_set_are_ignored() -> None:
    text = "Two leaders met in the Oval Office."
    gold: list[EntitySpan] = []
    predicted = [span(text, "Two", "CARDINAL"), span(text, "Oval Office", "FAC")]
    scores = score([predicted], [gold])
    assert scores.labelled_micro.predicted == 0
    assert scores.unlabelled_micro.predicted == 0
    # Also when an ignored label sits on a gold span: it neither finds it nor counts.
    scores = score([[span(TEXT, "Moscow", "FAC"), *GOLD[:2], GOLD[3]]], [GOLD])
    assert scores.unlabelled_micro.predicted == 3
    assert scores.unlabelled_micro.recall == pytest.approx(3 / 4)
    assert scores.labelled_micro.precision == 1.0


def test_scores_add_up_over_documents_and_table_prints() -> None:
    other = "Kyiv said 40% on Monday."
    other_gold = [
        span(other, "Kyiv", "GPE"),
        span(other, "40%", "PERCENT"),
        span(other, "Monday", "DATE"),
    ]
    scores = score([list(GOLD), other_gold[:1]], [GOLD, other_gold])
    assert scores.documents == 2
    assert scores.labelled_micro.gold == 7
    assert scores.labelled_micro.recall == pytest.approx(5 / 7)
    assert scores.labelled_micro.precision == 1.0
    table = format_table(scores)
    assert "PERCENT" in table and "micro" in table
    with pytest.raises(ValueError):
        score([GOLD], [GOLD, GOLD])


def test_parse_markup_and_its_errors() -> None:
    text, entities = parse_markup("⟦Putin|PERSON⟧ met ⟦Trump|PERSON⟧ in ⟦Moscow|GPE⟧ on ⟦Tuesday|DATE⟧.")
    assert text == TEXT
    assert entities == GOLD
    for bad in (
        "⟦Putin|BOSS⟧ met",  # unknown label
        "⟦Putin⟧ met",  # no label
        "⟦|PERSON⟧ met",  # empty
        "⟦Putin ⟦met|ORG⟧|PERSON⟧",  # nested
        "⟦Putin|PERSON met",  # unclosed
        "Putin|PERSON⟧ met",  # unopened
    ):
        with pytest.raises(GoldFormatError):
            parse_markup(bad)


def test_gold_documents_refuse_text_that_differs_from_the_seed(tmp_path: Path) -> None:
    seed = tmp_path / "seeds"
    gold = tmp_path / "gold"
    seed.mkdir()
    gold.mkdir()
    (seed / "x.txt").write_text(TEXT + "\n", encoding="utf-8")
    marked = "⟦Putin|PERSON⟧ met ⟦Trump|PERSON⟧ in Moscow on Tuesday.\n"
    (gold / "x.ann").write_text(marked, encoding="utf-8")
    [document] = gold_documents(gold, seed)
    assert document.text == TEXT and len(document.entities) == 2
    (gold / "x.ann").write_text(marked.replace("Tuesday", "Wednesday"), encoding="utf-8")
    with pytest.raises(GoldFormatError, match="differs"):
        gold_documents(gold, seed)
    (gold / "y.ann").write_text("⟦Putin|PERSON⟧\n", encoding="utf-8")
    (gold / "x.ann").unlink()
    with pytest.raises(GoldFormatError, match="no seed"):
        gold_documents(gold, seed)


# --- integrity of the gold set -----------------------------------------------

ANN_FILES = sorted(GOLD_DIR.glob("*.ann"))


def test_gold_set_exists() -> None:
    assert len(ANN_FILES) >= 3
    assert {path.stem for path in ANN_FILES} <= {path.stem for path in SEEDS_DIR.glob("*.txt")}


@pytest.mark.parametrize("path", ANN_FILES, ids=[path.stem for path in ANN_FILES])
def test_gold_file_strips_to_the_seed_text(path: Path) -> None:
    text, entities = load_gold(path)
    assert text == read_text_file(SEEDS_DIR / f"{path.stem}.txt").text
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text


@pytest.mark.parametrize("path", ANN_FILES, ids=[path.stem for path in ANN_FILES])
def test_gold_spans_follow_the_conventions(path: Path) -> None:
    _, entities = load_gold(path)
    problems = []
    for before, after in itertools.pairwise(entities):
        if after.start < before.end:
            problems.append(f"overlap: {before} / {after}")
    for entity in entities:
        surface = entity.text
        if entity.label not in MAIN_LABELS:
            problems.append(f"label: {entity}")
        if surface != surface.strip():
            problems.append(f"whitespace at an edge: {surface!r}")
        if surface.startswith(("the ", "The ")):
            problems.append(f"leading 'the': {surface!r}")
        if surface.endswith(("'s", "’s")):
            problems.append(f"possessive inside: {surface!r}")
    assert not problems, "\n".join(problems)


def test_gold_set_size() -> None:
    documents = gold_documents()
    labels = Counter(entity.label for document in documents for entity in document.entities)
    assert sum(labels.values()) >= 300, labels
    for label in MAIN_LABELS:
        assert labels[label] >= 5, f"{label}: only {labels[label]} gold entities"
