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

from margin.store.util import json_text, visible_controls
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


def coder_filter_option(function=None, *,
                        help: str = "Only this coder's codings (repeatable; default: every coder's)."):
    """--coder NAME, repeatable, for the commands that only read (codes,
    export, stats, agreement…): only those coders' codings, passed on as
    ``coders`` (a tuple of names, empty for every coder's) to the store's
    ``coders=`` (store/coders.py: an unknown name is one error line that
    lists the coders there are)."""
    option = click.option("--coder", "coders", multiple=True, metavar="NAME", help=help,
                          callback=_note_a_writer_before_the_filter)
    return option if function is None else option(function)


def _note_a_writer_before_the_filter(context: click.Context, _param, coders):
    # Every reading command's filter says the same thing about a --coder
    # given before the command (who writes), so it is said here, once. A
    # group (`margin codes`) may run a subcommand that writes instead: it
    # calls note_writer_coder itself when it is the one that reads.
    if not isinstance(context.command, click.Group):
        note_writer_coder(context, tuple(coders))
    return coders


def document_filter_option(function):
    """--document ID, repeatable, for the commands that only read: only those
    documents (an id, a uuid or a title; ``documents``, a tuple)."""
    return click.option(
        "--document", "documents", multiple=True, metavar="DOC",
        help="Only this document (id, uuid or title; repeatable).",
    )(function)


def settings_for(context: click.Context, db_path: Path | None, coder: str | None) -> Settings:
    parent: Settings | None = context.find_object(Settings)
    return Settings(
        db_path=db_path or (parent.db_path if parent else None),
        coder=coder or (parent.coder if parent else None),
    )


def note_writer_coder(context: click.Context, coders: tuple[str, ...]) -> None:
    """For a command that only reads (its own ``--coder``, ``coders``, is the
    filter): when ``margin --coder NAME`` was given before it, one line on
    standard error saying that this names who writes and filters nothing,
    and how to filter. The figures printed are not changed by it."""
    import shlex

    parent: Settings | None = context.find_object(Settings)
    if parent is None or not parent.coder:
        return
    command = " ".join(["margin", *context.command_path.split()[1:]])
    name = parent.coder
    if coders:
        say(f"note: --coder {shlex.quote(name)} before the command names who writes; "
            f"{command} counts the coders of its own --coder ({', '.join(coders)})", err=True)
    else:
        say(f"note: --coder {shlex.quote(name)} before the command names who writes and "
            f"filters nothing; to keep only {name}'s codings, put it after: "
            f"{command} --coder {shlex.quote(name)} …", err=True)


def say(text: str = "", err: bool = False, nl: bool = True) -> None:
    """A line for people (a list, a report, an error): control characters of
    document texts, titles and names shown as visible symbols, never sent to
    the terminal as a control sequence. A closed standard output (``>&-``)
    is an error (click would drop the line in silence)."""
    if not err:
        _standard_output_open()
    click.echo(visible_controls(text), err=err, nl=nl)


def json_option(help: str = "Print one JSON object a line."):
    """``--json``, the same for every command. Asked for with standard
    output closed, it stops the command before it reads or changes anything:
    a result that cannot be printed would be lost (a script would also take
    an action that was done for one that failed)."""
    return click.option("--json", "as_json", is_flag=True, help=help,
                        callback=_json_wanted)


def _json_wanted(context: click.Context, parameter: click.Parameter, value: bool) -> bool:
    if value:
        _standard_output_open()
    return value


def say_json(value: object, indent: int | None = None) -> None:
    """One JSON object on standard output (``--json``: one a line), written
    by ``json_text`` (nothing a terminal would act on). As with ``say()``, a
    closed standard output is an error, not a record dropped in silence."""
    _standard_output_open()
    click.echo(json_text(value, indent=indent))


def _standard_output_open() -> None:
    # With standard output closed (`>&-`), Python has no sys.stdout and
    # click.echo() would return without a word.
    if sys.stdout is None:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))


def write_stdout(data: bytes) -> None:
    """Bytes to standard output as they are (an export); a full disk is one
    line, a closed pipe the end of the run; so is a closed standard output
    (``margin export … >&-``, where Python has no sys.stdout)."""
    if sys.stdout is None:
        raise click.ClickException(
            f"cannot write to standard output: {os.strerror(errno.EBADF)}")
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise click.ClickException(
            f"cannot write to standard output: {error.strerror or error}") from None
