"""One very big text imported with its entities, as `margin import` does it.

`.venv/bin/python bench/big_import_bench.py [MEGABYTES] [MARGIN]` (default
100 MB, this environment's `margin`) — prints figures, asserts nothing.

The text is the sample articles repeated, each copy numbered, written to a
file. `margin import FILE` (rules backend) runs in a child process on a new
database while a writer in this process inserts a row every 20 ms (5 s busy
timeout, as the app's connection has) and times each insert; then the same
writer runs while the child rebuilds the document's entities
(`margin entities --rebuild`). For each run: wall time; peak memory, as the
largest sum of resident memory over the child and its worker processes
(sampled every 0.25 s from /proc) and as the largest single process; CPU
time of the whole tree; and the writer's longest wait, p99 and "database
is locked" count; the load average before and after (the machine is shared).

Give another `margin` (e.g. main's checkout, /work/main/.venv/bin/margin)
as MARGIN to measure its code on the same text in the same conditions.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
_TICKS = os.sysconf("SC_CLK_TCK")


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


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux: /proc/PID/task/TID/children)."""
    tree = [pid]
    for member in tree:
        try:
            for task in os.listdir(f"/proc/{member}/task"):
                with open(f"/proc/{member}/task/{task}/children") as children:
                    tree += [int(child) for child in children.read().split()]
        except OSError:
            continue
    return tree


def _rss_and_cpu(pid: int) -> tuple[int, float]:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        # rss is in pages; utime + stime in clock ticks.
        return int(fields[21]) * os.sysconf("SC_PAGE_SIZE"), (
            int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return 0, 0.0


@dataclass
class Run:
    seconds: float = 0.0
    tree_peak: int = 0  # bytes: the largest sum over the process tree
    largest: int = 0  # bytes: the largest single process
    cpu: dict[int, float] = field(default_factory=dict)
    result: subprocess.CompletedProcess | None = None

    pid: int = 0  # the margin process (the others are its workers)

    def memory(self) -> str:
        return (f"peak {self.tree_peak / 2**20:,.0f} MiB (all processes; largest one "
                f"{self.largest / 2**20:,.0f} MiB), CPU {sum(self.cpu.values()):.1f} s "
                f"({self.cpu.get(self.pid, 0.0):.1f} s in margin's own process)")


def run(args: list[str], env: dict) -> Run:
    """Run ``args``, sampling its process tree's memory and CPU."""
    measured = Run()
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    measured.pid = child.pid
    output: dict[str, str] = {}
    readers = [threading.Thread(target=lambda name=name, stream=stream: output.__setitem__(
                   name, stream.read())) for name, stream in
               (("out", child.stdout), ("err", child.stderr))]
    for reader in readers:
        reader.start()
    while child.poll() is None:
        total = 0
        for pid in _tree(child.pid):
            rss, cpu = _rss_and_cpu(pid)
            total += rss
            measured.largest = max(measured.largest, rss)
            measured.cpu[pid] = max(cpu, measured.cpu.get(pid, 0.0))
        measured.tree_peak = max(measured.tree_peak, total)
        time.sleep(0.25)
    for reader in readers:
        reader.join()
    measured.seconds = time.perf_counter() - started
    measured.result = subprocess.CompletedProcess(args, child.returncode, output.get("out", ""),
                                                  output.get("err", ""))
    return measured


class Writer:
    """Another writer: an insert every 20 ms, 5 s busy timeout."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.waits: list[float] = []
        self.failures = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop)

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        other = sqlite3.connect(self.db, timeout=5, isolation_level=None)
        other.execute("CREATE TABLE IF NOT EXISTS bench_scratch (n INTEGER)")
        while not self._done.is_set():
            started = time.perf_counter()
            try:
                other.execute("INSERT INTO bench_scratch VALUES (1)")
            except sqlite3.OperationalError:
                self.failures += 1
            self.waits.append(time.perf_counter() - started)
            time.sleep(0.02)
        other.close()

    def report(self) -> str:
        waits = sorted(self.waits) or [0.0]
        return (f"a writer meanwhile: {len(self.waits):,} writes, {self.failures} "
                f"'database is locked', longest wait {waits[-1] * 1000:,.0f} ms, "
                f"p99 {waits[int(len(waits) * 0.99)] * 1000:,.0f} ms")


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    margin = sys.argv[2] if len(sys.argv) > 2 else str(Path(sys.executable).parent / "margin")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "big.txt"
        size = big_text(source, megabytes)
        env = {**os.environ, "MARGIN_ENTITY_BACKEND": "rules",
               "XDG_CONFIG_HOME": str(folder / "config")}
        db = folder / "big.db"
        # An empty margin database, for the writer to write to from the start.
        created = subprocess.run([margin, "--db", str(db), "import", "-"], input=b"x",
                                 env=env, capture_output=True)
        if created.returncode:
            print(created.stderr.decode().strip())
            return
        load = os.getloadavg()
        print(f"{margin}; load average {load[0]:.1f} (2 cores)")
        with Writer(db) as writer:
            measured = run([margin, "--db", str(db), "import", str(source)], env)
        result = measured.result
        print(f"import of one {size / 1e6:.0f} MB text with entities (rules): "
              f"{measured.seconds:.1f} s, {measured.memory()} (exit {result.returncode})")
        print(f"  {writer.report()}; load average at the end {os.getloadavg()[0]:.1f}")
        if result.returncode:
            print(result.stderr.strip())
            return
        entities = sqlite3.connect(db).execute("SELECT COUNT(*) FROM entities").fetchone()[0]
        pieces = sqlite3.connect(db).execute(
            "SELECT COUNT(*), SUM(indexed) FROM document_pieces").fetchone() if sqlite3.connect(
            db).execute("SELECT 1 FROM sqlite_master WHERE name = 'document_pieces'"
                        ).fetchone() else None
        print(f"  {entities:,} entity mentions stored" + (
            f"; full text indexed in {pieces[1]:,} of {pieces[0]:,} pieces" if pieces else
            "; full text indexed whole"))
        document = sqlite3.connect(db).execute("SELECT MAX(id) FROM documents").fetchone()[0]
        with Writer(db) as writer:
            measured = run([margin, "--db", str(db), "entities", "--rebuild", "--backend",
                            "rules", str(document)], env)
        print(f"entity rebuild: {measured.seconds:.1f} s, {measured.memory()} "
              f"(exit {measured.result.returncode})")
        print(f"  {writer.report()}; load average at the end {os.getloadavg()[0]:.1f}")
        if measured.result.returncode:
            print(measured.result.stderr.strip())


if __name__ == "__main__":
    main()
