"""The `margin` entry point: opens the app, or runs a subcommand.

Mistakes a user can make (a wrong path, an unknown code, a broken database)
end in one ``Error: ...`` line and a non-zero exit, never a traceback.

Start-up speed: plain ``margin [--db FILE] [--coder NAME]`` opens the app
without importing click (~40 ms); everything else goes through the click
commands in tui/commands.py, which never import Textual.
"""

from __future__ import annotations

import gc
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from margin.store.config import (
    default_database_path,
    load_config,
    resolve_coder,
    resolve_entity_backend,
)
from margin.store.errors import DatabaseProblem, StoreError

VERSION = "0.1.0"


@dataclass
class Settings:
    db_path: Path | None
    coder: str | None

    def database_path(self) -> Path:
        return self.db_path or default_database_path()


def open_store(settings: Settings):
    """Open the selected database. The default one is created with the sample
    corpus; one named with --db/MARGIN_DB starts empty."""
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
    db = open_database(path)
    if is_new and is_default:
        from margin.store.importing import import_sample_corpus

        import_sample_corpus(db)
    return db


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
    )
    app.run()


def app_settings(argv: list[str]) -> Settings | None:
    """Settings when the arguments only open the app (``--db``, ``--coder``),
    else None: the click command line handles them (and --help, errors…)."""
    values: dict[str, str] = {}
    arguments = list(argv)
    while arguments:
        argument = arguments.pop(0)
        name, equals, value = argument.partition("=")
        if name not in ("--db", "--coder") or name in values:
            return None
        if not equals:
            if not arguments or arguments[0].startswith("-"):
                return None
            value = arguments.pop(0)
        if not value:
            return None
        values[name] = value
    db_path = values.get("--db") or os.environ.get("MARGIN_DB") or None
    return Settings(Path(db_path) if db_path else None, values.get("--coder"))


def main(argv: list[str] | None = None) -> None:
    # Start-up builds many long-lived objects (Textual's CSS, widgets, the
    # document's wrapped rows); collecting garbage among them only delays the
    # first frame. The app re-enables collection once it is on screen; the
    # subcommands re-enable it at once.
    gc.disable()
    argv = sys.argv[1:] if argv is None else argv
    try:
        settings = app_settings(argv)
        if settings is not None:
            run_app(settings)
            return
        gc.enable()
        from margin.tui.commands import run_command_line

        run_command_line(argv)
    except DatabaseProblem as error:
        print(f"Error: database problem: {error}", file=sys.stderr)
        sys.exit(1)
    except StoreError as error:
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # `margin export ... | head`: the reader went away; not an error.
        sys.stderr.close()
        sys.exit(0)


if __name__ == "__main__":
    main()
