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

from margin.store import documents, history
from margin.store.db import open_database
from margin.store.documents import (
    delete_documents,
    documents_being_indexed,
    get_document,
    import_text,
    rename_document,
)
from margin.store.entities import EntitySpan, parallel, storage, text_pieces
from margin.store.entities.rules import RuleRecogniser
from margin.store.entities.storage import (
    documents_needing_entities,
    entities_for_document,
    recognise_documents,
    store_entities,
)
from margin.store.history import redo, undo
from margin.store.importing import ImportOptions, run_import, sample_sources
from margin.store.integrity import check_database, check_file, repair_file
from margin.store.search.fulltext import search_documents
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
    # Its full text is indexed in pieces of 50,000 characters.
    monkeypatch.setattr(documents, "PIECES_ABOVE", 100_000)
    monkeypatch.setattr(documents, "PIECE_CHARS", 50_000)
    monkeypatch.setattr(documents, "_PAUSE_MIN", 0.01)
    # A document's row of over 50,000 characters is a long one for the
    # history: its text written to history_texts (40,000 characters a row)
    # before a delete's transaction, the row put back by undo as parameters.
    monkeypatch.setattr(history, "_LONG_ROW", 50_000)
    monkeypatch.setattr(history, "_STAGED_CHARS", 40_000)


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
    # Its full text is indexed in pieces: full-text search finds a word of
    # its last piece, and the whole-text indexes never held it.
    assert db.execute("SELECT COUNT(*), SUM(indexed) FROM document_pieces").fetchone() == (7, 7)
    last = search_documents(db, "Part 5", limit=None)[-1]
    assert text[last.start:last.end] == "Part 5" and last.start > 6 * 50_000
    assert db.execute("SELECT COUNT(*) FROM documents_fts_docsize").fetchone()[0] == 0
    assert documents_being_indexed(db) == []
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


# ------------------------------------------- the full text of a long text


def marked_text(paragraphs: int = 2_500) -> str:
    """About 110,000 characters: long once the thresholds are lowered, with
    a word of its own in each paragraph and another at the very end."""
    return ("".join(f"Paragraph {n} mentions Kyiv and zebra{n}.\n\n" for n in range(paragraphs))
            + "The last word is xylophone.\n")


def imported_long_text(tmp_path, cancelled=None):
    source = tmp_path / "long.txt"
    source.write_text(marked_text(), encoding="utf-8")
    path = tmp_path / "long.db"
    db = open_database(path)
    report = run_import(db, [str(source)], ImportOptions(entities=False), cancelled=cancelled)
    return path, db, report


class StopAfterPieces:
    """A ``cancelled()`` that is true (or raises ``error``: a crash) once so
    many pieces are indexed, as another connection sees them."""

    def __init__(self, path, pieces: int, error: type[BaseException] | None = None) -> None:
        self.connection = sqlite3.connect(path)
        self.pieces = pieces
        self.error = error

    def __call__(self) -> bool:
        try:
            indexed = self.connection.execute(
                "SELECT COUNT(*) FROM document_pieces WHERE indexed").fetchone()[0]
        except sqlite3.OperationalError:  # before the schema is made
            return False
        if indexed >= self.pieces and self.error is not None:
            raise self.error
        return indexed >= self.pieces

    def close(self) -> None:
        self.connection.close()


def found(db, query: str) -> list[str]:
    return [hit.text for hit in search_documents(db, query, limit=None)]


def test_full_text_search_of_a_text_indexed_in_pieces_finds_what_a_whole_index_finds(
        tmp_path, long_texts):
    _path, db, report = imported_long_text(tmp_path)
    (document_id,) = [result.document_id for result in report.results]
    assert db.execute("SELECT COUNT(*) FROM document_pieces WHERE document_id = ?",
                      [document_id]).fetchone()[0] == 3
    # Stored once: the text is its own original.
    assert db.execute("SELECT length(original) FROM documents").fetchone()[0] == 0
    text = get_document(db, document_id).text
    assert found(db, "xylophone") == ["xylophone"]  # the last piece
    hits = search_documents(db, "xylo*")
    assert [text[hit.start:hit.end] for hit in hits] == ["xylophone"]
    # The document is the unit, as for a document indexed whole: words of
    # its first and last pieces together, a word left out, a phrase.
    assert found(db, "zebra1 AND xylophone") == ["zebra1", "xylophone"]
    assert found(db, "zebra2 NOT xylophone") == []
    assert found(db, "zebra2 NOT nowhere") == ["zebra2"]
    assert found(db, '"last word"') == ["last word"]
    assert len(found(db, "mention")) == 2_500  # stemmed: "mentions"
    # Beside a document indexed whole, ranked together.
    import_text(db, DecodedText("A short note on a xylophone.", "utf-8", False),
                source="note.txt", clean=False)
    assert found(db, "xylophone") == ["xylophone", "xylophone"]
    assert check_database(db).ok
    db.close()


def test_a_crash_between_index_pieces_leaves_a_database_check_accepts_and_repair_completes(
        tmp_path, long_texts):
    crash = StopAfterPieces(tmp_path / "long.db", 2, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):  # between two pieces' transactions
        imported_long_text(tmp_path, cancelled=crash)
    crash.close()
    db = open_database(tmp_path / "long.db")
    (document,) = documents_being_indexed(db)
    assert (document.indexed, document.pieces) == (2, 3)
    # Search finds what is indexed so far (not the last piece's word yet).
    assert found(db, "zebra1") == ["zebra1"] and found(db, "xylophone") == []
    db.close()
    report = check_file(tmp_path / "long.db")
    assert report.ok
    (finding,) = [f for f in report.findings if f.name == "full text"]
    assert "1 document still being indexed" in finding.message
    assert finding.details == [f"#{document.id} “Paragraph 0 mentions Kyiv and zebra0.” is "
                               "still being indexed (2 of 3 pieces)"]
    checked = subprocess.run([sys.executable, "-m", "margin.tui.cli", "--db",
                              str(tmp_path / "long.db"), "check"],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "still being indexed" in checked.stdout
    searched = subprocess.run([sys.executable, "-m", "margin.tui.cli", "--db",
                               str(tmp_path / "long.db"), "fts", "xylophone"],
                              capture_output=True, text=True, timeout=60)
    assert searched.stderr.splitlines() == [
        "No matches.",
        f"note: #{document.id} “Paragraph 0 mentions Kyiv and zebra0.” is still being indexed "
        "(2 of 3 pieces): hits in it may be missing (`margin check --repair` indexes the rest)"]
    repaired = repair_file(tmp_path / "long.db")
    assert repaired.ok and repaired.repaired == [
        f"indexed the rest of #{document.id} “Paragraph 0 mentions Kyiv and zebra0.” "
        "(1 of 3 pieces)"]
    db = open_database(tmp_path / "long.db")
    assert documents_being_indexed(db) == [] and found(db, "xylophone") == ["xylophone"]
    assert "still being indexed" not in str(check_database(db).findings)
    db.close()


def test_an_import_run_again_completes_a_text_left_half_indexed(tmp_path, long_texts):
    cancel = StopAfterPieces(tmp_path / "long.db", 1)
    _path, db, report = imported_long_text(tmp_path, cancelled=cancel)
    cancel.close()
    assert report.cancelled and report.lines()[-1].startswith("note: #1 “Paragraph 0")
    assert report.lines()[-1].endswith("is still being indexed (1 of 3 pieces); the next "
                                       "import or `margin check --repair` completes it")
    again = run_import(db, [str(tmp_path / "long.txt")], ImportOptions(entities=False))
    assert again.count("duplicate") == 1 and "still being indexed" not in str(again.lines())
    assert documents_being_indexed(db) == [] and found(db, "xylophone") == ["xylophone"]
    db.close()


def test_deleting_a_text_indexed_in_pieces_and_undoing_it_keep_its_index_in_step(
        tmp_path, long_texts):
    path, db, report = imported_long_text(tmp_path)
    (document_id,) = [result.document_id for result in report.results]
    delete_documents(db, [document_id])
    assert found(db, "xylophone") == [] and check_database(db).ok
    undo(db)
    assert found(db, "xylophone") == ["xylophone"] and check_database(db).ok
    # A delete from outside (sqlite-utils, Datasette: foreign keys off).
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("DELETE FROM documents WHERE id = ?", [document_id])
    other.close()
    assert db.execute("SELECT COUNT(*) FROM document_pieces").fetchone()[0] == 0
    assert found(db, "xylophone") == [] and check_database(db).ok
    db.close()


def test_check_finds_a_piece_index_out_of_step_and_repair_rebuilds_it(tmp_path, long_texts):
    path, db, _report = imported_long_text(tmp_path)
    db.execute("INSERT INTO document_pieces_fts(document_pieces_fts) VALUES ('delete-all')")
    db.conn.commit()
    (finding,) = [f for f in check_database(db).findings if f.name == "full text"]
    assert not finding.ok and finding.details == [
        "document_pieces_fts (the very long documents, in pieces)"]
    db.close()
    repaired = repair_file(path)
    assert repaired.ok and repaired.repaired == [
        "rebuilt the full-text index of the very long documents, in pieces"]
    db = open_database(path)
    assert found(db, "xylophone") == ["xylophone"]
    db.close()


async def test_the_full_text_search_screen_says_a_document_is_still_being_indexed(
        tmp_path, long_texts):
    from helpers import wait_for

    from margin.tui.app import MarginApp
    from margin.tui.search.fulltext import FullTextScreen

    cancel = StopAfterPieces(tmp_path / "long.db", 1)
    path, db, _report = imported_long_text(tmp_path, cancelled=cancel)
    cancel.close()
    db.close()
    app = MarginApp(path, "ada")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, FullTextScreen))
        await pilot.press(*"zebra1")
        await wait_for(pilot, lambda: len(app.screen.hits) == 1)
        status = str(app.screen.query_one("#status-bar").render())
        assert "1 document still being indexed: some hits may be missing" in status


class PiecesBetweenTransactions:
    """Wraps ``documents.Pacer.transaction``: before each short transaction
    of a long text's pieces, another connection writes (margin holds no
    lock then: only the other writers of a test may make it wait) and
    notes how many pieces are indexed;
    raises ``error`` before the transaction numbered ``crash_at``."""

    def __init__(self, path, monkeypatch, crash_at: int | None = None,
                 error: type[BaseException] = KeyboardInterrupt) -> None:
        self.other = sqlite3.connect(path, timeout=2.0, isolation_level=None)
        self.other.execute("CREATE TABLE IF NOT EXISTS scratch (n INTEGER)")
        self.indexed: list[int] = []
        self.crash_at = crash_at
        self.error = error
        transaction = documents.Pacer.transaction

        def observed(pacer):
            self.other.execute("INSERT INTO scratch VALUES (1)")
            self.indexed.append(self.other.execute(
                "SELECT COUNT(*) FROM document_pieces WHERE indexed").fetchone()[0])
            if self.crash_at is not None and len(self.indexed) == self.crash_at:
                raise self.error
            return transaction(pacer)

        monkeypatch.setattr(documents.Pacer, "transaction", observed)
        self._restore = lambda: monkeypatch.setattr(documents.Pacer, "transaction", transaction)

    def take(self) -> list[int]:
        seen, self.indexed = self.indexed, []
        return seen

    def close(self) -> None:
        self._restore()
        self.other.close()


def test_deleting_a_long_text_and_undoing_it_go_a_piece_a_transaction_and_search_follows(
        tmp_path, long_texts, monkeypatch):
    path, db, report = imported_long_text(tmp_path)
    (document_id,) = [result.document_id for result in report.results]
    text = get_document(db, document_id).text
    coded = import_text(db, DecodedText("Zebra1 is also in this short one.", "utf-8", False),
                        source="short.txt", clean=False).document_id
    between = PiecesBetweenTransactions(path, monkeypatch)
    with WriterLoop(path) as writer:
        delete_documents(db, [document_id])
        # Its three pieces left the indexes one short transaction each,
        # another writer free to write between them, then its text went to
        # the history's texts (three rows, after a clean-up), the same way,
        # before the delete: its history row holds no copy of the text.
        assert between.take() == [3, 2, 1, 0, 0, 0, 0]
        assert db.execute("SELECT COUNT(*) FROM history_texts").fetchone()[0] == 3
        assert db.execute("SELECT MAX(length(changes)) FROM history").fetchone()[0] < 10_000
        assert found(db, "xylophone") == [] and found(db, "zebra1") == ["Zebra1"]
        assert db.execute("SELECT COUNT(*) FROM document_pieces").fetchone()[0] == 0
        assert check_database(db).ok
        assert undo(db) == "Delete “Paragraph 0 mentions Kyiv and zebra0.”"
        # Back, and indexed again a piece a transaction, to its last piece.
        assert between.take() == [0, 1, 2]
        assert get_document(db, document_id).text == text
        assert found(db, "xylophone") == ["xylophone"]
        assert sorted(hit.document_id for hit in search_documents(db, "zebra1")) == [
            document_id, coded]
        assert documents_being_indexed(db) == [] and check_database(db).ok
        # Redo deletes it again the same way; undo brings it back again.
        redo(db)
        assert between.take() == [3, 2, 1] and found(db, "xylophone") == []
        undo(db)
        assert between.take() == [0, 1, 2] and found(db, "xylophone") == ["xylophone"]
        assert get_document(db, document_id).text == text
    between.close()
    # A new action drops the undone delete, and its text with it.
    rename_document(db, coded, "Short")
    assert db.execute("SELECT COUNT(*) FROM history_texts").fetchone()[0] == 0
    assert writer.locked == [] and max(writer.waits) < 3.0
    assert documents_being_indexed(db) == [] and check_database(db).ok
    db.close()


def test_a_crash_while_undo_indexes_a_long_text_again_leaves_a_database_check_accepts_and_repair_completes(
        tmp_path, long_texts, monkeypatch):
    path, db, report = imported_long_text(tmp_path)
    (document_id,) = [result.document_id for result in report.results]
    text = get_document(db, document_id).text
    delete_documents(db, [document_id])
    between = PiecesBetweenTransactions(path, monkeypatch, crash_at=3)
    with pytest.raises(KeyboardInterrupt):  # after two of its three pieces
        undo(db)
    between.close()
    db.close()
    db = open_database(path)
    # The undo stands: the document is back, whole, its first two pieces
    # searchable, the last not yet; check accepts it and says so.
    assert get_document(db, document_id).text == text
    (document,) = documents_being_indexed(db)
    assert (document.id, document.indexed, document.pieces) == (document_id, 2, 3)
    assert found(db, "zebra1") == ["zebra1"] and found(db, "xylophone") == []
    db.close()
    checked = check_file(path)
    assert checked.ok
    assert "1 document still being indexed" in str(checked.findings)
    repaired = repair_file(path)
    assert repaired.ok and repaired.repaired == [
        f"indexed the rest of #{document_id} “Paragraph 0 mentions Kyiv and zebra0.” "
        "(1 of 3 pieces)"]
    db = open_database(path)
    assert found(db, "xylophone") == ["xylophone"] and documents_being_indexed(db) == []
    # And it can be deleted again, as any other.
    delete_documents(db, [document_id])
    assert found(db, "xylophone") == [] and check_database(db).ok
    db.close()


def test_a_crash_while_a_long_text_leaves_the_indexes_before_its_delete_leaves_it_whole(
        tmp_path, long_texts, monkeypatch):
    path, db, report = imported_long_text(tmp_path)
    (document_id,) = [result.document_id for result in report.results]
    between = PiecesBetweenTransactions(path, monkeypatch, crash_at=2)
    with pytest.raises(KeyboardInterrupt):  # its first piece out, the delete not made
        delete_documents(db, [document_id])
    between.close()
    db.close()
    db = open_database(path)
    (document,) = documents_being_indexed(db)
    assert (document.id, document.indexed, document.pieces) == (document_id, 2, 3)
    assert found(db, "xylophone") == ["xylophone"] and found(db, "zebra1") == []
    db.close()
    assert check_file(path).ok
    assert repair_file(path).ok
    db = open_database(path)
    assert found(db, "zebra1") == ["zebra1"] and documents_being_indexed(db) == []
    db.close()


def test_check_reads_a_database_with_a_long_text_while_another_writer_holds_the_lock(
        tmp_path, long_texts):
    path, db, _report = imported_long_text(tmp_path)
    db.close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the app, in the middle of an action
    other.execute("CREATE TABLE scratch (n INTEGER)")
    try:
        started = time.perf_counter()
        report = check_file(path)
        took = time.perf_counter() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    # margin check takes no write lock: it neither waits for the writer
    # nor fails on it.
    assert report.ok, [f.as_json() for f in report.findings if not f.ok]
    (finding,) = [f for f in report.findings if f.name == "full text"]
    assert finding.message == "the full-text indexes are in step with the rows indexed"
    assert took < 3.0


def test_check_finds_a_long_text_put_into_a_whole_text_index_and_repair_takes_it_out(
        tmp_path, long_texts):
    path, db, report = imported_long_text(tmp_path)
    (document_id,) = [result.document_id for result in report.results]
    # A tool indexed the long text whole, as if it were short.
    db.execute("INSERT INTO documents_unstemmed_fts (rowid, text) "
               "SELECT id, text FROM documents WHERE id = ?", [document_id])
    db.conn.commit()
    (finding,) = [f for f in check_database(db).findings if f.name == "full text"]
    assert not finding.ok and finding.details == [
        "documents_unstemmed_fts (the documents' words as written)"]
    db.close()
    repaired = repair_file(path)
    assert repaired.ok and repaired.repaired == [
        "rebuilt the full-text index of the documents' words as written"]
    db = open_database(path)
    assert db.execute("SELECT COUNT(*) FROM documents_unstemmed_fts_docsize").fetchone()[0] == 0
    assert found(db, "xylo*") == ["xylophone"]
    db.close()


def test_a_long_text_merged_from_a_colleague_is_indexed_in_pieces_and_undone_the_same_way(
        tmp_path, long_texts, monkeypatch):
    from margin.store.merging import merge_file

    (tmp_path / "theirs").mkdir()
    their_path, theirs, _report = imported_long_text(tmp_path / "theirs")
    theirs.close()
    db = open_database(tmp_path / "ours.db")
    between = PiecesBetweenTransactions(tmp_path / "ours.db", monkeypatch)
    try:
        report = merge_file(db, their_path)
        assert report.documents_added == ["Paragraph 0 mentions Kyiv and zebra0."]
        # Not indexed whole in the merge's transaction: its three pieces
        # after it, a short transaction each.
        assert between.take() == [0, 1, 2]
        assert db.execute("SELECT COUNT(*) FROM documents WHERE indexed_in_pieces"
                          ).fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM documents_fts_docsize").fetchone()[0] == 0
        assert found(db, "xylophone") == ["xylophone"] and documents_being_indexed(db) == []
        assert check_database(db).ok
        undo(db)
        assert between.take() == [3, 2, 1]
        assert found(db, "xylophone") == [] and check_database(db).ok
        redo(db)
        assert between.take() == [0, 1, 2]
        assert found(db, "xylophone") == ["xylophone"] and check_database(db).ok
    finally:
        between.close()
    db.close()


def test_a_long_text_in_a_refi_qda_project_is_indexed_in_pieces_after_its_transaction(
        tmp_path, long_texts, monkeypatch):
    from margin.store.refi.exporter import export_qdpx

    (tmp_path / "theirs").mkdir()
    _path, theirs, _report = imported_long_text(tmp_path / "theirs")
    project = export_qdpx(theirs, tmp_path / "long.qdpx")
    text = get_document(theirs, 1).text
    theirs.close()
    path = tmp_path / "ours.db"
    db = open_database(path)
    between = PiecesBetweenTransactions(path, monkeypatch)
    try:
        report = run_import(db, [str(project)], ImportOptions(entities=False))
        assert report.count("imported") == 1
        assert between.take() == [0, 1, 2]
    finally:
        between.close()
    (document_id,) = [row[0] for row in db.execute(
        "SELECT id FROM documents WHERE indexed_in_pieces")]
    assert get_document(db, document_id).text == text
    assert db.execute("SELECT COUNT(*) FROM documents_fts_docsize").fetchone()[0] == 0
    assert found(db, "xylophone") == ["xylophone"] and documents_being_indexed(db) == []
    assert check_database(db).ok
    db.close()


def test_texts_another_process_is_writing_for_its_delete_are_not_taken_for_leftovers(
        tmp_path, long_texts):
    db = open_database(tmp_path / "p.db")
    # Another margin has written its text for a delete it is about to make:
    # no history row names those rows yet. And a crash left one behind, long ago.
    theirs = history._stage(db, ["x" * 60_000])[0][1]
    db.execute("INSERT INTO history_texts (text, written) VALUES ('old', julianday('now') - 1)")
    db.conn.commit()
    history._stage(db, ["y" * 60_000])  # this one's own delete
    left = dict(db.execute("SELECT id, text FROM history_texts").fetchall())
    # Theirs are still there for its undo (and their ids not given to others).
    assert theirs and all(left.get(row, "").startswith("x") for row in theirs)
    assert not db.execute("SELECT 1 FROM history_texts WHERE text = 'old'").fetchone()
