"""Search across everything coded or written: kinds, filters, and the index
kept in step with what the researcher does (code, uncode, rename, undo)."""

from __future__ import annotations

import json

import pytest
from helpers import make_demo_project
from test_cli import margin

from margin.store.codes import create_code, rename_code
from margin.store.codings import apply_coding, remove_coding, set_coding_memo, set_memo
from margin.store.db import open_database
from margin.store.documents import get_document, rename_document
from margin.store.errors import StoreError
from margin.store.history import redo, undo
from margin.store.search.corpus import (
    SearchCorpus,
    complete_filter,
    filter_being_typed,
    parse_query,
)


@pytest.fixture
def project(tmp_path):
    path = make_demo_project(tmp_path / "demo.db")
    db = open_database(path)
    yield db
    db.conn.close()


def _code(db, code_id, phrase, document_id=1):
    text = get_document(db, document_id).text
    start = text.index(phrase)
    return apply_coding(db, document_id, code_id, start, start + len(phrase), "ada")


def _top(corpus, db, query, kinds=None):
    results = corpus.search(db, query, 10, kinds=kinds)
    return results[0] if results else None


def test_a_misspelled_fragment_finds_the_coded_passage_with_its_codes(project):
    corpus = SearchCorpus()
    corpus.load(project)
    top = _top(corpus, project, "throw oil on teh fire", {"passage"})
    assert top.kind == "passage" and "throw oil on the fire" in top.text
    assert top.codes == ("Escalation",)
    assert top.document_title.startswith("Diplomacy Watch")
    assert any("oil" in top.text[s:e] for s, e in top.spans)


def test_each_kind_is_found(project):
    corpus = SearchCorpus()
    corpus.load(project)
    assert _top(corpus, project, "outgoing administration", {"memo"}).label == "coding"
    assert _top(corpus, project, "escalaton", {"code"}).text == "Escalation"
    assert _top(corpus, project, "diplomacy watch", {"document"}).document_id == 1
    entity = _top(corpus, project, "zelensky", {"entity"})
    assert entity.kind == "entity" and "Zelensky" in entity.text and entity.start is not None


def test_filters_narrow_the_results(project):
    corpus = SearchCorpus()
    corpus.load(project)
    results = corpus.search(project, "billion code:aid", 10)
    assert results and all(r.codes == ("US aid",) for r in results)
    # A code includes the codes beneath it.
    officials = corpus.search(project, "sullivan code:actors kind:passage", 10)
    assert officials and all(r.codes == ("Actors > Officials",) for r in officials)
    assert all(r.kind == "code" for r in corpus.search(project, "aid kind:code", 10))
    assert corpus.search(project, "sullivan coder:ada kind:passage", 10)
    assert all(r.document_id == 1 for r in corpus.search(project, "the doc:diplomacy", 10))
    with pytest.raises(StoreError, match="no code matching"):
        corpus.search(project, "x code:zzzzzzzz", 10)
    with pytest.raises(StoreError, match="unknown kind"):
        corpus.search(project, "x kind:banana", 10)


def test_query_syntax_and_completion(project):
    query = parse_query('guarantees code:"US aid" kind:memo doc:watch')
    assert (query.text, query.codes, query.kinds, query.documents) == (
        "guarantees", ["US aid"], {"memo"}, ["watch"])
    assert filter_being_typed('peace code:"US a') == ("code", "US a")
    assert filter_being_typed("peace kind:") == ("kind", "")
    assert filter_being_typed("peace kind:memo ") is None
    assert complete_filter(project, "code", "off")[0] == "Actors > Officials"
    assert complete_filter(project, "kind", "me") == ["memo"] or "memo" in complete_filter(
        project, "kind", "me")[:1]


def test_the_index_follows_coding_uncoding_renaming_memos_and_undo(project):
    corpus = SearchCorpus()
    corpus.load(project)
    phrase = "Kyiv and Moscow both hinted this week"
    assert _top(corpus, project, phrase, {"passage"}) is None or phrase not in _top(
        corpus, project, phrase, {"passage"}).text

    signals = create_code(project, "Signals")
    coding = _code(project, signals, phrase)
    assert corpus.refresh(project)
    found = _top(corpus, project, "kyiv moscow hinted", {"passage"})
    assert found.text == phrase and found.codes == ("Signals",)

    rename_code(project, signals, "Hints")
    corpus.refresh(project)
    assert _top(corpus, project, "kyiv moscow hinted", {"passage"}).codes == ("Hints",)
    assert _top(corpus, project, "hints", {"code"}).text == "Hints"

    set_coding_memo(project, coding, "both capitals prepare the ground")
    set_memo(project, "a memo on the whole article", "ada", document_id=1)
    corpus.refresh(project)
    assert _top(corpus, project, "capitals prepare", {"memo"}).label == "coding"
    assert _top(corpus, project, "memo whole article", {"memo"}).label == "document"

    remove_coding(project, coding)
    corpus.refresh(project)
    assert all(r.text != phrase for r in corpus.search(project, "kyiv moscow hinted", 10,
                                                        kinds={"passage"}))
    assert all("capitals prepare" not in r.text for r in corpus.search(project, "capitals", 10))

    undo(project)  # the coding (and its memo) is back
    corpus.refresh(project)
    assert _top(corpus, project, "kyiv moscow hinted", {"passage"}).text == phrase
    redo(project)
    corpus.refresh(project)
    assert all(r.text != phrase for r in corpus.search(project, "kyiv moscow hinted", 10,
                                                        kinds={"passage"}))

    rename_document(project, 1, "Weekly diplomacy digest")
    corpus.refresh(project)
    assert _top(corpus, project, "weekly digest", {"document"}).document_id == 1


def test_command_line_search_as_json(tmp_path):
    path = make_demo_project(tmp_path / "demo.db")
    result = margin("--db", str(path), "search", "throw oil on teh fire", "--kind", "passage",
                    "--json", "--limit", "3")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert records and set(records[0]) == {"kind", "score", "document_id", "document_title",
                                           "start", "end", "text", "codes", "label"}
    assert "throw oil on the fire" in records[0]["text"] and records[0]["codes"] == ["Escalation"]
    document_text = get_document(open_database(path), records[0]["document_id"]).text
    assert document_text[records[0]["start"]:records[0]["end"]] == records[0]["text"]
    bad = margin("--db", str(path), "search", "x kind:banana")
    assert bad.returncode == 1 and bad.stderr.decode().startswith("Error: unknown kind")


def test_an_undone_action_dropped_from_the_history_before_a_refresh_still_counts(project):
    corpus = SearchCorpus()
    signals = create_code(project, "Signals")
    phrase = "Kyiv and Moscow both hinted this week"
    _code(project, signals, phrase)
    corpus.load(project)
    assert _top(corpus, project, "kyiv moscow hinted", {"passage"}).text == phrase
    undo(project)  # the coding goes…
    create_code(project, "Other")  # …and a new action drops the undone one from the history
    corpus.refresh(project)
    assert all(r.text != phrase for r in corpus.search(project, "kyiv moscow hinted", 10,
                                                        kinds={"passage"}))


def test_coder_unknown_finds_the_codings_without_a_coder(tmp_path):
    # coder:unknown matched only names in the coders table: the codings
    # without a coder (a REFI-QDA import's), "unknown"'s everywhere else in
    # margin (coders.keeps, coders_present), were never found by it.
    path = make_demo_project(tmp_path / "demo.db")
    db = open_database(path)
    db.execute("UPDATE codings SET coder_id = NULL WHERE quote LIKE 'The Kremlin said%'")
    corpus = SearchCorpus()
    corpus.load(db)
    try:
        def texts(query, **options):
            return [r.text for r in corpus.search(db, query, 10, **options)
                    if r.kind == "passage"]

        assert any("The Kremlin said" in t for t in texts("kremlin coder:unknown"))
        assert not any("The Kremlin said" in t for t in texts("kremlin coder:ada"))
        assert not any("Jake Sullivan" in t for t in texts("sullivan coder:unknown"))
        # Filters alone (no text): the passages listed in document order.
        assert texts("coder:unknown kind:passage") == [
            t for t in texts("kind:passage") if t.startswith("The Kremlin said")]
        # The coders of `margin search --coder` (and blind mode) follow the same rule.
        assert any("The Kremlin said" in t for t in texts("kremlin", coders=["unknown"]))
        assert not any("The Kremlin said" in t for t in texts("kremlin", coders=["ada"]))
        assert complete_filter(db, "coder", "unk")[0] == "unknown"
    finally:
        db.conn.close()
    result = margin("--db", str(path), "search", "kremlin", "--coder", "unknown", "--json")
    assert result.returncode == 0, result.stderr
    assert any("The Kremlin said" in json.loads(line)["text"]
               for line in result.stdout.decode().splitlines())
