"""Analysis on the command line: `margin stats codes|cooccurrence|matrix`
and `margin retrieve`.

The figures are the store's (store/analysis: what each counts is written
there and in the README's "Analysis" section); this module reads options
and prints. Every command only reads: the database is opened read-only,
and ``--coder NAME`` (repeatable) keeps the codings of those coders only.
``--json`` prints one JSON object a line, ``--csv`` CSV without a
byte-order mark; tables for people are aligned and show control characters
as visible symbols.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click
from rich.cells import cell_len

from margin.store.util import plural, visible_controls
from margin.tui.cli_options import (
    coder_filter_option,
    db_option,
    document_filter_option,
    json_option,
    say,
    say_json,
    settings_for,
    write_stdout,
)
from margin.tui.launch import open_store


def _reading_options(function):
    """--db, and --coder and --document as filters (repeatable)."""
    return db_option(coder_filter_option(document_filter_option(function)))


def _output_options(function):
    function = click.option("--csv", "as_csv", is_flag=True,
                            help="Print CSV (no byte-order mark).")(function)
    return json_option()(function)


def _open(context: click.Context, db_path: Path | None):
    """The store, read-only; the filter is the command's own --coder (a
    --coder before the command, who writes, is noted by the option itself
    and left out)."""
    return open_store(settings_for(context, db_path, None), read_only=True)


def _document_ids(db, documents: Sequence[str]) -> list[int]:
    from margin.store.documents import find_document

    return sorted({find_document(db, reference).id for reference in documents})


def _code_ids(db, paths: Sequence[str]) -> list[int]:
    """The codes named, each with the codes beneath it."""
    from margin.store.analysis.retrieval import did_you_mean
    from margin.store.codes import codebook, descendant_ids, find_code

    ids: set[int] = set()
    for path in paths:
        code = find_code(db, path)
        if code is None:
            hint = did_you_mean(path, codebook(db)) or " (margin codes lists them)"
            raise click.ClickException(f"no code {path!r}{hint}")
        ids.update(descendant_ids(db, code.id))
    return sorted(ids)


def _one_format(as_json: bool, as_csv: bool) -> None:
    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")


def _print_csv(header: list[str], rows: list[list]) -> None:
    from margin.store.export import table_csv

    write_stdout(table_csv(header, rows, bom=False).encode())


def _print_table(header: Sequence[str], rows: Sequence[Sequence[object]],
                 numeric: Sequence[bool]) -> None:
    """Columns aligned (numbers to the right); the last column is not
    padded, so a long title or code there does not widen the others."""
    shown = [[f"{cell:,}" if isinstance(cell, int) else _shown(str(cell)) for cell in row]
             for row in rows]
    widths = [max([cell_len(str(header[i]))] + [cell_len(row[i]) for row in shown])
              for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            if i == len(cells) - 1 and not numeric[i]:
                out.append(cell)
                continue
            pad = " " * (widths[i] - cell_len(cell))
            out.append(pad + cell if numeric[i] else cell + pad)
        return "  ".join(out).rstrip()

    say(line(list(header)))
    for row in shown:
        say(line(row))


# ---------------------------------------------------------------------------
# margin stats
# ---------------------------------------------------------------------------


@click.group("stats")
def stats_command() -> None:
    """Figures of the codings: per code, codes together, codes by document
    or coder. What each figure counts: the README's "Analysis" section."""


@stats_command.command("codes")
@_reading_options
@click.option("--by", type=click.Choice(["document", "coder"]), default=None,
              help="Per document or per coder.")
@_output_options
@click.pass_context
def stats_codes_command(context, db_path, coders, documents, by, as_json, as_csv):
    """Per code: codings, documents, characters and words coded, on its own
    and with its sub-codes. Characters of overlapping codings count once."""
    from margin.store.analysis.frequencies import code_frequencies, frequency_table

    _one_format(as_json, as_csv)
    db = _open(context, db_path)
    rows = code_frequencies(db, by=by, coders=coders, documents=_document_ids(db, documents))
    if as_json:
        for row in rows:
            say_json(row.record(by))
        return
    if as_csv:
        _print_csv(*frequency_table(rows, by))
        return
    if not rows:
        say("No codes yet." if by is None else "No codings.")
        return
    group = {"document": ["document"], "coder": ["coder"]}.get(by or "", [])
    header = ["code", "codings", "documents", "characters", "words",
              "+sub codings", "+sub documents", "+sub characters", "+sub words", *group]
    table = [[row.path, row.codings, row.documents, row.characters, row.words,
              row.with_subcodes.codings, row.with_subcodes.documents,
              row.with_subcodes.characters, row.with_subcodes.words,
              *([row.group] if by else [])] for row in rows]
    _print_table(header, table, [False, *[True] * 8, *[False] * len(group)])


@stats_command.command("cooccurrence")
@_reading_options
@click.option("--unit", type=click.Choice(["overlap", "sentence", "paragraph", "document"]),
              default="overlap", show_default=True,
              help="overlap: pairs of codings sharing a character; sentence, paragraph, "
                   "document: units where both codes apply.")
@click.option("--code", "codes", multiple=True, metavar="PATH",
              help="Only pairs with this code or a code beneath it (repeatable).")
@_output_options
@click.pass_context
def stats_cooccurrence_command(context, db_path, coders, documents, unit, codes, as_json,
                               as_csv):
    """Pairs of codes that occur together, and how often (pairs above zero)."""
    from margin.store.analysis.cooccurrence import cooccurrence, pair_table

    _one_format(as_json, as_csv)
    db = _open(context, db_path)
    pairs = cooccurrence(db, unit=unit, codes=_code_ids(db, codes), coders=coders,
                         documents=_document_ids(db, documents))
    if as_json:
        for pair in pairs:
            say_json(pair.record())
        return
    if as_csv:
        _print_csv(*pair_table(pairs))
        return
    if not pairs:
        say("No codes occur together.")
        return
    _print_table(["count", "code", "with code"],
                 [[pair.count, pair.code_a, pair.code_b] for pair in pairs],
                 [True, False, False])


@stats_command.command("matrix")
@_reading_options
@click.option("--rows", type=click.Choice(["codes"]), default="codes", show_default=True,
              help="What the rows are.")
@click.option("--cols", type=click.Choice(["documents", "coders"]), default="documents",
              show_default=True, help="What the columns are.")
@click.option("--with-subcodes", is_flag=True,
              help="Count a code's codings with those of the codes beneath it.")
@_output_options
@click.pass_context
def stats_matrix_command(context, db_path, coders, documents, rows, cols, with_subcodes,
                         as_json, as_csv):
    """Codings of each code in each document (or by each coder). --json:
    one object a cell."""
    from margin.store.analysis.matrix import code_matrix

    _one_format(as_json, as_csv)
    db = _open(context, db_path)
    matrix = code_matrix(db, cols=cols, coders=coders, documents=_document_ids(db, documents),
                         with_subcodes=with_subcodes)
    if as_json:
        for record in matrix.records():
            say_json(record)
        return
    if as_csv:
        _print_csv(*matrix.table())
        return
    if not matrix.rows or not matrix.cols:
        say("No codes yet." if not matrix.rows else f"No {cols}.")
        return
    by_document = cols == "documents"
    keys = [str(key) if by_document else label for key, label in matrix.cols]
    _print_table(["code", *keys], [[path, *counts] for (_, path), counts
                                   in zip(matrix.rows, matrix.counts, strict=True)],
                 [False, *[True] * len(keys)])
    if by_document:  # the titles, which do not fit as column headings
        say()
        width = max(len(key) for key in keys)
        for key, (_, title) in zip(keys, matrix.cols, strict=True):
            say(f"{key:>{width}}  {_shown(title)}")


# ---------------------------------------------------------------------------
# margin retrieve
# ---------------------------------------------------------------------------


@click.command("retrieve")
@_reading_options
@click.argument("query")
@click.option("--combine", type=click.Choice(["overlap", "union"]), default="overlap",
              show_default=True,
              help="What A AND B gives: where the two passages overlap, or both together.")
@click.option("--format", "export_format", type=click.Choice(["csv", "jsonl", "md", "markdown"]),
              default=None, help="Write the passages as an export does (csv, jsonl, md).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="With --format: write to FILE (atomically), or - for standard output "
                   "(the default).")
@json_option()
@click.pass_context
def retrieve_command(context, db_path, coders, documents, query, combine, export_format,
                     output, as_json):
    """The passages coded with a combination of codes, e.g.
    'Escalation AND NATO'. AND, OR, NOT, NEAR (overlapping) and
    NEAR/sentence, NEAR/paragraph, NEAR/document, parentheses; a code
    includes the codes beneath it; quote a path with spaces:
    '"Conflict > Use of force" NOT NATO'. A AND B is the text where the two
    passages overlap (--combine union: both passages together); NEAR gives
    both passages together; A NOT B the passages of A that share no
    character with B. The README's "Analysis" section has the details."""
    from margin.store.analysis.retrieval import QueryError, as_passages, parse_query, retrieve

    if as_json and export_format:
        raise click.UsageError("give --json or --format, not both")
    if output is not None and not export_format:
        raise click.UsageError("-o writes an export: give --format csv, jsonl or md")
    try:
        parsed = parse_query(query)
        db = _open(context, db_path)
        results = retrieve(db, parsed, coders=coders, documents=_document_ids(db, documents),
                           combine=combine)
    except QueryError as error:
        _query_error(query, error)
    if export_format:
        from margin.store.export import render, write_atomically

        to_stdout = output is None or str(output) == "-"
        content = render(as_passages(db, results),
                         "md" if export_format == "markdown" else export_format,
                         bom=not to_stdout)
        if to_stdout:
            write_stdout(content.encode())
        else:
            write_atomically(output, content)
            say(f"wrote {output} ({plural(len(results), 'passage')})", err=True)
        return
    if as_json:
        for result in results:
            say_json(result.record())
        return
    if not results:
        say("No passages.", err=True)
        return
    for result in results:
        say(f"{result.document_id:>4}:{result.start:<7} {'; '.join(result.codes)}")
        say(f"             {_excerpt(result.quote)}")
    documents_found = len({result.document_id for result in results})
    say(f"{plural(len(results), 'passage')} in {plural(documents_found, 'document')}",
        err=True)


def _shown(text: str) -> str:
    """Text on one line of a table: line breaks and tabs as spaces, other
    control characters as their visible pictures (ESC as ␛)."""
    return " ".join(visible_controls(text).split())


def _excerpt(text: str, limit: int = 100) -> str:
    text = _shown(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _query_error(query: str, error) -> None:
    """The error, the query and a caret under the place (in terminal cells)."""
    shown = visible_controls(query, keep="")  # one cell a control, as long as the query
    say(f"Error: {error}", err=True)
    say(f"  {shown}", err=True)
    say(f"  {' ' * cell_len(shown[:error.position])}^", err=True)
    sys.exit(1)


def register(cli: click.Group) -> None:
    """Add these commands to margin's command line."""
    cli.add_command(stats_command)
    cli.add_command(retrieve_command)

