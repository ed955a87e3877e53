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


def test_the_help_names_every_screen_in_words_not_its_class():
    # Named from the class, so a new screen (agreement, disagreements, full
    # text…) never shows up in `?` as "AgreementScreen".
    from margin.tui.agreement.screen import AgreementScreen, DisagreementsScreen
    from margin.tui.help import _screen_name
    from margin.tui.search.fulltext import FullTextScreen

    names = [_screen_name(screen_class.__new__(screen_class))
             for screen_class in (AgreementScreen, DisagreementsScreen, FullTextScreen)]
    assert names == ["Agreement", "Disagreements", "Full text"]
