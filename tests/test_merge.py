"""Merging a colleague's copy (store/merging.py, `margin merge`): two coders
each code their own copy of one project and exchange files; what each sees
after merging the other's, conflicts, refusals, undo."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin.store import history
from margin.store.codes import (
    codebook,
    create_code,
    describe_code,
    ensure_code_path,
    find_code,
    move_code,
    recolour_code,
    rename_code,
)
from margin.store.codings import apply_coding, set_coding_memo, set_memo
from margin.store.db import Database, open_database
from margin.store.documents import import_text, rename_document
from margin.store.errors import StoreError
from margin.store.merging import merge_database, merge_file, text_digest
from margin.store.sources.textio import DecodedText
from margin.tui.cli import main

TEXTS = [
    "NATO met in Brussels. NATO said little.\n\nKyiv asked NATO for more.",
    "The summit ended early. Nobody spoke to the press.",
    "Aid arrived in March. More aid was promised in May.",
]
NEW_TEXT = "Bob's interview notes: the minister in Kyiv declined to comment."


def _import(db, text: str) -> int:
    return import_text(db, DecodedText(text, "utf-8", False), source="test",
                       clean=False).document_id


def _code(db, path: str) -> int:
    return next(code.id for code in codebook(db) if code.path == path)


def _passage(db, document_id: int, code: str, words: str, coder: str) -> int:
    text = db.execute("SELECT text FROM documents WHERE id = ?", [document_id]).fetchone()[0]
    start = text.index(words)
    return apply_coding(db, document_id, _code(db, code), start, start + len(words), coder)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The project both coders start from: three documents, a small codebook,
    one coding of ada's."""
    path = tmp_path_factory.mktemp("merge") / "base.db"
    db = open_database(path)
    for text in TEXTS:
        _import(db, text)
    actors = create_code(db, "Actors")
    create_code(db, "Officials", parent_id=actors)
    create_code(db, "Aid")
    _passage(db, 3, "Aid", "Aid arrived in March.", "ada")
    db.close()
    return path


def _copy(source: Path, folder: Path, name: str) -> Path:
    target = folder / name
    shutil.copy(source, target)
    return target


@pytest.fixture
def pair(base, tmp_path) -> tuple[Path, Path]:
    """ada's copy and bob's, each coded by its coder since they parted."""
    ada, bob = _copy(base, tmp_path, "ada.db"), _copy(base, tmp_path, "bob.db")
    db = open_database(ada)
    _passage(db, 1, "Actors", "NATO met in Brussels.", "ada")
    _passage(db, 2, "Aid", "The summit ended early.", "ada")
    set_memo(db, "ada: the press was kept out", "ada", document_id=2)
    db.close()
    db = open_database(bob)
    _passage(db, 1, "Actors > Officials", "Kyiv asked NATO for more.", "bob")
    # The passage ada coded too, with the same code: two coders, two codings.
    _passage(db, 1, "Actors", "NATO met in Brussels.", "bob")
    create_code(db, "Military", parent_id=_code(db, "Aid"))
    _passage(db, 3, "Aid > Military", "More aid was promised in May.", "bob")
    new = _import(db, NEW_TEXT)
    coding = _passage(db, new, "Actors > Officials", "the minister", "bob")
    set_coding_memo(db, coding, "bob: which minister?")
    set_memo(db, "bob: aid means money and arms", "bob", code_id=_code(db, "Aid"))
    db.close()
    return ada, bob


def state(path: Path | Database) -> dict:
    """What a researcher would compare: documents by text, codes by path,
    codings by (document text, code path, coder, start, end) with their memo,
    memos by what they belong to."""
    db = path if isinstance(path, Database) else open_database(path)
    try:
        digests = {row[0]: text_digest(row[1])
                   for row in db.execute("SELECT id, text FROM documents")}
        paths = {code.id: code.path for code in codebook(db)}
        codings = {
            (digests[row[0]], paths[row[1]], row[2], row[3], row[4], row[5])
            for row in db.execute(
                'SELECT document_id, code_id, coders.name, start, "end", memo FROM codings '
                "LEFT JOIN coders ON coders.id = codings.coder_id")}
        memos = {
            (("document", digests[row[0]]) if row[0] else ("code", paths[row[1]]), row[2])
            for row in db.execute("SELECT document_id, code_id, text FROM memos")}
        return {"documents": set(digests.values()), "codes": set(paths.values()),
                "codings": codings, "memos": memos}
    finally:
        if db is not path:
            db.close()


def merge(into: Path, other: Path, **keywords):
    db = open_database(into)
    try:
        return merge_file(db, other, **keywords)
    finally:
        db.close()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------ round trip


def test_two_coders_merge_each_others_copy_both_ways_and_see_the_same_project(pair, tmp_path):
    ada, bob = pair
    ada_merged = _copy(ada, tmp_path, "ada-merged.db")
    bob_merged = _copy(bob, tmp_path, "bob-merged.db")
    bob_before = file_digest(bob)

    report = merge(ada_merged, bob)
    merge(bob_merged, ada)

    assert state(ada_merged) == state(bob_merged)
    after = state(ada_merged)
    assert after["documents"] == {text_digest(t) for t in [*TEXTS, NEW_TEXT]}
    assert after["codes"] == {"Actors", "Actors > Officials", "Aid", "Aid > Military"}
    coded = sorted((path, coder) for _, path, coder, *_ in after["codings"])
    assert coded == [("Actors", "ada"), ("Actors", "bob"), ("Actors > Officials", "bob"),
                     ("Actors > Officials", "bob"), ("Aid", "ada"), ("Aid", "ada"),
                     ("Aid > Military", "bob")]
    assert (("code", "Aid"), "bob: aid means money and arms") in after["memos"]
    assert any(memo == "bob: which minister?" for *_, memo in after["codings"])
    # What came in, as the report says it.
    assert report.documents_added == [NEW_TEXT]
    assert report.codes_added == ["Aid > Military"]
    assert report.codings_added == {"bob": 4}
    assert report.codings_present == {"ada": 1}
    # The code's memo, and the coding's that came with its coding: two memos.
    assert (report.memos_added, report.memos_with_codings, report.memos) == (1, 1, 2)
    assert report.conflicts == [] and report.refused == []
    assert report.summary() == ("Merged bob.db: 1 document, 1 code, 4 codings, 2 memos "
                                "(1 with its coding) came in")
    # Their file was only read.
    assert file_digest(bob) == bob_before

    # Merging the same file again, or exchanging the merged copies, adds nothing.
    stamp = _stamp(ada_merged)
    again = merge(ada_merged, bob)
    assert again.nothing_new and again.summary().startswith("Nothing new in bob.db")
    assert merge(ada_merged, bob_merged).nothing_new
    assert merge(bob_merged, ada_merged).nothing_new
    assert _stamp(ada_merged) == stamp  # no empty action in the history
    assert state(ada_merged) == after == state(bob_merged)


def _clone(db: Database) -> Database:
    copy = open_database(None)
    db.conn.backup(copy.conn)
    return copy


_PATHS = ["Actors", "Actors > Officials", "Aid", "Aid > Military", "Places",
          "Actors > Officials > Ministers"]
_codings = st.lists(st.tuples(st.integers(1, 3), st.sampled_from(_PATHS), st.integers(0, 60),
                              st.integers(1, 30)), max_size=12)


@settings(max_examples=20, deadline=None)
@given(_codings, _codings)
def test_any_codings_of_two_coders_merge_to_the_same_project_both_ways(ada_codes, bob_codes):
    """Each coder codes their copy (creating codes as they go); merged both
    ways the copies are equal, and exchanging again adds nothing."""
    base = open_database(None)
    for text in TEXTS:
        _import(base, text)
    create_code(base, "Actors")
    copies = []
    for coder, codes in (("ada", ada_codes), ("bob", bob_codes)):
        db = _clone(base)
        for document, path, start, length in codes:
            text = TEXTS[document - 1]
            start = min(start, len(text) - 1)
            with contextlib.suppress(StoreError):  # only whitespace: nothing coded
                apply_coding(db, document, ensure_code_path(db, path), start,
                             min(len(text), start + length), coder)
        copies.append(db)
    ada, bob = copies
    ada_merged, bob_merged = _clone(ada), _clone(bob)
    merge_database(ada_merged, bob, source="bob")
    merge_database(bob_merged, ada, source="ada")
    assert state(ada_merged) == state(bob_merged)
    assert {coding[2] for coding in state(ada_merged)["codings"]} <= {"ada", "bob"}
    assert len(state(ada_merged)["codings"]) == len(state(ada)["codings"]) + len(
        state(bob)["codings"])
    assert merge_database(ada_merged, bob_merged).nothing_new
    assert merge_database(bob_merged, ada_merged).nothing_new
    for db in (base, ada, bob, ada_merged, bob_merged):
        db.close()


def _stamp(path: Path):
    db = open_database(path)
    try:
        return history.history_stamp(db)
    finally:
        db.close()


def test_a_merge_is_one_action_that_undo_takes_back_and_redo_puts_back(pair):
    ada, bob = pair
    before = state(ada)
    merge(ada, bob)
    merged = state(ada)
    db = open_database(ada)
    try:
        assert history.can_undo(db) == "Merge bob.db"
        assert history.undo(db) == "Merge bob.db"
    finally:
        db.close()
    assert state(ada) == before
    db = open_database(ada)
    try:
        # The full-text index went back with the document.
        assert db.execute("SELECT COUNT(*) FROM documents_fts WHERE documents_fts MATCH "
                          "'minister'").fetchone()[0] == 0
        assert history.redo(db) == "Merge bob.db"
        assert db.execute("SELECT COUNT(*) FROM documents_fts WHERE documents_fts MATCH "
                          "'minister'").fetchone()[0] == 1
    finally:
        db.close()
    assert state(ada) == merged


def test_their_read_only_file_merges_and_is_never_written(pair, tmp_path):
    ada, bob = pair
    bob.chmod(0o444)
    before = file_digest(bob)
    try:
        report = merge(ada, bob)
    finally:
        bob.chmod(0o644)
    assert report.codings_added == {"bob": 4}
    assert file_digest(bob) == before
    assert not Path(f"{bob}-wal").exists() or Path(f"{bob}-wal").stat().st_size == 0


# ------------------------------------------------------------ matching


def test_documents_are_matched_by_uuid_else_by_their_text(pair, tmp_path):
    ada, bob = pair
    db = open_database(bob)
    # Bob's first document: another UUID and title, the same text.
    db.execute("UPDATE documents SET uuid = 'f0000000-0000-4000-8000-000000000001' "
               "WHERE id = 1")
    rename_document(db, 1, "Bob's title")
    db.close()
    other = _copy(ada, tmp_path, "other.db")
    db = open_database(other)
    # Another project whose document has ada's first document's UUID but
    # another text: another document.
    uuid = db.execute("SELECT uuid FROM documents WHERE id = 1").fetchone()[0]
    db.close()
    stranger = tmp_path / "stranger.db"
    db = open_database(stranger)
    _import(db, "A text nobody else has.")
    db.execute("UPDATE documents SET uuid = ? WHERE id = 1", [uuid])
    db.close()

    report = merge(ada, bob)
    assert report.documents_added == [NEW_TEXT]
    assert report.documents_matched == 3
    assert [(c.kind, c.message) for c in report.conflicts] == [
        ("document-title", "document “NATO met in Brussels.”: theirs is "
                           "titled “Bob's title”; ours kept")]
    # Bob's codings of that document are on ours.
    db = open_database(ada)
    titles = [row[0] for row in db.execute(
        "SELECT document_title FROM coded_passages WHERE coder = 'bob' AND document_id = 1")]
    db.close()
    assert titles == ["NATO met in Brussels."] * 2

    report = merge(ada, stranger)
    assert report.documents_added == ["A text nobody else has."]
    assert [c.kind for c in report.conflicts] == ["document-uuid"]
    db = open_database(ada)
    uuids = [row[0] for row in db.execute("SELECT uuid FROM documents ORDER BY id")]
    db.close()
    assert len(set(uuids)) == len(uuids) == 5
    assert merge(ada, stranger).nothing_new


# ------------------------------------------------------------ conflicts


def test_each_kind_of_conflict_is_reported_and_ours_is_kept(pair, tmp_path):
    ada, bob = pair
    db = open_database(ada)
    create_code(db, "Places", colour="#112233")
    describe_code(db, _code(db, "Places"), "ada: where things happen")
    set_memo(db, "ada: Brussels matters", "ada", document_id=1)
    coding = db.execute("SELECT id FROM codings WHERE quote = 'Aid arrived in March.'"
                        ).fetchone()[0]
    set_coding_memo(db, coding, "ada: first delivery")
    db.close()
    db = open_database(bob)
    rename_code(db, _code(db, "Aid"), "Assistance")  # same UUID, another name
    move_code(db, _code(db, "Actors > Officials"), None)  # same UUID, another parent
    create_code(db, "Places", colour="#445566")  # the same path, made separately
    describe_code(db, _code(db, "Places"), "bob: places named")
    set_memo(db, "bob: Brussels is a venue", "bob", document_id=1)
    coding = db.execute("SELECT id FROM codings WHERE quote = 'Aid arrived in March.'"
                        ).fetchone()[0]
    set_coding_memo(db, coding, "bob edited ada's memo")
    db.close()

    report = merge(ada, bob)
    assert [(c.kind, c.message) for c in report.conflicts] == [
        ("code-name", "code “Aid”: theirs is named “Assistance” (same UUID); ours kept"),
        ("code-parent", "code “Actors > Officials”: theirs is under “the top” "
                        "(“Officials”); ours kept"),
        ("code-colour", "code “Places”: theirs is #445566, ours #112233; ours kept"),
        ("code-description", "code “Places”: their description differs; ours kept"),
        ("memo", "memo of the document “NATO met in Brussels.”: theirs "
                 "differs; ours kept"),
        ("coding-memo", "memo of the coding 0-21 of “Aid arrived in March.”: theirs "
                        "differs; ours kept"),
    ]
    after = state(ada)
    # Ours kept: names, places, colours, memos; their codings on our codes.
    assert after["codes"] == {"Actors", "Actors > Officials", "Aid", "Aid > Military",
                              "Places"}
    db = open_database(ada)
    places = next(code for code in codebook(db) if code.path == "Places")
    db.close()
    assert (places.colour, places.description) == ("#112233", "ada: where things happen")
    assert (("document", text_digest(TEXTS[0])), "ada: Brussels matters") in after["memos"]
    assert ("Actors > Officials", "bob") in {(c[1], c[2]) for c in after["codings"]}
    assert ("Aid > Military", "bob") in {(c[1], c[2]) for c in after["codings"]}
    assert any(c[5] == "ada: first delivery" for c in after["codings"])
    # The report's lines say so.
    lines = [text for kind, text in report.lines() if kind == "conflict"]
    assert lines[0] == "conflict      code “Aid”: theirs is named “Assistance” (same UUID); " \
                       "ours kept"
    assert report.summary().endswith("; 6 conflicts (ours kept)")


def test_colours_margin_picked_are_no_difference_and_a_re_merge_says_nothing(pair):
    """Codes both coders made, each coloured by margin itself (or one chosen,
    one picked by margin): no note and no conflict, on a merge or a re-merge
    (the note repeated on every re-merge); a colour both chose stays a
    conflict (the test above, and below)."""
    ada, bob = pair
    db = open_database(ada)
    for name in ("Places", "Themes", "People"):
        create_code(db, name)  # margin's colours
    create_code(db, "Sites", colour="#aa0000")  # chosen by both, differently
    db.close()
    db = open_database(bob)
    create_code(db, "Extra")  # shifts the palette: bob's colours differ
    create_code(db, "Places")
    create_code(db, "Themes")
    create_code(db, "People", colour="#123456")  # chosen by bob alone
    create_code(db, "Sites")
    recolour_code(db, find_code(db, "Sites").id, "#00aa00")  # the picker's choice
    db.close()
    for _ in range(2):  # a merge and a re-merge
        report = merge(ada, bob)
        assert report.colours_differ == []
        assert not [text for kind, text in report.lines() if text.startswith("colours")]
        assert not [item for item in report.as_json() if item.get("kind") == "code-colours"]
        assert [(c.kind, c.message) for c in report.conflicts] == [
            ("code-colour", "code “Sites”: theirs is #00aa00, ours #aa0000; ours kept")]
    db = open_database(ada)
    colours = {code.path: (code.colour, code.colour_chosen) for code in codebook(db)}
    db.close()
    assert colours["Sites"] == ("#aa0000", True) and colours["Places"][1] is False
    assert colours["Extra"][1] is False  # a new code comes in with its mark


def test_colours_not_known_to_be_chosen_differ_in_one_note_not_a_conflict_per_code(pair):
    """Codes from before the mark (migration 0013) or from a REFI-QDA file:
    where one colour may be margin's pick, one note line, no conflicts."""
    ada, bob = pair
    for path, extra in ((ada, ()), (bob, ("Extra",))):
        db = open_database(path)
        for name in (*extra, "Places", "Themes"):
            create_code(db, name)
        create_code(db, "People", colour="#123456" if extra else None)
        db.execute("UPDATE codes SET colour_chosen = NULL")  # as before the mark
        db.close()
    for _ in range(2):  # a merge and a re-merge: the same one line
        report = merge(ada, bob)
        assert report.conflicts == []
        assert report.colours_differ == ["People", "Places", "Themes"]
        notes = [text for kind, text in report.lines() if text.startswith("colours")]
        assert notes == ["colours       3 shared codes have another colour in theirs "
                         "(colours margin picked, not chosen by both); ours kept"]
        assert "conflict" not in report.summary()
        [note] = [item for item in report.as_json() if item.get("kind") == "code-colours"]
        assert note["type"] == "note" and note["codes"] == ["People", "Places", "Themes"]
    assert report.nothing_new


def test_memos_of_codings_that_came_in_with_them_are_counted(pair, tmp_path, capsys):
    ada, bob = pair
    db = open_database(bob)
    coding = _passage(db, 2, "Aid", "Nobody spoke to the press.", "bob")
    set_coding_memo(db, coding, "bob: silence as a message")
    db.close()
    code, out, err = run(capsys, "merge", "--db", str(_copy(ada, tmp_path, "a.db")), str(bob),
                         "--json")
    summary = json.loads(out.splitlines()[0])
    # bob's memo of the code Aid, and two of codings that came with them.
    assert (summary["memos_added"], summary["memos_with_codings"]) == (3, 2)
    code, out, err = run(capsys, "merge", "--db", str(ada), str(bob))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == ("Merged bob.db: 1 document, 1 code, 5 codings, 3 memos "
                                   "(2 with their codings) came in")


def test_the_merges_history_holds_no_second_copy_of_the_documents_it_added(tmp_path):
    """The documents a merge adds are in the documents table: the undo
    history records their ids and digests, not their texts again; undo and
    redo still take them away and bring them back whole, and a document
    changed behind the history's back stops the undo."""
    from margin.store.errors import HistoryConflict

    long_text = "A long interview. " * 20_000  # 360,000 characters
    theirs = open_database(tmp_path / "theirs.db")
    _import(theirs, long_text)
    _import(theirs, NEW_TEXT)
    theirs.close()
    db = open_database(tmp_path / "ours.db")
    merge_file(db, tmp_path / "theirs.db")
    [size] = db.execute("SELECT LENGTH(changes) FROM history").fetchone()
    assert size < 20_000  # not the 360,000 characters again
    documents = db.execute("SELECT * FROM documents ORDER BY id").fetchall()
    assert history.undo(db) == "Merge theirs.db"
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 0
    assert history.redo(db) == "Merge theirs.db"
    assert db.execute("SELECT * FROM documents ORDER BY id").fetchall() == documents
    [size] = db.execute("SELECT LENGTH(changes) FROM history").fetchone()
    assert size < 20_000  # in the table again: ids and digests only
    [title] = db.execute("SELECT title FROM documents WHERE id = 2").fetchone()
    db.execute("UPDATE documents SET title = 'changed elsewhere' WHERE id = 2")
    with pytest.raises(HistoryConflict):
        history.undo(db)
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 2
    db.execute("UPDATE documents SET title = ? WHERE id = 2", [title])
    assert history.undo(db) == "Merge theirs.db"
    db.close()


def test_a_renamed_coder_a_moved_coding_and_a_source_cleaned_differently(pair):
    from margin.store.codings import change_boundaries

    ada, bob = pair
    db = open_database(bob)
    db.execute("UPDATE coders SET name = 'Ada L.' WHERE name = 'ada'")  # same UUID
    coding = db.execute("SELECT id FROM codings WHERE quote = 'Aid arrived in March.'"
                        ).fetchone()[0]
    change_boundaries(db, coding, 0, len("Aid arrived"))  # same UUID, another passage
    # A document whose source (its import hash) is one of ours, with another text.
    digest = db.execute("SELECT hash FROM documents WHERE id = 2").fetchone()[0]
    db.execute("UPDATE documents SET hash = 'moved' WHERE id = 2")
    other = _import(db, "The summit ended early, said the cleaner version.")
    db.execute("UPDATE documents SET hash = ? WHERE id = ?", [digest, other])
    _passage(db, other, "Aid", "the cleaner version", "bob")
    db.close()

    report = merge(ada, bob)
    assert [(c.kind, c.message) for c in report.conflicts] == [
        ("coder", "coder “ada”: theirs is named “Ada L.” (same UUID); ours kept"),
        ("document-source", "document “The summit ended early, said the cleaner version.”: "
                            "we have its source with another text (cleaned differently?); "
                            "theirs and its codings left out"),
        ("coding-moved", "coding 0-11 of “Aid arrived in March.” (Aid, ada): ours (same "
                         "UUID) is at another place or code; ours kept"),
    ]
    assert report.codings_left_out == 1
    assert "left out      1 coding of documents that could not be placed" in [
        text for _, text in report.lines()]
    coded = _coded(ada)
    assert ("ada", "Aid", "Aid arrived in March.") in coded
    assert ("ada", "Aid", "Aid arrived") not in coded
    assert all(quote != "the cleaner version" for *_, quote in coded)


def test_a_coding_whose_quote_does_not_match_our_text_is_refused_not_written(pair):
    ada, bob = pair
    db = open_database(bob)
    db.execute("UPDATE codings SET quote = 'Kyiv asked NATO for less.' "
               "WHERE quote = 'Kyiv asked NATO for more.'")
    db.close()
    report = merge(ada, bob)
    assert [(r.document, r.coder, r.reason) for r in report.refused] == [
        ("NATO met in Brussels.", "bob",
         "its quote does not match our text")]
    assert report.codings_added == {"bob": 3}
    quotes = {quote for *_, quote in _coded(ada)}
    assert "Kyiv asked NATO for more." not in quotes
    assert "Kyiv asked NATO for less." not in quotes
    assert "refused       coding 41-66 of “NATO met in Brussels.” by bob: " \
           "its quote does not match our text" in [text for _, text in report.lines()]


def _coded(path: Path) -> list[tuple]:
    db = open_database(path)
    try:
        return db.execute("SELECT coder, code_path, quote FROM coded_passages").fetchall()
    finally:
        db.close()


def test_a_new_document_comes_with_its_entity_mentions(pair):
    from margin.store.entities.rules import RuleRecogniser
    from margin.store.entities.storage import documents_needing_entities, recognise_documents

    ada, bob = pair
    db = open_database(bob)
    recognise_documents(db, documents_needing_entities(db), RuleRecogniser())
    mentions = db.execute("SELECT start, \"end\", label, text FROM entities WHERE "
                          "document_id = 4 ORDER BY start").fetchall()
    db.close()
    assert mentions
    report = merge(ada, bob)
    assert report.documents_without_entities == 0
    db = open_database(ada)
    try:
        assert db.execute("SELECT start, \"end\", label, text FROM entities WHERE "
                          "document_id = 4 ORDER BY start").fetchall() == mentions
        assert db.execute("SELECT backend FROM entity_runs WHERE document_id = 4"
                          ).fetchone() == ("rules",)
        # Undo takes the document with its mentions.
        history.undo(db)
        assert db.execute("SELECT COUNT(*) FROM entities WHERE document_id = 4"
                          ).fetchone() == (0,)
    finally:
        db.close()


# ------------------------------------------------------------ a project file


def test_a_qdpx_project_merges_like_the_database_it_was_exported_from(pair, tmp_path):
    from margin.store.refi.exporter import export_qdpx

    ada, bob = pair
    db = open_database(bob)
    project = export_qdpx(db, tmp_path / "bob.qdpx")
    db.close()
    by_database = _copy(ada, tmp_path, "by-database.db")
    merge(by_database, bob)

    report = merge(ada, project)
    assert report.source == "bob.qdpx"
    assert report.codings_added == {"bob": 4}
    assert report.documents_added == [NEW_TEXT]
    assert report.conflicts == []
    assert state(ada) == state(by_database)
    assert merge(ada, project).nothing_new


# ------------------------------------------------------------ refusals


def _not_a_project_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return path


def _sqlite_not_margin(path: Path) -> Path:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE things (x)")
    connection.commit()
    connection.close()
    return path


def _newer(path: Path, bob: Path) -> Path:
    shutil.copy(bob, path)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.commit()
    connection.close()
    return path


def _damaged(path: Path, bob: Path) -> Path:
    data = bytearray(bob.read_bytes())
    data[100:4096 * 3] = b"\xff" * (4096 * 3 - 100)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make, message", [
    (lambda folder, bob: folder / "missing.db", "no file at "),
    (lambda folder, bob: folder, "is a folder: name a margin database or a .qdpx project"),
    (lambda folder, bob: (folder / "notes.txt", (folder / "notes.txt").write_text("hi"))[0],
     "notes.txt is neither a margin database nor a REFI-QDA project (.qdpx)"),
    (lambda folder, bob: (folder / "empty.db", (folder / "empty.db").write_bytes(b""))[0],
     "empty.db is neither a margin database nor a REFI-QDA project (.qdpx)"),
    (lambda folder, bob: _sqlite_not_margin(folder / "other.sqlite"),
     "is an SQLite database but not a margin one"),
    (lambda folder, bob: _newer(folder / "newer.db", bob),
     "was made by a newer margin (schema 99); upgrade margin to read it"),
    (lambda folder, bob: _damaged(folder / "damaged.db", bob), "is damaged"),
    (lambda folder, bob: _not_a_project_zip(folder / "notes.qdpx"),
     "notes.qdpx: notes.qdpx has no project.qde: not a REFI-QDA project"),
    (lambda folder, bob: (folder / "codes.qdc", (folder / "codes.qdc").write_text("<x/>"))[0],
     "codes.qdc is a REFI-QDA codebook, not a project: margin import codes.qdc merges"),
    (lambda folder, bob: None, "is this database: there is nothing to merge"),
], ids=["missing", "folder", "text", "empty", "sqlite", "newer", "damaged", "zip", "qdc",
        "itself"])
def test_what_cannot_be_merged_is_refused_in_one_line_and_nothing_changes(
        pair, tmp_path, make, message):
    ada, bob = pair
    folder = tmp_path / "files"
    folder.mkdir()
    other = make(folder, bob) or ada
    before = state(ada)
    stamp = _stamp(ada)
    with pytest.raises(StoreError) as raised:
        merge(ada, other)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert state(ada) == before and _stamp(ada) == stamp


def test_an_older_margins_database_is_read_without_upgrading_the_file(pair, tmp_path):
    """Their file from an older margin (schema 0004): brought up to date in
    memory for the merge; the file itself is left as it was."""
    import sqlite_utils

    from margin.store.schema import migrations

    ada, _ = pair
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0005_one_coding_per_coder")
    old["coders"].insert({"id": 1, "uuid": "c1", "name": "cy", "created": "2024-01-01"})
    old["documents"].insert({
        "id": 1, "uuid": "d1", "title": "Old", "text": TEXTS[1], "original": TEXTS[1],
        "word_count": 9, "hash": "h1", "imported": "2024-01-01"})
    old["codes"].insert({"id": 1, "uuid": "k1", "name": "Press", "colour": "#e6194b",
                         "created": "2024-01-01"})
    old["codings"].insert({"id": 1, "uuid": "g1", "document_id": 1, "code_id": 1, "start": 24,
                           "end": 50, "quote": TEXTS[1][24:50], "coder_id": 1,
                           "created": "2024-01-01"})
    old.close()
    before = file_digest(path)
    report = merge(ada, path)
    assert file_digest(path) == before
    assert (report.codes_added, report.codings_added) == (["Press"], {"cy": 1})
    assert ("cy", "Press", "Nobody spoke to the press.") in _coded(ada)


# ------------------------------------------------------------ the command line


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_margin_merge_prints_the_report_as_lines_or_json(pair, tmp_path, capsys):
    ada, bob = pair
    copy = _copy(ada, tmp_path, "copy.db")
    code, out, err = run(capsys, "merge", "--db", str(ada), str(bob))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Merged bob.db: 1 document, 1 code, 4 codings, 2 memos (1 with its coding) came in",
        f"new document  “{NEW_TEXT}”",
        "3 documents already here",
        "new code      Aid > Military",
        "new coder     bob",
        "codings       ada: 0 new, 1 already here",
        "codings       bob: 4 new",
        "1 new document without entity mentions yet: the app recognises them "
        "(or margin entities)",
        "one action: undo (u in the app) takes the merge back",
    ]
    code, out, err = run(capsys, "merge", "--db", str(copy), str(bob), "--json")
    assert (code, err) == (0, "")
    objects = [json.loads(line) for line in out.splitlines()]
    assert objects[0] == {
        "type": "summary", "source": "bob.db", "action": "Merge bob.db", "documents_added": 1,
        "documents_matched": 3, "codes_added": 1, "coders_added": 1, "codings_added": 4,
        "codings_present": 1, "memos_added": 2, "memos_with_codings": 1, "conflicts": 0,
        "refused": 0,
        "codings_left_out": 0}
    assert {"type": "code", "path": "Aid > Military"} in objects
    assert {"type": "codings", "coder": "bob", "added": 4, "present": 0} in objects
    code, out, err = run(capsys, "merge", "--db", str(copy), str(bob), "--json")
    assert json.loads(out.splitlines()[0])["codings_added"] == 0


def test_margin_merge_refuses_in_one_line_and_shows_no_control_characters(
        pair, tmp_path, capsys):
    ada, bob = pair
    code, out, err = run(capsys, "merge", "--db", str(ada), str(ada))
    assert code == 1 and out == ""
    assert err == f"Error: {ada} is this database: there is nothing to merge\n"
    db = open_database(bob)
    db.execute("UPDATE documents SET title = ? WHERE id = 4", ["Notes \x1b]0;owned\x07 \x9b2J"])
    db.close()
    code, out, err = run(capsys, "merge", "--db", str(ada), str(bob))
    assert code == 0
    assert "new document  “Notes ␛]0;owned␇ �2J”" in out.splitlines()
    assert not any(ch in out for ch in "\x1b\x07\x9b")
    # A refused coding: the rest merged, the refusal listed, exit status 1.
    db = open_database(bob)
    db.execute("UPDATE codings SET quote = 'tampered' WHERE quote = 'the minister'")
    db.close()
    copy = _copy(ada, tmp_path, "copy.db")
    db = open_database(copy)
    history.undo(db)
    db.close()
    code, out, err = run(capsys, "merge", "--db", str(copy), str(bob))
    assert code == 1 and err == ""
    assert out.splitlines()[0] == ("Merged bob.db: 1 document, 1 code, 3 codings, 1 memo came "
                                   "in; 1 coding refused")
    assert "refused       coding 23-35 of “Notes ␛]0;owned␇ �2J” by bob: its quote does not " \
           "match our text" in out.splitlines()


def test_a_chosen_colour_is_marked_and_margins_pick_is_not(tmp_path, capsys):
    """The mark the merge reads (migration 0013): a colour chosen in the
    picker (recolour) or with --colour, or margin's own pick; not known for
    a REFI-QDA file's colours; undo takes a choice back."""
    from margin.store.history import undo
    from margin.store.refi.exporter import export_qdc
    from margin.store.refi.importer import import_qdc

    def chosen(path: Path) -> dict:
        db = open_database(path)
        marks = {code.path: code.colour_chosen for code in codebook(db)}
        db.close()
        return marks

    path = tmp_path / "p.db"
    db = open_database(path)
    picked = create_code(db, "Picked")
    create_code(db, "Given", colour="red")
    recolour_code(db, create_code(db, "Recoloured"), "#123456")
    db.close()
    code, _out, err = run(capsys, "--db", str(path), "codes", "add", "Typed", "--colour", "orange")
    assert code == 0, err
    assert chosen(path) == {"Given": True, "Picked": False, "Recoloured": True, "Typed": True}
    db = open_database(path)
    recolour_code(db, picked, "#abcdef")
    assert next(c for c in codebook(db) if c.id == picked).colour_chosen is True
    undo(db)
    assert next(c for c in codebook(db) if c.id == picked).colour_chosen is False
    # A REFI-QDA codebook's colours may be another tool's defaults: not known.
    qdc = export_qdc(db, tmp_path / "book.qdc")
    db.close()
    other = open_database(tmp_path / "other.db")
    import_qdc(other, qdc)
    other.close()
    assert set(chosen(tmp_path / "other.db").values()) == {None}
