"""The entity panel and the review by key, and their lines cut and counted
as a reader expects (the pseudo-terminal test is test_terminal_review.py)."""

from __future__ import annotations

import pytest
from helpers import make_project, wait_for
from rich.cells import cell_len
from textual.app import App

from margin.store.entities.grouping import Mention, group_mentions
from margin.tui.app import MarginApp
from margin.tui.cells import fit_tail
from margin.tui.concordance import concordance_line
from margin.tui.entities.panel import EntityPanel
from margin.tui.entities.review import ReviewScreen, column_widths
from margin.tui.modals import FuzzyPicker
from margin.tui.reader.screen import ReaderScreen

SIZE = (120, 36)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "project.db")


async def test_j_and_k_move_through_the_entity_panel(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        await pilot.press("E")
        await pilot.pause()
        panel = app.screen.query_one(EntityPanel)
        assert panel.has_focus and panel.highlighted_entry.group is None  # the PERSON row
        await pilot.press("j", "j")
        assert panel.highlighted_entry.group.canonical == "Matthew Miller"
        await pilot.press("k")
        assert panel.highlighted_entry.group.canonical == "Joe Biden"
        await pilot.press("r")  # and the review takes the entity j chose
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen)
                       and not app.screen.gathering)
        assert app.screen.subject == "Joe Biden"


async def test_g_and_big_g_go_to_the_first_and_last_mention_in_the_review(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"review entities", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        await pilot.press(*"NATO", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen)
                       and not app.screen.gathering)
        review = app.screen
        assert len(review.rows) > 10 and review.table.cursor_row == 0
        await pilot.press("G")
        assert review.table.cursor_row == len(review.rows) - 1
        await pilot.press("a")  # the last row is decided, the cursor stays
        assert review.rows[-1].decision == "accepted"
        await pilot.press("g")
        assert review.table.cursor_row == 0
        await pilot.press("j", "j", "k")
        assert review.table.cursor_row == 1


async def test_the_entity_panel_counts_in_words_a_person_reads():
    class PanelApp(App):
        def compose(self):
            yield EntityPanel()

    groups = group_mentions([Mention(1, 0, 6, "GPE", "Latvia"),
                             Mention(1, 10, 17, "PERSON", "Vladimir Putin"[:7]),
                             Mention(1, 20, 25, "PERSON", "Putin")])
    app = PanelApp()
    async with app.run_test(size=(60, 10)) as pilot:
        panel = app.query_one(EntityPanel)
        panel.show_groups(groups)
        await pilot.pause()
        branches = [str(node.label) for node in panel.root.children]
    assert "GPE  1 · 1 mention" in branches
    assert "PERSON  2 · 2 mentions" in branches


@pytest.mark.parametrize("width", [20, 35, 40, 59])
def test_a_concordance_line_keeps_the_mention_whole_and_cuts_its_contexts(width):
    left = "Speaking to reporters on Tuesday, the former president "
    right = " said the administration would keep sending weapons to Kyiv."
    line = concordance_line(left, "Joe Biden", right, width).plain
    assert "Joe Biden" in line
    assert cell_len(line) <= width
    before, after = line.split("Joe Biden")
    assert before.strip().startswith("…") and before.endswith("nt ")
    assert after.startswith(" sa") and after.endswith("…")


def test_a_concordance_line_measures_cells_not_characters():
    line = concordance_line("東京都の知事が言ったのは ", "小池百合子", " さんです、と記者に話した。", 30).plain
    assert "小池百合子" in line and cell_len(line) <= 30
    assert fit_tail("東京都の知事", 5) == "…知事"  # 1 + 4 cells
    assert fit_tail("short", 10) == "short"


def test_a_short_context_is_not_cut_and_the_mention_stays_at_its_column():
    first = concordance_line("He met ", "NATO", " officials.", 40).plain
    second = concordance_line("A long sentence before the mention of ", "NATO", ".", 40).plain
    assert first.index("NATO") == second.index("NATO") == 16
    assert "…" not in first


@pytest.mark.parametrize("width", [80, 100, 120, 200])
def test_the_review_table_fits_the_terminal(width):
    name, context = column_widths(width)
    # mark, type, entity, document, context, each with one cell of padding
    # either side, and a scrollbar.
    assert 1 + 8 + 2 * name + context + 10 + 2 <= width
    assert context >= 35


async def test_a_resize_lays_the_review_out_again_keeping_the_cursor_and_decisions(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"review entities", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        await pilot.press(*"NATO", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen)
                       and not app.screen.gathering)
        review = app.screen
        await pilot.press("a", "G")
        wide = review.context_width
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert review.context_width < wide
        assert sum(column.width for column in review.table.columns.values()) + 10 + 2 <= 80
        assert review.table.cursor_row == len(review.rows) - 1  # still the last
        await pilot.press("x")
        assert review.rows[-1].decision == "rejected"
        assert review.rows[0].decision == "accepted"
