"""The app's shell (tui/app.py) under Pilot: what happens around quitting."""

from __future__ import annotations

from helpers import make_project

from margin.tui.app import MarginApp


async def test_a_recognition_tick_that_comes_after_the_quit_does_nothing(tmp_path):
    """A quit just as background recognition is due: the timer's tick can
    already be queued when the app closes its database. It used to run on
    the closed connection and end the app with a traceback (and, with the
    exit status now following the app's return code, exit status 1)."""
    path = make_project(tmp_path / "project.db", entities=False)
    app = MarginApp(path, "ada")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("q")
    app.recognise_pending()  # the queued tick, after on_unmount closed the database
    assert app.return_code == 0
