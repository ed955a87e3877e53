"""Deleting documents: one undoable action that takes their codings, memos and
entity mentions with it and gives them back, exactly, on undo."""

from __future__ import annotations

import time

import pytest
from helpers import _code

from margin.store.codes import create_code
from margin.store.codings import set_coding_memo, set_memo
from margin.store.documents import delete_documents, deletion, list_documents
from margin.store.entities.rules import RuleRecogniser
from margin.store.entities.storage import documents_needing_entities, recognise_documents
from margin.store.errors import HistoryConflict, NotFound
from margin.store.history import changes_since, redo, undo
from margin.store.search.corpus import SearchCorpus
from margin.store.search.fulltext import search_documents

PHRASE = "with the help of North Korean troops"  # in the second sample article
TABLES = ("documents", "codings", "memos", "entities", "entity_runs", "entity_reviews",
          "documents_fts")


def _snapshot(db) -> dict[str, list]:
    """Every row of every table a document owns (and the full-text index)."""
    snapshot = {}
    for table in TABLES:
        snapshot[table] = db.execute(f"SELECT rowid, * FROM [{table}] ORDER BY rowid").fetchall()
    return snapshot


@pytest.fixture
def project(sample_db):
    db = sample_db
    recognise_documents(db, documents_needing_entities(db), RuleRecogniser())
    signals = create_code(db, "Signals")
    coding = _code(db, signals, PHRASE, document_id=2)
    set_coding_memo(db, coding, "troops from the north")
    set_memo(db, "A piece on the talks", "ada", document_id=2)
    _code(db, signals, "Two steps forward", document_id=1)
    return db


def test_delete_takes_everything_of_the_document_and_undo_redo_are_exact(project):
    db = project
    before = _snapshot(db)
    entities = db.execute("SELECT COUNT(*) FROM entities WHERE document_id = 2").fetchone()[0]
    assert entities > 20

    result = delete_documents(db, [2])
    assert (result.codings, result.memos, result.entities) == (1, 2, entities)
    assert [d.id for d in list_documents(db)] == [1, 3, 4, 5]
    for table in ("codings", "memos", "entities", "entity_runs"):
        assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE document_id = 2").fetchone()[0] == 0
    assert not [hit for hit in search_documents(db, '"North Korean troops"')]
    after = _snapshot(db)
    # The other documents' rows are untouched.
    assert [row for row in before["codings"] if row[3] != 2] == after["codings"]

    assert undo(db).startswith("Delete “")
    assert _snapshot(db) == before
    assert {hit.document_id for hit in search_documents(db, '"North Korean troops"')} == {2}

    redo(db)
    assert _snapshot(db) == after
    undo(db)
    assert _snapshot(db) == before


def test_the_question_names_the_document_and_what_goes_with_it(project):
    title = next(d.title for d in list_documents(project) if d.id == 2)
    entities = project.execute(
        "SELECT COUNT(*) FROM entities WHERE document_id = 2").fetchone()[0]
    assert deletion(project, [2]).question == (
        f"Delete “{title}”? Its 1 coding, 2 memos and {entities} entity mentions go with it. "
        "(u undoes it.)")
    plain = deletion(project, [5])
    assert plain.what_goes_with.startswith(f"Its {plain.entities} entity mentions go with it")
    several = deletion(project, [1, 2, 3, 4])
    assert several.what_goes.startswith("4 documents (“")
    assert several.what_goes.endswith(", …)")
    assert several.what_goes_with.startswith("Their 2 codings, 2 memos and ")


def test_unknown_ids_are_refused_and_nothing_is_deleted(project):
    with pytest.raises(NotFound, match="no document with id 99"):
        delete_documents(project, [1, 99])
    assert len(list_documents(project)) == 5


def test_search_forgets_the_document_and_gets_it_back_on_undo(project):
    db = project
    corpus = SearchCorpus()
    corpus.load(db)

    def found() -> set:
        return {(r.kind, r.document_id) for r in corpus.search(db, "North Korean troops", 50)}

    assert ("passage", 2) in found()
    delete_documents(db, [2])
    corpus.refresh(db)
    assert not {kind_doc for kind_doc in found() if kind_doc[1] == 2}
    assert ("document", 2) not in {(i.kind, i.document_id) for i in corpus.items.values()}
    undo(db)
    corpus.refresh(db)
    assert ("passage", 2) in found()
    assert ("document", 2) in {(i.kind, i.document_id) for i in corpus.items.values()}


def test_history_followers_see_the_rows_that_went(project):
    db = project
    state, _ = changes_since(db)
    delete_documents(db, [2])
    state, touched = changes_since(db, state)
    assert ("documents", 2) in touched.rows
    assert touched.coding_documents == {2}


def test_undo_refuses_when_the_id_was_taken_since(project):
    db = project
    delete_documents(db, [5])  # the last id: SQLite gives it to the next document
    from margin.store.documents import import_text
    from margin.store.sources.textio import DecodedText

    new = import_text(db, DecodedText("Another text.", "utf-8", False), source="x",
                      clean=False).document_id
    assert new == 5
    with pytest.raises(HistoryConflict):
        undo(db)
    assert [d.title for d in list_documents(db) if d.id == 5] == ["Another text."]


def test_deleting_and_undoing_a_big_document_is_fast(db):
    from margin.store.documents import import_text
    from margin.store.sources.textio import DecodedText

    text = "\n\n".join(f"Paragraph {n} about Kyiv and Moscow and Washington." for n in range(20_000))
    document = import_text(db, DecodedText(text, "utf-8", False), source="big",
                           clean=False).document_id
    recognise_documents(db, [document], RuleRecogniser())
    mentions = db.execute("SELECT COUNT(*) FROM entities").fetchone()[0]
    assert mentions >= 40_000
    started = time.perf_counter()
    delete_documents(db, [document])
    undo(db)
    redo(db)
    undo(db)
    elapsed = time.perf_counter() - started
    assert db.execute("SELECT COUNT(*) FROM entities").fetchone()[0] == mentions
    assert elapsed < 20, elapsed  # ~1 s here; a row at a time took minutes


def test_recognition_of_a_document_deleted_meanwhile_stores_nothing(sample_db):
    from margin.store.documents import document_text
    from margin.store.entities.storage import store_entities

    db = sample_db
    text = document_text(db, 3)
    spans = RuleRecogniser().recognise(text)
    delete_documents(db, [3])
    assert store_entities(db, 3, spans, "rules", "1", text=text) == 0
    assert db.execute("SELECT COUNT(*) FROM entities WHERE document_id = 3").fetchone()[0] == 0
