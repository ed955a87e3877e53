"""Inter-coder agreement over a big project: every code, each unit.

Run: python bench/agreement_bench.py [--documents 1000] [--codings 100000]
     [--codes 20] [--repeat 3] [--seed 7]
Figures only; nothing is asserted.

Builds a database of ``--documents`` documents cut from the sample articles
in seeds/ (about 5,000 characters each) and ``--codings`` codings by two
coders (half each; the second coder's are the first's with moved boundaries,
a third dropped, some added, as two real coders' would be), over ``--codes``
codes. Then times ``agreement()`` for each unit (all codes and the pooled
row; best and median of ``--repeat`` runs, wall clock and this process's CPU
time: on a shared machine the CPU time says more) and ``disagreements()`` for one
code, the agreement screen's second list.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from margin.store.analysis.agreement import UNITS, agreement, disagreements
from margin.store.codes import create_code
from margin.store.codings import NewCoding, ensure_coder, write_codings
from margin.store.db import open_database
from margin.store.documents import document_texts, import_text
from margin.store.sources.textio import DecodedText
from margin.store.textspans import trim_span

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def build(path: Path, documents: int, codings: int, codes: int, seed: int) -> None:
    rng = random.Random(seed)
    corpus = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    db = open_database(path)
    started = time.perf_counter()
    for number in range(documents):
        at = rng.randrange(max(1, len(corpus) - 5000))
        text = f"Document {number}.\n\n" + corpus[at:at + 5000]
        import_text(db, DecodedText(text, "utf-8", False), source=f"bench-{number}", clean=False)
    code_ids = [create_code(db, f"Code {n}") for n in range(codes)]
    ana, ben = ensure_coder(db, "ana"), ensure_coder(db, "ben")
    ids = [row[0] for row in db.execute("SELECT id FROM documents ORDER BY id")]
    texts = document_texts(db, ids)
    rows: list[NewCoding] = []
    seen = set()
    while len(rows) < codings:
        document_id = rng.choice(ids)
        text = texts[document_id]
        code_id = rng.choice(code_ids)
        start = rng.randrange(len(text) - 1)
        span = trim_span(text, start, min(len(text), start + rng.randint(20, 400)))
        if span is None:
            continue
        versions = [(ana, span)]
        if rng.random() < 0.67:  # ben codes it too, boundaries moved a little
            moved = trim_span(text, max(0, span[0] + rng.randint(-30, 30)),
                              min(len(text), span[1] + rng.randint(-30, 30)))
            if moved:
                versions.append((ben, moved))
        else:  # ben codes somewhere else
            other = rng.randrange(len(text) - 1)
            elsewhere = trim_span(text, other, min(len(text), other + rng.randint(20, 400)))
            if elsewhere:
                versions.append((ben, elsewhere))
        for coder_id, (s, e) in versions:
            key = (document_id, code_id, coder_id, s, e)
            if key not in seen and len(rows) < codings:
                seen.add(key)
                rows.append(NewCoding(document_id, code_id, s, e, coder_id))
    write_codings(db, rows, texts=texts)
    characters = sum(len(t) for t in texts.values())
    print(f"built {documents:,} documents ({characters:,} characters), {len(rows):,} codings "
          f"by 2 coders, {codes} codes in {time.perf_counter() - started:.1f} s")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--codings", type=int, default=100_000)
    parser.add_argument("--codes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "agreement.db"
        build(path, args.documents, args.codings, args.codes, args.seed)
        db = open_database(path, read_only=True)
        for unit in UNITS:
            times, cpu = [], []
            for _ in range(args.repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                report = agreement(db, ["ana", "ben"], unit=unit)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            pooled = report.rows[0]
            print(f"agreement, {unit:<9}: best {min(times):.2f} s, median "
                  f"{statistics.median(times):.2f} s (CPU best {min(cpu):.2f} s, median "
                  f"{statistics.median(cpu):.2f} s)  ({len(report.rows) - 1} codes, "
                  f"{pooled.units:,} unit×code pairs; pooled kappa {pooled.kappa:.3f}, "
                  f"alpha {pooled.alpha:.3f}, agreement {pooled.agreement:.3f})")
        code_id = report.rows[1].code_id
        for unit in ("character", "sentence"):
            started = time.perf_counter()
            places = disagreements(db, "ana", "ben", code_id, unit=unit)
            print(f"disagreements of one code, {unit:<9}: {time.perf_counter() - started:.2f} s "
                  f"({len(places):,} places)")
        db.close()


if __name__ == "__main__":
    main()
