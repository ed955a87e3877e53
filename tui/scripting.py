"""Coding and the codebook from a script: `margin code`, `margin uncode`,
`margin codes add|rename|move|merge|delete`, `margin fts`.

Each command that changes something is one undoable action in the history,
like the app's (`u` in the app takes a script's run back). The work is done
by the store (store/scripted.py, store/codes.py, store/search/fulltext.py);
this module reads options and prints results. ``--json`` prints one JSON
object a line, as every margin command does.
"""

from __future__ import annotations

import json
import sys

import click

from margin.store.errors import StoreError
from margin.store.util import plural
from margin.tui.cli_options import db_options, json_option, say, say_json, settings_for
from margin.tui.launch import command_line_config, open_store


def _passage_options(function):
    for option in reversed([
        click.option("--document", "document", help="Document id, uuid or title."),
        click.option("--start", type=click.IntRange(0), help="Start offset (with --end)."),
        click.option("--end", type=click.IntRange(1), help="End offset (exclusive)."),
        click.option("--quote", help="The passage's exact words, instead of offsets."),
        click.option("--nth", type=click.IntRange(1),
                     help="With --quote: the n-th occurrence (1 is the first)."),
        click.option("--all", "every", is_flag=True, help="With --quote: every occurrence."),
        click.option("--from", "from_file", type=click.File("r", encoding="utf-8"),
                     help="JSONL file (- for standard input), one passage a line."),
        json_option("Print the result as JSON."),
    ]):
        function = option(function)
    return function


def _requests(code, document, start, end, quote, nth, every, from_file, memo=""):
    """The passages asked for, from the options or a JSONL file."""
    from margin.store.scripted import PassageRequest

    if from_file is not None:
        if code or document or quote or start is not None or end is not None:
            raise click.UsageError("--from takes every passage from the file; "
                                   "give no CODE, --document, --quote or offsets with it")
        requests, problems = [], []
        for number, line in enumerate(from_file, start=1):
            if not line.strip():
                continue
            try:
                requests.append(PassageRequest.from_json(json.loads(line), number))
            except json.JSONDecodeError as error:
                problems.append(f"line {number}: not JSON ({error.msg})")
            except StoreError as error:
                problems.append(str(error))
        if problems:
            _fail(problems)
        return requests
    if not code or not document:
        raise click.UsageError("give CODE and --document, or --from FILE.jsonl")
    if quote is None and (start is None or end is None):
        raise click.UsageError("give --start and --end, or --quote")
    return [PassageRequest(document=document, code=code, start=start, end=end, quote=quote,
                           nth=nth, all=every, memo=memo)]


def _fail(problems: list[str]) -> None:
    for problem in problems:
        say(f"Error: {problem}", err=True)
    click.echo("Nothing was changed.", err=True)
    sys.exit(1)


def _print(report, as_json: bool) -> None:
    if report.problems:
        _fail(report.problems)
    if as_json:
        say_json(report.as_json())
    else:
        summary = report.summary()
        say(summary[:1].upper() + summary[1:])


@click.command("code")
@db_options
@click.argument("code", required=False)
@_passage_options
@click.option("--memo", default="", help="A memo on the new coding.")
@click.option("--create", is_flag=True, help="Create codes that do not exist yet.")
@click.pass_context
def code_command(context, db_path, coder, code, document, start, end, quote, nth, every,
                 from_file, as_json, memo, create):
    """Code a passage with CODE (a path such as "Parent > Child").

    The passage is --start/--end (character offsets into the document's
    text) or --quote (its exact words; --nth or --all when they occur more
    than once). --from FILE.jsonl codes many: one object a line with
    document, code, start/end or quote (nth, all), memo, coder. All of a run
    is one undoable action; if any passage has a problem, nothing is coded.
    """
    from margin.store.config import resolve_coder
    from margin.store.scripted import code_passages

    requests = _requests(code, document, start, end, quote, nth, every, from_file, memo)
    settings = settings_for(context, db_path, coder)
    db = open_store(settings)
    who = resolve_coder(settings.coder, command_line_config())
    _print(code_passages(db, requests, who, create=create), as_json)


@click.command("uncode")
@db_options
@click.argument("code", required=False)
@_passage_options
@click.option("--any-coder", is_flag=True,
              help="Remove every coder's codings of the passage, not only yours.")
@click.pass_context
def uncode_command(context, db_path, coder, code, document, start, end, quote, nth, every,
                   from_file, as_json, any_coder):
    """Remove CODE from a passage (the same ways of naming it as margin code).

    Only your codings (--coder, config, OS user) unless --any-coder. One
    undoable action; if any passage has a problem, nothing is removed.
    """
    from margin.store.config import resolve_coder
    from margin.store.scripted import uncode_passages

    requests = _requests(code, document, start, end, quote, nth, every, from_file)
    settings = settings_for(context, db_path, coder)
    db = open_store(settings)
    who = None if any_coder else resolve_coder(settings.coder, command_line_config())
    _print(uncode_passages(db, requests, who), as_json)


def _code(db, path: str):
    from margin.store.codes import find_code

    code = find_code(db, path)
    if code is None:
        raise click.ClickException(f"no code {path!r} (margin codes lists them)")
    return code


def _done(message: str, as_json: bool, **fields) -> None:
    if as_json:
        say_json(fields)
    else:
        say(message)


_json_option = json_option("Print the result as JSON.")


@click.command("add")
@db_options
@click.argument("path")
@click.option("--colour", "--color", "colour",
              help="#rrggbb or a colour name, as the app's picker takes (default: the next "
                   "free colour).")
@click.option("--description", default="", help="What the code means; when to apply it.")
@_json_option
@click.pass_context
def add_code_command(context, db_path, coder, path, colour, description, as_json):
    """Add a code at PATH ("Parent > Child"; missing parents are added too)."""
    from margin.store.codes import (
        codebook,
        describe_code,
        ensure_code_path,
        get_code,
        recolour_code,
    )
    from margin.store.history import action

    db = open_store(settings_for(context, db_path, coder))
    # A code at exactly this path is refused, never changed: "Added" must
    # mean added. (The same name elsewhere in the tree is another code.)
    wanted = " > ".join(part.strip() for part in path.split(">")).casefold()
    if any(code.path.casefold() == wanted for code in codebook(db)):
        raise click.ClickException(f"{path!r} exists already; nothing was changed")
    with action(db, f"Add code {path}"):
        code_id = ensure_code_path(db, path)
        if colour:
            recolour_code(db, code_id, colour)
        if description:
            describe_code(db, code_id, description)
    code = get_code(db, code_id)
    _done(f"Added {code.path} ({code.colour})", as_json, id=code.id, path=code.path,
          colour=code.colour)


@click.command("rename")
@db_options
@click.argument("path")
@click.argument("new_name")
@_json_option
@click.pass_context
def rename_code_command(context, db_path, coder, path, new_name, as_json):
    """Rename the code at PATH to NEW_NAME (its place in the tree stays)."""
    from margin.store.codes import get_code, rename_code

    db = open_store(settings_for(context, db_path, coder))
    code = _code(db, path)
    rename_code(db, code.id, new_name)
    renamed = get_code(db, code.id)
    _done(f"Renamed {code.path} to {renamed.path}", as_json, id=code.id, path=renamed.path)


@click.command("move")
@db_options
@click.argument("path")
@click.option("--under", "parent", help="The new parent's path.")
@click.option("--top", is_flag=True, help="Move it to the top level.")
@_json_option
@click.pass_context
def move_code_command(context, db_path, coder, path, parent, top, as_json):
    """Move the code at PATH (with its sub-codes) --under another, or to the --top."""
    from margin.store.codes import get_code, move_code

    if bool(parent) == top:
        raise click.UsageError("give --under PARENT or --top")
    db = open_store(settings_for(context, db_path, coder))
    code = _code(db, path)
    move_code(db, code.id, None if top else _code(db, parent).id)
    moved = get_code(db, code.id)
    _done(f"Moved {code.path} to {moved.path}", as_json, id=code.id, path=moved.path)


@click.command("merge")
@db_options
@click.argument("source")
@click.argument("target")
@_json_option
@click.pass_context
def merge_codes_command(context, db_path, coder, source, target, as_json):
    """Merge the code SOURCE into TARGET: its codings, sub-codes and memo move
    to TARGET, and SOURCE goes."""
    from margin.store.codes import merge_codes

    db = open_store(settings_for(context, db_path, coder))
    moving, into = _code(db, source), _code(db, target)
    summary = merge_codes(db, moving.id, into.id)
    said = f"{plural(summary.moved, 'coding')} moved"
    if summary.united:
        said += f", {plural(summary.united, 'coding')} united with one already on the passage"
    _done(f"Merged {moving.path} into {into.path} ({said})", as_json,
          source=moving.path, target=into.path, moved=summary.moved, united=summary.united)


@click.command("delete")
@db_options
@click.argument("path")
@click.option("--yes", is_flag=True, help="Do not ask (for scripts).")
@_json_option
@click.pass_context
def delete_code_command(context, db_path, coder, path, yes, as_json):
    """Delete the code at PATH with its sub-codes and their codings (undoable
    in the app with u)."""
    from margin.store.codes import delete_code, deletion_summary

    db = open_store(settings_for(context, db_path, coder))
    code = _code(db, path)
    codes, codings = deletion_summary(db, code.id)
    if not yes:
        if not sys.stdin.isatty():
            raise click.ClickException("deleting needs --yes when not asked at a terminal")
        click.confirm(f"Delete {code.path} ({plural(codes, 'code')}, "
                      f"{plural(codings, 'coding')})?", abort=True)
    delete_code(db, code.id)
    _done(f"Deleted {code.path} ({plural(codes, 'code')}, {plural(codings, 'coding')})",
          as_json, path=code.path, codes=codes, codings=codings)


@click.command("fts")
@db_options
@click.argument("query")
@click.option("--document", "documents", multiple=True,
              help="Only in this document (id, uuid or title; repeatable).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@_json_option
@click.pass_context
def fts_command(context, db_path, coder, query, documents, limit, as_json):
    """Full-text search of the documents, with the app's query language:
    words (any form: talks finds talked), "a phrase", AND (or a space), OR,
    NOT, parentheses, prefix*."""
    from margin.store.documents import find_document
    from margin.store.search.fulltext import search_documents
    from margin.store.textspans import context_of

    db = open_store(settings_for(context, db_path, coder), read_only=True)
    ids = [find_document(db, document).id for document in documents] or None
    hits = search_documents(db, query, limit=limit, document_ids=ids)
    if not as_json and not hits:
        click.echo("No matches.", err=True)
    if not as_json:  # a very long document whose full text is half indexed
        from margin.store.documents import documents_being_indexed

        for document in documents_being_indexed(db, ids):
            say(f"note: {document.note}: hits in it may be missing "
                "(`margin check --repair` indexes the rest)", err=True)
    texts: dict[int, str] = {}
    for hit in hits:
        if as_json:
            say_json({"document_id": hit.document_id, "title": hit.title,
                      "start": hit.start, "end": hit.end, "text": hit.text})
            continue
        if hit.document_id not in texts:
            from margin.store.documents import document_text

            texts[hit.document_id] = document_text(db, hit.document_id)
        snippet, left, right = context_of(texts[hit.document_id], hit.start, hit.end, width=100)
        shown = " ".join(f"{snippet[:left]}[{snippet[left:right]}]{snippet[right:]}".split())
        say(f"{hit.document_id:>4}:{hit.start:<7} {shown}")


def register(cli: click.Group, codes: click.Group) -> None:
    """Add these commands to margin's command line."""
    for command in (code_command, uncode_command, fts_command):
        cli.add_command(command)
    for command in (add_code_command, rename_code_command, move_code_command,
                    merge_codes_command, delete_code_command):
        codes.add_command(command)

