"""Long jobs share the database: while the entities of a big document are
stored, another writer (the app coding meanwhile) never finds it locked."""

from __future__ import annotations

import sqlite3
import threading
import time

from margin.store.db import open_database
from margin.store.documents import import_text
from margin.store.entities import EntitySpan
from margin.store.entities.storage import (
    documents_needing_entities,
    entities_for_document,
    store_entities,
)
from margin.store.sources.textio import DecodedText


def test_a_writer_loop_during_a_big_entity_rebuild_never_finds_the_database_locked(tmp_path):
    path = tmp_path / "big.db"
    db = open_database(path)
    text = "Anna met Boris in Kyiv. " * 40_000  # ~1 MB, 120,000 mentions
    document = import_text(db, DecodedText(text, "utf-8", False), source="big.txt",
                           clean=False).document_id
    spans = []
    for sentence in range(40_000):
        base = sentence * 24
        spans += [EntitySpan(base, base + 4, "PERSON", "Anna"),
                  EntitySpan(base + 9, base + 14, "PERSON", "Boris"),
                  EntitySpan(base + 18, base + 22, "GPE", "Kyiv")]
    store_entities(db, document, spans, "test", "1")  # the first run

    locked: list[str] = []
    writes = 0
    done = threading.Event()

    def writer() -> None:
        nonlocal writes
        # A short busy timeout: one long transaction of the rebuild makes it fail.
        other = sqlite3.connect(path, timeout=1.0, isolation_level=None)
        other.execute("CREATE TABLE IF NOT EXISTS scratch (n INTEGER)")
        while not done.is_set():
            try:
                other.execute("INSERT INTO scratch VALUES (1)")
                writes += 1
            except sqlite3.OperationalError as error:
                locked.append(str(error))
            time.sleep(0.005)
        other.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.1)
        store_entities(db, document, spans[::-1], "test", "2")  # the rebuild
    finally:
        done.set()
        thread.join()
    assert locked == []
    assert writes > 10
    assert len(entities_for_document(db, document)) == len(spans)
    assert documents_needing_entities(db) == []
    db.close()
