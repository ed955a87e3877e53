"""The whole loop in the app, driven with the keyboard as a researcher would."""

from __future__ import annotations

import json

import pytest
from helpers import backgrounds_of, make_project, open_first_document, visible_rows

from margin.store.codes import codebook
from margin.store.codings import codings_for_document
from margin.store.db import open_database
from margin.store.export import coded_passages, to_jsonl
from margin.tui.app import MarginApp
from margin.tui.library import LibraryScreen
from margin.tui.modals import FuzzyPicker
from margin.tui.reader.screen import ReaderScreen
from margin.tui.reader.view import ReaderView

SIZE = (120, 36)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "project.db")


async def test_open_select_code_see_undo_redo_export(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        assert "Diplomacy Watch: Still tap dancing around NATO for Kyiv" in visible_rows(view)[0]

        await pilot.press("v", "w", "w")  # select "Diplomacy Watch: "
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, FuzzyPicker)
        await pilot.press(*"Framing", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)

        [coding] = codings_for_document(app.db, 1)
        assert coding.quote == "Diplomacy Watch:"
        assert coding.coder == "ada"
        # The passage is drawn in the code's colour and the gutter names the code.
        assert any(colour is not None for colour in backgrounds_of(view, "Diplomacy"))
        assert "Framing" in visible_rows(view)[0]
        # The codebook pane shows the new code with its count.
        tree = app.screen.query_one("#codebook")
        assert [str(node.label) for node in tree.root.children] == ["■ Framing  1"]

        await pilot.press("u")
        await pilot.pause()
        assert codings_for_document(app.db, 1) == []
        assert "Framing" not in visible_rows(view)[0]
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert [c.quote for c in codings_for_document(app.db, 1)] == ["Diplomacy Watch:"]

    db = open_database(project)
    [record] = [json.loads(line) for line in to_jsonl(coded_passages(db)).splitlines()]
    assert record["code"] == "Framing" and record["quote"] == "Diplomacy Watch:"


async def test_sentence_and_paragraph_quick_keys_and_recent_code_keys(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("}", "}")  # to the third paragraph
        await pilot.press("s", "c", *"Negotiations", "enter")
        await pilot.pause()
        [first] = codings_for_document(app.db, 1)
        assert first.quote.startswith("Kyiv and Moscow both hinted this week")
        assert first.quote.endswith(".")

        await pilot.press("}", "p", "1")  # the next paragraph, with recent code 1
        await pilot.pause()
        quotes = [c.quote for c in codings_for_document(app.db, 1)]
        assert len(quotes) == 2
        assert quotes[1].startswith("National security adviser Jake Sullivan")
        assert quotes[1].endswith("before exiting office.")
        assert len(codebook(app.db)) == 1


async def test_overlapping_codings_both_stay_visible_in_the_gutter(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        await pilot.press("}", "}", "}", "p", "c", *"Ukraine aid", "enter")
        await pilot.press("{", "s", "c", *"Officials", "enter")
        await pilot.pause()
        assert len(codings_for_document(app.db, 1)) == 2
        rows = visible_rows(view)
        row = next(r for r in rows if "National security adviser" in r)
        assert row.count("┃") + row.count("▐") == 2, row
        # Where the codings overlap the text is underlined as well as tinted.
        strip = view.render_line(rows.index(row))
        assert any(seg.style and seg.style.underline for seg in strip if "Sullivan" in seg.text)


async def test_remove_asks_which_coding_where_several_overlap(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("}", "}", "}", "p", "c", *"Ukraine aid", "enter")
        await pilot.press("{", "s", "c", *"Officials", "enter")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, FuzzyPicker)
        await pilot.press(*"offic", "enter")
        await pilot.pause()
        assert [c.code_name for c in codings_for_document(app.db, 1)] == ["Ukraine aid"]
        await pilot.press("x")
        await pilot.pause()
        assert codings_for_document(app.db, 1) == []


async def test_boundaries_move_with_the_keyboard(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("}", "}", "v", "w", "w", "c", *"Places", "enter")
        await pilot.pause()
        assert codings_for_document(app.db, 1)[0].quote == "Kyiv and M"
        await pilot.press("a", "h", "h", "enter")  # end back to "Kyiv and"
        await pilot.pause()
        assert codings_for_document(app.db, 1)[0].quote == "Kyiv and"
        await pilot.press("u")
        await pilot.pause()
        assert codings_for_document(app.db, 1)[0].quote == "Kyiv and M"


async def test_memo_on_the_coding_under_the_cursor(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        await pilot.press("v", "w", "c", *"Framing", "enter", "m")
        await pilot.pause()
        await pilot.press(*"headline sets the frame", "ctrl+s")
        await pilot.pause()
        assert codings_for_document(app.db, 1)[0].memo == "headline sets the frame"
        info = app.screen.query_one("#coding-info").render()
        assert "headline sets the frame" in str(info)
        assert view.codings_at(view.cursor)[0].memo == "headline sets the frame"


async def test_copy_puts_the_passage_and_its_citation_on_the_clipboard(project, monkeypatch):
    copied = []
    import pyperclip

    def no_system_clipboard(text):
        raise pyperclip.PyperclipException("no clipboard")

    monkeypatch.setattr(pyperclip, "copy", no_system_clipboard)
    app = MarginApp(project, "ada")
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("}", "}", "s", "y")
        await pilot.pause()
    assert copied and copied[0].startswith("“Kyiv and Moscow both hinted")
    assert copied[0].endswith("” — Diplomacy Watch: Still tap dancing around NATO for Kyiv, para. 3")


async def test_library_sorts_and_escape_returns_from_the_reader(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#documents")
        await pilot.press("s", "s", "s")  # title, source, then words: most first
        await pilot.pause()
        words = [int(str(table.get_row_at(i)[3]).replace(",", "")) for i in range(table.row_count)]
        assert words == sorted(words, reverse=True)
        await pilot.press("g", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.document.word_count == words[0]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)


async def test_codebook_pane_rename_and_delete_with_undo(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("v", "w", "c", *"Framing", "enter", "escape")
        await pilot.press("tab", "r")
        await pilot.pause()
        prompt_input = app.screen.query_one("Input")
        prompt_input.value = "Headline framing"
        await pilot.press("enter")
        await pilot.pause()
        assert [c.name for c in codebook(app.db)] == ["Headline framing"]
        await pilot.press("D")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert codebook(app.db) == [] and codings_for_document(app.db, 1) == []
        await pilot.press("u")
        await pilot.pause()
        assert [c.name for c in codebook(app.db)] == ["Headline framing"]
        assert len(codings_for_document(app.db, 1)) == 1


async def test_codebook_enter_lists_passages_and_enter_opens_one(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        await pilot.press("}", "}", "}", "s", "c", *"Security", "enter")
        await pilot.press("escape", "escape")  # back to the library
        await pilot.pause()
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "PassagesScreen"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        view = app.screen.query_one(ReaderView)
        coding = codings_for_document(app.db, 1)[0]
        assert view.cursor == coding.start


MARKUP_TEXT = (
    "Markup is text here: [bold]x[/bold] and [/ and [link=x]click[/link] and "
    "\x1b[31mred\x1b[0m and a bell \x07 and @click=app.quit.\n\nSecond paragraph [b]."
)


async def test_markup_and_escape_sequences_in_a_document_show_literally(tmp_path):
    project = make_project(tmp_path / "p.db", sample=False, texts=[MARKUP_TEXT])
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        view = app.screen.query_one(ReaderView)
        shown = "".join(visible_rows(view))
        assert "[bold]x[/bold]" in shown and "[link=x]click[/link]" in shown
        assert "[/ and" in shown and "paragraph [b]." in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert "␛[31mred␛[0m" in shown
        # Code the markup-looking passage and name the code with markup too.
        await pilot.press("v", *"w" * 6, "c", *"[red]code[/red]", "enter")
        await pilot.pause()
        assert codebook(app.db)[0].name == "[red]code[/red]"
        assert "[red]code[/red]" in str(app.screen.query_one("#coding-info").render())
        assert app.is_running


async def test_cursor_rows_are_repainted_after_scrolling(project):
    """After a scroll, moving the cursor must repaint the rows it left and
    entered (on screen coordinates), or a stale cursor stays visible."""
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        await pilot.press("ctrl+d", "ctrl+d")
        await pilot.pause()
        top = view.scroll_offset.y
        assert top > 0
        repainted = []
        original = view.refresh

        def spy(*regions, **kwargs):
            repainted.extend(region.y for region in regions)
            return original(*regions, **kwargs)

        view.refresh = spy
        before = view.cursor_line() - top
        await pilot.press("j")
        after = view.cursor_line() - top
        assert before in repainted and after in repainted
        assert all(0 <= y < view.size.height for y in repainted)


async def test_a_new_name_plus_enter_creates_a_code_even_if_a_similar_one_exists(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("v", "w", "c", *"Escalation", "enter")
        await pilot.press("}", "s", "c", *"Escalation risk", "enter")
        await pilot.pause()
        assert sorted(c.name for c in codebook(app.db)) == ["Escalation", "Escalation risk"]
        # A prefix of an existing name picks the existing code.
        await pilot.press("}", "s", "c", *"escal", "enter")
        await pilot.pause()
        assert len(codebook(app.db)) == 2


async def test_notifications_show_code_names_literally(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("v", "w", "c", *"[red]Danger[/red] [laughs]", "enter")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert "Coded as [red]Danger[/red] [laughs]" in messages


async def test_a_narrow_terminal_gives_the_text_the_room(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=(70, 24)) as pilot:
        view = await open_first_document(pilot)
        codebook_tree = app.screen.query_one("#codebook")
        assert not codebook_tree.display
        assert view.text_width >= 50
        await pilot.press("tab")
        await pilot.pause()
        assert codebook_tree.display and codebook_tree.has_focus
        await pilot.press("tab")
        await pilot.pause()
        assert not codebook_tree.display and view.has_focus


async def test_a_reader_left_behind_sees_changes_made_in_another_reader(project):
    """Open a passage from the codebook (a second reader), write a memo there,
    come back: the first reader shows the memo and never overwrites it."""
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        await pilot.press("v", "w", "c", *"Framing", "enter")
        await pilot.press("tab", "enter")  # passages of Framing
        await pilot.pause()
        await pilot.press("enter")  # a second reader on the passage
        await pilot.pause()
        await pilot.press("m", *"written elsewhere", "ctrl+s")
        await pilot.pause()
        await pilot.press("escape", "escape")  # back to the first reader
        await pilot.pause()
        first = app.screen
        assert isinstance(first, ReaderScreen) and first.query_one(ReaderView) is view
        assert view.codings_at(0)[0].memo == "written elsewhere"


async def test_dragging_the_mouse_selects_and_a_click_only_moves_the_cursor(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        gutter = view.gutter_width
        await pilot.mouse_down(view, offset=(gutter, 0))
        await pilot.hover(view, offset=(gutter + 8, 0))
        await pilot.mouse_up(view, offset=(gutter + 8, 0))
        await pilot.pause()
        selection = view.selection
        assert view.text[selection.start:selection.end] == "Diplomacy"
        await pilot.press("c", *"Headline", "enter")
        await pilot.pause()
        assert codings_for_document(app.db, 1)[0].quote == "Diplomacy"
        await pilot.click(view, offset=(gutter + 4, 2))  # "Two steps…", third row
        await pilot.pause()
        assert view.selection is None
        assert view.text[view.cursor:view.cursor + 5] == "steps"


async def test_codebook_keys_create_nest_move_and_merge(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab", "n", *"Actors", "enter")
        await pilot.pause()
        await pilot.press("N", *"Officials", "enter")
        await pilot.pause()
        await pilot.press("n", *"Diplomats", "enter")
        await pilot.pause()
        assert [c.path for c in codebook(app.db)] == [
            "Actors", "Actors > Officials", "Diplomats"]
        tree = app.screen.query_one("#codebook")
        tree.select_code(next(c.id for c in codebook(app.db) if c.name == "Diplomats"))
        await pilot.pause()
        await pilot.press("M", *"actors", "enter")  # move under Actors
        await pilot.pause()
        assert "Actors > Diplomats" in [c.path for c in codebook(app.db)]
        await pilot.pause()
        await pilot.press("J", *"officials", "enter")  # merge Diplomats into Officials
        await pilot.pause()
        assert [c.path for c in codebook(app.db)] == ["Actors", "Actors > Officials"]
        await pilot.press("u")
        await pilot.pause()
        assert "Actors > Diplomats" in [c.path for c in codebook(app.db)]


async def test_a_long_document_opens_in_two_steps_and_ends_up_whole(tmp_path):
    """Over 200,000 characters, the first frame wraps only the beginning; the
    whole text and every coding follow at once, and nothing is lost."""
    from margin.store.codes import create_code
    from margin.store.codings import apply_coding
    from margin.store.db import open_database
    from margin.store.documents import get_document

    paragraph = "Field note {n}: the committee met again and nothing was decided. " * 6
    text = "\n\n".join(paragraph.format(n=n) for n in range(800))
    project = make_project(tmp_path / "long.db", sample=False, texts=[text])
    db = open_database(project)
    stored = get_document(db, 1).text
    assert len(stored) > 200_000
    code = create_code(db, "Late")
    last = stored.rindex("Field note 799")
    apply_coding(db, 1, code, last, last + len("Field note 799"), "ada")
    early = create_code(db, "Early")
    apply_coding(db, 1, early, 0, 10, "ada")
    db.conn.close()

    import margin.tui.reader.view

    wrapped_lengths = []
    real_wrap = margin.tui.reader.view.wrap_text

    def spy(text, width):
        wrapped_lengths.append(len(text))
        return real_wrap(text, width)

    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        margin.tui.reader.view.wrap_text = spy
        try:
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            await pilot.pause()
        finally:
            margin.tui.reader.view.wrap_text = real_wrap
        assert wrapped_lengths[0] < 40_000 and wrapped_lengths[-1] == len(stored)
        view = app.screen.query_one(ReaderView)
        assert view._first_screens_end is None
        assert len(view.index.codings) == 2
        assert view.wrapped.text == stored
        await pilot.press("G")
        await pilot.pause()
        rows = visible_rows(view)
        assert any("Late" in row for row in rows)
        assert view.cursor == len(stored) - 1
