"""The agreement screen in the app (Pilot): from the palette, the codes worst
first and coloured by band, another unit and other coders, the places two
coders differ, the reader at a place, and reconciling as one undoable action."""

from __future__ import annotations

import pytest
from helpers import make_project, make_two_coder_project
from textual.widgets import DataTable, OptionList

from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.tui.agreement.screen import AgreementScreen, DisagreementsScreen
from margin.tui.app import MarginApp
from margin.tui.colours import agreement_ink
from margin.tui.modals import FuzzyPicker
from margin.tui.reader.screen import ReaderScreen

SIZE = (100, 30)


@pytest.fixture(scope="module")
def project_file(tmp_path_factory):
    return make_two_coder_project(tmp_path_factory.mktemp("team") / "team.db")


@pytest.fixture
def project(project_file, tmp_path):
    """A fresh copy per test (tests reconcile)."""
    copy = tmp_path / "team.db"
    copy.write_bytes(project_file.read_bytes())
    return copy


async def settled(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def table_rows(screen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(getattr(cell, "plain", cell)).strip() for cell in table.get_row_at(i)]
            for i in range(table.row_count)]


async def open_from_palette(app, pilot) -> AgreementScreen:
    command = next(c for c in app.get_system_commands(app.screen)
                   if c.title == "Inter-coder agreement…")
    command.callback()
    await settled(app, pilot)
    assert isinstance(app.screen, AgreementScreen)
    return app.screen


async def test_the_palette_opens_the_two_busiest_coders_codes_worst_first(project):
    db = open_database(project)
    apply_coding(db, 2, 1, 0, 3, "cy")  # a third coder with fewer codings
    db.close()
    app = MarginApp(project, "rita")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_from_palette(app, pilot)
        assert screen.coders == ("ana", "ben")
        rows = table_rows(screen)
        assert [row[0] for row in rows] == ["All codes (pooled)", "Talks", "Actors"]
        assert rows[2][1:4] == ["1.000", "1.000", "100.0%"]  # Actors: alike
        assert float(rows[1][1]) < 0.8  # Talks: worse, so before Actors
        kappa = screen.query_one(DataTable).get_row_at(2)[1]
        assert kappa.style.color.name == agreement_ink(1.0).rich_color.name  # the good band
        talks_kappa = screen.query_one(DataTable).get_row_at(1)[1]
        assert talks_kappa.style.color != kappa.style.color
        title = str(screen.query_one("#title-bar").render())
        assert "ana and ben" in title and "in characters" in title


async def test_fewer_than_two_coders_is_a_notice_not_a_screen(tmp_path):
    path = make_project(tmp_path / "one.db", sample=False, texts=["One coder. Alone."],
                        entities=False)
    app = MarginApp(path, "ana")
    async with app.run_test(size=SIZE) as pilot:
        app.show_agreement()
        await pilot.pause()
        assert not isinstance(app.screen, AgreementScreen)
        assert any("two coders" in n.message for n in app._notifications)


async def test_another_unit_and_other_coders(project):
    db = open_database(project)
    apply_coding(db, 1, 2, 0, 4, "cy")
    db.close()
    app = MarginApp(project, "rita")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_from_palette(app, pilot)
        characters = table_rows(screen)
        await pilot.press("n")
        await settled(app, pilot)
        assert screen.unit == "sentence"
        sentences = table_rows(screen)
        assert sentences != characters
        assert "in sentences" in str(screen.query_one("#title-bar").render())
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, FuzzyPicker)
        await pilot.press(*"ana", "enter")
        await pilot.pause()
        await pilot.press(*"cy", "enter")
        await settled(app, pilot)
        assert app.screen is screen and screen.coders == ("ana", "cy")
        assert "ana and cy" in str(screen.query_one("#title-bar").render())


async def test_enter_lists_the_places_and_opens_the_reader_there(project):
    app = MarginApp(project, "rita")
    async with app.run_test(size=SIZE) as pilot:
        await open_from_palette(app, pilot)
        await pilot.press("down", "enter")  # Talks
        await settled(app, pilot)
        places = app.screen
        assert isinstance(places, DisagreementsScreen)
        assert [p.kind for p in places.places] == ["only a", "boundaries", "only b"]
        shown = [str(option.prompt.renderables[0]) for option in
                 places.query_one(OptionList)._options]
        assert shown[0].startswith("only ana") and shown[2].startswith("only ben")
        assert shown[1].startswith("different boundaries")
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.start_offset == places.places[1].start


async def test_adopting_a_version_is_one_undoable_action_of_the_reconciling_coder(project):
    app = MarginApp(project, "rita")
    async with app.run_test(size=SIZE) as pilot:
        await open_from_palette(app, pilot)
        await pilot.press("down", "enter")
        await settled(app, pilot)
        places = app.screen
        await pilot.press("down", "o")  # the union of the boundaries' place, as rita's
        await settled(app, pilot)
        assert places.places[1].reconciled == ("a", "union")  # ben's lies inside ana's
        db = open_database(project)
        rita = db.execute("""SELECT quote FROM codings JOIN coders ON coders.id = coder_id
                             WHERE coders.name = 'rita'""").fetchall()
        assert [row[0] for row in rita] == ["Moscow said the talks were over"]
        await pilot.press("u")
        await settled(app, pilot)
        assert places.places[1].reconciled == ()
        assert db.execute("""SELECT COUNT(*) FROM codings JOIN coders ON coders.id = coder_id
                             WHERE coders.name = 'rita'""").fetchone()[0] == 0
        db.close()


async def test_a_coder_who_adopts_the_others_version_makes_the_place_agree(project):
    app = MarginApp(project, "ana")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_from_palette(app, pilot)
        before = table_rows(screen)[1]
        await pilot.press("down", "enter")
        await settled(app, pilot)
        places = app.screen
        await pilot.press("down", "b")  # ana takes ben's boundaries
        await settled(app, pilot)
        assert [p.kind for p in places.places] == ["only a", "only b"]
        await pilot.press("escape")
        await settled(app, pilot)
        assert app.screen is screen
        after = table_rows(screen)[1]
        assert after[0] == before[0] == "Talks" and float(after[1]) > float(before[1])


async def test_blind_mode_keeps_the_agreement_screen_closed(project):
    app = MarginApp(project, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        app.blind = True
        command = next(c for c in app.get_system_commands(app.screen)
                       if c.title == "Inter-coder agreement…")
        command.callback()
        await settled(app, pilot)
        assert not isinstance(app.screen, AgreementScreen)
        assert any("Blind mode is on" in str(n.message) for n in app._notifications)
