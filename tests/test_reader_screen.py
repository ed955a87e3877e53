"""The reader screen as a researcher uses it: selections, messages, the
measure, Markdown, the chooser, editors and changes made elsewhere."""

from __future__ import annotations

import pytest
from helpers import make_project, open_first_document

from margin.store.codings import codings_for_document
from margin.tui.app import MarginApp
from margin.tui.reader.screen import ReaderScreen

SIZE = (120, 36)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "project.db")


async def test_a_selection_ends_where_the_sentence_or_the_paragraph_ends(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        text = view.text
        await pilot.press("}", "}")  # the third paragraph's first sentence
        start = view.cursor
        await pilot.press("v", ")")
        sentence_end = text.index(".", start) + 1
        assert text[view.selection.start:view.selection.end] == text[start:sentence_end]
        await pilot.press("c", *"Sentence", "enter")
        await pilot.pause()
        [coding] = codings_for_document(app.db, 1)
        assert coding.quote == text[start:sentence_end]
        assert coding.quote.endswith(".")

        # } takes the selection to the end of the paragraph, not onto the next.
        await pilot.press("}", "v", "}")  # coding cleared the selection
        selected = text[view.selection.start:view.selection.end]
        assert selected == selected.strip() and selected.endswith(".")
        assert text[view.selection.end] == "\n"
        # Without a selection, ) and } still move to the next start.
        await pilot.press("escape", ")")
        assert not text[view.cursor].isspace() and text[view.cursor - 1].isspace()


async def test_counted_messages_say_one_character_not_one_characters(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("v")
        status = str(app.screen.query_one("#status-bar").render())
        assert "1 character selected" in status and "1 characters" not in status
        await pilot.press("l")
        assert "2 characters selected" in str(app.screen.query_one("#status-bar").render())


async def test_copy_asks_which_coding_where_several_overlap_through_the_same_chooser(
        project, monkeypatch):
    import pyperclip

    from margin.tui.modals import FuzzyPicker

    copied = []

    def no_system_clipboard(text):
        raise pyperclip.PyperclipException("no clipboard")

    monkeypatch.setattr(pyperclip, "copy", no_system_clipboard)
    app = MarginApp(project, "ada")
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("}", "}", "}", "p", "c", *"Ukraine aid", "enter")
        await pilot.press("{", "s", "c", *"Officials", "enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, FuzzyPicker)
        assert app.screen.title_text == "Which coding to copy?"
        assert not copied  # nothing copied before the answer
        await pilot.press(*"ukraine", "enter")
        await pilot.pause()
        paragraph = next(c for c in codings_for_document(app.db, 1)
                         if c.code_name == "Ukraine aid")
        assert copied and copied[0].startswith("“" + paragraph.quote[:40])
        assert isinstance(app.screen, ReaderScreen)


OSC_52 = "\x1b]52;c;aGFja2Vk\x07"


async def test_control_characters_in_a_memo_show_as_symbols_and_are_kept(project):
    from margin.store.codings import set_coding_memo
    from margin.tui.modals import MemoEditor

    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("v", "w", "c", *"Framing", "enter")
        await pilot.pause()
        [coding] = codings_for_document(app.db, 1)
        set_coding_memo(app.db, coding.id, f"before {OSC_52} after")
        app.screen.reload()
        await pilot.press("m")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, MemoEditor)
        area = editor.query_one("#memo")
        drawn = "".join(area.render_line(y).text for y in range(area.size.height))
        assert "\x1b" not in drawn and "\x07" not in drawn
        assert "before ␛]52;c;aGFja2Vk␇ after" in drawn
        # Saved after an edit elsewhere, the memo keeps exactly what was written.
        await pilot.press("end", *" and more", "ctrl+s")
        await pilot.pause()
        assert codings_for_document(app.db, 1)[0].memo == f"before {OSC_52} after and more"


def test_an_unedited_or_edited_memo_keeps_its_control_characters():
    from margin.store.util import visible_controls
    from margin.tui.modals import keep_original_controls

    original = "a\x1bb\x85c\td"
    shown = visible_controls(original)
    assert keep_original_controls(original, shown, shown) == original
    assert keep_original_controls(original, shown, "X" + shown) == "X" + original
    assert keep_original_controls(original, shown, shown[:2] + shown[3:]) == "a\x1b\x85c\td"
    assert keep_original_controls("plain", "plain", "plainer") == "plainer"


async def test_a_reader_left_idle_shows_codings_another_process_adds(project):
    from margin.store.codes import create_code
    from margin.store.codings import apply_coding
    from margin.store.db import open_database

    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        assert codings_for_document(app.db, 1) == []
        other = open_database(project)  # another margin, a script
        start = view.text.index("Jake Sullivan")
        code_id = create_code(other, "Officials")
        apply_coding(other, 1, code_id, start, start + len("Jake Sullivan"), "bob")
        other.conn.close()
        for _ in range(15):  # within about a second
            await pilot.pause(0.1)
            if view.codings_at(start):
                break
        assert [c.code_name for c in view.codings_at(start)] == ["Officials"]
        tree = app.screen.query_one("#codebook")
        assert [str(node.label) for node in tree.root.children] == ["■ Officials  1"]


async def test_at_200_columns_the_text_keeps_a_readable_measure_centred(project):
    from helpers import visible_rows

    app = MarginApp(project, "ada")
    async with app.run_test(size=(200, 50)) as pilot:
        view = await open_first_document(pilot)
        assert view.text_width == 88
        rows = visible_rows(view)
        left = view.text_left
        texts = [row[left:].rstrip() for row in rows]
        assert max(len(text) for text in texts) <= 88
        assert max(len(text) for text in texts) >= 80  # wrapped at the measure
        # Centred: as much room left of the gutter as right of the text.
        gutter_start = left - view.gutter_width
        right = view.scrollable_content_region.width - left - 88
        assert gutter_start > 20 and abs(gutter_start - right) <= 1
        assert all(not row[:gutter_start].strip() for row in rows)
        # The codebook still stands beside it.
        assert app.screen.query_one("#codebook").display
        # A click on the first letter of the text puts the cursor there.
        await pilot.click(view, offset=(left, 2))
        await pilot.pause()
        assert view.text[view.cursor:view.cursor + 9] == "Two steps"

    from margin.store.config import Config

    narrow = MarginApp(project, "ada", config=Config(measure=60))
    async with narrow.run_test(size=(200, 50)) as pilot:
        view = await open_first_document(pilot)
        assert view.text_width == 60


def test_the_measure_is_read_from_the_config_file(tmp_path):
    from margin.store.config import load_config

    path = tmp_path / "config.toml"
    assert load_config(path).measure == 88
    path.write_text("measure = 72\n", encoding="utf-8")
    assert load_config(path).measure == 72
    # A wrong value is a problem listed at start-up; the default is used.
    for wrong, said in (('"wide"', "measure must be a whole number"),
                        ("true", "measure must be a whole number"),
                        ("72.5", "measure must be a whole number"),
                        ("5", "measure must be at least 20 columns")):
        path.write_text(f"measure = {wrong}\n", encoding="utf-8")
        config = load_config(path)
        assert config.measure == 88
        assert len(config.problems) == 1 and said in config.problems[0], config.problems


MARKDOWN = ("# Field notes from Kyiv\n\n"
            "The mayor was **very clear** about it and *hopeful* too.\n\n"
            "- first point of the talk\n"
            "> a quoted line")


def _styles_of(view, needle: str) -> list:
    """The styles drawn for each character of ``needle`` on screen."""
    for y in range(view.size.height):
        strip = view.render_line(y)
        row = strip.text
        index = row.find(needle)
        if index < 0:
            continue
        styles, position = [], 0
        for segment in strip:
            for _char in segment.text:
                if index <= position < index + len(needle):
                    styles.append(segment.style)
                position += 1
        return styles
    raise AssertionError(f"{needle!r} is not on screen")


@pytest.mark.parametrize("source", ["notes.md", "notes.txt"])
async def test_a_markdown_document_shows_headings_and_emphasis_styled_markers_dimmed(
        tmp_path, source):
    from margin.store.db import open_database
    from margin.store.documents import import_text
    from margin.store.sources.textio import DecodedText
    from margin.tui.reader.wrapping import wrap_text

    path = tmp_path / "md.db"
    db = open_database(path)
    import_text(db, DecodedText(MARKDOWN, "utf-8", False), source=f"/data/{source}", clean=False)
    db.conn.close()
    app = MarginApp(path, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        # The text, its wrapping and its offsets are those of the plain text.
        assert view.text == MARKDOWN
        assert view.wrapped.lines == wrap_text(MARKDOWN, view.text_width).lines
        heading = _styles_of(view, "# Field notes")
        bold = _styles_of(view, "**very clear**")
        hopeful = _styles_of(view, "*hopeful*")
        bullet = _styles_of(view, "- first point")
        if source == "notes.txt":  # plain text: no Markdown styling at all
            assert not any(style.bold or style.italic or style.dim
                           for style in heading + bold + hopeful + bullet)
            return
        assert heading[0].dim and not heading[2].dim and heading[2].bold
        assert bold[0].dim and bold[1].dim and bold[2].bold and not bold[2].dim
        assert bold[-1].dim and not bold[-3].dim
        assert hopeful[0].dim and hopeful[1].italic and not hopeful[1].dim
        assert bullet[0].dim and not bullet[2].dim
        # Coding a styled word stores the words of the text, offsets unchanged.
        start = MARKDOWN.index("very clear")
        view.select_range(start, start + len("very clear"))
        await pilot.press("c", *"Certainty", "enter")
        await pilot.pause()
        assert [c.quote for c in codings_for_document(app.db, 1)] == ["very clear"]


async def test_recognition_called_back_after_a_quick_quit_does_nothing(project):
    # The start-up recognition timer can fire just before a quit; its
    # callback then runs after the connection closed (seen in busy runs).
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    app.recognise_pending()  # no "Cannot operate on a closed database"


def test_entries_cut_to_a_width_never_end_on_a_lone_mark():
    from rich.text import Text

    from margin.tui.cells import fit_entries

    entries = [Text("■ Escalation · ada · memo: the envoy"), Text("■ US aid · bob"),
               Text("■ Actors > Officials · ada")]
    whole = "   ".join(entry.plain for entry in entries)
    for width in range(1, len(whole) + 3):
        line = fit_entries(entries, width).plain
        assert len(line) <= width, (width, line)
        if width >= len(whole):
            assert line == whole
            continue
        assert line.endswith("…"), (width, line)
        # A mark is followed by at least the start of its name.
        for index, character in enumerate(line):
            if character == "■":
                assert line[index + 1:index + 3][:1] == " " and \
                    line[index + 2:index + 3] not in ("", " ", "…"), (width, line)


LONG_CODE = "Diplomatic signalling through intermediaries and back channels, Kyiv"


@pytest.mark.parametrize("width", [81, 82, 83])
async def test_the_codings_line_never_ends_on_a_lone_mark(tmp_path, width):
    # With two codings under the cursor, the line wrapped at the second's
    # "■" and showed it alone at the end, its name on a hidden second line.
    from margin.store.codes import create_code
    from margin.store.codings import apply_coding
    from margin.store.db import open_database
    from margin.store.documents import get_document

    project = make_project(tmp_path / "p.db", entities=False)
    db = open_database(project)
    text = get_document(db, 1).text
    start = text.index("Jake Sullivan")
    # The long name first on the line (the shorter passage comes first).
    apply_coding(db, 1, create_code(db, LONG_CODE), start, start + 4, "ada")
    apply_coding(db, 1, create_code(db, "Zeta"), start, start + 13, "ada")
    db.conn.close()
    app = MarginApp(project, "ada")
    async with app.run_test(size=(width, 24)) as pilot:
        view = await open_first_document(pilot)
        view.move_cursor_to(start + 1)
        await pilot.pause()
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        [info] = [line.rstrip() for line in lines if line.startswith(" ■ Diplomatic")]
        assert info.startswith(f" ■ {LONG_CODE} · ada"), info
        assert not info.rstrip(" …").endswith("■"), info
        assert info.endswith("■ Zeta · ada") or info.endswith("…"), info
