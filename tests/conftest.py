from __future__ import annotations

from pathlib import Path

import pytest
from pty_terminal import terminal_fixture

from margin.store.db import open_database
from margin.store.importing import import_sample_corpus


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "margin.db"


@pytest.fixture
def db(db_path: Path):
    database = open_database(db_path)
    yield database
    database.conn.close()


@pytest.fixture
def sample_db(db):
    import_sample_corpus(db)
    return db


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real user's data, config or clipboard from a test."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("MARGIN_DB", raising=False)
    monkeypatch.delenv("MARGIN_CONFIG", raising=False)
    # The fast, deterministic backend, unless a test asks for spaCy.
    monkeypatch.setenv("MARGIN_ENTITY_BACKEND", "rules")


#: ``terminal(columns, rows, *args)`` starts the installed `margin` in a
#: pseudo-terminal with a fresh data folder (see pty_terminal.py).
terminal = pytest.fixture(terminal_fixture)
