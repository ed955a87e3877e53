"""Entity recognition throughput of each backend, in words per second.

Run: python bench/entities_bench.py [--words N] [--spacy-words N]

The seed articles (seeds/*.txt) are repeated, document by document, until
they hold N words (default 1,000,000), and each backend available through
:func:`margin.store.entities.get_recogniser` reads them with ``recognise_many``, as
margin does when it indexes a library. spaCy is far slower, so it reads a
smaller sample (default 50,000 words) and its figure is that sample's rate;
the output says so. Also printed: the time to load each backend (for the
rules: reading the gazetteers and compiling the expressions, in a fresh
process). A backend that cannot run here is reported with the reason.

A benchmark prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

from margin.store.entities import BACKENDS, Recogniser, get_recogniser  # noqa: E402
from margin.store.sources.textio import read_text_file  # noqa: E402


def seed_texts() -> list[str]:
    return [read_text_file(path).text for path in sorted((REPO / "seeds").glob("*.txt"))]


def corpus(words: int) -> tuple[list[str], int]:
    """Seed documents repeated in order until they hold at least ``words`` words."""
    seeds = seed_texts()
    counts = [len(text.split()) for text in seeds]
    documents: list[str] = []
    total = 0
    while total < words:
        for text, count in zip(seeds, counts, strict=True):
            documents.append(text)
            total += count
            if total >= words:
                break
    return documents, total


def load(backend: str) -> tuple[Recogniser | None, float, str]:
    """(recogniser, seconds to load, reason it cannot run)."""
    started = time.perf_counter()
    try:
        recogniser, notice = get_recogniser(backend)
    except Exception as exc:
        return None, 0.0, f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - started
    if notice is not None:
        return None, elapsed, notice
    if getattr(recogniser, "name", backend) != backend:
        return None, elapsed, f"asked for {backend!r}, got {getattr(recogniser, 'name', '?')!r}"
    return recogniser, elapsed, ""


def gazetteer_read_ms() -> float:
    """Time to read and index every gazetteer file once more (uncached)."""
    from margin.store.entities import gazetteers

    started = time.perf_counter()
    gazetteers.load.__wrapped__()
    return (time.perf_counter() - started) * 1000


def measure(recogniser: Recogniser, documents: list[str], words: int) -> tuple[float, float, int]:
    """(words per wall-clock second, per CPU second, entities) for one pass.

    The CPU figure is the steadier one on a shared machine; the wall-clock one
    is what a user waits for.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    entities = sum(len(found) for found in recogniser.recognise_many(documents))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return words / elapsed, words / cpu if cpu else float("inf"), entities


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--spacy-words", type=int, default=50_000)
    args = parser.parse_args(argv)
    for backend in BACKENDS:
        print(f"=== {backend} ===")
        recogniser, loaded, why = load(backend)
        if recogniser is None:
            print(f"skipped: {why}")
            continue
        print(f"version: {recogniser.version}")
        print(f"load: {loaded * 1000:.0f} ms")
        if backend == "rules":
            print(f"  of which reading the gazetteers: {gazetteer_read_ms():.0f} ms")
        target = args.words if backend == "rules" else args.spacy_words
        if target <= 0:
            print("not measured (0 words asked for)")
            continue
        documents, words = corpus(target)
        try:
            rate, cpu_rate, entities = measure(recogniser, documents, words)
        except Exception as exc:
            print(f"failed while recognising: {type(exc).__name__}: {exc}")
            continue
        sample = "" if words >= args.words else f" (a {words:,}-word sample; rate, not a full run)"
        print(f"{len(documents):,} documents, {words:,} words{sample}")
        print(f"throughput: {rate:,.0f} words/s ({cpu_rate:,.0f} per CPU second)")
        print(f"entities found: {entities:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
