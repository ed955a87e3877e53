"""One very big text imported with its entities, as `margin import` does it.

`.venv/bin/python bench/big_import_bench.py [MEGABYTES]` (default 100) —
prints figures, asserts nothing. The text is the sample articles repeated,
each copy numbered so no two paragraphs are the same, written to a file;
`margin import FILE` (rules backend) runs in a child process whose wall time
and peak memory (max RSS) are reported, then a writer in this process
measures how long it waits for the lock while the same child rebuilds the
document's entities (`margin entities --rebuild`).
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def big_text(path: Path, megabytes: int) -> int:
    articles = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    written = 0
    with path.open("w", encoding="utf-8") as out:
        copy = 0
        while written < megabytes * 1_000_000:
            copy += 1
            for article in articles:
                chunk = f"Part {copy}.\n\n{article}\n\n"
                out.write(chunk)
                written += len(chunk.encode())
    return written


def run(args: list[str], env: dict) -> tuple[float, float, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024, result


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    margin = str(Path(sys.executable).parent / "margin")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "big.txt"
        size = big_text(source, megabytes)
        env = {**os.environ, "MARGIN_ENTITY_BACKEND": "rules",
               "XDG_CONFIG_HOME": str(folder / "config")}
        db = folder / "big.db"
        elapsed, peak, result = run([margin, "--db", str(db), "import", str(source)], env)
        print(f"import of one {size / 1e6:.0f} MB text with entities (rules): "
              f"{elapsed:.1f} s, peak {peak:,.0f} MiB (exit {result.returncode})")
        if result.returncode:
            print(result.stderr.strip())
            return
        entities = sqlite3.connect(db).execute("SELECT COUNT(*) FROM entities").fetchone()[0]
        print(f"  {entities:,} entity mentions stored")

        waits: list[float] = []
        failures = 0
        done = threading.Event()

        def writer() -> None:
            nonlocal failures
            other = sqlite3.connect(db, timeout=5, isolation_level=None)
            other.execute("CREATE TABLE IF NOT EXISTS bench_scratch (n INTEGER)")
            while not done.is_set():
                started = time.perf_counter()
                try:
                    other.execute("INSERT INTO bench_scratch VALUES (1)")
                except sqlite3.OperationalError:
                    failures += 1
                waits.append(time.perf_counter() - started)
                time.sleep(0.02)
            other.close()

        thread = threading.Thread(target=writer)
        thread.start()
        elapsed, peak, result = run(
            [margin, "--db", str(db), "entities", "--rebuild", "--backend", "rules"], env)
        done.set()
        thread.join()
        waits.sort()
        print(f"entity rebuild: {elapsed:.1f} s, peak {peak:,.0f} MiB; a writer meanwhile: "
              f"{len(waits):,} writes, {failures} 'database is locked', longest wait "
              f"{waits[-1] * 1000:,.0f} ms, p99 {waits[int(len(waits) * 0.99)] * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
