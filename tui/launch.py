"""What both ways in share: the settings, opening the database, running the app.

tui/cli.py (plain ``margin``, no click) and tui/commands.py (the click
command line) both import this module, and neither imports the other at
module level. It imports no click and no Textual: the app's modules are
imported only when the app runs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from margin.store.config import (
    Config,
    default_database_path,
    load_config,
    resolve_coder,
    resolve_entity_backend,
)
from margin.store.errors import StoreError

VERSION = "0.1.0"


@dataclass
class Settings:
    db_path: Path | None
    coder: str | None

    def database_path(self) -> Path:
        return self.db_path or default_database_path()


def open_store(settings: Settings, read_only: bool = False):
    """Open the selected database. The default one is created with the sample
    corpus; one named with --db/MARGIN_DB starts empty.

    ``read_only``: the command only reads. A --db that does not exist is then
    an error (not a new empty database), and a file margin may not write (a
    read-only place, a newer margin's schema) is opened for reading."""
    from margin.store.db import open_database

    if settings.db_path is not None and str(settings.db_path) in ("", "."):
        raise StoreError("--db needs a file name")
    path = settings.database_path()
    is_default = settings.db_path is None
    is_new = not path.exists()
    if is_new and is_default:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create {path.parent}: {error.strerror}") from None
    db = open_database(path, read_only=read_only and not (is_new and is_default))
    if is_new and is_default:
        from margin.store.importing import import_sample_corpus

        import_sample_corpus(db)
    return db


def command_line_config() -> Config:
    """The config for a subcommand: each problem in it is one line on stderr
    (the default is used instead); the app shows them in a notice."""
    config = load_config()
    for problem in config.problems:
        print(f"Warning: config {config.path}: {problem}", file=sys.stderr)
    return config


def run_app(settings: Settings) -> None:
    config = load_config()
    db = open_store(settings)
    from margin.tui.app import MarginApp  # Textual only when the app runs

    app = MarginApp(
        db_path=settings.database_path(),
        coder=resolve_coder(settings.coder, config),
        keymap=config.keys,
        db=db,
        entity_backend=resolve_entity_backend(None, config),
        entity_code_template=config.entity_code_template,
        citation_style=config.citation_style,
        config=config,
    )
    app.run()
    if app.damage:
        raise StoreError(app.damage)
    if app.return_code:  # a crash (Textual printed the traceback)
        sys.exit(app.return_code)
