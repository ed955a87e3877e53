"""Memos and descriptions in view (issue 14, item 6): the memo overview lists
every memo by kind, filters as you type and opens a memo's place; the
codebook shows the highlighted code's description and memo beneath it."""

from __future__ import annotations

import pytest
from helpers import make_demo_project, wait_for

from margin.store.codes import describe_code, find_code
from margin.store.codings import all_memos, set_coding_memo, set_memo
from margin.store.db import open_database
from margin.tui.app import MarginApp
from margin.tui.library import LibraryScreen
from margin.tui.memos import MemosScreen
from margin.tui.reader.screen import ReaderScreen

SIZE = (120, 36)
NARROW = (80, 24)
DESCRIPTION = "Statements or acts that raise the stakes of the war"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo project with a memo of each kind and a described code; tests
    copy it (they may write)."""
    path = make_demo_project(tmp_path_factory.mktemp("memos") / "demo.db")
    db = open_database(path)
    escalation = find_code(db, "Escalation")
    describe_code(db, escalation.id, DESCRIPTION)
    set_memo(db, "Check against the Kremlin [bold]readouts[/bold]", "bea",
             code_id=escalation.id)
    set_memo(db, "Good overview of the aid debate", "ada", document_id=2)
    set_memo(db, "   ", "ada", document_id=3)  # empty: deleted, not listed
    db.conn.close()
    return path


@pytest.fixture
def project(demo, tmp_path):
    copy = tmp_path / "p.db"
    copy.write_bytes(demo.read_bytes())
    return copy


def shown(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def test_all_memos_lists_every_memo_by_kind_with_its_place(project):
    db = open_database(project)
    memos = all_memos(db)
    assert [(m.kind, m.text) for m in memos] == [
        ("document", "Good overview of the aid debate"),
        ("code", "Check against the Kremlin [bold]readouts[/bold]"),
        ("coding", "Sullivan speaks for the outgoing administration"),
    ]
    document, code, coding = memos
    assert document.document_id == 2 and document.place.startswith("This year, Russia")
    assert code.place == "Escalation" and code.coder == "bea"
    assert coding.place.startswith("Actors > Officials · Diplomacy Watch")
    text = db.execute("SELECT text FROM documents WHERE id = 1").fetchone()[0]
    assert text[coding.start:coding.end] == "National security adviser Jake Sullivan"
    # A coding memo emptied no longer shows.
    set_coding_memo(db, coding.coding_id, "")
    assert [m.kind for m in all_memos(db)] == ["document", "code"]


async def test_the_overview_filters_as_you_type_and_opens_a_coding_memo_at_its_coding(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MemosScreen))
        await pilot.pause()
        screen = shown(app)
        assert "margin — memos  3 memos" in screen
        for heading in ("Document memos (1)", "Code memos (1)", "Coding memos (1)"):
            assert heading in screen
        # Untrusted text stays text: no markup is read out of a memo.
        assert "Check against the Kremlin [bold]readouts[/bold]" in screen
        await pilot.press(*"sullivan outgoing")
        await pilot.pause()
        screen = shown(app)
        assert "1 memo of 3" in screen and "Document memos" not in screen
        assert "Sullivan speaks for the outgoing administration" in screen
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        reader = app.screen
        await pilot.pause()
        text = reader.document.text
        start = text.index("National security adviser Jake Sullivan")
        assert reader.document_id == 1 and reader.view.cursor == start
        await pilot.press("escape")  # back to the overview, filter kept
        await wait_for(pilot, lambda: isinstance(app.screen, MemosScreen))
        assert "1 memo of 3" in shown(app)


async def test_a_document_memo_opens_its_document_and_a_code_memo_its_code(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MemosScreen))
        await pilot.press("enter")  # the first memo: document 2's
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        assert app.screen.document_id == 2
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MemosScreen))
        await pilot.press("down", "enter")  # the code memo: the codebook, on the code
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
        await pilot.pause()
        tree = app.screen.query_one("#codebook")
        assert tree.display and tree.has_focus  # shown at 80 columns too
        assert tree.highlighted_code.name == "Escalation"
        note = shown(app)
        assert DESCRIPTION[:20] in note and "memo: Check against" in note


async def test_the_codebook_shows_the_highlighted_codes_description_and_memo(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab")
        tree = app.screen.query_one("#codebook")
        note = app.screen.query_one("#code-note")
        await pilot.pause()
        assert tree.highlighted_code.name == "Actors"
        assert "No description (d writes one)" in str(note.render())
        while tree.highlighted_code.name != "Escalation":
            await pilot.press("j")
        await pilot.pause()
        screen = shown(app)
        assert "Statements or acts that raise" in screen
        assert "memo: Check against the Kremlin" in screen
        # A new description shows at once (after the action, the cursor unmoved).
        app.run_store(describe_code, tree.highlighted_code.id, "Threats and new weapons")
        await pilot.pause()
        assert "Threats and new weapons" in shown(app)
        # The note comes and goes with the codebook (80 columns: only while focused).
        await pilot.resize_terminal(*NARROW)
        await pilot.pause()
        assert note.display
        await pilot.press("tab")
        await pilot.pause()
        assert not tree.display and not note.display
        assert "Threats and new weapons" not in shown(app)


async def test_a_long_list_of_memos_is_cut_and_the_filter_narrows_it(project, monkeypatch):
    import margin.tui.memos as memos

    monkeypatch.setattr(memos, "SHOWN_MEMOS", 1)
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MemosScreen))
        await pilot.pause()
        screen = shown(app)
        assert "Code memos (1)" in screen and "… and 1 more: type to narrow the list" in screen
        assert "Check against the Kremlin" not in screen
        await pilot.press(*"kremlin")
        await pilot.pause()
        assert "Check against the Kremlin" in shown(app) and "more:" not in shown(app)


async def test_in_blind_mode_the_overview_shows_my_coding_memos_only(project):
    # The coding memo is ada's; bea, blind, sees the shared document and code
    # memos and nothing of ada's coding.
    db = open_database(project)
    assert [m.kind for m in all_memos(db, ["ada"])] == ["document", "code", "coding"]
    assert [m.kind for m in all_memos(db, ["bea"], strict=False)] == ["document", "code"]
    db.conn.close()
    app = MarginApp(project, "bea")
    async with app.run_test(size=SIZE) as pilot:
        app.blind = True
        await pilot.pause()
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MemosScreen))
        await pilot.pause()
        screen = shown(app)
        assert "2 memos" in screen and "Coding memos" not in screen
        assert "Sullivan speaks for the outgoing administration" not in screen
