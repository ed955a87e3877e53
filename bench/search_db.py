"""A margin database of N coded passages for the search benchmarks.

The passages (``search_bench.make_passages``) are coded in documents of
:data:`PER_DOCUMENT` passages each (a document is its passages joined by blank
lines), one coding per passage, coding id = passage index + 1; the search
index is built once at the end (as a migration or a rebuild would). Databases
are cached under /tmp/margin-search-bench (a 1M database takes minutes).
"""

from __future__ import annotations

import hashlib
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import make_passages

from margin.store.db import open_database
from margin.store.word_postings import rebuild

CACHE = Path("/tmp/margin-search-bench")
PER_DOCUMENT = 500
STAMP = "2026-12-01T00:00:00.000+00:00"


def database_path(size: int, seed: int) -> Path:
    return CACHE / f"search-{size}-{seed}.db"


def build_database(size: int, seed: int, passages: list[str] | None = None) -> tuple[Path, dict]:
    """The cached database of ``size`` passages (made if missing) and build figures."""
    path = database_path(size, seed)
    figures: dict = {}
    if path.exists():
        return path, figures
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    passages = passages if passages is not None else make_passages(size, seed)
    db = open_database(partial)
    started = time.perf_counter()
    with db.atomic():
        db.execute("INSERT INTO coders (id, uuid, name, created) VALUES (1, ?, 'bench', ?)",
                   [str(uuid.uuid4()), STAMP])
        db.execute("INSERT INTO codes (id, uuid, name, colour, created) "
                   "VALUES (1, ?, 'Bench', '#888888', ?)", [str(uuid.uuid4()), STAMP])
        coding_id = 0
        for number, first in enumerate(range(0, len(passages), PER_DOCUMENT), start=1):
            chunk = passages[first : first + PER_DOCUMENT]
            text = "\n\n".join(chunk)
            db.execute(
                "INSERT INTO documents (id, uuid, title, text, original, word_count, hash, "
                "imported) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [number, str(uuid.uuid4()), f"Bench document {number}", text, text,
                 len(text.split()), hashlib.sha256(text.encode()).hexdigest(), STAMP])
            rows = []
            offset = 0
            for passage in chunk:
                coding_id += 1
                rows.append((coding_id, str(uuid.uuid4()), number, offset,
                             offset + len(passage), passage, STAMP))
                offset += len(passage) + 2
            db.conn.executemany(
                'INSERT INTO codings (id, uuid, document_id, code_id, start, "end", quote, '
                "coder_id, created) VALUES (?, ?, ?, 1, ?, ?, ?, 1, ?)", rows)
    figures["insert_s"] = time.perf_counter() - started
    started = time.perf_counter()
    rebuild(db)
    figures["index_build_s"] = time.perf_counter() - started
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    partial.rename(path)
    return path, figures


def index_bytes(path: Path) -> int:
    """Bytes the search index takes in the file (dbstat when available)."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        # One table at a time: dbstat visits only the pages of a named table.
        return sum(conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = ?", [name]
                                ).fetchone()[0] or 0
                   for name in ("search_postings", "search_pairs", "search_meta", "search_log"))
    except sqlite3.Error:
        return -1
    finally:
        conn.close()


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    where, made = build_database(size, 7)
    print(where, made, f"index {index_bytes(where) / 2**20:.0f} MiB")
