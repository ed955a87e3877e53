"""Deleting one very long document, undoing and redoing that, and `margin
check` on a database that holds it, while another writer goes on.

`nice -n 10 .venv/bin/python bench/long_delete_bench.py [MEGABYTES] [--entities]`
(default 100 MB, no entities) — prints figures, asserts nothing. Run it with another checkout's
Python (`/work/main/.venv/bin/python bench/long_delete_bench.py 100`) to
measure that code on the same text in the same conditions: the steps are
made through the store's API (``delete_documents``, ``history.undo``,
``history.redo``) and `margin check`, which both have.

The text is the sample articles repeated, each copy numbered (as
bench/big_import_bench.py makes it), imported with `margin import
--no-entities` (the entity mentions of a 100 MB text, 1.7 million rows,
are another cost of the delete, recorded in its history row: `--entities`
imports them too, with the rules backend). Then, each in a child process while a writer in this
process inserts a row every 20 ms (5 s busy timeout, as the app's
connection has) and times each insert: `margin check`; the delete; its
undo (until the document is searchable to its last piece again); its redo;
the undo again. For each step: wall time and CPU time of the child (from
``resource.getrusage`` in the child), the writer's longest wait, its p99
and its "database is locked" count, and whether the full-text search finds
the document's last word afterwards. The load average is printed before
and after (the machine is shared).
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from big_import_bench import Writer, big_text

LAST_WORD = "Xylophonically"


def child(step: str, db_path: str, document_id: int) -> None:
    """One step, in this (child) process: prints its figures as JSON."""
    from margin.store import history
    from margin.store.db import open_database
    from margin.store.documents import delete_documents

    db = open_database(db_path)
    held = _time_transactions()
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF)
    if step == "delete":
        delete_documents(db, [document_id])
    elif step == "undo":
        history.undo(db)
    elif step == "redo":
        history.redo(db)
    else:
        raise SystemExit(f"unknown step {step}")
    after = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - started
    db.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"wall": wall, "cpu": cpu, "held": held}))


def _time_transactions() -> list[float]:
    """How long each of margin's write transactions in this process holds
    the lock (``history.writing``, which actions, undo, redo and the short
    transactions of a long text's pieces all go through), in seconds."""
    from contextlib import contextmanager

    from margin.store import documents, history

    held: list[float] = []
    writing = history.writing

    @contextmanager
    def timed(db):
        with writing(db):
            began = time.perf_counter()
            yield
        held.append(time.perf_counter() - began)

    history.writing = timed
    documents.writing = timed
    return held


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def found_last_word(db: Path) -> str:
    """Whether full-text search finds the document's last word (margin fts)."""
    margin = str(Path(sys.executable).parent / "margin")
    result = subprocess.run([margin, "--db", str(db), "fts", LAST_WORD, "--json"],
                            capture_output=True, text=True)
    hits = [line for line in result.stdout.splitlines() if line.strip()]
    return f"search finds its last word: {'yes' if hits else 'no'}"


def main() -> None:
    arguments = [argument for argument in sys.argv[1:] if argument != "--entities"]
    entities = "--entities" in sys.argv[1:]
    megabytes = int(arguments[0]) if arguments else 100
    python = sys.executable
    margin = str(Path(python).parent / "margin")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "big.txt"
        size = big_text(source, megabytes)
        with source.open("a", encoding="utf-8") as out:
            out.write(f"The end, said {LAST_WORD}.\n")
        env = {**os.environ, "XDG_CONFIG_HOME": str(folder / "config"),
               "XDG_DATA_HOME": str(folder / "data"), "MARGIN_ENTITY_BACKEND": "rules"}
        db = folder / "big.db"
        print(f"{python}; load average {os.getloadavg()[0]:.1f} (2 cores)")
        started = time.perf_counter()
        imported = subprocess.run([margin, "--db", str(db), "import",
                                   "--entities" if entities else "--no-entities", str(source)],
                                  env=env, capture_output=True, text=True)
        if imported.returncode:
            print(imported.stderr.strip())
            return
        conn = sqlite3.connect(db)
        document_id = conn.execute("SELECT MAX(id) FROM documents").fetchone()[0]
        pieces = conn.execute("SELECT COUNT(*), SUM(indexed) FROM document_pieces").fetchone() \
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'document_pieces'"
                            ).fetchone() else None
        mentions = conn.execute("SELECT COUNT(*) FROM entities").fetchone()[0]
        conn.close()
        print(f"import of one {size / 1e6:.0f} MB text, {mentions:,} entity mentions: "
              f"{time.perf_counter() - started:.1f} s; " + (
                  f"full text in {pieces[1]:,} of {pieces[0]:,} pieces" if pieces else
                  "full text indexed whole"))

        def measured_check(label: str) -> None:
            cpu = _children_cpu()
            began = time.perf_counter()
            with Writer(db) as writer:
                checked = subprocess.run([margin, "--db", str(db), "check"], env=env,
                                         capture_output=True, text=True)
            wall = time.perf_counter() - began
            verdict = "ok" if checked.returncode == 0 else f"exit {checked.returncode}"
            print(f"{label}: wall {wall:.2f} s, CPU {_children_cpu() - cpu:.2f} s ({verdict})")
            print(f"  {writer.report()}")
            if checked.returncode:
                print("  " + checked.stdout.strip().replace("\n", "\n  "))

        measured_check("margin check")
        for step in ("delete", "undo", "redo", "undo"):
            began = time.perf_counter()
            with Writer(db) as writer:
                result = subprocess.run([python, __file__, "--child", step, str(db),
                                         str(document_id)], env=env, capture_output=True,
                                        text=True)
            whole = time.perf_counter() - began
            if result.returncode:
                print(f"{step}: failed\n{result.stderr.strip()}")
                return
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            held = sorted(figures["held"]) or [0.0]
            print(f"{step}: wall {figures['wall']:.2f} s, CPU {figures['cpu']:.2f} s "
                  f"(the child process, start-up included: {whole:.2f} s); "
                  f"{found_last_word(db)}")
            print(f"  {len(figures['held'])} write transactions, the longest held the lock "
                  f"{held[-1] * 1000:,.0f} ms (the next {held[-2] * 1000 if len(held) > 1 else 0:,.0f} "
                  f"ms), median {held[len(held) // 2] * 1000:,.0f} ms")
            print(f"  {writer.report()}")
        measured_check("margin check after the undo")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
