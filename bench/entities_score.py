"""Score each entity backend against the hand-checked gold set and time it.

Run: python bench/entities_score.py [--errors]   (figures only; nothing is asserted)

For every backend that can run here ("rules", "spacy") it prints the load
time, the time to recognise all gold documents, and the precision / recall /
F1 table of :func:`margin.store.entities.scoring.format_table`. A backend that is
missing or broken is reported with the reason and skipped. ``--errors`` also
lists each backend's false positives and false negatives (labelled).
"""

from __future__ import annotations

import sys
import time
import traceback

from margin.store.entities import BACKENDS, MAIN_LABELS, EntitySpan, Recogniser, get_recogniser
from margin.store.entities.scoring import GoldDocument, format_table, gold_documents, score


def load(backend: str) -> tuple[Recogniser | None, str]:
    """The recogniser, or None and the reason it cannot run."""
    try:
        recogniser, notice = get_recogniser(backend)
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if notice is not None:  # spaCy asked for, rules given: not the backend asked for
        return None, notice
    if getattr(recogniser, "name", backend) != backend:
        return None, f"asked for {backend!r} but got {getattr(recogniser, 'name', '?')!r}"
    return recogniser, ""


def list_errors(documents: list[GoldDocument], predicted: list[list[EntitySpan]]) -> None:
    for document, entities in zip(documents, predicted, strict=True):
        gold = {(e.start, e.end, e.label): e for e in document.entities}
        pred = {(e.start, e.end, e.label): e for e in entities if e.label in MAIN_LABELS}
        missed = sorted(set(gold) - set(pred))
        extra = sorted(set(pred) - set(gold))
        print(f"  {document.name}: {len(extra)} false positives, {len(missed)} false negatives")
        for key in extra:
            print(f"    + {pred[key].label:<8} {pred[key].text!r} @{key[0]}")
        for key in missed:
            print(f"    - {gold[key].label:<8} {gold[key].text!r} @{key[0]}")


def main(argv: list[str]) -> int:
    documents = gold_documents()
    total_entities = sum(len(document.entities) for document in documents)
    total_chars = sum(len(document.text) for document in documents)
    print(f"gold set: {len(documents)} documents, {total_chars:,} characters, {total_entities} entities")
    for backend in BACKENDS:
        print(f"\n=== {backend} ===")
        started = time.perf_counter()
        recogniser, why = load(backend)
        loaded = time.perf_counter() - started
        if recogniser is None:
            print(f"skipped: {why}")
            continue
        try:
            started = time.perf_counter()
            predicted = [list(entities) for entities in recogniser.recognise_many(d.text for d in documents)]
            elapsed = time.perf_counter() - started
        except Exception:
            print("failed while recognising:")
            traceback.print_exc(limit=3, file=sys.stdout)
            continue
        bad = [
            (document.name, entity)
            for document, entities in zip(documents, predicted, strict=True)
            for entity in entities
            if document.text[entity.start : entity.end] != entity.text
        ]
        print(f"version: {getattr(recogniser, 'version', '?')}")
        print(
            f"load {loaded * 1000:.0f} ms; recognise {elapsed * 1000:.0f} ms "
            f"({total_chars / elapsed / 1000:,.0f} k chars/s)"
            if elapsed
            else f"load {loaded * 1000:.0f} ms; recognise 0 ms"
        )
        if bad:
            print(f"warning: {len(bad)} predicted spans whose text does not match the offsets, e.g. {bad[0]}")
        print(format_table(score(predicted, [d.entities for d in documents])))
        if "--errors" in argv:
            list_errors(documents, predicted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
