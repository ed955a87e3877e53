"""Full-text search: query latency by kind of query, and what the indexes of
migration 0009 cost (size on disk, time to write documents and codings).

Run from the repository root:

    nice -n 10 .venv/bin/python bench/fulltext_bench.py [--documents N] [--codings N] [--runs N]

Figures only; nothing is asserted.

- The corpus: the sample articles of seeds/*.txt repeated to ``--documents``
  documents (each copy numbered, so every text differs), imported through
  ``import_text`` in one transaction (the FTS triggers fire as in a real
  import). Time to write them is measured with and without the unstemmed
  index's triggers in the same run (dropped on a copy).
- Queries, each ``search_documents(limit=200)`` (a page of hits, as the app
  shows) and ``limit=None`` (every hit): a word, a stemmed word, a prefix
  (unstemmed index), a phrase, a phrase with a prefix, a query mixing both
  indexes, an OR of prefixes. Median and max of ``--runs`` runs.
- Codings: ``--codings`` codings written by ``write_codings`` (the import
  path, ``executemany`` in one transaction) with the ``codings_fts``
  triggers, and on a copy without them.
- Size: pages of each FTS index and its shadow tables (``dbstat``).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from margin.store.codes import create_code
from margin.store.codings import NewCoding, ensure_coder, write_codings
from margin.store.db import open_database
from margin.store.documents import import_text
from margin.store.search.fulltext import search_documents
from margin.store.sources.textio import DecodedText

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    ("word", "Istanbul"),
    ("stemmed word", "negotiations"),
    ("prefix", "negotiat*"),
    ("prefix", "securit*"),
    ("phrase", '"security guarantees"'),
    ("phrase prefix", '"security guar"*'),
    ("mixed", "negotiat* AND (Kyiv OR talks)"),
    ("mixed NOT", "securit* -Russia"),
    ("OR of prefixes", "negotiat* OR securit* OR sanction*"),
]
_UNSTEMMED_TRIGGERS = ("documents_unstemmed_fts_ai", "documents_unstemmed_fts_ad",
                       "documents_unstemmed_fts_au")
_CODING_TRIGGERS = ("codings_ai", "codings_ad", "codings_au")


def _texts(count: int) -> list[str]:
    seeds = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "seeds").glob("*.txt"))]
    return [f"Copy {number}\n\n{seeds[number % len(seeds)]}" for number in range(count)]


def _import(path: Path, texts: list[str], drop: tuple[str, ...] = ()) -> float:
    db = open_database(path)
    for trigger in drop:
        db.execute(f"DROP TRIGGER {trigger}")
    started = time.perf_counter()
    with db.atomic():
        for number, text in enumerate(texts):
            import_text(db, DecodedText(text, "utf-8", False), source=f"copy-{number}.txt",
                        clean=False)
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def _sizes(path: Path) -> dict[str, int]:
    db = open_database(path, read_only=True)
    try:
        rows = db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    except Exception as error:  # dbstat not compiled in
        print(f"(no dbstat: {error})")
        return {}
    finally:
        pass
    db.close()
    sizes: dict[str, int] = {}
    for name, size in rows:
        for index in ("documents_unstemmed_fts", "documents_fts", "codings_fts", "memos_fts"):
            if name.startswith(index):
                sizes[index] = sizes.get(index, 0) + size
                break
        else:
            sizes["(everything else)"] = sizes.get("(everything else)", 0) + size
    return sizes


def _codings(path: Path, count: int, drop: tuple[str, ...] = ()) -> float:
    db = open_database(path)
    for trigger in drop:
        db.execute(f"DROP TRIGGER {trigger}")
    texts = {row[0]: row[1] for row in db.execute("SELECT id, text FROM documents")}
    coder = ensure_coder(db, "bench")
    codes = [create_code(db, f"Theme {number}") for number in range(20)]
    rng = random.Random(7)
    ids = sorted(texts)
    wanted = []
    seen = set()
    while len(wanted) < count:
        document = rng.choice(ids)
        text = texts[document]
        start = rng.randrange(0, len(text) - 400)
        end = start + rng.randrange(20, 300)
        code = rng.choice(codes)
        if not text[start:end].strip() or (document, code, start, end) in seen:
            continue
        seen.add((document, code, start, end))
        wanted.append(NewCoding(document, code, start, end, coder, "a memo on it" * (
            rng.random() < 0.02)))
    started = time.perf_counter()
    with db.atomic():
        write_codings(db, wanted, texts=texts)
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000)
    parser.add_argument("--codings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    texts = _texts(args.documents)
    characters = sum(map(len, texts))
    with tempfile.TemporaryDirectory() as folder:
        base, bare = Path(folder) / "fts.db", Path(folder) / "bare.db"
        with_index = _import(base, texts)
        without = _import(bare, texts, drop=_UNSTEMMED_TRIGGERS)
        print(f"{args.documents:,} documents, {characters / 1e6:.1f} M characters")
        print(f"writing them: {with_index:.2f} s with the unstemmed index, {without:.2f} s "
              f"without (same run: x{with_index / without:.2f})")
        db = open_database(base, read_only=True)
        print(f"\n{'query':<44} {'hits':>7} {'page of 200 (median/max)':>26} "
              f"{'every hit (median/max)':>24}")
        for kind, query in QUERIES:
            page, every = [], []
            hits = 0
            for _ in range(args.runs):
                started = time.perf_counter()
                search_documents(db, query, limit=200)
                page.append(time.perf_counter() - started)
                started = time.perf_counter()
                hits = len(search_documents(db, query, limit=None))
                every.append(time.perf_counter() - started)
            print(f"{kind + ': ' + query:<44} {hits:>7,} "
                  f"{statistics.median(page) * 1000:>14.1f} / {max(page) * 1000:>6.1f} ms "
                  f"{statistics.median(every) * 1000:>12.0f} / {max(every) * 1000:>6.0f} ms")
        db.close()
        shutil.copy(base, bare)
        with_codings = _codings(base, args.codings)
        without_codings = _codings(bare, args.codings, drop=_CODING_TRIGGERS)
        print(f"\n{args.codings:,} codings written (write_codings, one transaction): "
              f"{with_codings:.2f} s with codings_fts, {without_codings:.2f} s without "
              f"(same run: x{with_codings / without_codings:.2f}, "
              f"+{(with_codings - without_codings) / args.codings * 1e6:.0f} µs a coding)")
        print("\nsize on disk (dbstat):")
        for name, size in sorted(_sizes(base).items()):
            print(f"  {name:<26} {size / 2**20:8.1f} MiB")


if __name__ == "__main__":
    main()
