"""The coder filter (store/coders.py) on a big project: what blind mode and
``--coder`` cost beside the unfiltered reads.

Run from the repository root:

    nice -n 10 .venv/bin/python bench/coders_bench.py [--codings N] [--runs N]

Figures only; nothing is asserted. The project is the sample corpus with 20
codes and N codings (default 100,000) spread at random over four coders,
written in one action through the coding writer. Each figure is the best of
``--runs`` calls (the machine is shared: the best is the least disturbed):
the codebook's counts, the library's counts, the recent codes (alone, and
as the reader reads them after the codebook on every reload) and the coded
passages, for every coder and for one coder (blind mode's reads). With
``--without-index`` the coders' index (migration 0008) is dropped first, to
see what it saves.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from margin.store.codes import codebook, create_code, recently_used_codes
from margin.store.codings import NewCoding, ensure_coder, write_codings
from margin.store.db import open_database
from margin.store.documents import document_text, list_documents
from margin.store.export import coded_passages
from margin.store.history import action
from margin.store.importing import import_sample_corpus


def build(path: Path, codings: int) -> None:
    db = open_database(path)
    import_sample_corpus(db)
    codes = [create_code(db, f"Code {number}") for number in range(20)]
    coders = [ensure_coder(db, name) for name in ("ada", "ben", "cy", "dee")]
    lengths = {d.id: len(document_text(db, d.id)) for d in list_documents(db)}
    rng = random.Random(1)
    new = []
    for _ in range(codings):
        document = rng.choice(list(lengths))
        start = rng.randrange(lengths[document] - 200)
        new.append(NewCoding(document, rng.choice(codes), start, start + rng.randrange(5, 200),
                             rng.choice(coders)))
    with action(db, "bench codings") as log:
        write_codings(db, new, log=log)
    db.conn.close()


def best_ms(function, runs: int) -> float:
    return best_wall_and_cpu_ms(function, runs)[0]


def best_wall_and_cpu_ms(function, runs: int) -> tuple[float, float]:
    """The least wall time and the least CPU time (this process) of ``runs``
    calls, in ms: the CPU figure is what a shared machine disturbs least."""
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return min(walls) * 1000, min(cpus) * 1000


def _recent_in_reader(db, coders):
    codes = codebook(db, coders)
    try:
        return recently_used_codes(db, coders=coders, codes=codes)
    except TypeError:  # an older margin: no codes= (it reads the codebook itself)
        return recently_used_codes(db, coders=coders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--without-index", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "coders.db"
        build(path, options.codings)
        db = open_database(path)
        if options.without_index:
            db.execute("DROP INDEX idx_codings_coder")
        total = db.execute("SELECT COUNT(*) FROM codings").fetchone()[0]
        print(f"{total:,} codings by 4 coders, 20 codes, 5 documents"
              f"{' (without the coders index)' if options.without_index else ''}")
        reads = [
            ("codebook counts", lambda coders: codebook(db, coders), options.runs),
            ("library counts", lambda coders: list_documents(db, coders), options.runs),
            ("recent codes", lambda coders: recently_used_codes(db, coders=coders), options.runs),
            # What the reader does on every reload: the codebook it has just
            # read given (recently_used_codes' codes=, where it exists).
            ("recent (reader)", lambda coders: _recent_in_reader(db, coders), options.runs),
            ("coded passages", lambda coders: coded_passages(db, coders=coders), 2),
        ]
        print(f"{'':<18}{'every coder (wall / cpu)':>28}{'one coder (wall / cpu)':>28}")
        for label, read, runs in reads:
            everyone = best_wall_and_cpu_ms(lambda read=read: read(()), runs)
            one = best_wall_and_cpu_ms(lambda read=read: read(("ada",)), runs)
            print(f"{label:<18}{everyone[0]:>13.1f} / {everyone[1]:>6.1f} ms"
                  f"{one[0]:>13.1f} / {one[1]:>6.1f} ms")
        db.conn.close()


if __name__ == "__main__":
    main()
