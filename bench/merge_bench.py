"""Merging a colleague's copy: 1,000 documents and 100,000 codings.

Run from the repository root:

    nice -n 10 .venv/bin/python bench/merge_bench.py [--documents N] [--codings N] [--qdpx]

Figures only; nothing is asserted. Target: seconds, not minutes.

The project is refi_bench's (bench/refi_bench.py: the sample articles
shuffled into N distinct documents, 3 coders, ~50 codes in a three-level
tree, codings with ~2 % memos, memos on documents and codes). Then:

1. **into an empty database**: everything of theirs is new (documents with
   their texts, codes, codings, memos);
2. **an exchange**: two copies of the project, ours with only alice's
   codings, theirs with only the other two coders': every document and code
   matched, their codings come in;
3. **the same file again**: nothing new (the idempotent case: all of it is
   matched and compared);
4. **undo** of the exchange (one action: the RowsChange of its codings);
5. with ``--qdpx``: theirs exported to a .qdpx and merged (the import into
   an in-memory database, then the same merge).

Wall and CPU time of each step, and the size of the history row the
undoable merge writes (and after undoing and redoing the first merge: the
documents it added are recorded by id and digest while they are in the
table, whole while undone).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from refi_bench import build_project

from margin.store import history
from margin.store.db import open_database
from margin.store.merging import merge_file


def timed(function, *args, **keywords):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **keywords)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def merge(into: Path, other: Path):
    db = open_database(into)
    try:
        return timed(merge_file, db, other)
    finally:
        db.close()


def keep_codings(path: Path, where: str) -> int:
    connection = sqlite3.connect(path)
    connection.execute(f"DELETE FROM codings WHERE NOT ({where})")
    connection.execute("DELETE FROM history")
    connection.commit()
    count = connection.execute("SELECT COUNT(*) FROM codings").fetchone()[0]
    connection.execute("VACUUM")
    connection.close()
    return count


def history_bytes(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT IFNULL(MAX(LENGTH(changes)), 0) FROM history").fetchone()[0]
    finally:
        connection.close()


def line(step: str, wall: float, cpu: float, report) -> None:
    counts = (f"{len(report.documents_added):,} documents, {len(report.codes_added):,} codes, "
              f"{sum(report.codings_added.values()):,} codings, {report.memos_added:,} memos "
              f"in; {sum(report.codings_present.values()):,} codings already here")
    print(f"{step:<28} {wall:7.2f} s wall {cpu:7.2f} s CPU   {counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--codings", type=int, default=100_000)
    parser.add_argument("--qdpx", action="store_true", help="also merge a .qdpx export")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        project = folder / "project.db"
        facts = build_project(project, options.documents, options.codings)
        print(f"project: {facts['documents']:,} documents ({facts['bytes'] / 1e6:.1f} MB), "
              f"{facts['codes']} codes, {facts['codings']:,} codings, "
              f"{facts['coding_memos'] + facts['document_memos'] + facts['code_memos']:,} memos")

        empty = folder / "empty.db"
        open_database(empty).close()
        report, wall, cpu = merge(empty, project)
        line("1. into an empty database", wall, cpu, report)
        print(f"   (the undoable action's history row: {history_bytes(empty) / 1e6:.1f} MB; "
              f"the database file {empty.stat().st_size / 1e6:.1f} MB, theirs "
              f"{project.stat().st_size / 1e6:.1f} MB)")

        db = open_database(empty)
        try:
            label, wall, cpu = timed(history.undo, db)
            print(f"{'   undo of it':<28} {wall:7.2f} s wall {cpu:7.2f} s CPU   (history row "
                  f"{history_bytes(empty) / 1e6:.1f} MB: the rows, whole, for redo)")
            label, wall, cpu = timed(history.redo, db)
            print(f"{'   redo of it':<28} {wall:7.2f} s wall {cpu:7.2f} s CPU   (history row "
                  f"{history_bytes(empty) / 1e6:.1f} MB)")
        finally:
            db.close()

        ours, theirs = folder / "ours.db", folder / "theirs.db"
        shutil.copy(project, ours)
        shutil.copy(project, theirs)
        kept_ours = keep_codings(ours, "coder_id = 1")
        kept_theirs = keep_codings(theirs, "coder_id != 1")
        print(f"   (ours: {kept_ours:,} codings of alice; theirs: {kept_theirs:,} of the others)")
        report, wall, cpu = merge(ours, theirs)
        line("2. an exchange", wall, cpu, report)
        print(f"   (the undoable action's history row: {history_bytes(ours) / 1e6:.1f} MB)")

        report, wall, cpu = merge(ours, theirs)
        line("3. the same file again", wall, cpu, report)

        db = open_database(ours)
        try:
            label, wall, cpu = timed(history.undo, db)
            print(f"{'4. undo (' + str(label) + ')':<28} {wall:7.2f} s wall {cpu:7.2f} s CPU")
            codings = db.execute("SELECT COUNT(*) FROM codings").fetchone()[0]
            print(f"   (codings after undo: {codings:,})")
        finally:
            db.close()

        if options.qdpx:
            from margin.store.refi.exporter import export_qdpx

            db = open_database(theirs)
            try:
                _, wall, cpu = timed(export_qdpx, db, folder / "theirs.qdpx")
            finally:
                db.close()
            print(f"   (export of theirs to .qdpx: {wall:.2f} s)")
            report, wall, cpu = merge(ours, folder / "theirs.qdpx")
            line("5. the .qdpx of theirs", wall, cpu, report)


if __name__ == "__main__":
    main()
