"""Long jobs share the database: while the entities of a big document are
stored, or a very long text is imported, another writer (the app coding
meanwhile) never finds it locked nor waits long, nobody sees half a
document, and a job stopped half-way leaves a database that `margin check`
accepts and a rebuild completes.

The sizes are modest (a few hundred kilobytes): the thresholds and batch
sizes of the long-text path are lowered so that it runs here as it does on
a 100 MB text (bench/big_import_bench.py measures that one)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc

import pytest

from margin.store.db import open_database
from margin.store.documents import get_document, import_text
from margin.store.entities import EntitySpan, parallel, storage, text_pieces
from margin.store.entities.rules import RuleRecogniser
from margin.store.entities.storage import (
    documents_needing_entities,
    entities_for_document,
    recognise_documents,
    store_entities,
)
from margin.store.importing import ImportOptions, run_import, sample_sources
from margin.store.integrity import check_database
from margin.store.sources.textio import DecodedText, count_words, read_text_file
from margin.store.sources.titles import guess_title


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


# ------------------------------------------------------- a very long text


def long_text_file(folder, copies: int = 5):
    """The sample articles repeated, each copy numbered (as the bench does):
    about 300 KB, "very long" once the thresholds are lowered."""
    articles = [data.decode("utf-8") for _, data in sample_sources()]
    path = folder / "long.txt"
    path.write_text("".join(f"Part {copy}.\n\n{article}\n\n"
                            for copy in range(1, copies + 1) for article in articles),
                    encoding="utf-8")
    return path


@pytest.fixture
def long_texts(monkeypatch):
    """Texts over 100,000 characters are long, recognised in pieces of
    60,000; entities are written a few hundred rows a transaction."""
    monkeypatch.setattr(parallel, "LONG_TEXT_CHARS", 100_000)
    monkeypatch.setattr(storage, "LONG_TEXT_CHARS", 100_000)
    monkeypatch.setattr(parallel, "PIECE_CHARS", 60_000)
    monkeypatch.setattr(storage, "_FIRST_ROWS", 300)
    monkeypatch.setattr(storage, "_MIN_ROWS", 100)
    monkeypatch.setattr(storage, "_MAX_ROWS", 400)
    monkeypatch.setattr(storage, "_PAUSE", 0.01)


class WriterLoop:
    """Another writer: inserts every few milliseconds with a 5 s busy timeout
    (as the app's connection has), timing each insert, and each time reads
    the documents' text lengths, which must always be whole."""

    def __init__(self, path) -> None:
        self.path = path
        self.locked: list[str] = []
        self.waits: list[float] = []
        self.seen: set[tuple[str, int]] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def __enter__(self) -> WriterLoop:
        self._thread.start()
        time.sleep(0.05)
        return self

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        other = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
        other.execute("CREATE TABLE IF NOT EXISTS scratch (n INTEGER)")
        while not self._done.is_set():
            started = time.perf_counter()
            try:
                other.execute("INSERT INTO scratch VALUES (1)")
            except sqlite3.OperationalError as error:
                self.locked.append(str(error))
            self.waits.append(time.perf_counter() - started)
            self.seen |= set(other.execute(
                "SELECT source_path, length(text) FROM documents").fetchall())
            time.sleep(0.005)
        other.close()


def test_a_very_long_text_imports_in_pieces_with_the_entities_of_the_whole_while_another_writer_goes_on(
        tmp_path, long_texts):
    source = long_text_file(tmp_path)
    text = read_text_file(source).text
    path = tmp_path / "long.db"
    db = open_database(path)
    with WriterLoop(path) as writer:
        report = run_import(db, [str(source)], ImportOptions(backend="rules", workers=2))
    document_id = report.results[0].document_id
    assert report.lines()[-1] == f"{report.entities:,} entities in 1 document (rules)"
    # The entities of each piece (cut at blank lines), shifted into the
    # whole text; nearly all of them those of the whole text recognised at
    # once (a piece learns names from itself, not from the whole).
    pieces = [(offset + s.start, offset + s.end, s.label, s.text)
              for offset, piece in text_pieces(text, 60_000)
              for s in RuleRecogniser().recognise(piece)]
    stored = [(e.start, e.end, e.label, e.text) for e in entities_for_document(db, document_id)]
    assert stored == pieces and report.entities == len(pieces) > 1_000
    whole = {(s.start, s.end, s.label) for s in RuleRecogniser().recognise(text)}
    assert len(whole & {entity[:3] for entity in stored}) >= 0.99 * len(whole)
    assert documents_needing_entities(db) == []
    assert check_database(db).ok
    # The other writer was never refused, never waited long (a generous
    # bound: the machine running the tests may be busy, its disk slow), and
    # saw the document whole or not at all.
    assert writer.locked == [] and len(writer.waits) > 10
    assert max(writer.waits) < 3.0
    assert {length for _, length in writer.seen} <= {len(text)}
    db.close()


def test_a_very_long_import_stopped_between_entity_batches_leaves_a_database_that_check_accepts_and_a_rebuild_completes(
        tmp_path, long_texts, monkeypatch):
    source = long_text_file(tmp_path)
    text = read_text_file(source).text
    path = tmp_path / "stopped.db"
    db = open_database(path)
    insert = storage._insert_entities
    calls = 0

    def interrupted(db, rows):
        nonlocal calls
        calls += 1
        if calls == 4:  # Ctrl-C (or a crash) in the fourth batch of entities
            raise KeyboardInterrupt
        return insert(db, rows)

    monkeypatch.setattr(storage, "_insert_entities", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_import(db, [str(source)], ImportOptions(backend="rules", workers=0))
    db.close()
    monkeypatch.setattr(storage, "_insert_entities", insert)

    db = open_database(path)
    # The document is whole; three batches of its entities arrived, and it
    # is one that still needs its entities (the app would recognise it).
    (document_id,) = documents_needing_entities(db)
    assert get_document(db, document_id).text == text
    assert 0 < len(entities_for_document(db, document_id)) <= 3 * 400
    assert check_database(db).ok
    checked = subprocess.run([sys.executable, "-m", "margin.tui.cli", "--db", str(path), "check"],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # A rebuild (here with another writer going on) completes it.
    with WriterLoop(path) as writer:
        summary = recognise_documents(db, [document_id], RuleRecogniser(), workers=None)
    pieces = [(offset + s.start, offset + s.end, s.label, s.text)
              for offset, piece in text_pieces(text, 60_000)
              for s in RuleRecogniser().recognise(piece)]
    assert [(e.start, e.end, e.label, e.text)
            for e in entities_for_document(db, document_id)] == pieces
    assert summary.entities == len(pieces)
    assert documents_needing_entities(db) == [] and check_database(db).ok
    assert writer.locked == [] and max(writer.waits) < 3.0
    db.close()


def test_text_pieces_rejoin_and_are_cut_at_blank_lines():
    text = "".join(f"Paragraph {n} says something.\n\n" for n in range(2_000))
    pieces = list(text_pieces(text, 5_000))
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= 5_000 and piece.endswith("\n\n") for _, piece in pieces[:-1])
    assert [offset for offset, _ in pieces] == [
        sum(len(piece) for _, piece in pieces[:n]) for n in range(len(pieces))]


def test_counting_the_words_and_guessing_the_title_of_a_long_text_copy_none_of_it():
    text = "A Title Line\n\n" + "Word’s worth of a long text, said Anna.\n" * 50_000  # 2 MB
    expected = 1 + 1 + 50_000 * 8  # "A Title Line" is 3 words
    tracemalloc.start()
    try:
        words = count_words(text)
        title = guess_title(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert words == expected + 1
    assert title == "A Title Line"
    # The text is 4 MB in memory (two bytes a character): no copy of it,
    # no list of its 400,000 words (that list alone took 25 MB).
    assert peak < 6_000_000
