"""Entities in the app: highlights, jumps, the entity panel, review → code → undo."""

from __future__ import annotations

import pytest
from helpers import make_project, wait_for
from rich.color import Color as RichColor

from margin.store.codes import codebook
from margin.store.config import load_config
from margin.store.db import open_database
from margin.store.entities.storage import (
    corpus_entities,
    documents_needing_entities,
    entities_for_document,
)
from margin.store.errors import StoreError
from margin.store.export import coded_passages
from margin.tui.app import MarginApp
from margin.tui.entities.panel import EntityPanel
from margin.tui.entities.review import ReviewScreen
from margin.tui.entities.styles import entity_colour
from margin.tui.modals import Confirm, FuzzyPicker
from margin.tui.reader.screen import ReaderScreen
from margin.tui.reader.view import ReaderView

SIZE = (120, 36)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "project.db")


async def _open_diplomacy_watch(pilot) -> ReaderView:
    await pilot.pause()
    await pilot.press("enter")  # the library's first document
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ReaderScreen)
    assert screen.document.title.startswith("Diplomacy Watch")
    return screen.query_one(ReaderView)


def styles_of(view: ReaderView, needle: str) -> list:
    """The rich styles the reader draws the first visible ``needle`` with."""
    for y in range(view.size.height):
        strip = view.render_line(y)
        index = strip.text.find(needle)
        if index < 0:
            continue
        styles, position = [], 0
        for segment in strip:
            end = position + len(segment.text)
            if position < index + len(needle) and end > index:
                styles.append(segment.style)
            position = end
        return styles
    raise AssertionError(f"{needle!r} is not on screen")


def _colour(hex_colour: str) -> RichColor:
    return RichColor.parse(hex_colour)


async def test_entities_are_highlighted_in_their_type_colour_and_e_hides_them(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await _open_diplomacy_watch(pilot)
        [nato] = {(s.color, s.underline) for s in styles_of(view, "NATO")}
        assert nato == (_colour(entity_colour("ORG")), True)
        [kyiv] = {(s.color, s.underline) for s in styles_of(view, "Kyiv")}
        assert kyiv == (_colour(entity_colour("GPE")), True)
        assert _colour(entity_colour("ORG")) != _colour(entity_colour("GPE"))
        legend = str(app.screen.query_one("#entity-legend").render())
        assert "ORG" in legend and "GPE" in legend

        await pilot.press("e")
        await pilot.pause()
        assert not any(s.underline for s in styles_of(view, "NATO"))
        assert not app.screen.query_one("#entity-legend").display
        await pilot.press("e")
        await pilot.pause()
        assert all(s.underline for s in styles_of(view, "NATO"))


async def test_bracket_keys_jump_between_entities_and_the_status_line_names_them(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await _open_diplomacy_watch(pilot)
        entities = entities_for_document(app.db, app.screen.document_id)
        first_after_top = next(e for e in entities if e.start > 0)
        await pilot.press("]")
        await pilot.pause()
        assert view.cursor == first_after_top.start
        status = str(app.screen.query_one("#status-bar").render())
        assert f"{first_after_top.label} {first_after_top.text}" in status
        await pilot.press("]", "]", "[")
        await pilot.pause()
        second = next(e for e in entities if e.start > first_after_top.start)
        assert view.cursor == second.start


async def test_entity_panel_counts_mentions_and_enter_cycles_through_them(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await _open_diplomacy_watch(pilot)
        await pilot.press("E")
        await pilot.pause()
        panel = app.screen.query_one(EntityPanel)
        assert panel.display and panel.has_focus
        assert not app.screen.query_one("#codebook").display
        nato_mentions = sorted(e.start for e in entities_for_document(app.db, 1)
                               if e.text == "NATO")
        assert len(nato_mentions) >= 2
        branches = {str(node.label).split()[0]: node for node in panel.root.children}
        assert {"PERSON", "ORG", "GPE", "MONEY", "DATE"} <= set(branches)
        nato = next(node for node in branches["ORG"].children
                    if str(node.label).startswith("NATO"))
        assert str(nato.label) == f"NATO  {len(nato_mentions)}"
        panel.move_cursor(nato)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert view.cursor == nato_mentions[0]
        await pilot.press("enter")
        await pilot.pause()
        assert view.cursor == nato_mentions[1]
        await pilot.press("escape")
        await pilot.pause()
        assert not panel.display and view.has_focus


async def test_review_accept_all_codes_every_mention_and_undo_removes_them_all(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await _open_diplomacy_watch(pilot)
        await pilot.press("E")
        await pilot.pause()
        panel = app.screen.query_one(EntityPanel)
        nato = next(node for branch in panel.root.children for node in branch.children
                    if str(node.label).startswith("NATO  "))
        panel.move_cursor(nato)
        await pilot.pause()
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen)
                       and not app.screen.gathering)
        review = app.screen
        corpus_nato = [e for e in corpus_entities(app.db, "ORG") if e.text == "NATO"]
        assert len(review.rows) == len(corpus_nato)
        assert len({e.document_id for e in corpus_nato}) >= 2  # across the corpus

        await pilot.press("x")  # reject the first mention
        await pilot.press("A")  # accept all the others
        await pilot.press("s", "s")  # sentence → paragraph → word: the mention itself
        assert review.scope == "word"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)

        [code] = [c for c in codebook(app.db) if c.path == "ORG > NATO"]
        passages = coded_passages(app.db, codes=["ORG > NATO"])
        assert len(passages) == len(corpus_nato) - 1
        assert {p.quote for p in passages} == {"NATO"}
        assert code.coding_count == len(corpus_nato) - 1

        await pilot.press("u")
        await pilot.pause()
        assert coded_passages(app.db) == []
        assert [c.path for c in codebook(app.db)] == []
        assert all(e.decision is None for e in corpus_entities(app.db, "ORG"))


async def test_new_documents_get_their_entities_in_the_background(tmp_path):
    project = make_project(tmp_path / "fresh.db", entities=False)
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await _open_diplomacy_watch(pilot)
        assert len(view.entities) == 0  # the document opened without waiting
        await wait_for(pilot, lambda: len(view.entities) > 20, timeout=30)
        # The rest of the corpus follows, batch by batch.
        await wait_for(pilot, lambda: documents_needing_entities(app.db) == [], timeout=30)
        assert all(s.underline for s in styles_of(view, "NATO"))


async def _review_nato(pilot) -> ReviewScreen:
    await pilot.press("ctrl+p", *"review entities", "enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FuzzyPicker))
    await pilot.press(*"NATO", "enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen)
                   and not pilot.app.screen.gathering)
    return pilot.app.screen


async def test_rejected_mentions_disappear_from_the_reader_and_undo_brings_them_back(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        view = await _open_diplomacy_watch(pilot)
        headline_nato = next(e for e in view.entities.entities if e.text == "NATO")
        review = await _review_nato(pilot)
        first = review.rows[0].mention
        assert (first.document_id, first.start) == (1, headline_nato.start)
        await pilot.press("x", "enter", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        assert view.entities.at(headline_nato.start) is None
        assert not any(s.underline for s in styles_of(view, "NATO"))
        assert coded_passages(app.db) == []  # rejected: nothing coded

        review = await _review_nato(pilot)
        assert review.rows[0].decision == "rejected"  # remembered
        await pilot.press("u")  # undo while the review is open: it reads again
        await wait_for(pilot, lambda: not review.gathering and review.rows[0].decision is None)
        await pilot.press("escape")
        await pilot.pause()
        assert view.entities.at(headline_nato.start) is not None


async def test_a_corrected_type_is_kept_without_coding(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await _open_diplomacy_watch(pilot)
        review = await _review_nato(pilot)
        mention = review.rows[0].mention
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        await pilot.press(*"GPE", "enter")
        await wait_for(pilot, lambda: app.screen is review)
        assert review.rows[0].label == "GPE" and review.rows[0].decision is None
        await pilot.press("enter", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        corrected = next(e for e in entities_for_document(app.db, mention.document_id)
                         if e.start == mention.start)
        assert (corrected.label, corrected.decision) == ("GPE", "corrected")
        assert coded_passages(app.db) == []


async def test_a_failed_apply_keeps_the_decisions_on_screen(project, monkeypatch):
    import margin.tui.entities.review

    def locked(*args, **kwargs):
        raise StoreError("could not save (database is locked); nothing was changed")

    monkeypatch.setattr(margin.tui.entities.review, "apply_review", locked)
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await _open_diplomacy_watch(pilot)
        review = await _review_nato(pilot)
        await pilot.press("A", "enter", "y")
        await pilot.pause()
        assert app.screen is review
        assert all(row.decision == "accepted" for row in review.rows)


def test_a_broken_code_template_is_refused_when_the_config_is_read(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[entities]\ncode_template = "{label} > {name} ({kind})"\n')
    # Refused: listed as a problem (shown at start-up), the default used.
    loaded = load_config(config)
    assert loaded.entity_code_template == "{label} > {name}"
    assert len(loaded.problems) == 1 and "code_template" in loaded.problems[0]
    assert "{kind}" in loaded.problems[0]
    config.write_text('[entities]\ncode_template = "Entities > {label} > {name}"\n')
    assert load_config(config).entity_code_template == "Entities > {label} > {name}"


async def test_asking_for_spacy_without_a_model_says_so_and_uses_the_rules(tmp_path, monkeypatch):
    from margin.store.entities import spacy_backend

    monkeypatch.setattr(spacy_backend.SpacyRecogniser, "_cached", None)
    monkeypatch.setattr(spacy_backend, "MODEL_PACKAGES", ("margin_no_such_model",))
    project = make_project(tmp_path / "fresh.db", entities=False)
    app = MarginApp(project, "ada", entity_backend="spacy")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: any("python -m spacy download en_core_web_sm" in n.message
                                          for n in app._notifications))
        await wait_for(pilot, lambda: not documents_needing_entities(app.db))
        db = open_database(project)
        backends = {row["backend"] for row in db.query("SELECT backend FROM entity_runs")}
        db.conn.close()
        assert backends == {"rules"}
