"""Scoring entity recognisers against the hand-checked gold set.

The gold set (``tests/data/entities/gold/*.ann``) is each seed article's text
with every entity wrapped inline as ``⟦surface text|LABEL⟧``; removing the
markup gives the text margin stores, exactly. See
``tests/data/entities/CONVENTIONS.md`` for what is annotated and how.

Two scores, each per label and micro-averaged over all labels:

* **labelled**: a prediction is correct when its span (start and end) and its
  label both equal a gold entity's;
* **unlabelled**: only the span has to match. Per label, precision is over the
  predictions with that label and recall over the gold entities with it.

Only the eight labels the gold annotates (:data:`MAIN_LABELS`) are scored:
predictions with any other label (CARDINAL, FAC, …) are dropped first, in
both modes, since the gold set says nothing about them.

Pure Python, no third-party imports, so it runs wherever the store does.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from margin.store.entities import MAIN_LABELS, EntitySpan
from margin.store.sources.textio import normalise_text, read_text_file

OPEN = "\u27e6"  # ⟦
CLOSE = "\u27e7"  # ⟧
SEPARATOR = "|"

_REPO = Path(__file__).resolve().parent.parent.parent
GOLD_DIR = _REPO / "tests" / "data" / "entities" / "gold"
SEEDS_DIR = _REPO / "seeds"

_MARKUP = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*){CLOSE}")


class GoldFormatError(ValueError):
    """A gold file that is malformed or does not match its seed text."""


@dataclass(frozen=True)
class GoldDocument:
    name: str
    ann_path: Path
    seed_path: Path
    text: str
    entities: tuple[EntitySpan, ...]


def parse_markup(
    markup: str, *, source: str = "<markup>", labels: Collection[str] | None = MAIN_LABELS
) -> tuple[str, list[EntitySpan]]:
    """Split ``⟦surface|LABEL⟧`` markup into plain text and its entities
    (``labels``: those allowed after the bar; None: any word, such as the
    grouping gold set's person ids)."""
    pieces: list[str] = []
    entities: list[EntitySpan] = []
    length = 0  # len("".join(pieces)), kept as we go
    position = 0
    for match in _MARKUP.finditer(markup):
        before = markup[position : match.start()]
        if OPEN in before or CLOSE in before:
            stray = before.find(OPEN if OPEN in before else CLOSE)
            _fail(source, markup, position + stray, "unbalanced or nested markup")
        pieces.append(before)
        length += len(before)
        surface, separator, label = match.group(1).rpartition(SEPARATOR)
        where = match.start()
        if not separator:
            _fail(source, markup, where, f"no '|LABEL' in {match.group()!r}")
        if labels is not None and label not in labels:
            _fail(source, markup, where, f"label {label!r} is not one of {', '.join(MAIN_LABELS)}")
        if not surface:
            _fail(source, markup, where, "empty entity")
        entities.append(EntitySpan(length, length + len(surface), label, surface))
        pieces.append(surface)
        length += len(surface)
        position = match.end()
    rest = markup[position:]
    if OPEN in rest or CLOSE in rest:
        _fail(source, markup, position + max(rest.find(OPEN), rest.find(CLOSE)), "unbalanced markup")
    pieces.append(rest)
    return "".join(pieces), entities


def load_gold(path: str | os.PathLike[str]) -> tuple[str, list[EntitySpan]]:
    """The plain text of one ``.ann`` file and its gold entities, in order."""
    with open(path, encoding="utf-8", newline="") as handle:
        markup = normalise_text(handle.read())
    return parse_markup(markup, source=os.fspath(path))


def gold_documents(
    directory: str | os.PathLike[str] = GOLD_DIR,
    seeds: str | os.PathLike[str] = SEEDS_DIR,
) -> list[GoldDocument]:
    """Every ``<seed>.ann`` in ``directory``, checked against ``seeds/<seed>.txt``.

    Raises :class:`GoldFormatError` when a gold file has no seed, or when its
    text with the markup removed is not exactly the text margin stores for
    that seed (so offsets into one are offsets into the other).
    """
    documents = []
    for ann_path in sorted(Path(directory).glob("*.ann")):
        seed_path = Path(seeds) / f"{ann_path.stem}.txt"
        if not seed_path.is_file():
            raise GoldFormatError(f"{ann_path}: no seed article {seed_path}")
        text, entities = load_gold(ann_path)
        expected = read_text_file(seed_path).text
        if text != expected:
            at = next(
                (i for i, (a, b) in enumerate(zip(text, expected, strict=False)) if a != b),
                min(len(text), len(expected)),
            )
            raise GoldFormatError(
                f"{ann_path}: text without markup differs from {seed_path.name} at "
                f"character {at}: gold {text[at : at + 40]!r} vs seed {expected[at : at + 40]!r}"
            )
        documents.append(GoldDocument(ann_path.stem, ann_path, seed_path, text, tuple(entities)))
    return documents


def _fail(source: str, markup: str, where: int, message: str) -> None:
    line = markup.count("\n", 0, where) + 1
    raise GoldFormatError(f"{source}, line {line}: {message}: …{markup[max(0, where - 30) : where + 50]!r}")


@dataclass
class Counts:
    """Matches for one label (or all): precision and recall have their own numerators.

    In labelled scoring both numerators are the true positives; in unlabelled
    per-label scoring a span predicted as ORG that is gold GPE counts as a
    correct ORG prediction and as a found GPE entity.
    """

    gold: int = 0
    predicted: int = 0
    predicted_correct: int = 0
    gold_found: int = 0

    @property
    def precision(self) -> float:
        return self.predicted_correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.gold_found / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __iadd__(self, other: Counts) -> Counts:
        self.gold += other.gold
        self.predicted += other.predicted
        self.predicted_correct += other.predicted_correct
        self.gold_found += other.gold_found
        return self


@dataclass
class Scores:
    labels: tuple[str, ...]
    labelled: dict[str, Counts] = field(default_factory=dict)
    unlabelled: dict[str, Counts] = field(default_factory=dict)
    labelled_micro: Counts = field(default_factory=Counts)
    unlabelled_micro: Counts = field(default_factory=Counts)
    documents: int = 0


def score(
    predicted: Sequence[Iterable[EntitySpan]],
    gold: Sequence[Iterable[EntitySpan]],
    labels: Sequence[str] = MAIN_LABELS,
) -> Scores:
    """Score ``predicted[i]`` against ``gold[i]`` for every document ``i``.

    Spans are compared by (start, end) code-point offsets; duplicates count
    once. Predictions with a label outside ``labels`` are ignored.
    """
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predicted documents but {len(gold)} gold documents")
    scores = Scores(tuple(labels))
    for label in labels:
        scores.labelled[label] = Counts()
        scores.unlabelled[label] = Counts()
    wanted = set(labels)
    for predicted_doc, gold_doc in zip(predicted, gold, strict=True):
        scores.documents += 1
        pred = {(e.start, e.end, e.label) for e in predicted_doc if e.label in wanted}
        want = {(e.start, e.end, e.label) for e in gold_doc if e.label in wanted}
        pred_spans = {(s, e) for s, e, _ in pred}
        gold_spans = {(s, e) for s, e, _ in want}
        unlabelled_micro = Counts(
            gold=len(gold_spans),
            predicted=len(pred_spans),
            predicted_correct=len(pred_spans & gold_spans),
            gold_found=len(pred_spans & gold_spans),
        )
        scores.unlabelled_micro += unlabelled_micro
        for start, end, label in pred:
            scores.labelled[label].predicted += 1
            scores.unlabelled[label].predicted += 1
            if (start, end, label) in want:
                scores.labelled[label].predicted_correct += 1
            if (start, end) in gold_spans:
                scores.unlabelled[label].predicted_correct += 1
        for start, end, label in want:
            scores.labelled[label].gold += 1
            scores.unlabelled[label].gold += 1
            if (start, end, label) in pred:
                scores.labelled[label].gold_found += 1
            if (start, end) in pred_spans:
                scores.unlabelled[label].gold_found += 1
    for counts in scores.labelled.values():
        scores.labelled_micro += counts
    return scores


def format_table(scores: Scores) -> str:
    """A plain-text table: one row per label, then the micro average."""
    header = (
        f"{'label':<8} {'gold':>5} {'pred':>5} {'right':>5}   "
        f"{'P':>5} {'R':>5} {'F1':>5}   {'span P':>6} {'span R':>6} {'spanF1':>6}"
    )
    lines = [
        f"{'':<26}   {'labelled':^17}   {'unlabelled (span only)':^20}",
        header,
        "-" * len(header),
    ]

    def row(name: str, labelled: Counts, unlabelled: Counts) -> str:
        return (
            f"{name:<8} {labelled.gold:>5} {labelled.predicted:>5} {labelled.predicted_correct:>5}   "
            f"{labelled.precision:>5.3f} {labelled.recall:>5.3f} {labelled.f1:>5.3f}   "
            f"{unlabelled.precision:>6.3f} {unlabelled.recall:>6.3f} {unlabelled.f1:>6.3f}"
        )

    for label in scores.labels:
        lines.append(row(label, scores.labelled[label], scores.unlabelled[label]))
    lines.append("-" * len(header))
    lines.append(row("micro", scores.labelled_micro, scores.unlabelled_micro))
    return "\n".join(lines)


# ------------------------------------------------------------------ grouping

GROUPING_GOLD = _REPO / "tests" / "data" / "entities" / "grouping_gold.txt"


@dataclass(frozen=True)
class GroupingGold:
    """Documents whose person mentions say who they are (grouping_gold.txt)."""

    names: dict[int, str]  # document id → the name after "==="
    texts: dict[int, str]
    mentions: list  # of grouping.Mention, all PERSON
    people: dict[tuple[int, int, int], str]  # (document, start, end) → person id


def read_grouping_gold(path: str | os.PathLike[str] = GROUPING_GOLD) -> GroupingGold:
    """The grouping gold set: ``=== name`` starts a document, every person
    mention is ``⟦surface|person-id⟧``, ``#`` lines are comments."""
    from margin.store.entities.grouping import Mention

    names: dict[int, str] = {}
    bodies: dict[int, list[str]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("=== "):
            document_id = len(names) + 1
            names[document_id] = line[4:].strip()
            bodies[document_id] = []
        elif names:
            bodies[len(names)].append(line)
    texts: dict[int, str] = {}
    mentions = []
    people: dict[tuple[int, int, int], str] = {}
    for document_id, lines in bodies.items():
        text, spans = parse_markup("\n".join(lines).strip(), labels=None,
                                   source=f"{path}: {names[document_id]}")
        texts[document_id] = text
        for span in spans:
            mentions.append(Mention(document_id, span.start, span.end, "PERSON", span.text))
            people[(document_id, span.start, span.end)] = span.label
    return GroupingGold(names, texts, mentions, people)


@dataclass(frozen=True)
class PairScores:
    """Pairs of mentions grouped together: of one person (right) or of two
    (wrong); and the pairs of one person in the gold set."""

    right: int
    wrong: int
    gold: int
    wrong_pairs: tuple = ()  # (surface, person, surface, person, document) examples

    @property
    def precision(self) -> float:
        grouped = self.right + self.wrong
        return self.right / grouped if grouped else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.gold if self.gold else 1.0


def grouping_pair_scores(groups: Iterable, people: dict[tuple[int, int, int], str]) -> PairScores:
    """Score a grouping (groups of mentions) against the gold persons."""
    right = wrong = 0
    examples = []
    for group in groups:
        persons = Counter(people[(m.document_id, m.start, m.end)] for m in group.mentions)
        total = sum(persons.values())
        same = sum(n * (n - 1) // 2 for n in persons.values())
        right += same
        wrong += total * (total - 1) // 2 - same
        if len(persons) > 1:
            seen = {}
            for m in group.mentions:
                seen.setdefault(people[(m.document_id, m.start, m.end)], m)
            (a_person, a), (b_person, b) = list(seen.items())[:2]
            examples.append((a.text, a_person, b.text, b_person, group.canonical))
    totals = Counter(people.values())
    gold = sum(n * (n - 1) // 2 for n in totals.values())
    return PairScores(right, wrong, gold, tuple(examples))
