"""Analysis tables on 1,000 documents and 100,000 codings.

Run from the repository root:

    .venv/bin/python bench/analysis_bench.py [--runs N] [--documents N] [--codings N]
                                             [--keep FILE] [--profile NAME]

Figures only; nothing is asserted. Target: every table <= 1 s.

The project is refi_bench's (``build_project``: the sample articles copied and
shuffled into 1,000 documents, ~12 M characters; 56 codes in a three-level
tree; codings spread over the documents and three coders, one in five long
so that they overlap), built straight into a database file. ``--keep FILE``
builds it there once and reuses it on the next run.

Each table is computed ``--runs`` times on one connection, as the command
line does (a fresh process computes each table once: nothing is cached
between calls); the figures are the median and the max wall time, and the
median CPU time of the process (on a shared machine, closer to what an idle
one would take than the wall time).
``--profile NAME`` runs that table once more under cProfile.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from refi_bench import build_project, profile

from margin.store.analysis.cooccurrence import cooccurrence
from margin.store.analysis.frequencies import code_frequencies
from margin.store.analysis.matrix import code_matrix
from margin.store.analysis.retrieval import retrieve
from margin.store.db import open_database
from margin.store.textspans import word_spans

TARGET_S = 1.0
IDLE_WORDS_S_PER_MB = 0.070
QUERY = "Conflict AND (Trust OR Risk) NOT Memory"
QUERY_NEAR = "Conflict NEAR/paragraph Trust"


def tables(db) -> dict:
    """Each table the command line and the analysis screen show."""
    return {
        "frequencies": lambda: code_frequencies(db),
        "frequencies by document": lambda: code_frequencies(db, by="document"),
        "frequencies by coder": lambda: code_frequencies(db, by="coder"),
        "co-occurrence, overlap": lambda: cooccurrence(db, unit="overlap"),
        "co-occurrence, sentence": lambda: cooccurrence(db, unit="sentence"),
        "co-occurrence, paragraph": lambda: cooccurrence(db, unit="paragraph"),
        "co-occurrence, document": lambda: cooccurrence(db, unit="document"),
        "matrix, codes x documents": lambda: code_matrix(db, cols="documents"),
        "matrix, codes x coders": lambda: code_matrix(db, cols="coders"),
        f"retrieve {QUERY!r}": lambda: retrieve(db, QUERY),
        f"retrieve {QUERY_NEAR!r}": lambda: retrieve(db, QUERY_NEAR),
        "retrieve, union": lambda: retrieve(db, QUERY, combine="union"),
    }


def size_of(result) -> str:
    if hasattr(result, "counts"):
        return f"{len(result.rows)} x {len(result.cols)}"
    return f"{len(result):,} rows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--documents", type=int, default=1_000)
    parser.add_argument("--codings", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the project in this file once and reuse it")
    parser.add_argument("--profile", default=None, help="profile the table of this name")
    parser.add_argument("--only", default="", help="only the tables whose name contains this")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="margin-analysis-bench-") as folder:
        path = options.keep or Path(folder) / "project.db"
        if not path.exists():
            started = time.perf_counter()
            built = build_project(path, options.documents, options.codings)
            print(f"project: {built['documents']:,} documents ({built['chars'] / 1e6:.1f} M "
                  f"characters), {built['codes']} codes, {built['codings']:,} codings "
                  f"({built['overlapping']:,} overlap the next one); built in "
                  f"{time.perf_counter() - started:.1f} s")
        db = open_database(path)
        documents, codings = (db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                              for table in ("documents", "codings"))
        print(f"{documents:,} documents, {codings:,} codings; runs: {options.runs} "
              f"(median, max); target <= {TARGET_S:.0f} s each")
        # The same work timed on this machine now and quoted for an idle one:
        # textspans' docstring gives ~70 ms per MB for word_spans.
        texts = [row[0] for row in db.execute("SELECT text FROM documents LIMIT 200")]
        megabytes = sum(len(text) for text in texts) / 1e6
        started = time.perf_counter()
        for text in texts:
            word_spans(text)
        per_mb = (time.perf_counter() - started) / megabytes
        slowdown = max(1.0, per_mb / IDLE_WORDS_S_PER_MB)
        print(f"calibration: word_spans {per_mb * 1000:.0f} ms/MB here, ~"
              f"{IDLE_WORDS_S_PER_MB * 1000:.0f} ms/MB idle: this run is ~{slowdown:.1f}x slower "
              f"than an idle machine (the 'idle' column divides by that)")
        slowest = 0.0
        for name, table in tables(db).items():
            if options.only not in name:
                continue
            times, cpu = [], []
            for _ in range(options.runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                result = table()
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            slowest = max(slowest, max(times))
            flag = "" if max(times) <= TARGET_S else "  (over target)"
            print(f"  {name:<50} {statistics.median(times):6.3f} s  max {max(times):6.3f} s"
                  f"  cpu {statistics.median(cpu):6.3f} s  idle ~{statistics.median(times) / slowdown:5.2f} s"
                  f"  {size_of(result)}{flag}")
        print(f"slowest: {slowest:.3f} s")
        if options.profile:
            profile(options.profile, tables(db)[options.profile])
        db.conn.close()


if __name__ == "__main__":
    main()
