"""What every click command shares: --db and --coder, and the settings they
make. Its own module so that tui/commands.py and tui/scripting.py both use it
without importing each other."""

from __future__ import annotations

from pathlib import Path

import click

from margin.tui.launch import Settings


def db_options(function, envvar: str | None = None):
    """--db and --coder, accepted before or after the subcommand name.

    Only the top-level command reads MARGIN_DB, so an explicit --db always
    wins over the environment wherever it is given.
    """
    function = click.option(
        "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        envvar=envvar, show_envvar=envvar is not None,
        help="Database file (default: margin.db in the user data directory).",
    )(function)
    function = click.option(
        "--coder", default=None, help="Name recorded on codings (default: config, OS user)."
    )(function)
    return function


def settings_for(context: click.Context, db_path: Path | None, coder: str | None) -> Settings:
    parent: Settings | None = context.find_object(Settings)
    return Settings(
        db_path=db_path or (parent.db_path if parent else None),
        coder=coder or (parent.coder if parent else None),
    )
