"""How the main screens look (pytest-textual-snapshot, fixed terminal size).

Update after an intended change with ``pytest tests/test_snapshots.py
--snapshot-update`` and look at the SVGs before committing them.
"""

from __future__ import annotations

import pytest

from store.codes import create_code
from store.codings import apply_coding, set_coding_memo
from store.db import open_database
from store.documents import get_document
from tests.helpers import make_project
from tui.app import MarginApp

SIZE = (120, 36)


def _code(db, code_id, phrase, document_id=1):
    text = get_document(db, document_id).text
    start = text.index(phrase)
    return apply_coding(db, document_id, code_id, start, start + len(phrase), "ada")


@pytest.fixture
def project(tmp_path):
    path = make_project(tmp_path / "margin.db")
    db = open_database(path)
    # Fixed dates, so the library looks the same every day.
    db.execute("UPDATE documents SET imported = '2026-11-01T09:00:00.000+00:00'")
    actors = create_code(db, "Actors")
    officials = create_code(db, "Officials", parent_id=actors)
    aid = create_code(db, "US aid")
    escalation = create_code(db, "Escalation")
    _code(db, aid, "National security adviser Jake Sullivan reiterated this goal as part of a "
                   "Dec. 2 White House announcement of $725 million in additional security "
                   "assistance for Ukraine")
    coding = _code(db, officials, "National security adviser Jake Sullivan")
    set_coding_memo(db, coding, "Sullivan speaks for the outgoing administration")
    _code(db, escalation, "The Kremlin said on Tuesday that the new package shows that the Biden "
                          "administration aims to “throw oil on the fire” of the war")
    _code(db, aid, "House Speaker Mike Johnson told reporters he has no plans to give in to a "
                   "Biden administration request to include $24 billion in additional Ukraine aid")
    db.conn.close()
    return path


def test_library(snap_compare, project):
    assert snap_compare(MarginApp(project, "ada"), terminal_size=SIZE)


def test_reader_with_overlapping_codings(snap_compare, project):
    app = MarginApp(project, "ada")
    # Open the first article, go to the fourth paragraph, onto the nested coding.
    assert snap_compare(app, press=["enter", "}", "}", "}", "w", "w", "w"], terminal_size=SIZE)


def test_reader_with_a_selection(snap_compare, project):
    app = MarginApp(project, "ada")
    assert snap_compare(app, press=["enter", "}", "}", "v", "w", "w", "w", "w"],
                        terminal_size=SIZE)


def test_code_picker(snap_compare, project):
    app = MarginApp(project, "ada")
    assert snap_compare(app, press=["enter", "}", "}", "s", "c", "a", "i", "d"],
                        terminal_size=SIZE)


def test_help_screen(snap_compare, project):
    app = MarginApp(project, "ada")
    assert snap_compare(app, press=["enter", "question_mark"], terminal_size=SIZE)
