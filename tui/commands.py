"""The click command line: documents, import, codes, export (and --help).

sqlite-utils style: ``--json`` for machine output, one-line errors. These
commands never import Textual, so they start fast; tui/cli.py hands the
arguments over unless they only open the app. What both share (settings,
opening the database, running the app) is in tui/launch.py.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import sys
from pathlib import Path

import click

from margin.store.errors import NotFound, StoreError
from margin.store.util import plural, visible_controls
from margin.tui.agreement_commands import register as register_agreement
from margin.tui.analysis_commands import register as register_analysis
from margin.tui.cells import fit
from margin.tui.cli_options import (
    coder_filter_option,
    db_option,
    json_option,
    note_writer_coder,
    say,
    say_json,
    write_stdout,
)
from margin.tui.cli_options import db_options as _db_options
from margin.tui.cli_options import settings_for as _settings
from margin.tui.launch import VERSION, Settings, command_line_config, open_store, run_app
from margin.tui.merging import register as register_merging
from margin.tui.scripting import register as register_scripting


class ReaderWentAway(Exception):
    """Standard output's reader closed it (``margin documents | head -1``)."""


class _Group(click.Group):
    def invoke(self, context: click.Context):
        # click turns a closed pipe into exit status 1; `| head` is not an error.
        try:
            return super().invoke(context)
        except BrokenPipeError:
            raise ReaderWentAway from None




@click.group(cls=_Group, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, "--version", prog_name="margin")
@functools.partial(_db_options, envvar="MARGIN_DB")
@click.pass_context
def cli(context: click.Context, db_path: Path | None, coder: str | None) -> None:
    """margin: read, code and annotate documents for qualitative research.

    Without a command, opens the app.
    """
    context.obj = Settings(db_path, coder)
    if context.invoked_subcommand is None:
        run_app(context.obj)


@cli.command("documents")
@_db_options
@json_option("Print one JSON object a line.")
@click.pass_context
def documents_command(context, db_path, coder, as_json):
    """List the documents: id, words, codings, title."""
    from margin.store.documents import list_documents

    db = open_store(_settings(context, db_path, coder), read_only=True)
    documents = list_documents(db)
    if as_json:
        for document in documents:
            say_json(vars(document))
        return
    if not documents:
        say("No documents. Add some with: margin import PATH...")
        return
    say(f"{'id':>4}  {'words':>7}  {'codings':>7}  title")
    for document in documents:
        say(f"{document.id:>4}  {document.word_count:>7,}  {document.coding_count:>7}  "
            f"{document.title}")


@cli.command("remove")
@_db_options
@click.argument("document_ids", nargs=-1, required=True, metavar="DOC_ID...")
@click.option("--yes", "-y", "confirmed", is_flag=True,
              help="Delete without asking (for scripts).")
@click.pass_context
def remove_command(context, db_path, coder, document_ids, confirmed):
    """Delete documents (by id, see `margin documents`) with their codings,
    memos and entity mentions. One action: `u` in the app undoes it.

    Asks first on a terminal; elsewhere give --yes.
    """
    from margin.store.documents import delete_documents, deletion

    not_ids = [value for value in document_ids if not value.strip().isdigit()]
    if not_ids:
        raise click.UsageError(f"not a document id: {', '.join(not_ids)} (see margin documents)")
    db = open_store(_settings(context, db_path, coder))
    ids = [int(value) for value in document_ids]
    question = visible_controls(deletion(db, ids).question.replace(" (u undoes it.)", ""),
                                keep="")
    if not confirmed:
        if not sys.stdin.isatty():
            raise click.ClickException(f"{question} Not on a terminal: add --yes to delete.")
        if not click.confirm(question, default=False):
            click.echo("Nothing deleted.", err=True)
            sys.exit(1)
    done = delete_documents(db, ids)
    say(f"Deleted {done.what_goes}. {done.what_goes_with} (u in the app undoes it.)")


@cli.command("import")
@_db_options
@click.argument("paths", nargs=-1)
@click.option("--sample", is_flag=True, help="Add the built-in sample articles.")
@click.option(
    "--clean/--no-clean", default=False, show_default=True,
    help="Remove web boilerplate (share buttons, teasers, newsletter footers).",
)
@click.option(
    "--entities/--no-entities", "recognise", default=True, show_default=True,
    help="Recognise named entities in the imported documents.",
)
@click.option("--backend", type=click.Choice(["auto", "rules", "spacy"]), default=None,
              help="Entity recogniser (default: config, else auto).")
@click.option("--sources", "sources_folder",
              type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder from which a REFI-QDA project may read sources it names by "
                   "path (absolute:// or relative://); without it, only sources inside "
                   "the project file are read.")
@json_option("Print the report as one JSON object.")
@click.pass_context
def import_command(context, db_path, coder, paths, sample, clean, recognise, backend,
                   sources_folder, as_json):
    """Import text, Markdown, HTML, DOCX, PDF, EPUB and transcript (.vtt, .srt) files, directories
    (recursively), - for stdin, or REFI-QDA projects (.qdpx) and codebooks (.qdc).

    Binary, empty and unreadable files are refused with a reason; the rest of
    the batch is still imported. Exits with 1 if anything was refused.
    """
    from margin.store.config import resolve_entity_backend
    from margin.store.importing import (
        EntitiesProgress,
        ImportFinished,
        ImportOptions,
        ImportStarted,
        SourceDone,
        import_sources,
    )

    if not paths and not sample:
        raise click.UsageError("give PATH... to import, - for standard input, or --sample")
    db = open_store(_settings(context, db_path, coder))
    options = ImportOptions(clean=clean, sample=sample, entities=recognise,
                            backend=resolve_entity_backend(backend, command_line_config()),
                            sources=str(sources_folder) if sources_folder else None)
    show_progress = not as_json and sys.stderr.isatty()
    report = None
    # The opening lines ("Recognising entities…") wait until something is
    # recognised: an import of duplicates only has nothing to recognise.
    opening: tuple = ()
    # The report's lines as they come: results on stdout, the rest on stderr.
    for event in import_sources(db, paths, options, stdin=sys.stdin.buffer.read):
        lines = event.lines
        if isinstance(event, ImportStarted):
            opening, lines = event.lines, ()
        elif opening and (isinstance(event, EntitiesProgress) or (
                isinstance(event, SourceDone)
                and (event.result.entities is not None or event.result.document_ids))):
            opening, lines = (), opening + lines
        if not as_json:
            for line in lines:
                say(line.text, err=not line.is_result)
        if isinstance(event, EntitiesProgress) and show_progress:
            click.echo(f"\rrecognising entities: {event.done}/{event.total}", err=True,
                       nl=event.done == event.total)
        if isinstance(event, ImportFinished):
            report = event.report
    if as_json:
        say_json(report.as_json())
    if report.failed:
        sys.exit(1)


def _recogniser(backend: str | None):
    """The entity recogniser the options and config ask for (notices on stderr)."""
    from margin.store.config import resolve_entity_backend
    from margin.store.entities import get_recogniser

    recogniser, notice = get_recogniser(resolve_entity_backend(backend, command_line_config()))
    if notice:
        click.echo(f"note: {notice}", err=True)
    return recogniser


def _recognise(db, document_ids: list[int], backend: str | None):
    """Recognise and store entities, with progress on stderr for big batches."""
    from margin.store.entities.storage import recognise_documents

    recogniser = _recogniser(backend)
    show = len(document_ids) > 8 and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show:
            click.echo(f"\rrecognising entities: {done}/{total}", err=True, nl=False)

    # Worker processes when the documents are big enough to pay for them.
    summary = recognise_documents(db, document_ids, recogniser, progress, workers=None)
    if show:
        click.echo("", err=True)
    click.echo(
        f"{plural(summary.entities, 'entity')} in {plural(summary.documents, 'document')} "
        f"({summary.backend}, {summary.seconds:.1f} s)",
        err=True,
    )
    return summary


@cli.group("codes", invoke_without_command=True)
@db_option
@coder_filter_option
@json_option("Print one JSON object a line.")
@click.pass_context
def codes_command(context, db_path, coders, as_json):
    """The codebook as a tree, with the number of codings of each code (by
    every coder, or by the coders named with --coder); or change it: add,
    rename, move, merge, delete (each undoable in the app)."""
    from margin.store.codes import codebook

    if context.invoked_subcommand is not None:
        return  # a subcommand (tui/scripting.py) does the work

    note_writer_coder(context, coders)
    db = open_store(_settings(context, db_path, None), read_only=True)
    codes = codebook(db, coders)
    if as_json:
        records = [
            {"id": c.id, "uuid": c.uuid, "path": c.path, "name": c.name, "colour": c.colour,
             "description": c.description, "codings": c.coding_count,
             "codings_with_subcodes": c.total_count}
            for c in codes
        ]
        for record in records:
            say_json(record)
        return
    if not codes:
        say("The codebook is empty: select a passage in the app and press c.")
        return
    if coders:
        say(f"Codings by {', '.join(dict.fromkeys(coders))}")
    for code in codes:
        count = f"{code.coding_count}"
        if code.children:
            count += f" ({code.total_count} with sub-codes)"
        say(f"{'  ' * code.depth}{code.name}  {count}")


@cli.command("export")
@db_option
@coder_filter_option
@click.option("--format", "export_format",
              type=click.Choice(["csv", "jsonl", "md", "qdpx", "qdc"]), required=True,
              help="Output format: coded passages (csv, jsonl, md), a REFI-QDA project "
                   "(qdpx, with -o) or codebook (qdc, with -o).")
@click.option("--code", "codes", multiple=True, help="Only this code (and codes beneath it).")
@click.option("--document", "documents", multiple=True,
              help="Only this document (id, uuid or title).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Write to FILE (atomically; a regular file only), or - for standard "
                   "output (the default for csv, jsonl and md).")
@click.option("--bom/--no-bom", default=None,
              help="Start a CSV with a byte-order mark, which spreadsheets need "
                   "[default: in a file, not on standard output].")
@click.pass_context
def export_command(context, db_path, coders, export_format, codes, documents, output, bom):
    """Export coded passages, one record per coding (by every coder, or by
    the coders named with --coder); or the whole project (REFI-QDA .qdpx) or
    the codebook (.qdc) for NVivo, ATLAS.ti, MAXQDA…

    CSV and Markdown show control characters as visible symbols; JSONL and
    REFI-QDA keep the text exact."""
    from margin.store.export import coded_passages, render, write_atomically

    to_stdout = output is None or str(output) == "-"
    db = open_store(_settings(context, db_path, None), read_only=True)
    if export_format in ("qdpx", "qdc"):
        from margin.store.refi.exporter import (
            codebook_xml,
            export_qdc,
            export_qdpx,
            project_files,
            qdpx_bytes_writer,
        )

        if output is None:
            raise click.UsageError(f"--format {export_format} writes a file: give -o FILE "
                                   "(or -o - for standard output)")
        if codes or documents or coders:
            raise click.UsageError(f"--format {export_format} exports everything: "
                                   "--code, --document and --coder do not apply")
        if not to_stdout:
            (export_qdpx if export_format == "qdpx" else export_qdc)(db, output)
            say(f"wrote {output}", err=True)
            return
        if export_format == "qdc":
            write_stdout(codebook_xml(db))
            return
        if sys.stdout is not None and sys.stdout.isatty():
            raise click.UsageError("a .qdpx project is a zip file, not for a terminal: "
                                   "redirect standard output or give -o FILE")
        buffer = io.BytesIO()
        qdpx_bytes_writer(project_files(db))(buffer)
        write_stdout(buffer.getvalue())
        return
    with_bom = (not to_stdout) if bom is None else bom
    content = render(coded_passages(db, codes, documents, coders), export_format, bom=with_bom)
    if to_stdout:
        write_stdout(content.encode("utf-8"))
        return
    write_atomically(output, content)
    say(f"wrote {output}", err=True)


@cli.command("entities")
@_db_options
@click.argument("sources", nargs=-1)
@click.option("--backend", type=click.Choice(["auto", "rules", "spacy"]), default=None,
              help="Recogniser: rules, spacy, or auto (spaCy if installed). Default: config.")
@click.option("--rebuild", is_flag=True,
              help="Recompute and store the entities of the given documents (all if none given).")
@json_option("Print one JSON object per source.")
@click.pass_context
def entities_command(context, db_path, coder, sources, backend, rebuild, as_json):
    """Named entities of files (PATH, or - for standard input) or stored
    documents (DOC_ID, uuid or title).

    For a file, offsets are into its text after decoding and line-ending
    normalisation (the text an import would store). A stored document shows
    its stored entities, or recomputes them when --backend is given.
    """
    from margin.store.documents import find_document
    from margin.store.entities.storage import (
        all_document_ids,
        documents_needing_entities,
        entities_for_document,
    )
    from margin.store.sources.textio import (
        ImportRefused,
        decode_bytes,
        normalise_text,
        read_text_file,
    )

    db = None

    def database():
        nonlocal db
        if db is None:
            db = open_store(_settings(context, db_path, coder))
        return db

    if rebuild:
        ids = [find_document(database(), s).id for s in sources] or all_document_ids(database())
        if not ids:
            raise click.ClickException("no documents to recognise")
        summary = _recognise(database(), ids, backend)
        if as_json:
            say_json({"documents": summary.documents, "entities": summary.entities,
                      "backend": summary.backend, "version": summary.version})
        return
    if not sources:
        raise click.UsageError("give PATH or DOC_ID..., or --rebuild")
    recogniser = None
    failed = False
    for source in sources:
        path = Path(source)
        try:
            if source == "-" or path.is_file():
                if source == "-":
                    text = normalise_text(decode_bytes(sys.stdin.buffer.read()).text)
                else:
                    text = read_text_file(path).text
                recogniser = recogniser or _recogniser(backend)
                spans = [s.as_dict() for s in recogniser.recognise(text)]
            else:
                document = find_document(database(), source)
                if backend is not None:
                    recogniser = recogniser or _recogniser(backend)
                    spans = [s.as_dict() for s in recogniser.recognise(document.text)]
                else:
                    spans = [
                        {"start": e.start, "end": e.end, "label": e.label, "text": e.text}
                        for e in entities_for_document(database(), document.id)
                    ]
                    if document.id in documents_needing_entities(database()):
                        click.echo(f"note: document {document.id} has not been through "
                                   f"recognition yet: margin entities --rebuild {document.id}",
                                   err=True)
        except NotFound:
            say(f"Error: {source}: no such file, and no document with that id or title",
                err=True)
            failed = True
            continue
        except (ImportRefused, StoreError) as error:
            say(f"Error: {source}: {error}", err=True)
            failed = True
            continue
        if as_json:
            say_json({"source": source, "entities": spans})
            continue
        say(f"{source}: {len(spans)} entities")
        for span in spans:
            say(f"{span['start']:>8}-{span['end']:<8} {span['label']:<11} {span['text']}")
    if failed:
        sys.exit(1)


@cli.command("search")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Database file (default: margin.db in the user data directory).")
@coder_filter_option(help="Only what this coder coded or wrote (repeatable; exact name).")
@click.argument("query")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["passage", "memo", "code", "document", "entity"]),
              help="Only results of this kind (repeatable).")
@click.option("--code", "codes", multiple=True,
              help="Only passages and memos coded with this code (or beneath it).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@json_option("Print one JSON object per result.")
@click.pass_context
def search_command(context, db_path, coders, query, kinds, codes, limit, as_json):
    """Fuzzy search of coded passages, memos, codes, titles and entity names.

    QUERY may carry filters: code:NAME doc:TITLE coder:NAME kind:KIND.
    A slip of any kind is tolerated (letters swapped, dropped, doubled or
    wrong, words swapped or missing, the last word unfinished). --limit N
    gives the first N results of any larger limit (at most the best 100
    passages and memos).
    """
    from margin.store.search.corpus import SearchCorpus
    from margin.store.word_postings import is_installed, pairs_built, rebuild, rebuild_due

    settings = _settings(context, db_path, None)
    db = open_store(settings, read_only=True)
    installed = is_installed(db)

    def due(db) -> bool:
        return not is_installed(db) or not pairs_built(db) or rebuild_due(db)

    if due(db):
        # Dropped, never built, from before the pairs, or a long log of
        # changes (a big import, a script) that every search would otherwise
        # replay: rebuilt once, on a connection that may write (a file we may
        # only read is searched with its log replayed, if it has an index).
        try:
            writer = open_store(settings)
        except StoreError:
            if not installed:
                raise
        else:
            db.close()
            db = writer
            if due(db):  # (opening it may have upgraded it, index and all)
                say("Rebuilding the search index (once)…", err=True)
                rebuild(db)
    text = " ".join([query, *(f'code:"{code}"' for code in codes)])
    corpus = SearchCorpus()
    corpus.load(db)
    results = corpus.search(db, text, limit, kinds=set(kinds) or None, coders=coders)
    if as_json:
        for result in results:
            say_json(result.as_dict())
        return
    if not results:
        say("No results.", err=True)
        return
    for result in results:
        where = f"  {result.document_title}" if result.document_title else ""
        codes_shown = f"  [{', '.join(result.codes)}]" if result.codes else ""
        say(f"{result.score:5.1f}  {result.kind:<8}{where}{codes_shown}")
        passage = " ".join(visible_controls(result.text, keep="").split())
        say(f"       {fit(passage, 200, pad=False)}")


def reader_went_away() -> None:
    """End quietly once standard output's reader has gone (``| head``): exit
    status 0, and nothing left to flush into the closed pipe at exit."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)


@cli.command("check")
@_db_options
@click.option("--repair", is_flag=True,
              help="Fix what is safe: delete orphaned rows, rebuild the full-text index.")
@json_option("Print one JSON object per check.")
@click.pass_context
def check_command(context, db_path, coder, repair, as_json):
    """Check the database: pages, references, quotes, full text, schema.

    Exits 0 when all is well, 1 when a problem remains.
    """
    from margin.store.integrity import check_file, repair_file

    # The file as it is: never created, upgraded or written by a check.
    path = _settings(context, db_path, coder).database_path()
    report = repair_file(path) if repair else check_file(path)
    if as_json:
        for line in report.repaired:
            say_json({"repaired": line})
        for finding in report.findings:
            say_json(finding.as_json())
    else:
        for line in report.repaired:
            say(f"repaired    {line}")
        for finding in report.findings:
            say(f"{'ok' if finding.ok else 'PROBLEM':<11} {finding.name}: {finding.message}")
            for detail in finding.details:
                say(f"{'':<11}   {detail}")
        if report.repairable:
            say("Run margin check --repair to fix what can be fixed safely.")
        elif repair and not report.ok and not report.repaired:
            say("Nothing was changed (see the problems above).")
    if not report.ok:
        sys.exit(1)


@cli.command("info")
@_db_options
@json_option("Print one JSON object.")
@click.pass_context
def info_command(context, db_path, coder, as_json):
    """Where margin keeps things: database, config, data folder; the schema
    version and what the database holds."""
    from margin.store.catalogue import database_summary, file_sizes
    from margin.store.config import config_path, resolve_coder
    from margin.store.util import human_size

    settings = _settings(context, db_path, coder)
    path = settings.database_path()
    sizes = file_sizes(path)  # before opening: the log as the running app left it
    db = open_store(settings, read_only=True)
    summary = database_summary(db)
    info = {
        "version": VERSION,
        "database": str(path.resolve()),
        **sizes,  # database_bytes: the file; wal_bytes: its -wal log
        "read_only": db.read_only,
        "config": str(config_path()),
        "config_exists": config_path().exists(),
        "data_folder": str(path.resolve().parent),
        "coder": resolve_coder(settings.coder, command_line_config()),
        **summary,
    }
    if as_json:
        say_json(info)
        return
    config_note = "" if info["config_exists"] else " (not created; defaults apply)"
    schema_note = "up to date" if info["schema_current"] else (
        "newer than this margin" if info["schema_newer"] else "older; upgraded when opened")
    say(f"margin {VERSION}")
    say(f"database   {info['database']}{' (read-only)' if db.read_only else ''}")
    say(f"config     {info['config']}{config_note}")
    say(f"data       {info['data_folder']}")
    say(f"coder      {info['coder']}")
    say(f"schema     {info['schema']} ({schema_note})")
    wal_note = (f" (+ {human_size(info['wal_bytes'])} not yet checkpointed, in "
                f"{path.name}-wal)" if info["wal_bytes"] else "")
    say(f"size       {human_size(info['database_bytes'])}{wal_note}")
    for name in ("documents", "codes", "codings", "memos", "coders", "entities"):
        say(f"{name:<10} {info[name]:,}")


@cli.command("datasette-metadata")
@click.pass_context
def datasette_metadata_command(context):
    """Print a Datasette metadata file for a margin database (JSON).

    Use it as: datasette margin.db --metadata <(margin datasette-metadata)
    """
    from margin.store.catalogue import datasette_metadata

    say_json(datasette_metadata(), indent=2)


@cli.command("serve")
@_db_options
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port on 127.0.0.1.")
@click.pass_context
def serve_command(context, db_path, coder, port):
    """Serve the app to a web browser on this machine (http://127.0.0.1:PORT).

    Each browser tab runs its own margin on the same database. Only this
    machine can connect; to reach it from elsewhere, use an SSH tunnel
    (ssh -L 8000:127.0.0.1:8000 host). Needs the web extra:
    pip install 'margin[web]'.
    """
    import shlex

    try:
        from textual_serve.server import Server
    except ImportError:
        raise click.ClickException(
            "margin serve needs textual-serve: pip install 'margin[web]'") from None
    settings = _settings(context, db_path, coder)
    open_store(settings).close()  # a wrong --db is an error here, not in each tab
    command = [sys.executable, "-m", "margin.tui", "--db", str(settings.database_path())]
    if settings.coder:
        command += ["--coder", settings.coder]
    server = Server(shlex.join(command), host="127.0.0.1", port=port, title="margin")
    server.serve()


register_scripting(cli, codes_command)
register_merging(cli)
register_agreement(cli)
register_analysis(cli)


def run_command_line(argv: list[str]) -> None:
    """Run the click command line; user mistakes exit with one line."""
    try:
        cli.main(args=argv, prog_name="margin", standalone_mode=False)
        if sys.stdout is not None:  # None: closed (>&-); say() has told
            sys.stdout.flush()
    except (ReaderWentAway, BrokenPipeError):
        reader_went_away()
    except OSError as error:  # standard output on a full disk, say
        where = error.filename or "standard output"
        say(f"Error: cannot write to {where}: {error.strerror or error}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.UsageError as error:
        # One line, like every other mistake; --help has the rest.
        command = error.ctx.command_path if error.ctx else "margin"
        message = " ".join(error.format_message().split())
        say(f"Error: {message} (see {command} --help)", err=True)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        say(f"Error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
