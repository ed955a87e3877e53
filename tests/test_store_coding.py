"""Codes, codings, memos and their undo/redo, as a researcher would use them."""

from __future__ import annotations

import pytest

from margin.store import history
from margin.store.codes import (
    codebook,
    create_code,
    delete_code,
    describe_code,
    ensure_code_path,
    find_code,
    merge_codes,
    move_code,
    recently_used_codes,
    recolour_code,
    rename_code,
)
from margin.store.codings import (
    apply_coding,
    apply_new_code,
    change_boundaries,
    codings_for_document,
    memo_text,
    remove_coding,
    set_coding_memo,
    set_memo,
)
from margin.store.documents import get_document, rename_document
from margin.store.errors import QuoteMismatch, StoreError


def _passage(db, document_id=1, phrase="Jake Sullivan"):
    text = get_document(db, document_id).text
    start = text.index(phrase)
    return start, start + len(phrase)


def test_coding_stores_the_quote_and_the_coder(sample_db):
    code_id = create_code(sample_db, "Officials")
    start, end = _passage(sample_db)
    apply_coding(sample_db, 1, code_id, start, end, "ada")
    [coding] = codings_for_document(sample_db, 1)
    assert (coding.start, coding.end, coding.quote) == (start, end, "Jake Sullivan")
    assert coding.coder == "ada"
    assert coding.code_name == "Officials"


def test_new_codes_get_distinct_colours(sample_db):
    colours = {codebook(sample_db)[0].colour} if codebook(sample_db) else set()
    for name in ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N",
                 "O", "P", "Q", "R", "S", "T", "U", "V"]:
        create_code(sample_db, name)
    colours = [code.colour for code in codebook(sample_db)]
    assert len(set(colours)) == len(colours)


def test_undo_and_redo_of_applying_a_code(sample_db):
    code_id = create_code(sample_db, "Officials")
    start, end = _passage(sample_db)
    apply_coding(sample_db, 1, code_id, start, end, "ada")
    assert history.undo(sample_db) == "Code passage as Officials"
    assert codings_for_document(sample_db, 1) == []
    assert history.redo(sample_db) == "Code passage as Officials"
    assert [c.quote for c in codings_for_document(sample_db, 1)] == ["Jake Sullivan"]


def test_multi_step_undo_walks_back_through_every_action(sample_db):
    code_id = create_code(sample_db, "Officials")
    start, end = _passage(sample_db)
    coding_id = apply_coding(sample_db, 1, code_id, start, end, "ada")
    change_boundaries(sample_db, coding_id, start, end + 10)
    set_coding_memo(sample_db, coding_id, "US national security adviser")
    rename_code(sample_db, code_id, "US officials")
    recolour_code(sample_db, code_id, "#123456")

    history.undo(sample_db)
    assert find_code(sample_db, "US officials").colour != "#123456"
    history.undo(sample_db)
    assert find_code(sample_db, "Officials") is not None
    history.undo(sample_db)
    assert codings_for_document(sample_db, 1)[0].memo == ""
    history.undo(sample_db)
    assert codings_for_document(sample_db, 1)[0].quote == "Jake Sullivan"
    history.undo(sample_db)
    assert codings_for_document(sample_db, 1) == []
    history.undo(sample_db)
    assert codebook(sample_db) == []
    assert history.undo(sample_db) is None
    for _ in range(6):
        history.redo(sample_db)
    [coding] = codings_for_document(sample_db, 1)
    assert coding.memo == "US national security adviser"
    assert find_code(sample_db, "US officials").colour == "#123456"


def test_a_new_action_clears_the_redo_stack(sample_db):
    create_code(sample_db, "First")
    history.undo(sample_db)
    create_code(sample_db, "Second")
    assert history.redo(sample_db) is None
    assert [c.name for c in codebook(sample_db)] == ["Second"]


def test_boundaries_move_and_the_quote_follows(sample_db):
    code_id = create_code(sample_db, "Officials")
    start, end = _passage(sample_db, phrase="National security adviser Jake Sullivan")
    coding_id = apply_coding(sample_db, 1, code_id, start, end, "ada")
    change_boundaries(sample_db, coding_id, start + len("National security adviser "), end)
    assert codings_for_document(sample_db, 1)[0].quote == "Jake Sullivan"


def test_codes_nest_and_move_but_never_under_themselves(sample_db):
    parent = create_code(sample_db, "Actors")
    child = create_code(sample_db, "Officials", parent_id=parent)
    assert find_code(sample_db, "Actors > Officials").id == child
    with pytest.raises(StoreError, match="under itself"):
        move_code(sample_db, parent, child)
    move_code(sample_db, child, None)
    assert find_code(sample_db, "Officials").parent_id is None
    history.undo(sample_db)
    assert find_code(sample_db, "Officials").path == "Actors > Officials"


def test_sibling_names_are_unique_but_cousins_may_share_them(sample_db):
    a = create_code(sample_db, "A")
    b = create_code(sample_db, "B")
    create_code(sample_db, "Same", parent_id=a)
    create_code(sample_db, "Same", parent_id=b)
    with pytest.raises(StoreError, match="already exists"):
        create_code(sample_db, "same", parent_id=a)
    with pytest.raises(StoreError, match="ambiguous"):
        find_code(sample_db, "Same")


def test_ensure_code_path_creates_missing_levels_as_one_action(sample_db):
    ensure_code_path(sample_db, "Actors > States > Russia")
    assert [c.path for c in codebook(sample_db)] == [
        "Actors", "Actors > States", "Actors > States > Russia"]
    history.undo(sample_db)
    assert codebook(sample_db) == []


def test_applying_a_new_code_is_one_undoable_action(sample_db):
    start, end = _passage(sample_db)
    apply_new_code(sample_db, 1, "People > Officials", start, end, "ada")
    assert codings_for_document(sample_db, 1)[0].code_name == "Officials"
    history.undo(sample_db)
    assert codebook(sample_db) == [] and codings_for_document(sample_db, 1) == []


def test_merge_moves_codings_and_subcodes_and_drops_exact_duplicates(sample_db):
    source = create_code(sample_db, "Diplomats")
    target = create_code(sample_db, "Officials")
    create_code(sample_db, "Envoys", parent_id=source)
    start, end = _passage(sample_db)
    apply_coding(sample_db, 1, source, start, end, "ada")
    apply_coding(sample_db, 1, target, start, end, "ada")
    other = _passage(sample_db, phrase="Mike Johnson")
    apply_coding(sample_db, 1, source, *other, "ada")

    assert merge_codes(sample_db, source, target).moved == 1
    names = sorted((c.code_name, c.quote) for c in codings_for_document(sample_db, 1))
    assert names == [("Officials", "Jake Sullivan"), ("Officials", "Mike Johnson")]
    assert find_code(sample_db, "Officials > Envoys") is not None
    assert find_code(sample_db, "Diplomats") is None

    history.undo(sample_db)
    names = sorted((c.code_name, c.quote) for c in codings_for_document(sample_db, 1))
    assert names == [("Diplomats", "Jake Sullivan"), ("Diplomats", "Mike Johnson"),
                     ("Officials", "Jake Sullivan")]
    assert find_code(sample_db, "Diplomats > Envoys") is not None


def test_delete_removes_subtree_and_codings_and_undo_restores_them(sample_db):
    parent = create_code(sample_db, "Actors")
    child = create_code(sample_db, "Officials", parent_id=parent)
    set_memo(sample_db, "who speaks for whom", "ada", code_id=child)
    apply_coding(sample_db, 1, child, *_passage(sample_db), "ada")
    assert delete_code(sample_db, parent) == (2, 1)
    assert codebook(sample_db) == [] and codings_for_document(sample_db, 1) == []
    history.undo(sample_db)
    assert [c.path for c in codebook(sample_db)] == ["Actors", "Actors > Officials"]
    assert codings_for_document(sample_db, 1)[0].quote == "Jake Sullivan"
    assert memo_text(sample_db, code_id=child) == "who speaks for whom"


def test_removing_a_coding_is_undoable(sample_db):
    code_id = create_code(sample_db, "Officials")
    coding_id = apply_coding(sample_db, 1, code_id, *_passage(sample_db), "ada")
    remove_coding(sample_db, coding_id)
    assert codings_for_document(sample_db, 1) == []
    history.undo(sample_db)
    assert len(codings_for_document(sample_db, 1)) == 1


def test_document_and_code_memos_and_titles_are_undoable(sample_db):
    code_id = create_code(sample_db, "Officials")
    describe_code(sample_db, code_id, "People speaking for a government")
    set_memo(sample_db, "Sets the frame for the week", "ada", document_id=1)
    set_memo(sample_db, "Revised frame", "ada", document_id=1)
    rename_document(sample_db, 1, "Diplomacy Watch, 6 Dec")
    assert get_document(sample_db, 1).title == "Diplomacy Watch, 6 Dec"
    history.undo(sample_db)
    assert get_document(sample_db, 1).title.startswith("Diplomacy Watch: Still")
    history.undo(sample_db)
    assert memo_text(sample_db, document_id=1) == "Sets the frame for the week"
    history.undo(sample_db)
    assert memo_text(sample_db, document_id=1) == ""
    history.undo(sample_db)
    assert find_code(sample_db, "Officials").description == ""


def test_refused_codings(sample_db):
    code_id = create_code(sample_db, "Officials")
    start, end = _passage(sample_db)
    apply_coding(sample_db, 1, code_id, start, end, "ada")
    with pytest.raises(StoreError, match="already coded"):
        apply_coding(sample_db, 1, code_id, start, end, "ada")
    with pytest.raises(StoreError, match="outside the document"):
        apply_coding(sample_db, 1, code_id, 10, 10**7, "ada")
    with pytest.raises(StoreError, match="whitespace"):
        text = get_document(sample_db, 1).text
        blank = text.index("\n\n")
        apply_coding(sample_db, 1, code_id, blank, blank + 2, "ada")


def test_a_quote_that_no_longer_matches_fails_loudly(sample_db):
    code_id = create_code(sample_db, "Officials")
    start, end = _passage(sample_db)
    apply_coding(sample_db, 1, code_id, start, end, "ada")
    sample_db.execute("UPDATE codings SET start = start + 1, \"end\" = \"end\" + 1")
    with pytest.raises(QuoteMismatch) as error:
        codings_for_document(sample_db, 1)
    assert f"{start + 1}-{end + 1}" in str(error.value)
    assert "Diplomacy Watch" in str(error.value)


def test_undo_refuses_when_the_row_changed_since(sample_db):
    code_id = create_code(sample_db, "Officials")
    sample_db.execute("UPDATE codes SET name = 'changed elsewhere' WHERE id = ?", [code_id])
    with pytest.raises(StoreError, match="changed since"):
        history.undo(sample_db)
    assert find_code(sample_db, "changed elsewhere") is not None


def test_recently_used_codes_are_newest_first(sample_db):
    first = create_code(sample_db, "First")
    second = create_code(sample_db, "Second")
    apply_coding(sample_db, 1, first, *_passage(sample_db), "ada")
    apply_coding(sample_db, 1, second, *_passage(sample_db, phrase="Mike Johnson"), "ada")
    assert [c.name for c in recently_used_codes(sample_db)] == ["Second", "First"]


def test_recently_used_codes_look_up_each_codes_newest_coding_on_an_index(sample_db):
    """Run on every reload of the reader: one index look-up per code, never
    a pass over every coding (EXPLAIN QUERY PLAN); the order is by each
    code's newest coding, of the coders named."""
    first, second, third = (create_code(sample_db, name) for name in ("A1", "B2", "C3"))
    apply_coding(sample_db, 1, first, *_passage(sample_db), "ada")
    apply_coding(sample_db, 1, second, *_passage(sample_db, phrase="Mike Johnson"), "ben")
    apply_coding(sample_db, 1, third, *_passage(sample_db, phrase="Mike Johnson"), "ada")
    apply_coding(sample_db, 1, first, *_passage(sample_db, phrase="Mike Johnson"), "ada")
    assert [c.name for c in recently_used_codes(sample_db)] == ["A1", "C3", "B2"]
    assert [c.name for c in recently_used_codes(sample_db, coders=["ben"])] == ["B2"]
    assert [c.name for c in recently_used_codes(sample_db, 2, ["ada", "ben"])] == ["A1", "C3"]
    codes = codebook(sample_db)
    assert recently_used_codes(sample_db, codes=codes)[0] is next(c for c in codes if c.id == first)
    for coders in ((), ("ada",)):
        statements: list[str] = []  # what recently_used_codes runs, as SQLite ran it
        sample_db.conn.set_trace_callback(statements.append)
        try:
            recently_used_codes(sample_db, coders=coders, codes=codes)
        finally:
            sample_db.conn.set_trace_callback(None)
        [query] = [sql for sql in statements if "FROM codings" in sql]
        plan = " ".join(row[3] for row in sample_db.execute("EXPLAIN QUERY PLAN " + query))
        assert "SCAN c " not in plan and "SCAN codings" not in plan
        assert "SEARCH c USING" in plan and "idx_codings_code_id" in plan


def test_a_failed_action_changes_nothing(sample_db):
    """One transaction per action: an error in the middle rolls it all back."""
    from margin.store.history import action

    with pytest.raises(RuntimeError), action(sample_db, "half done") as log:
        log.insert("codes", {"uuid": "u1", "name": "Orphan", "colour": "#ffffff",
                             "created": "now"})
        raise RuntimeError("crash in the middle")
    assert codebook(sample_db) == []
    assert history.can_undo(sample_db) is None


def test_merge_keeps_the_memos_of_dropped_duplicates_and_of_the_code(sample_db):
    source = create_code(sample_db, "Diplomats")
    target = create_code(sample_db, "Officials")
    start, end = _passage(sample_db)
    dropped = apply_coding(sample_db, 1, source, start, end, "ada")
    apply_coding(sample_db, 1, target, start, end, "ada")
    set_coding_memo(sample_db, dropped, "adviser, not a diplomat")
    set_memo(sample_db, "people in foreign ministries", "ada", code_id=source)
    set_memo(sample_db, "people speaking for a state", "ada", code_id=target)
    merge_codes(sample_db, source, target)
    [coding] = codings_for_document(sample_db, 1)
    assert coding.memo == "adviser, not a diplomat"
    assert memo_text(sample_db, code_id=target) == (
        "people speaking for a state\n\npeople in foreign ministries")
    history.undo(sample_db)
    assert memo_text(sample_db, code_id=source) == "people in foreign ministries"
    assert {c.memo for c in codings_for_document(sample_db, 1)} == {"adviser, not a diplomat", ""}


def test_merge_refuses_when_both_codes_have_a_sub_code_of_the_same_name(sample_db):
    a = create_code(sample_db, "A")
    b = create_code(sample_db, "B")
    create_code(sample_db, "Same", parent_id=a)
    create_code(sample_db, "Same", parent_id=b)
    with pytest.raises(StoreError, match="sub-code named 'Same'"):
        merge_codes(sample_db, a, b)
    assert find_code(sample_db, "A > Same") is not None


def test_document_text_cannot_be_changed(sample_db):
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        sample_db.execute("UPDATE documents SET text = 'rewritten' WHERE id = 1")


def test_renaming_a_document_does_not_copy_its_text_into_the_history(sample_db):
    rename_document(sample_db, 1, "Short title")
    [row] = sample_db.query("SELECT changes FROM history")
    assert len(row["changes"]) < 500
    history.undo(sample_db)
    assert get_document(sample_db, 1).title.startswith("Diplomacy Watch")


def test_control_characters_never_reach_names_titles_or_coders(sample_db):
    code_id = create_code(sample_db, "Evil\x1b[2J name\n")
    assert find_code(sample_db, "Evil [2J name").id == code_id
    rename_document(sample_db, 1, "Title\x07 with bell")
    assert get_document(sample_db, 1).title == "Title with bell"
    coding = apply_coding(sample_db, 1, code_id, *_passage(sample_db), "ada\x1b]52;c;x\x07")
    assert "\x1b" not in codings_for_document(sample_db, 1)[0].coder
    assert coding


# ------------------------------------------------------------ two coders


def _coders_of(db, document_id=1) -> list[tuple[str, str, str]]:
    return sorted((c.code_name, c.quote, c.coder) for c in codings_for_document(db, document_id))


def test_a_coder_codes_a_passage_with_a_code_once_and_a_second_coder_may_too(sample_db):
    officials = create_code(sample_db, "Officials")
    sullivan = _passage(sample_db)
    apply_coding(sample_db, 1, officials, *sullivan, "ada")
    for second_time in (lambda: apply_coding(sample_db, 1, officials, *sullivan, "ada"),
                        lambda: apply_new_code(sample_db, 1, "Officials", *sullivan, "ada")):
        with pytest.raises(StoreError, match="already coded 'Officials' by ada"):
            second_time()
    apply_coding(sample_db, 1, officials, *sullivan, "bob")
    assert _coders_of(sample_db) == [("Officials", "Jake Sullivan", "ada"),
                                     ("Officials", "Jake Sullivan", "bob")]
    assert history.can_undo(sample_db) == "Code passage as Officials"
    history.undo(sample_db)
    assert _coders_of(sample_db) == [("Officials", "Jake Sullivan", "ada")]


def test_moving_a_coding_onto_a_passage_follows_the_same_rule(sample_db):
    code_id = create_code(sample_db, "Officials")
    sullivan, johnson = _passage(sample_db), _passage(sample_db, phrase="Mike Johnson")
    apply_coding(sample_db, 1, code_id, *sullivan, "ada")
    bobs = apply_coding(sample_db, 1, code_id, *johnson, "bob")
    change_boundaries(sample_db, bobs, *sullivan)  # ada's coding there is not bob's
    adas = apply_coding(sample_db, 1, code_id, *johnson, "ada")
    with pytest.raises(StoreError, match="already coded 'Officials' by ada"):
        change_boundaries(sample_db, adas, *sullivan)
    assert _coders_of(sample_db) == [("Officials", "Jake Sullivan", "ada"),
                                     ("Officials", "Jake Sullivan", "bob"),
                                     ("Officials", "Mike Johnson", "ada")]


def test_merging_codes_keeps_one_coding_per_coder_and_passage(sample_db):
    source = create_code(sample_db, "Diplomats")
    target = create_code(sample_db, "Officials")
    start, end = _passage(sample_db)
    adas_source = apply_coding(sample_db, 1, source, start, end, "ada")
    adas_target = apply_coding(sample_db, 1, target, start, end, "ada")
    set_coding_memo(sample_db, adas_target, "speaks for the White House")
    set_coding_memo(sample_db, adas_source, "adviser, not a diplomat")
    # bob coded the passage Diplomats only, cy both: their codings are theirs.
    apply_coding(sample_db, 1, source, start, end, "bob")
    apply_coding(sample_db, 1, source, start, end, "cy")
    apply_coding(sample_db, 1, target, start, end, "cy")

    assert merge_codes(sample_db, source, target).moved == 1  # bob's moved
    codings = codings_for_document(sample_db, 1)
    assert sorted((c.code_name, c.coder) for c in codings) == [
        ("Officials", "ada"), ("Officials", "bob"), ("Officials", "cy")]
    ada = next(c for c in codings if c.coder == "ada")
    assert ada.id == adas_target
    assert ada.memo == "speaks for the White House\n\nadviser, not a diplomat"

    history.undo(sample_db)
    assert sorted((c.code_name, c.coder, c.memo) for c in codings_for_document(sample_db, 1)) == [
        ("Diplomats", "ada", "adviser, not a diplomat"), ("Diplomats", "bob", ""),
        ("Diplomats", "cy", ""), ("Officials", "ada", "speaks for the White House"),
        ("Officials", "cy", "")]


def test_only_the_coding_writer_inserts_codings():
    """codings.write_codings is the one place rows enter ``codings``, so the
    duplicate rule is kept in one place: nothing else in margin inserts."""
    import re
    from pathlib import Path

    import margin.store
    import margin.tui

    inserts = re.compile(
        r"""INSERT\s+(?:OR\s+\w+\s+)?INTO\s+["'`\[]?codings\b"""  # SQL
        r"""|\[\s*["']codings["']\s*\]\s*\.\s*(?:insert|upsert)"""  # sqlite-utils table
        r"""|\.\s*(?:insert|upsert)(?:_all)?\(\s*["']codings["']""",  # log.insert("codings", …)
        re.IGNORECASE,
    )
    writer = Path(margin.store.__file__).parent / "codings.py"
    found = []
    for package in (margin.store, margin.tui):
        for path in sorted(Path(package.__file__).parent.rglob("*.py")):
            if path == writer:
                continue
            text = path.read_text(encoding="utf-8")
            found += [f"{path.name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group()}"
                      for m in inserts.finditer(text)]
    assert found == []
    assert inserts.search(writer.read_text(encoding="utf-8")), "the pattern finds the writer"


def test_a_stored_passage_never_starts_or_ends_with_whitespace(sample_db):
    """A selection that ran onto the line break and the next sentence's first
    letter's indentation is stored as its words only, with a quote to match."""
    code_id = create_code(sample_db, "Officials")
    text = get_document(sample_db, 1).text
    start = text.index(". ") + 2
    end_of_paragraph = text.index("\n", start)
    apply_coding(sample_db, 1, code_id, start - 1, end_of_paragraph + 2, "ada")
    [coding] = codings_for_document(sample_db, 1)
    assert (coding.start, coding.end) == (start, end_of_paragraph)
    assert coding.quote == text[start:end_of_paragraph]
    assert coding.quote == coding.quote.strip()
    # Moving the boundaries onto whitespace trims them the same way.
    change_boundaries(sample_db, coding.id, start - 1, end_of_paragraph + 1)
    [coding] = codings_for_document(sample_db, 1)
    assert (coding.start, coding.end) == (start, end_of_paragraph)


def test_the_one_coding_writer_trims_and_refuses_whitespace_for_every_caller(sample_db):
    from margin.store.codings import NewCoding, ensure_coder, write_codings

    code_id = create_code(sample_db, "Officials")
    coder_id = ensure_coder(sample_db, "ada")
    text = get_document(sample_db, 1).text
    start, end = _passage(sample_db)
    written = write_codings(sample_db, [NewCoding(1, code_id, start - 1, end + 1, coder_id)])
    assert [(c.start, c.end) for c in written.added] == [(start, end)]
    assert [c.quote for c in codings_for_document(sample_db, 1)] == ["Jake Sullivan"]
    blank = text.index("\n\n")
    with pytest.raises(StoreError, match=f"{blank}-{blank + 2} .*only whitespace"):
        write_codings(sample_db, [NewCoding(1, code_id, blank, blank + 2, coder_id)])
    # The same passage with whitespace around it is the same coding.
    again = write_codings(sample_db, [NewCoding(1, code_id, start, end + 1, coder_id)])
    assert not again.added and len(again.already_coded) == 1


def test_markdown_export_has_no_empty_quote_lines_from_a_trailing_line_break(sample_db):
    from margin.store.export import coded_passages, to_markdown

    code_id = create_code(sample_db, "Officials")
    text = get_document(sample_db, 1).text
    end_of_paragraph = text.index("\n", text.index(". "))
    apply_coding(sample_db, 1, code_id, end_of_paragraph - 20, end_of_paragraph + 2, "ada")
    markdown = to_markdown(coded_passages(sample_db))
    lines = markdown.splitlines()
    first = lines.index("> " + text[end_of_paragraph - 20:end_of_paragraph])
    assert lines[first + 1] == ">"  # the one empty line before the citation
    assert lines[first + 2].startswith("> — *")
