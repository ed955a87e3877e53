"""What every click command shares: --db and --coder, the settings they
make, and ``say()`` for every line meant for people. Its own module so that
tui/commands.py and tui/scripting.py both use it without importing each
other."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import click

from margin.store.util import visible_controls
from margin.tui.launch import Settings


def db_option(function, envvar: str | None = None):
    """--db, accepted before or after the subcommand name.

    Only the top-level command reads MARGIN_DB, so an explicit --db always
    wins over the environment wherever it is given.
    """
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        envvar=envvar, show_envvar=envvar is not None,
        help="Database file (default: margin.db in the user data directory).",
    )(function)


def db_options(function, envvar: str | None = None):
    """--db and --coder (who is writing), for the commands that write."""
    function = db_option(function, envvar)
    function = click.option(
        "--coder", default=None, help="Name recorded on codings (default: config, OS user)."
    )(function)
    return function


def coder_filter_option(function):
    """--coder NAME, repeatable, for the commands that only read (codes,
    export, stats, agreement…): only those coders' codings, passed on as
    ``coders`` (a tuple of names, empty for every coder's) to the store's
    ``coders=`` (store/coders.py: an unknown name is one error line that
    lists the coders there are)."""
    return click.option(
        "--coder", "coders", multiple=True, metavar="NAME",
        help="Only this coder's codings (repeatable; default: every coder's).",
    )(function)


def settings_for(context: click.Context, db_path: Path | None, coder: str | None) -> Settings:
    parent: Settings | None = context.find_object(Settings)
    return Settings(
        db_path=db_path or (parent.db_path if parent else None),
        coder=coder or (parent.coder if parent else None),
    )


def say(text: str = "", err: bool = False, nl: bool = True) -> None:
    """A line for people (a list, a report, an error): control characters of
    document texts, titles and names shown as visible symbols, never sent to
    the terminal as a control sequence. A closed standard output (``>&-``)
    is an error (click would drop the line in silence)."""
    if not err and sys.stdout is None:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))
    click.echo(visible_controls(text), err=err, nl=nl)
