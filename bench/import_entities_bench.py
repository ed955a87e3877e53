"""Time to import the sample corpus with its entities, per backend.

`.venv/bin/python bench/import_entities_bench.py` — prints figures, asserts nothing.
Each run uses a fresh database in a temporary folder: import (5 articles,
~9,400 words), then recognise and store the entities, as `margin import` does.
For spaCy the model load is reported separately (it happens once per process).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from margin.store.db import open_database
from margin.store.entities import BackendUnavailable, get_recogniser
from margin.store.entities.storage import recognise_documents
from margin.store.importing import import_sample_corpus

RUNS = 5


def one_run(folder: Path, backend: str, run: int) -> tuple[float, float, int]:
    db = open_database(folder / f"{backend}-{run}.db")
    started = time.perf_counter()
    results = import_sample_corpus(db)
    imported = time.perf_counter()
    recogniser, _ = get_recogniser(backend)
    summary = recognise_documents(db, [r.document_id for r in results], recogniser)
    db.conn.close()
    return imported - started, summary.seconds, summary.entities


def main() -> None:
    print(f"sample corpus import + entities, {RUNS} runs each (median, min–max)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for backend in ("rules", "spacy"):
            loaded = time.perf_counter()
            try:
                recogniser, notice = get_recogniser(backend)
            except BackendUnavailable as error:
                print(f"{backend:>6}: unavailable ({error})")
                continue
            if notice:
                print(f"{backend:>6}: unavailable ({notice})")
                continue
            load_ms = (time.perf_counter() - loaded) * 1000
            runs = [one_run(folder, backend, run) for run in range(RUNS)]
            imports = [r[0] * 1000 for r in runs]
            recognitions = [r[1] * 1000 for r in runs]
            totals = [a + b for a, b in zip(imports, recognitions, strict=True)]
            print(
                f"{backend:>6}: {runs[0][2]:,} entities · load {load_ms:,.0f} ms (first use) · "
                f"import {statistics.median(imports):,.0f} ms · "
                f"entities {statistics.median(recognitions):,.0f} ms "
                f"({min(recognitions):,.0f}–{max(recognitions):,.0f}) · "
                f"total {statistics.median(totals):,.0f} ms · {recogniser.version}"
            )


if __name__ == "__main__":
    main()
