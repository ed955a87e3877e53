"""Coders side by side in the app: switching coder, whose codings the reader
shows and in which colours, and blind mode everywhere a coding shows."""

from __future__ import annotations

import csv
import shutil

import pytest
from helpers import make_demo_project, open_first_document, wait_for

from margin.store.codes import find_code
from margin.store.codings import apply_coding, codings_for_document, set_coding_memo
from margin.store.config import load_config
from margin.store.db import open_database
from margin.store.documents import get_document
from margin.tui.app import MarginApp
from margin.tui.codebook.passages import PassagesScreen
from margin.tui.codebook.tree import CodebookTree
from margin.tui.modals import Confirm, FuzzyPicker
from margin.tui.reader.screen import ReaderScreen

SIZE = (120, 36)
BOBS = "The Kremlin said on Tuesday"  # coded by bob alone
SHARED = "National security adviser Jake Sullivan"  # coded by ada (demo) and bob


@pytest.fixture(scope="module")
def base_project(tmp_path_factory):
    """The demo project (ada's codings) and two codings by bob."""
    path = make_demo_project(tmp_path_factory.mktemp("coders") / "base.db")
    db = open_database(path)
    text = get_document(db, 1).text
    for phrase, code in ((BOBS, "Actors"), (SHARED, "Escalation")):
        start = text.index(phrase)
        coding = apply_coding(db, 1, find_code(db, code).id, start, start + len(phrase), "bob")
    set_coding_memo(db, coding, "Bob's private hunch about escalation")
    db.conn.close()
    return path


@pytest.fixture
def project(base_project, tmp_path):
    return shutil.copy(base_project, tmp_path / "project.db")


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('coder = "ada"\n')
    return path


def status(app) -> str:
    return str(app.screen.query_one("#status-bar").render())


def title(app) -> str:
    return str(app.screen.query_one("#title-bar").render())


def tree_counts(app) -> dict[str, str]:
    """What the codebook pane shows beside each code: '1', '0 (1)'…"""
    tree = app.screen.query_one(CodebookTree)
    counts = {}
    for node in tree._iter():
        if node.data is not None:
            counts[node.data.path] = str(node.label).rsplit("  ", 1)[1]
    return counts


async def palette(pilot, command: str) -> None:
    await pilot.press("ctrl+p", *command)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()


async def test_switch_coder_from_the_palette_names_them_everywhere_and_is_saved(
        project, config_file):
    app = MarginApp(project, "ada", config=load_config(config_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "coder: ada" in status(app)
        await palette(pilot, "switch")
        assert isinstance(app.screen, FuzzyPicker)
        await pilot.press(*"bob", "enter")
        await pilot.pause()
        assert app.coder == "bob" and "coder: bob" in status(app)  # the library's line
        assert config_file.read_text() == 'coder = "bob"\n'  # the next start keeps it
        view = await open_first_document(pilot)
        assert "coder: bob" in status(app)  # the reader's line
        # New codings are bob's from now on.
        await pilot.press("}", "}", "}", "s", "c", *"esc", "enter")
        await pilot.pause()
        newest = max(codings_for_document(app.db, 1), key=lambda c: c.id)
        assert newest.coder == "bob" and newest.start == view.cursor - len(newest.quote) + 1
        # A name nobody has coded under yet: typed, then "+ New coder"; it
        # is text wherever it shows, never markup.
        app.action_switch_coder()  # as the palette's entry does
        await pilot.pause()
        await pilot.press(*"dora [b]", "enter")
        await pilot.pause()
        assert app.coder == "dora [b]" and "coder: dora [b]" in status(app)
        await pilot.press("ctrl+p", *"blind")  # the palette's entries name no coder
        await pilot.pause(0.3)
        await pilot.press("escape")
    assert load_config(config_file).coder == "dora [b]"


async def test_the_reader_colours_stripes_by_coder_names_them_and_filters_with_w(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        assert {c.coder for c in view.index.codings} == {"ada", "bob"}
        # Several coders: each stripe in its coder's colour, named in the title.
        assert view.coder_colours == {"ada": 0, "bob": 1}
        assert "coders ┃ada ┃bob" in title(app)
        ada, bob = view.coder_style("ada"), view.coder_style("bob")
        assert ada.color != bob.color

        def stripe_colours(words: str) -> set:
            row = next(y for y in range(view.size.height) if words in view.render_line(y).text)
            return {s.style.color for s in view.render_line(row) if s.text in ("┃", "▐")}

        assert stripe_colours("The Kremlin said on") == {ada.color, bob.color}
        assert stripe_colours("House Speaker Mike Johnson") == {ada.color}  # ada's alone
        # The info line names the coder of each coding under the cursor.
        view.move_cursor_to(get_document(app.db, 1).text.index(SHARED))
        await pilot.pause()
        info = str(app.screen.query_one("#coding-info").render())
        assert "US aid" in info and "· ada" in info and "Escalation" in info and "· bob" in info

        await pilot.press("W")  # only mine
        await pilot.pause()
        assert {c.coder for c in view.index.codings} == {"ada"}
        assert "only ada's codings (mine)" in title(app)
        assert view.coder_colours is None  # one coder: stripes in the codes' colours
        await pilot.press("W")  # bob's
        await pilot.pause()
        assert {c.coder for c in view.index.codings} == {"bob"}
        assert "only bob's codings" in title(app)
        await pilot.press("W")  # everyone's again
        await pilot.pause()
        assert {c.coder for c in view.index.codings} == {"ada", "bob"}
        # The palette's picker does the same.
        await palette(pilot, "codings of")
        assert isinstance(app.screen, FuzzyPicker)
        await pilot.press(*"bob", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert {c.coder for c in view.index.codings} == {"bob"}


async def test_blind_mode_hides_the_other_coders_codings_everywhere(project, tmp_path):
    config = load_config(tmp_path / "none.toml")
    config.blind = True
    app = MarginApp(project, "ada", config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "coder: ada (blind)" in status(app)
        # The codebook counts ada's codings alone: bob's "Actors" is 0.
        assert tree_counts(app) == {"Actors": "0 (1)", "Actors > Officials": "1",
                                    "Escalation": "1", "US aid": "2"}
        library = str(app.screen.query_one("#status-bar").render())
        assert "4 codings" in library  # ada's four, not six
        view = await open_first_document(pilot)
        assert {c.coder for c in view.index.codings} == {"ada"}
        assert "blind mode: ada's codings only" in title(app)
        await pilot.press("W")  # no way round it in the reader
        await pilot.pause()
        assert {c.coder for c in view.index.codings} == {"ada"}
        # The passages of a code: Escalation has ada's one passage, not bob's.
        app.screen.query_one(CodebookTree).select_code(find_code(app.db, "Escalation").id)
        app.screen.query_one(CodebookTree).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PassagesScreen)
        assert [p.coder for p in app.screen.passages] == ["ada"]
        assert "1 passage in 1 document" in title(app)
        await pilot.press("escape")
        await pilot.pause()
        # An export from the app holds ada's passages only; a project is refused.
        target = tmp_path / "mine.csv"
        await pilot.press("escape")  # to the library
        await pilot.pause()
        await pilot.press("E")
        await pilot.pause()
        assert "Export ada's coded passages (blind mode)" in str(
            app.screen.query_one("Label.title").render())
        app.screen.query_one("#path").value = str(target)
        app.screen.query_one("#path").focus()
        await pilot.press("enter")
        await wait_for(pilot, target.exists)
        with target.open(encoding="utf-8-sig") as handle:
            assert {row["coder"] for row in csv.DictReader(handle)} == {"ada"}
        app.screen.query_one("#format").value = "qdpx"
        await pilot.pause()
        app.screen.query_one("#path").value = str(tmp_path / "all.qdpx")
        app.screen.query_one("#path").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not (tmp_path / "all.qdpx").exists()


async def test_blind_mode_search_shows_only_my_passages_with_my_codes(project, tmp_path):
    from margin.tui.search.fuzzy import SearchScreen

    config = load_config(tmp_path / "none.toml")
    config.blind = True
    app = MarginApp(project, "ada", config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"kremlin said tuesday")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen)
                       and app.screen.results)
        passages = [r for r in app.screen.results if r.kind == "passage"]
        assert passages and all(r.coders == ("ada",) for r in passages)
        assert not any(r.text.startswith(BOBS) and r.codes == ("Actors",) for r in passages)
        screen = app.screen
        screen.query_one("#query").value = "jake sullivan"
        await wait_for(pilot, lambda: any(SHARED in r.text for r in screen.results))
        shared = next(r for r in screen.results if r.kind == "passage" and r.text == SHARED)
        assert shared.codes == ("Actors > Officials",)  # not bob's Escalation
        # Bob's memo on his coding stays his.
        screen.query_one("#query").value = "private hunch"
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not any("hunch" in r.text for r in screen.results)
        # The filter on a code only bob gave: nothing of bob's comes through.
        screen.query_one("#query").value = "code:Escalation sullivan"
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not any(r.kind == "passage" and r.text == SHARED for r in screen.results)
        # Nor a filter on bob: what it kept would say where bob coded too.
        screen.query_one("#query").value = "coder:bob sullivan"
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not any(r.kind in ("passage", "memo") and r.label not in ("document", "code")
                       for r in screen.results)
        screen.query_one("#query").value = "coder:ada sullivan"  # mine: still found
        await wait_for(pilot, lambda: any(r.text == SHARED for r in screen.results))


async def test_in_blind_mode_the_coder_unknown_finds_the_codings_without_a_coder(
        project, tmp_path):
    """Codings without a coder (a REFI-QDA import's) are "unknown"'s: that
    coder, blind, finds them and their memos; ada does not."""
    from margin.tui.search.fuzzy import SearchScreen

    db = open_database(project)
    text = get_document(db, 1).text
    start = text.index("House Speaker Mike Johnson")
    end = start + len("House Speaker Mike Johnson")
    db.execute('INSERT INTO codings (uuid, document_id, code_id, start, "end", quote, memo, '
               "created) VALUES ('u-1', 1, ?, ?, ?, ?, 'imported hunch about the speaker', "
               "'now')", [find_code(db, "Escalation").id, start, end, text[start:end]])
    db.conn.close()
    # What blind mode keeps of the same results, for each coder.
    from margin.store.search.corpus import SearchCorpus
    from margin.tui.search.fuzzy import blind_results

    db = open_database(project)
    corpus = SearchCorpus()
    corpus.load(db)
    for query, kind in (("speaker hunch", "memo"), ("house speaker mike johnson", "passage")):
        found = corpus.search(db, query, 50)
        for coder, sees in (("unknown", True), ("ada", False)):
            kept = [r for r in blind_results(db, found, (coder,), query) if r.kind == kind
                    and ("hunch" in r.text or "Escalation" in r.codes)]
            assert bool(kept) is sees, (coder, query)
    db.conn.close()
    # And on the screen.
    config = load_config(tmp_path / "none.toml")
    config.blind = True
    app = MarginApp(project, "unknown", config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"speaker hunch")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen) and any(
            r.kind == "memo" and "hunch" in r.text for r in app.screen.results))
        screen = app.screen
        screen.query_one("#query").value = "house speaker mike johnson"
        await wait_for(pilot, lambda: any(
            r.kind == "passage" and r.text == "House Speaker Mike Johnson"
            and r.codes == ("Escalation",) for r in screen.results))


async def test_blind_mode_at_80_columns_w_says_why_the_legend_is_cut_and_delete_counts_mine(
        project, tmp_path):
    """W says in one line why it does nothing; the entity legend is cut with
    "…"; deleting a code counts my codings only and names no one; "merge" in
    the palette offers the project merge first."""
    from textual.command import CommandList

    config = load_config(tmp_path / "none.toml")
    config.blind = True
    app = MarginApp(project, "ada", config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_first_document(pilot)
        await pilot.press("W")
        await pilot.pause()
        assert [n.message for n in app._notifications][-1].startswith(
            "Blind mode shows only your codings")
        legend = app.screen.query_one("#entity-legend")
        line = legend.render_line(0).text.rstrip()
        assert line.startswith("entities  PERSON") and line.endswith("…")
        assert len(line) <= legend.content_region.width
        tree = app.screen.query_one(CodebookTree)
        tree.select_code(find_code(app.db, "Escalation").id)  # ada's 1, bob's 1
        tree.focus()
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        question = str(app.screen.query_one("Label").render())
        assert question == ("Delete code Escalation, with 1 coding of yours and every other "
                            "coder's codings? (undoable)")
        assert "bob" not in question and "2 codings" not in question
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p", *"merge")
        await pilot.pause(0.5)
        options = app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: options.option_count >= 2)
        prompts = [str(options.get_option_at_index(i).prompt)
                   for i in range(options.option_count)]
        assert prompts[0].startswith("Merge a colleague's project")
        assert any(p.startswith("Codebook: Merge") for p in prompts[1:])


async def test_turning_blind_mode_off_asks_first_and_is_saved(project, config_file):
    config_file.write_text('coder = "ada"\nblind = true\n')
    app = MarginApp(project, "ada", config=load_config(config_file))
    async with app.run_test(size=SIZE) as pilot:
        view = await open_first_document(pilot)
        assert {c.coder for c in view.index.codings} == {"ada"}
        await palette(pilot, "blind")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")  # not yet
        await pilot.pause()
        assert app.blind and {c.coder for c in view.index.codings} == {"ada"}
        app.action_toggle_blind()  # as the palette's entry does
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not app.blind and "(blind)" not in status(app)
        assert {c.coder for c in view.index.codings} == {"ada", "bob"}
        assert load_config(config_file).blind is False
        # On again at once (no question): hiding needs no confirmation.
        app.action_toggle_blind()
        await pilot.pause()
        assert app.blind and {c.coder for c in view.index.codings} == {"ada"}
        assert load_config(config_file).blind is True
