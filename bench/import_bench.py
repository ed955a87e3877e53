"""Words per second of `margin import FOLDER` with entities, today's code beside
the code before the one import flow, in the same run.

    .venv/bin/python bench/import_bench.py [--runs 3] [--documents 1000]
        [--words 1000000] [--spacy] [--spacy-documents 100] [--spacy-words 100000]
        [--baseline /work/baseline]

Prints figures and asserts nothing. The corpus is built deterministically and
offline from the sample articles in seeds/: paragraphs drawn with a fixed
random seed, a few names and places swapped per document so that documents
differ, written as ~1,000-word .txt files in a temporary folder.

Sides, each a fresh process timed from start to exit (interpreter start-up,
import, entity recognition and starting worker processes, all included):

* before: `python -m tui.cli --db FRESH.db import FOLDER --backend B` in the
  tree before the one import flow (commit f8a94d3, where `store` and `tui`
  are top-level packages), with PYTHONPATH=BASELINE. Without that folder (a
  CI clone) it is skipped with a note.
* now: `python -m margin.tui.cli --db FRESH.db import FOLDER --backend B`.
* 1 proc: today's flow with worker processes turned off (ImportOptions
  workers=0), to show what the processes add.

Runs take the sides in turn, so a busy machine slows all alike; ratios are
taken within each run, and medians and ranges over the runs are printed.
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
            paragraph = _SWAP.sub(lambda m, choice=choice: choice[m.group(1)], rng.choice(paragraphs))
            size = len(paragraph.split())
            if count + size > per_document + 40 and count > per_document // 2:
                continue  # too long to end this document on; draw another
            body.append(paragraph)
            count += size
        (folder / f"report-{number:04d}.txt").write_text("\n\n".join(body) + "\n",
                                                          encoding="utf-8")
        total += count
    return total


# "now" in one process: today's flow with worker processes turned off, the
# way the command line runs it otherwise (a fresh interpreter, the database
# opened, the report printed), to show what the processes add.
ONE_PROCESS = """
import sys
from margin.store.db import open_database
from margin.store.importing import ImportOptions, run_import
db_path, folder, backend = sys.argv[1:4]
report = run_import(open_database(db_path), [folder], ImportOptions(backend=backend, workers=0))
print("\\n".join(report.lines()))
"""


def sides(baseline: Path | None) -> dict[str, tuple[list[str], str | None]]:
    """Each side's command before its arguments, and its PYTHONPATH."""
    found = {}
    if baseline is not None:
        found["before"] = ([sys.executable, "-m", "tui.cli"], str(baseline))
    found["now"] = ([sys.executable, "-m", "margin.tui.cli"], None)
    found["1 proc"] = ([sys.executable, "-c", ONE_PROCESS], None)
    return found


def run_import(side: str, command: list[str], pythonpath: str | None, db: Path, folder: Path,
               backend: str) -> tuple[float, int, int]:
    """Seconds for one import in a fresh process; (seconds, documents, entities)."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    else:
        env.pop("PYTHONPATH", None)
    if side == "1 proc":
        arguments = [*command, str(db), str(folder), backend]
    else:
        arguments = [*command, "--db", str(db), "import", str(folder), "--backend", backend]
    started = time.perf_counter()
    result = subprocess.run(arguments, capture_output=True, env=env, cwd=db.parent)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{side} failed:\n{result.stderr.decode()[-2000:]}")
    with sqlite3.connect(db) as conn:
        documents = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        entities = conn.execute("SELECT COUNT(*) FROM entities").fetchone()[0]
    return seconds, documents, entities


def _range(values: list[float], form: str, unit: str = "") -> str:
    return (f"median {format(statistics.median(values), form)}{unit} "
            f"(range {format(min(values), form)}–{format(max(values), form)}{unit})")


def compare(label: str, documents: int, words: int, backend: str, runs: int,
            baseline: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="margin-import-bench-") as tmp:
        tmp_path = Path(tmp)
        folder = tmp_path / "corpus"
        written = build_corpus(folder, documents, words)
        commands = sides(baseline)
        print(f"\n{label}: {documents:,} documents, {written:,} words, backend {backend}, "
              f"{runs} runs of each side ({', '.join(commands)}, in turn)")
        rates: dict[str, list[float]] = {side: [] for side in commands}
        for run in range(runs):
            for side, (command, pythonpath) in commands.items():
                db = tmp_path / f"run{run}.db"
                seconds, imported, entities = run_import(
                    side, command, pythonpath, db, folder, backend)
                rates[side].append(written / seconds)
                print(f"  run {run + 1} {side:>6}: {seconds:6.2f} s  "
                      f"{written / seconds:9,.0f} words/s  "
                      f"({imported:,} documents, {entities:,} entities)", flush=True)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
        for side, values in rates.items():
            print(f"  {side:>6}: words/s {_range(values, ',.0f')}")
        for numerator, denominator in (("now", "before"), ("now", "1 proc")):
            if denominator in rates:
                ratios = [a / b for a, b in zip(rates[numerator], rates[denominator], strict=True)]
                print(f"  {numerator}/{denominator}, run by run: {_range(ratios, '.2f', '×')}")
        if baseline is None:
            print("  no baseline tree: comparison with the code before skipped (give "
                  "--baseline PATH to a checkout of commit f8a94d3)")


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
