"""Words per second of `margin import FOLDER` with entities, today's code beside
the code before the one import flow, in the same run.

    .venv/bin/python bench/import_bench.py [--runs 3] [--documents 1000]
        [--words 1000000] [--spacy] [--spacy-documents 100] [--spacy-words 100000]
        [--baseline /work/baseline]

Prints figures and asserts nothing. The corpus is built deterministically and
offline from the sample articles in seeds/: paragraphs drawn with a fixed
random seed, a few names and places swapped per document so that documents
differ, written as ~1,000-word .txt files in a temporary folder.

Both sides run the same way: `python -m <cli> --db FRESH.db import FOLDER
--backend B` in a subprocess, timed from start to exit (interpreter start-up,
import, entity recognition and, for the new code, starting worker processes,
all included). The baseline is the tree before the change (commit f8a94d3,
where `store` and `tui` are top-level packages), run with
PYTHONPATH=BASELINE; without that folder (a CI clone) the comparison is
skipped with a note. Runs alternate between the two sides, so a busy machine
slows both alike; the ratio is taken within each pair of runs.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DEFAULT_BASELINE = Path("/work/baseline")

# Swapped per document (each document picks its own replacements), so the
# corpus is not 1,000 copies of the same names.
SWAPS = {
    "Biden": ["Biden", "Scholz", "Macron", "Sunak", "Albanese", "Trudeau", "Meloni"],
    "Putin": ["Putin", "Erdogan", "Modi", "Lula", "Ramaphosa", "Orban"],
    "Ukraine": ["Ukraine", "Georgia", "Moldova", "Armenia", "Finland", "Poland"],
    "Kyiv": ["Kyiv", "Tbilisi", "Chisinau", "Yerevan", "Helsinki", "Warsaw"],
    "Moscow": ["Moscow", "Ankara", "Beijing", "Tehran", "Minsk"],
    "Johnson": ["Johnson", "Pelosi", "McCarthy", "Schumer", "McConnell"],
}
_SWAP = re.compile(r"\b(" + "|".join(SWAPS) + r")\b")


def seed_paragraphs() -> list[str]:
    paragraphs = []
    for path in sorted(SEEDS.glob("*.txt")):
        # Some articles separate paragraphs by one newline, some by two.
        for paragraph in path.read_text(encoding="utf-8").splitlines():
            paragraph = paragraph.strip()
            if len(paragraph.split()) >= 8:
                paragraphs.append(paragraph)
    return paragraphs


def build_corpus(folder: Path, documents: int, words: int, seed: int = 20241203) -> int:
    """Write ``documents`` .txt files of about ``words / documents`` words each
    into ``folder``; return the number of words written (whitespace-separated)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paragraphs = seed_paragraphs()
    per_document = words // documents
    total = 0
    for number in range(documents):
        choice = {name: rng.choice(options) for name, options in SWAPS.items()}
        title = f"Field report {number + 1}: {' '.join(rng.choice(paragraphs).split()[:6])}"
        body = [title]
        count = len(title.split())
        while count < per_document:
            paragraph = _SWAP.sub(lambda m: choice[m.group(1)], rng.choice(paragraphs))
            size = len(paragraph.split())
            if count + size > per_document + 40 and count > per_document // 2:
                continue  # too long to end this document on; draw another
            body.append(paragraph)
            count += size
        (folder / f"report-{number:04d}.txt").write_text("\n\n".join(body) + "\n",
                                                          encoding="utf-8")
        total += count
    return total


def run_import(command: list[str], pythonpath: str | None, db: Path, folder: Path,
               backend: str) -> tuple[float, int, int]:
    """Seconds for one import in a fresh process; (seconds, documents, entities)."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    else:
        env.pop("PYTHONPATH", None)
    started = time.perf_counter()
    result = subprocess.run(
        [*command, "--db", str(db), "import", str(folder), "--backend", backend],
        capture_output=True, env=env, cwd=db.parent,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr.decode()[-2000:]}")
    with sqlite3.connect(db) as conn:
        documents = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        entities = conn.execute("SELECT COUNT(*) FROM entities").fetchone()[0]
    return seconds, documents, entities


def compare(label: str, documents: int, words: int, backend: str, runs: int,
            baseline: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="margin-import-bench-") as tmp:
        tmp_path = Path(tmp)
        folder = tmp_path / "corpus"
        written = build_corpus(folder, documents, words)
        print(f"\n{label}: {documents:,} documents, {written:,} words, backend {backend}, "
              f"{runs} runs per side (alternating)")
        sides: dict[str, tuple[list[str], str | None]] = {
            "now": ([sys.executable, "-m", "margin.tui.cli"], None),
        }
        if baseline is not None:
            sides = {"before": ([sys.executable, "-m", "tui.cli"], str(baseline)), **sides}
        rates: dict[str, list[float]] = {side: [] for side in sides}
        ratios: list[float] = []
        for run in range(runs):
            pair: dict[str, float] = {}
            for side, (command, pythonpath) in sides.items():
                db = tmp_path / f"{side}-{run}.db"
                seconds, imported, entities = run_import(command, pythonpath, db, folder, backend)
                rate = written / seconds
                rates[side].append(rate)
                pair[side] = rate
                print(f"  run {run + 1} {side:>6}: {seconds:6.2f} s  {rate:9,.0f} words/s  "
                      f"({imported:,} documents, {entities:,} entities)")
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
            if "before" in pair:
                ratios.append(pair["now"] / pair["before"])
        for side, values in rates.items():
            print(f"  {side:>6}: median {statistics.median(values):9,.0f} words/s  "
                  f"(range {min(values):,.0f}–{max(values):,.0f})")
        if ratios:
            print(f"  ratio now/before, same run: median {statistics.median(ratios):.2f}× "
                  f"(range {min(ratios):.2f}–{max(ratios):.2f}×)")
        else:
            print("  no baseline tree: comparison skipped (give --baseline PATH to the "
                  "pre-change checkout, commit f8a94d3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--spacy", action="store_true", help="also compare with spaCy")
    parser.add_argument("--spacy-documents", type=int, default=100)
    parser.add_argument("--spacy-words", type=int, default=100_000)
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    arguments = parser.parse_args()
    baseline = arguments.baseline if (arguments.baseline / "store" / "documents.py").exists() \
        else None
    print(f"margin import with entities, words/s from start to exit of `margin import`; "
          f"{os.cpu_count()} CPUs")
    if baseline is None:
        print(f"note: {arguments.baseline} not found: only today's code is measured")
    compare("rules", arguments.documents, arguments.words, "rules", arguments.runs, baseline)
    if arguments.spacy:
        compare("spaCy", arguments.spacy_documents, arguments.spacy_words, "spacy",
                arguments.runs, baseline)


if __name__ == "__main__":
    main()
