"""The `/` search screen fills its list of results in one call (one option
at a time, OptionList laid every line out again: quadratic)."""

from __future__ import annotations

import re

from helpers import make_demo_project, wait_for
from textual.widgets import OptionList

from margin.tui.app import MarginApp
from margin.tui.search.fuzzy import SearchScreen


async def test_the_results_are_added_to_the_list_at_once(tmp_path, monkeypatch):
    project = make_demo_project(tmp_path / "demo.db")
    calls: list[int] = []
    original = OptionList.add_options

    def counted(self, new_options):
        new_options = list(new_options)
        if self.id == "results":
            calls.append(len(new_options))
        return original(self, new_options)

    monkeypatch.setattr(OptionList, "add_options", counted)
    app = MarginApp(project, "ada", entity_backend="rules")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"the")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen)
                       and len(app.screen.results) > 5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        shown = len(screen.results)
        assert screen.query_one("#results", OptionList).option_count == shown
        assert calls and calls[-1] == shown  # one call with every result
        assert all(count > 1 for count in calls if count)


async def test_each_snippet_fits_its_line_at_80_and_120_columns(tmp_path):
    # A snippet longer than the list's line wrapped, and its "…" took a line
    # of its own: each result must take two lines, the kind and the snippet.
    project = make_demo_project(tmp_path / "demo.db")
    for size in ((80, 24), (120, 36)):
        app = MarginApp(project, "ada", entity_backend="rules")
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await pilot.press("slash", *"the")
            await wait_for(pilot, lambda app=app: isinstance(app.screen, SearchScreen)
                           and len(app.screen.results) > 1)
            await app.workers.wait_for_complete()
            await pilot.pause()
            rows = [strip.text for strip in app.screen._compositor.render_strips()]
            listed = [row for row in rows if row.startswith("▊ ") and row.strip(" ▊▎▁▔")]
            assert listed, size
            # Each row of the list is a result's first line ("  passage …") or
            # its snippet ("    …"): a wrapped one starts at the edge.
            assert [row for row in listed if re.match(r"▊ \S", row)] == [], size
            assert [row for row in listed if row.strip(" ▊▎▁") == "…"] == [], size


async def test_after_a_resize_the_results_are_cut_to_the_new_width(tmp_path):
    project = make_demo_project(tmp_path / "demo.db")
    app = MarginApp(project, "ada", entity_backend="rules")
    title = "Diplomacy Watch: Still tap dancing around NATO for Kyiv"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"the")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen)
                       and len(app.screen.results) > 1)
        await app.workers.wait_for_complete()
        await pilot.pause()

        def rows() -> str:
            return "\n".join(strip.text for strip in app.screen._compositor.render_strips())

        assert title not in rows() and "Diplomacy Watch: Still" in rows()  # cut at 80
        await pilot.resize_terminal(120, 36)
        await wait_for(pilot, lambda: title in rows())  # laid out again, whole
