"""The codebook and the code picker as a researcher uses them: keys on the
highlighted code, merging, near-duplicate names, colours, deep trees, and
text that fits (issue 10)."""

from __future__ import annotations

import pytest
from helpers import dialog_lines, make_project, wait_for

from margin.store import history
from margin.store.codes import codebook, create_code, ensure_code_path, get_code, merge_codes
from margin.store.codings import apply_coding, codings_for_document, set_coding_memo
from margin.store.db import open_database
from margin.store.documents import get_document
from margin.tui.app import MarginApp
from margin.tui.codebook.passages import PassagesScreen
from margin.tui.codebook.tree import CodebookTree
from margin.tui.modals import Confirm, CreateNew, FuzzyPicker
from margin.tui.reader.screen import ReaderScreen

SIZE = (120, 36)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "project.db", entities=False)


def shown(app) -> str:
    """The app's screen as text, as the terminal would draw it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def _span(db, phrase: str, document_id: int = 1) -> tuple[int, int]:
    text = get_document(db, document_id).text
    start = text.index(phrase)
    return start, start + len(phrase)


def _with_codes(project, *names: str, phrase: str = "Jake Sullivan") -> None:
    db = open_database(project)
    for name in names:
        apply_coding(db, 1, create_code(db, name), *_span(db, phrase), "ada")
    db.conn.close()


async def _reader(pilot) -> None:
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReaderScreen)


# ------------------------------------------------------------ keys and merge


async def test_j_and_k_move_in_the_codebook_and_J_merges_the_code_under_the_cursor(project):
    _with_codes(project, "Alpha", "Bravo", "Charlie")
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await _reader(pilot)
        await pilot.press("tab")
        await pilot.pause()
        tree = app.screen.query_one(CodebookTree)
        assert tree.has_focus and tree.highlighted_code.name == "Alpha"
        await pilot.press("j", "j")
        assert tree.highlighted_code.name == "Charlie"
        await pilot.press("k")
        assert tree.highlighted_code.name == "Bravo"
        await pilot.press("j")
        await pilot.press("J")  # merge Charlie…
        await pilot.pause()
        assert isinstance(app.screen, FuzzyPicker)
        assert "Merge Charlie into" in shown(app)
        await pilot.press(*"alpha", "enter")  # …into Alpha
        await pilot.pause()
        assert [c.name for c in codebook(app.db)] == ["Alpha", "Bravo"]
        # Both coded the same passage: one coding of Alpha is left, and the
        # message says so.
        assert [c.code_name for c in codings_for_document(app.db, 1)
                if c.code_name == "Alpha"] == ["Alpha"]
        messages = [str(n.message) for n in app._notifications]
        assert any("Merged Charlie into Alpha (0 codings moved, 1 coding united" in m
                   for m in messages), messages
        # The pane counts one coding of Alpha, and the cursor stays on a code
        # the next key acts on.
        labels = [str(node.label) for node in tree.root.children]
        assert labels == ["■ Alpha  1", "■ Bravo  1"]
        await pilot.press("u")
        await pilot.pause()
        assert [c.name for c in codebook(app.db)] == ["Alpha", "Bravo", "Charlie"]
        assert sorted(c.code_name for c in codings_for_document(app.db, 1)) == [
            "Alpha", "Bravo", "Charlie"]


async def test_j_and_k_move_in_the_library_codebook_too(project):
    _with_codes(project, "Alpha", "Bravo")
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab", "j")
        tree = app.screen.query_one(CodebookTree)
        assert tree.has_focus and tree.highlighted_code.name == "Bravo"
        await pilot.press("r")  # rename acts on Bravo
        await pilot.pause()
        assert "Rename Bravo" in shown(app)


def _legacy_coding(db, document_id: int, code_id: int, start: int, end: int, coder: str) -> None:
    """A coding as older margins stored it, with the whitespace after the
    passage: the coding writer now trims that away, so it goes in raw."""
    from margin.store.codings import ensure_coder
    from margin.store.documents import document_text
    from margin.store.util import new_uuid, now

    text = document_text(db, document_id)
    db.execute(
        'INSERT INTO codings (uuid, document_id, code_id, start, "end", quote, memo, coder_id, '
        "created, updated) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?)",
        [new_uuid(), document_id, code_id, start, end, text[start:end],
         ensure_coder(db, coder), now(), now()])


def test_merge_unites_one_coders_codings_of_a_passage_and_undo_restores_both(sample_db):
    db = sample_db
    source, target = create_code(db, "Diplomats"), create_code(db, "Officials")
    start, end = _span(db, "Jake Sullivan")
    kept = apply_coding(db, 1, target, start, end, "ada")
    united = apply_coding(db, 1, source, start, end, "ada")
    set_coding_memo(db, united, "adviser")
    # The same passage with the space after it, by the same coder: one passage.
    _legacy_coding(db, 1, source, start, end + 1, "ada")
    apply_coding(db, 1, source, *_span(db, "Mike Johnson"), "ada")
    apply_coding(db, 1, source, start, end, "bob")  # another coder's stays his
    before = sorted((c.code_name, c.coder, c.start, c.end, c.memo)
                    for c in codings_for_document(db, 1))

    summary = merge_codes(db, source, target)
    assert (summary.moved, summary.united) == (2, 2)
    codings = codings_for_document(db, 1)
    assert sorted((c.code_name, c.coder, c.quote) for c in codings) == [
        ("Officials", "ada", "Jake Sullivan"), ("Officials", "ada", "Mike Johnson"),
        ("Officials", "bob", "Jake Sullivan")]
    [ada] = [c for c in codings if c.coder == "ada" and c.quote == "Jake Sullivan"]
    assert ada.id == kept and ada.memo == "adviser"
    assert get_code(db, target).coding_count == 3

    history.undo(db)
    assert sorted((c.code_name, c.coder, c.start, c.end, c.memo)
                  for c in codings_for_document(db, 1)) == before


def test_merge_unites_the_sources_own_stacked_codings(sample_db):
    db = sample_db
    source, target = create_code(db, "Diplomats"), create_code(db, "Officials")
    start, end = _span(db, "Jake Sullivan")
    apply_coding(db, 1, source, start, end, "ada")
    _legacy_coding(db, 1, source, start, end + 1, "ada")
    summary = merge_codes(db, source, target)
    assert (summary.moved, summary.united) == (1, 1)
    assert [c.quote for c in codings_for_document(db, 1)] == ["Jake Sullivan"]


# -------------------------------------------------------------- code picker


def test_a_well_matching_name_is_an_existing_code_and_a_new_word_is_not():
    from margin.tui.modals import matches_well

    assert matches_well("signaling diplo", "Diplomatic signalling")
    assert matches_well("escal", "Escalation")
    assert matches_well("sanktions", "Sanctions")
    assert not matches_well("Escalation risk", "Escalation")
    assert not matches_well("Humanitarian aid", "Diplomatic signalling")


async def test_the_picker_picks_an_existing_near_name_and_offers_to_create_it_last(project):
    _with_codes(project, "Diplomatic signalling")
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await _reader(pilot)
        await pilot.press("}", "s", "c")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, FuzzyPicker)
        await pilot.press(*"signaling diplo")
        await pilot.pause()
        options = picker.query_one("#options")
        assert str(options.get_option_at_index(0).prompt).startswith("■ Diplomatic signalling")
        assert options.highlighted == 0
        assert "Create code" in str(options.get_option_at_index(options.option_count - 1).prompt)
        assert picker._shown[-1] == CreateNew("signaling diplo")
        await pilot.press("enter")
        await pilot.pause()
        assert [c.name for c in codebook(app.db)] == ["Diplomatic signalling"]
        assert get_code(app.db, codebook(app.db)[0].id).coding_count == 2
        # A name of its own still creates on Enter.
        await pilot.press("}", "s", "c", *"Humanitarian aid", "enter")
        await pilot.pause()
        assert sorted(c.name for c in codebook(app.db)) == [
            "Diplomatic signalling", "Humanitarian aid"]


# ------------------------------------------------------------------ colours


def test_colour_names_and_forms_become_hex_and_nonsense_does_not():
    from margin.tui.codebook.dialogs import colour_from_text

    assert colour_from_text("orange") == "#ffa500"
    assert colour_from_text("Dark Orange") == "#ff8c00"
    assert colour_from_text("F58231") == "#f58231"
    assert colour_from_text("#abc") == "#aabbcc"
    assert colour_from_text("rgb(10, 20, 30)") == "#0a141e"
    for nonsense in ("oran", "transparent", "ansi_red", "#12345", "blue-ish"):
        assert colour_from_text(nonsense) is None, nonsense


async def test_the_colour_picker_accepts_a_colour_name_and_offers_only_colours(project):
    _with_codes(project, "Escalation")
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await _reader(pilot)
        await pilot.press("tab", "C")
        await pilot.pause()
        picker = app.screen
        await pilot.press(*"oran")
        await pilot.pause()
        assert not any(isinstance(value, CreateNew) for value in picker._shown)
        assert "Use colour" not in shown(app)
        await pilot.press("g", "e")
        await pilot.pause()
        assert "Use colour “orange” → #ffa500" in shown(app)
        await pilot.press("enter")
        await pilot.pause()
        assert codebook(app.db)[0].colour == "#ffa500"
        # Marked as chosen: a merge tells it from a colour margin picked.
        assert codebook(app.db)[0].colour_chosen is True
        assert not any(n.severity == "error" for n in app._notifications)


# ------------------------------------------------------------- text that fits


LONG_NAME = ("Diplomatic signalling through intermediaries and back channels "
             "between Kyiv, Moscow and Washington")


async def test_a_long_code_name_is_cut_with_an_ellipsis_and_keeps_its_count(project):
    _with_codes(project, LONG_NAME)
    db = open_database(project)
    child = create_code(db, "Back channels and envoys of every kind", parent_id=codebook(db)[0].id)
    apply_coding(db, 1, child, *_span(db, "Mike Johnson"), "ada")
    db.conn.close()
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await _reader(pilot)
        tree = app.screen.query_one(CodebookTree)
        await pilot.pause()
        rows = [tree.render_line(y).text.rstrip() for y in range(2)]
        width = tree.scrollable_content_region.width
        assert rows[0].startswith("▼ ■ Diplomatic signal") and rows[0].endswith("…  1 (2)")
        assert rows[1].endswith("…  1") and "Back channels" in rows[1]
        assert all(len(row) <= width for row in rows)
        # Nothing to scroll sideways: no horizontal scrollbar.
        assert tree.virtual_size.width <= width
        assert not tree.show_horizontal_scrollbar


async def test_a_confirmation_shows_the_whole_question_wrapped(project):
    _with_codes(project, LONG_NAME)
    app = MarginApp(project, "ada")
    async with app.run_test(size=(80, 24)) as pilot:
        await _reader(pilot)
        await pilot.press("tab", "D")
        await wait_for(pilot, lambda: "Delete code" in shown(app))
        assert isinstance(app.screen, Confirm)
        text = " ".join(" ".join(dialog_lines(shown(app))).split())
        assert f"Delete code {LONG_NAME}, with 1 coding? (undoable)" in text
        # A picker's title keeps the whole name too.
        await pilot.press("n", "J")
        await wait_for(pilot, lambda: "Merge Diplomatic" in shown(app))
        text = " ".join(" ".join(dialog_lines(shown(app))).split())
        assert f"Merge {LONG_NAME} into…" in text


async def test_passages_show_control_characters_as_symbols_and_cut_with_an_ellipsis(tmp_path):
    text = ("The minister spoke. \x1b]0;pwned\x07Then a title change, \x1b[2J a clear, and "
            + "a very long passage that goes on " * 20 + "to the end.\n")
    project = make_project(tmp_path / "p.db", sample=False, texts=[text], entities=False)
    db = open_database(project)
    code = create_code(db, "Escapes")
    coding = apply_coding(db, 1, code, 20, len(text) - 1, "ada")
    set_coding_memo(db, coding, "memo with \x1b[31mred\x1b[0m")
    db.conn.close()
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(PassagesScreen(code))
        await pilot.pause()
        screen = shown(app)
        assert "\x1b" not in screen and "\x07" not in screen
        assert "␛]0;pwned␇Then a title change, ␛[2J a clear" in screen
        assert "memo: memo with ␛[31mred␛[0m" in screen
        assert "…" in screen and "to the end." not in screen
        assert "1 passage in 1 document" in screen


# ---------------------------------------------------------------- deep trees


DEPTH = 1000


@pytest.fixture
def deep_project(tmp_path):
    project = make_project(tmp_path / "deep.db", entities=False)
    db = open_database(project)
    leaf = ensure_code_path(db, " > ".join(f"Level {n}" for n in range(1, DEPTH + 1)))
    apply_coding(db, 1, leaf, *_span(db, "Jake Sullivan"), "ada")
    db.conn.close()
    return project


def test_a_thousand_deep_codebook_is_walked_without_recursion(deep_project):
    db = open_database(deep_project)
    codes = codebook(db)
    assert len(codes) == DEPTH and codes[-1].depth == DEPTH - 1
    assert codes[0].total_count == 1 and codes[-1].coding_count == 1
    assert codes[-1].path.endswith("Level 999 > Level 1000")
    assert get_code(db, codes[-1].id) == codes[-1]
    history.undo(db)  # the coding
    summary = merge_codes(db, codes[-1].id, codes[0].id)
    assert summary.moved == 0 and len(codebook(db)) == DEPTH - 1


async def test_a_thousand_deep_codebook_draws_and_its_keys_work(deep_project):
    app = MarginApp(deep_project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await _reader(pilot)
        tree = app.screen.query_one(CodebookTree)
        await pilot.press("tab")
        await wait_for(pilot, lambda: "■ Level 1" in shown(app))
        await pilot.press("end")
        await wait_for(pilot, lambda: tree.highlighted_code is not None
                       and tree.highlighted_code.name == "Level 1000")
        await wait_for(pilot, lambda: "↳1000" in shown(app))
        [row] = [line for line in shown(app).splitlines() if "↳1000" in line]
        # The pane's scrollbar is drawn at the row's end when its thumb is
        # level with it ("1▁▁"): it is not part of the row.
        row = row.rstrip().rstrip("▁▂▃▄▅▆▇█▔").rstrip()
        assert row.endswith("■ ↳1000 Level …  1")  # its level, its count
        await pilot.press("enter")  # its passages
        await wait_for(pilot, lambda: isinstance(app.screen, PassagesScreen)
                       and "Jake Sullivan" in shown(app))


def test_margin_codes_lists_a_thousand_deep_codebook(deep_project):
    from click.testing import CliRunner

    from margin.tui.commands import cli

    result = CliRunner().invoke(cli, ["--db", str(deep_project), "codes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == DEPTH
    assert lines[-1] == "  " * (DEPTH - 1) + "Level 1000  1"
    assert lines[0] == "Level 1  0 (1 with sub-codes)"


def test_the_merge_message_counts_in_words():
    from margin.store.codes import Code, MergeSummary
    from margin.tui.codebook.dialogs import merge_message

    a, b = (Code(id=n, uuid="", name=name, colour="#000000", description="", parent_id=None)
            for n, name in ((1, "Envoys"), (2, "Officials")))
    assert merge_message(a, b, MergeSummary(1, 0)) == (
        "Merged Envoys into Officials (1 coding moved; u undoes)")
    assert merge_message(a, b, MergeSummary(2, 3)) == (
        "Merged Envoys into Officials (2 codings moved, 3 codings united; u undoes)")
