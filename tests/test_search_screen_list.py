"""The `/` search screen fills its list of results in one call (one option
at a time, OptionList laid every line out again: quadratic)."""

from __future__ import annotations

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
