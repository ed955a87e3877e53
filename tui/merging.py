"""`margin merge OTHER.db|OTHER.qdpx`: a colleague's copy into ours.

The work is the store's (store/merging.py: one undoable action, one merge
rule for databases and projects); this module reads the options and prints
the report: lines for people, or one JSON object a line with ``--json``.
The app's dialog (tui/merge_dialog.py) shows the same lines. No Textual here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from margin.tui.cli_options import db_options, json_option, say, say_json, settings_for
from margin.tui.launch import open_store


@click.command("merge")
@db_options
@click.argument("other", type=click.Path(path_type=Path))
@click.option("--sources", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder a .qdpx project's external sources may be read from.")
@json_option()
@click.pass_context
def merge_command(context, db_path, coder, other, sources, as_json):
    """Merge a colleague's copy (a margin database or a .qdpx project) into
    this database: new documents, codes, codings (each coder's own) and memos
    come in; where the copies disagree ours is kept and the conflict listed.
    One undoable action; merging the same file again adds nothing. Exit
    status 1 if a coding was refused (its passage does not match our text).
    """
    from margin.store.merging import merge_file

    db = open_store(settings_for(context, db_path, coder))
    try:
        report = merge_file(db, other, sources=sources)
    finally:
        db.close()
    if as_json:
        for item in report.as_json():
            say_json(item)
    else:
        for _kind, line in report.lines():
            say(line)
    if report.refused or report.codings_left_out:
        sys.exit(1)  # as margin import does when something was refused


def register(cli: click.Group) -> None:
    """Add `margin merge` to margin's command line."""
    cli.add_command(merge_command)
