"""Search that finds what you half-remember: every kind of slip, the word
index kept in the database file in step with actions, undo, redo and other
processes, rebuilt when it is missing, and --limit a prefix of a larger limit."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz.utils import default_process
from test_cli import margin

from margin.store import word_postings
from margin.store.codes import create_code
from margin.store.codings import (
    NewCoding,
    apply_coding,
    ensure_coder,
    remove_coding,
    set_memo,
    write_codings,
)
from margin.store.db import Database, open_database
from margin.store.documents import get_document
from margin.store.history import redo, undo
from margin.store.search import wordindex
from margin.store.search.corpus import SearchCorpus
from margin.store.textspans import sentence_spans
from margin.store.word_postings import TRIGGERS, is_installed, pairs_built, rebuild

SENTENCE = "framing the threat as an existential challenge to European stability"

# (slip kind, what the researcher types, words of the passage it should find)
SLIPS = [
    ("transposition", "framign the threat as an existential", SENTENCE),
    ("transposition across a space", "framing the threa tas an existential", SENTENCE),
    ("transposition across a space", "exacerbated by th edelays in", "exacerbated by the delays in"),
    ("dropped letter", "frming the threat as an existential", SENTENCE),
    ("doubled letter", "framming the threat as an existential", SENTENCE),
    ("stray letter", "framing the thrkeat as an existential", SENTENCE),
    ("wrong letter", "framing the threat as an exustential", SENTENCE),
    ("two words swapped", "the threat framing as an existential", SENTENCE),
    ("a word missing", "framing the as an existential challenge", SENTENCE),
    ("last word unfinished", "framing the threat as an exist", SENTENCE),
    ("last word unfinished", "significant weight, framing the thr", "weight, framing the threat"),
]


def _code_every_sentence(path: Path, code_name: str = "Sentences") -> int:
    """Code each sentence of the sample corpus (one import-like write)."""
    db = open_database(path)
    code = create_code(db, code_name)
    coder = ensure_coder(db, "ada")
    codings = []
    for document_id, in db.execute("SELECT id FROM documents ORDER BY id").fetchall():
        text = get_document(db, document_id).text
        codings.extend(NewCoding(document_id, code, start, end, coder)
                       for start, end in sentence_spans(text) if end - start >= 20)
    with db.atomic():
        write_codings(db, codings)
    db.conn.close()
    return len(codings)


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> Path:
    path = make_project(tmp_path_factory.mktemp("words") / "p.db", entities=False)
    assert _code_every_sentence(path) > 200
    db = open_database(path)
    rebuild(db)  # the postings hold them now (not just the log)
    db.conn.close()
    return path


@pytest.fixture
def project(coded, tmp_path) -> Path:
    copy = tmp_path / "p.db"
    source = sqlite3.connect(coded)
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    return copy


def _texts(db, query: str, limit: int = 10) -> list[str]:
    corpus = SearchCorpus()
    corpus.load(db)
    return [result.text for result in corpus.search(db, query, limit, kinds={"passage"})]


def _has(texts: list[str], words: str) -> bool:
    wanted = default_process(words)
    return any(wanted in default_process(text) for text in texts)


@pytest.mark.parametrize(("kind", "query", "words"), SLIPS, ids=[f"{k}: {q}" for k, q, _ in SLIPS])
def test_every_kind_of_slip_finds_its_passage_in_the_top_ten(coded, kind, query, words):
    db = open_database(coded, read_only=True)
    assert _has(_texts(db, query), words), (kind, query)


def test_the_same_slips_are_found_in_passages_coded_since_the_last_rebuild(project):
    db = open_database(project)
    db.execute("DELETE FROM codings")  # logged: the postings still name them
    db.conn.commit()
    _code_every_sentence(project, "Again")
    assert db.execute("SELECT COUNT(*) FROM search_log").fetchone()[0] > 200
    for _kind, query, words in SLIPS[:4]:
        assert _has(_texts(db, query), words), query


def _phrase_span(db, phrase: str) -> tuple[int, int, int]:
    for document_id, in db.execute("SELECT id FROM documents ORDER BY id").fetchall():
        text = get_document(db, document_id).text
        if phrase in text:
            start = text.index(phrase)
            return document_id, start, start + len(phrase)
    raise AssertionError(phrase)


PHRASE = "struggled to fend off because of manpower"


def test_the_index_follows_an_action_its_undo_and_redo_in_the_same_transaction(project):
    db = open_database(project)
    db.execute("DELETE FROM codings")
    db.conn.commit()
    rebuild(db)
    corpus = SearchCorpus()
    corpus.load(db)
    query = "strugled to fend of becuase"
    assert not _has([r.text for r in corpus.search(db, query, 10)], PHRASE)
    document_id, start, end = _phrase_span(db, PHRASE)
    coding = apply_coding(db, document_id, create_code(db, "Manpower"), start, end, "ada")
    # The action's own transaction logged it: a fresh reader finds it at once.
    assert _has(_texts(db, query), PHRASE)
    corpus.refresh(db)
    found = corpus.search(db, query, 10)
    assert found[0].text == PHRASE and found[0].codes == ("Manpower",)
    undo(db)
    assert not _has(_texts(db, query), PHRASE)
    corpus.refresh(db)
    assert not _has([r.text for r in corpus.search(db, query, 10)], PHRASE)
    redo(db)
    corpus.refresh(db)
    assert _has([r.text for r in corpus.search(db, query, 10)], PHRASE)
    remove_coding(db, coding)
    corpus.refresh(db)
    assert not _has([r.text for r in corpus.search(db, query, 10)], PHRASE)
    set_memo(db, "manpower shortages delayed the autumn rotation", "ada", document_id=1)
    corpus.refresh(db)
    memo = corpus.search(db, "manpower shortages delyaed", 5, kinds={"memo"})
    assert memo and memo[0].label == "document"
    # Folding the log into the postings changes nothing a search finds.
    rebuild(db)
    assert db.execute("SELECT COUNT(*) FROM search_log").fetchone()[0] == 0
    corpus.refresh(db)
    memo = corpus.search(db, "manpower shortages delyaed", 5, kinds={"memo"})
    assert memo and memo[0].label == "document"


def test_another_process_and_another_tool_write_and_the_index_follows(project):
    db = open_database(project)
    db.execute("DELETE FROM codings")
    db.conn.commit()
    rebuild(db)
    corpus = SearchCorpus()
    corpus.load(db)
    query = "strugled to fend of becuase"
    document_id, start, end = _phrase_span(db, PHRASE)
    code = create_code(db, "Manpower")
    # Another margin process codes the passage…
    script = (
        "from margin.store.db import open_database\n"
        "from margin.store.codings import apply_coding\n"
        f"db = open_database({str(project)!r})\n"
        f"apply_coding(db, {document_id}, {code}, {start}, {end}, 'bea')\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    corpus.refresh(db)
    assert corpus.search(db, query, 10)[0].text == PHRASE
    # …and a tool that is not margin (the sqlite3 module, as sqlite-utils or
    # Datasette would) deletes it: the triggers log that too.
    other = sqlite3.connect(project)
    other.execute("DELETE FROM codings")
    other.commit()
    other.close()
    corpus.refresh(db)
    assert not _has([r.text for r in corpus.search(db, query, 10)], PHRASE)
    # A coding this process makes is found by another process's `margin search`.
    apply_coding(db, document_id, code, start, end, "ada")
    result = margin("--db", str(project), "search", query, "--json", "--limit", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.decode().splitlines()[0])["text"] == PHRASE


def _drop_index(path: Path) -> None:
    conn = sqlite3.connect(path)
    for name in TRIGGERS:
        conn.execute(f"DROP TRIGGER {name}")
    for table in ("search_postings", "search_pairs", "search_meta", "search_log"):
        conn.execute(f"DROP TABLE {table}")
    conn.commit()
    conn.close()


def test_a_deleted_index_is_rebuilt_by_the_command_line_and_by_the_app_side(project):
    _drop_index(project)
    result = margin("--db", str(project), "search", "framing the threa tas an", "--limit", "3")
    assert result.returncode == 0, result.stderr
    assert "Rebuilding the search index" in result.stderr.decode()
    assert "framing the threat as an" in result.stdout.decode()
    db = open_database(project)
    assert is_installed(db)
    again = margin("--db", str(project), "search", "framing the threa tas an", "--limit", "3")
    assert again.returncode == 0 and not again.stderr
    _drop_index(project)
    corpus = SearchCorpus()  # what the app holds
    corpus.refresh(db)
    assert _has([r.text for r in corpus.search(db, "framing the threa tas an", 10)],
                "framing the threat as an")
    assert is_installed(db)


def test_a_file_from_before_the_index_gets_it_built_by_its_migration(project):
    _drop_index(project)
    conn = sqlite3.connect(project)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0010_search_word_index'")
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()
    db = open_database(project)
    assert is_installed(db)
    assert db.execute("SELECT value FROM search_meta WHERE key = 'items'").fetchone()[0] > 200
    assert _has(_texts(db, "framign the threat as an"), SENTENCE)


def test_the_command_line_limit_keeps_the_order_of_a_larger_limit(coded):
    query = "Witkof fel for this"
    runs = {}
    for limit in (3, 4, 10):
        result = margin("--db", str(coded), "search", query, "--json", "--limit", str(limit))
        assert result.returncode == 0, result.stderr
        runs[limit] = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(runs[10]) == 10
    assert runs[3] == runs[10][:3] and runs[4] == runs[10][:4]


@pytest.fixture(scope="module")
def words_of_corpus(coded) -> list[str]:
    db = open_database(coded, read_only=True)
    words = sorted({word for (quote,) in db.execute("SELECT quote FROM codings LIMIT 300")
                    for word in default_process(quote).split() if len(word) > 2})
    db.conn.close()
    return words


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_smaller_limit_gives_exactly_the_first_results_of_a_larger_one(
        coded, words_of_corpus, data):
    words = data.draw(st.lists(st.sampled_from(words_of_corpus), min_size=1, max_size=4))
    query = " ".join(words) + data.draw(st.sampled_from(["", " ", "x"]))
    small = data.draw(st.integers(1, 20))
    large = data.draw(st.integers(small + 1, 60))
    db = open_database(coded, read_only=True)
    corpus = SearchCorpus()
    corpus.load(db)
    shown = [(r.key, r.score) for r in corpus.search(db, query, small)]
    more = [(r.key, r.score) for r in corpus.search(db, query, large)]
    db.conn.close()
    assert shown == more[:small]


async def test_the_app_folds_a_long_log_into_the_postings_in_the_background(
        project, monkeypatch):
    from helpers import wait_for

    import margin.tui.search.fuzzy as fuzzy_screen
    from margin.tui.app import MarginApp

    db = open_database(project)
    db.execute("DELETE FROM codings")  # a change logged per coding
    db.conn.commit()
    assert db.execute("SELECT COUNT(*) FROM search_log").fetchone()[0] > 200
    monkeypatch.setattr(fuzzy_screen, "rebuild_due", lambda _db: True)  # as if many more

    def log_length() -> int:
        return db.execute("SELECT COUNT(*) FROM search_log").fetchone()[0]

    app = MarginApp(project, "ada")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, fuzzy_screen.SearchScreen))
        await pilot.press(*"framing the threa tas")
        await wait_for(pilot, lambda: log_length() == 0)
    assert db.execute("SELECT value FROM search_meta WHERE key = 'items'").fetchone()[0] == 0


def test_the_command_line_filters_by_coders_and_names_unknown_ones(project):
    db = open_database(project)
    document_id, start, end = _phrase_span(db, PHRASE)
    code = create_code(db, "Manpower")
    apply_coding(db, document_id, code, start, end, "bea")
    query = "strugled to fend of becuase"

    def coders_of(*options: str) -> set[str]:
        result = margin("--db", str(project), "search", query, "--json", "--limit", "5",
                        *options)
        assert result.returncode == 0, result.stderr
        texts = [json.loads(line)["text"] for line in result.stdout.decode().splitlines()]
        corpus = SearchCorpus()
        corpus.load(db)
        return {coder for r in corpus.search(db, query, 5, coders=[o for o in options
                                                                    if o != "--coder"])
                for coder in r.coders}, texts

    only_bea, texts = coders_of("--coder", "bea")
    assert only_bea == {"bea"} and texts == [PHRASE]
    both, texts = coders_of("--coder", "bea", "--coder", "ada")
    assert both == {"ada", "bea"} and PHRASE in texts and len(texts) >= 2
    unknown = margin("--db", str(project), "search", query, "--coder", "zed")
    assert unknown.returncode == 1
    assert unknown.stderr.decode().splitlines() == [
        "Error: no coder named 'zed'; coders: ada, bea"]  # the one wording of every command


def test_a_passage_two_coders_coded_with_one_code_names_that_code_once(project):
    db = open_database(project)
    document_id, start, end = _phrase_span(db, PHRASE)
    code = create_code(db, "Manpower")
    apply_coding(db, document_id, code, start, end, "bea")
    apply_coding(db, document_id, code, start, end, "ada")
    corpus = SearchCorpus()
    corpus.load(db)
    found = [r for r in corpus.search(db, "strugled to fend of becuase", 5) if r.text == PHRASE]
    assert found and found[0].codes.count("Manpower") == 1
    assert set(found[0].coders) >= {"ada", "bea"}


def test_the_command_line_folds_a_long_log_once(project):
    conn = sqlite3.connect(project)
    for _ in range(8):  # the log of a big import or script: thousands of changes
        conn.execute("INSERT INTO search_log (item) SELECT id * 4 FROM codings")
    conn.commit()
    assert conn.execute("SELECT COUNT(*) FROM search_log").fetchone()[0] > 2000
    first = margin("--db", str(project), "search", "framing the threa tas an", "--limit", "1")
    assert first.returncode == 0, first.stderr
    assert "Rebuilding the search index" in first.stderr.decode()
    assert "framing the threat as an" in first.stdout.decode()
    assert conn.execute("SELECT COUNT(*) FROM search_log").fetchone()[0] == 0
    again = margin("--db", str(project), "search", "framing the threa tas an", "--limit", "1")
    assert again.returncode == 0 and not again.stderr and again.stdout == first.stdout
    conn.close()


def _seen(corpus: SearchCorpus, db, query: str) -> list[tuple]:
    corpus.refresh(db)
    return [(r.key, r.score, r.text) for r in corpus.search(db, query, 10)]


def test_a_search_after_an_edit_its_undo_and_a_deletion_ranks_as_a_fresh_one(project):
    """The texts kept between keystrokes follow every write: a long-lived
    corpus ranks and shows exactly what a fresh one does."""
    db = open_database(project)
    corpus = SearchCorpus()
    corpus.load(db)
    query = "delayed the autumn rotation"
    set_memo(db, "manpower shortages delayed the autumn rotation", "ada", document_id=1)
    before = _seen(corpus, db, query)
    assert before[0][2] == "manpower shortages delayed the autumn rotation"
    set_memo(db, "manpower shortages delayed the spring rotation of brigades", "ada",
             document_id=1)
    after = _seen(corpus, db, query)
    assert after == _seen(SearchCorpus(), db, query)
    assert after[0][1] < before[0][1]  # no longer holds "autumn"
    undo(db)
    assert _seen(corpus, db, query) == before
    # Passages read for one search and deleted before the next are never shown.
    query = "strugled to fend of"
    assert any("fend off" in text for _k, _s, text in _seen(corpus, db, query))
    with db.atomic():
        db.execute("DELETE FROM codings WHERE quote LIKE '%fend off%'")
    found = _seen(corpus, db, query)
    assert found == _seen(SearchCorpus(), db, query)
    assert not any("fend off" in text for _k, _s, text in found)


def _passages_project(path: Path, passages: list[str]) -> Path:
    """A project of one document whose paragraphs are ``passages``, each coded."""
    make_project(path, sample=False, texts=["\n\n".join(passages)], entities=False)
    db = open_database(path)
    code = create_code(db, "Passages")
    coder = ensure_coder(db, "ada")
    text = get_document(db, 1).text
    codings, at = [], 0
    for passage in passages:
        start = text.index(passage, at)
        at = start + len(passage)
        codings.append(NewCoding(1, code, start, at, coder))
    with db.atomic():
        write_codings(db, codings)
    rebuild(db)
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def spellings(tmp_path_factory) -> Path:
    """Many passages with the common spelling, a few with a rare one."""
    common = [f"Passage {i}: talks about security guarantees without the involvement of "
              f"Russia are futile, such narratives rely on details that can be easily "
              f"manipulated for propaganda {i}" for i in range(260)]
    rare = [f"Lavrov {i}: details that can be esaily manipulated for propaganda" for i in range(12)]
    one = ["Lavrov said that talks about security guarajtees without the involvement of "
           "Russia are futile"]
    return _passages_project(tmp_path_factory.mktemp("spellings") / "p.db", common + rare + one)


def test_a_rare_spelling_finds_its_passage_when_its_common_neighbour_has_too_many(
        spellings, monkeypatch):
    # Every passage holds the other words: they alone would fill the candidates.
    monkeypatch.setattr(wordindex, "GENERATOR_CAP", 5)  # (eight times that with filters)
    db = open_database(spellings, read_only=True)
    texts = _texts(db, "about security guarajtees the without")
    assert texts[0].startswith("Lavrov said that talks about security guarajtees")


def test_a_rare_spelling_of_a_common_word_shows_both_readings_in_the_first_results(spellings):
    db = open_database(spellings, read_only=True)
    texts = _texts(db, "that can be esaily manipulated")
    assert "esaily" in texts[0]  # what was typed, as it was typed, first
    assert any("easily" in text for text in texts[:3])  # and the common word near the top
    # The word index and the whole search agree on that order.
    index = wordindex.WordIndex()
    index.sync(db)
    assert [hit.text for hit in index.search(db, "that can be esaily manipulated", 10)] == texts


def _pairs_as_if_a_million(monkeypatch) -> None:
    # In a small project no word is common enough for its pairs to be kept,
    # nor any pair common enough to be left without its ids.
    monkeypatch.setattr(word_postings, "PAIR_WORDS_ABOVE", 20)
    monkeypatch.setattr(word_postings, "PAIR_RARE", 20)


@pytest.fixture(scope="module")
def neighbours(tmp_path_factory) -> Path:
    """Every passage holds the words of "Trump said this week. This changes
    everything"; one alone holds "week" and "This" side by side. Other
    passages hold rare pairs of what "week" and "this" may stand for."""
    others = [f"Trump said this week that aid {i} was coming, and this changes everything"
              for i in range(150)]
    for pair in ("weekend this", "weekly this", "weeks this", "this weekly"):
        others += [f"Item {i}: {pair} {i}" for i in range(19)]
    one = ["Ukraine aid: Trump said this week. This changes everything for Kyiv"]
    with pytest.MonkeyPatch.context() as monkeypatch:
        _pairs_as_if_a_million(monkeypatch)
        return _passages_project(tmp_path_factory.mktemp("neighbours") / "p.db", others + one)


def _as_if_a_million(monkeypatch) -> None:
    # What a million passages does to the word candidates, in a small project:
    # every word, even the rare ones, is in more passages than are read.
    for name, value in (("GENERATOR_CAP", 5), ("RARE", 3), ("READ", 10), ("READ_TIED", 10),
                        ("PAIR_BUDGET", 60)):
        monkeypatch.setattr(wordindex, name, value)
    _pairs_as_if_a_million(monkeypatch)


def _copy(path: Path, to: Path) -> Path:
    source, target = sqlite3.connect(path), sqlite3.connect(to)
    source.backup(target)
    source.close()
    target.close()
    return to


def test_two_words_side_by_side_find_the_one_passage_that_holds_them_so(
        neighbours, monkeypatch):
    _as_if_a_million(monkeypatch)
    db = open_database(neighbours, read_only=True)
    index = wordindex.WordIndex()
    index.sync(db)
    hits = index.search(db, "Trmup said this week. This", 10)
    assert hits[0].text.startswith("Ukraine aid: Trump said this week. This")
    assert _texts(db, "Trmup said this week. This")[0] == hits[0].text  # (what the app shows)
    # The pair in the other order ("This week.", and a "This" left out) too.
    hits = index.search(db, "said This week. changes everything", 10)
    assert hits[0].text.startswith("Ukraine aid:")


def test_common_pairs_in_passages_changed_since_the_rebuild_do_not_hide_a_rare_one(
        neighbours, tmp_path, monkeypatch):
    _as_if_a_million(monkeypatch)
    db = open_database(_copy(neighbours, tmp_path / "p.db"))
    # Memos on 80 passages: logged, each passage with every common pair of
    # the query ("said this", "this week", ...), more than the pairs' budget.
    db.execute("UPDATE codings SET memo = 'Note: Trump said this week that aid' WHERE id <= 80")
    db.conn.commit()
    index = wordindex.WordIndex()
    index.sync(db)
    hits = index.search(db, "Trmup said this week. This", 10)
    assert hits[0].text.startswith("Ukraine aid: Trump said this week. This")
    # A pair too common to keep stays so, whatever the log adds to it.
    assert list(index.pair_postings(db, ["said this", "week this"])) == ["week this"]


def test_a_pair_written_since_the_last_rebuild_is_found_and_a_deleted_one_is_not(
        neighbours, tmp_path, monkeypatch):
    _as_if_a_million(monkeypatch)
    db = open_database(_copy(neighbours, tmp_path / "p.db"))
    index = wordindex.WordIndex()
    index.sync(db)
    index.search(db, "Trmup said this week. This", 10)  # (the pair's ids are kept)
    # The coded passage that held "week" and "This" side by side goes; a memo
    # written now holds them (logged, not in the postings; its id as high as
    # the passage's was, so that only the pair brings it).
    db.execute("DELETE FROM codings WHERE quote LIKE 'Ukraine aid:%'")
    db.conn.commit()
    set_memo(db, "Kyiv: Trump said this week. This changes everything", "ada", document_id=1)
    db.execute("UPDATE memos SET id = 100000")
    db.conn.commit()
    index.sync(db)
    hits = index.search(db, "Trmup said this week. This", 10)
    assert hits[0].text.startswith("Kyiv: Trump said this week. This")
    assert not any(hit.text.startswith("Ukraine aid:") for hit in hits)
    # Another process folds the log into the postings: the pairs kept from
    # before are dropped with the rest.
    other = open_database(tmp_path / "p.db")
    rebuild(other)
    other.conn.close()
    index.sync(db)
    assert not index.dirty
    hits = index.search(db, "Trmup said this week. This", 10)
    assert hits[0].text.startswith("Kyiv: Trump said this week. This")


def test_a_file_from_before_the_pairs_is_searched_without_them_and_gets_them_when_written(
        neighbours, tmp_path, monkeypatch):
    _as_if_a_million(monkeypatch)
    copy = _copy(neighbours, tmp_path / "p.db")
    conn = sqlite3.connect(copy)
    conn.execute("DROP TABLE search_pairs")
    conn.execute("DELETE FROM search_meta WHERE key = 'pairs_above'")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0012_search_word_pairs'")
    conn.commit()
    # Read as it is (a file margin may not write): the words alone.
    index = wordindex.WordIndex()
    index.sync(Database(conn))
    assert index.search(Database(conn), "Trump said this week. This", 10)
    conn.close()
    db = open_database(copy)  # its migration builds them
    assert is_installed(db) and pairs_built(db)
    assert db.execute("SELECT ids FROM search_pairs WHERE pair = 'week this'").fetchone()[0]
    assert db.execute("SELECT ids FROM search_pairs WHERE pair = 'said this'").fetchone()[0] == b""


@pytest.fixture(scope="module")
def common_typo(tmp_path_factory) -> Path:
    """A typo of a very common word that the project itself repeats."""
    right = [f"{i}: He insisted that China should be part of the talks" for i in range(240)]
    typo = [f"{i}: He insisted tht China should be part of the talks" for i in range(12)]
    return _passages_project(tmp_path_factory.mktemp("typo") / "p.db", typo + right)


def test_a_typo_the_project_repeats_still_shows_the_common_word_near_the_top(
        common_typo, monkeypatch):
    # At a million passages, "tht" is in 1,171 passages and "that" in 422,943:
    # the typed spelling alone would fill every place.
    for name, value in (("RARE", 5), ("RESCORE", 8)):
        monkeypatch.setattr(wordindex, name, value)
    monkeypatch.setattr(wordindex, "RARE_SPELLING_SHARE", 0.25)
    db = open_database(common_typo, read_only=True)
    texts = _texts(db, "insisted tht China should be")
    assert "insisted tht China" in texts[0]  # what was typed, as typed, first
    assert any("insisted that China" in text for text in texts[:3])
    # Also when the passages with the typed spelling outnumber those scored.
    index = wordindex.WordIndex()
    index.sync(db)
    hits = [hit.text for hit in index.search(db, "insisted tht China should be", 10)]
    assert "insisted tht China" in hits[0]
    assert any("insisted that China" in text for text in hits[:3])


@pytest.fixture(scope="module")
def left_out(tmp_path_factory) -> Path:
    """The same words in another order, many times; in the query's order,
    with one more word between, once."""
    others = [f"{i}: Zelensky is fighting for the very survival of his country, and millions"
              for i in range(40)]
    one = ["He led the country, and millions of his supporters, into the streets"]
    return _passages_project(tmp_path_factory.mktemp("left_out") / "p.db", others + one)


def test_a_word_left_out_of_a_fragment_still_finds_it_first(left_out):
    db = open_database(left_out, read_only=True)
    texts = _texts(db, "country, and millions his")  # ("of" left out)
    assert texts[0].startswith("He led the country, and millions of his")


def test_a_passage_holding_the_query_scores_100_and_nothing_scores_more():
    query = default_process("the threat as an existential challenge")
    passage = default_process(SENTENCE)
    assert wordindex.score(query, passage) == pytest.approx(100.0)
    for text in (query, passage[:40], passage + " " + passage, "threat the"):
        assert 0.0 <= wordindex.score(query, text) <= 100.0
