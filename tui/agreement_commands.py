"""`margin agreement`: inter-coder agreement per code and pooled, as a table,
``--json`` (one object a line) or ``--csv``.

The figures are the store's (store/analysis/agreement.py, where the units and
the documents compared are defined); this module reads options and prints.
"""

from __future__ import annotations

from itertools import combinations

import click
from rich.cells import cell_len

from margin.store.util import plural
from margin.tui.cells import fit
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

UNDEFINED = "–"
CSV_FIELDS = ("code", "unit", "coder_a", "coder_b", "kappa", "alpha", "agreement", "units",
              "coded_a", "coded_b", "note")
POOLED = "All codes (pooled)"
# The code column: as wide as the longest path, within these bounds.
CODE_CELLS = (10, 40)


@click.command("agreement")
@db_option
@coder_filter_option
@click.option("--unit", type=click.Choice(["character", "sentence", "paragraph"]),
              default="character", show_default=True,
              help="What a coder rates: each character, sentence or paragraph of the "
                   "documents all the coders coded.")
@click.option("--code", "codes", multiple=True, metavar="PATH",
              help="Only this code (\"Parent > Child\"; the code itself, not its sub-codes; "
                   "repeatable).")
@document_filter_option
@json_option()
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.pass_context
def agreement_command(context, db_path, coders, unit, codes, documents, as_json, as_csv):
    """Inter-coder agreement of two coders or more (--coder A --coder B):
    percent agreement, Cohen's kappa and Krippendorff's alpha (nominal), per
    code and pooled over the codes, over the documents each of the coders
    has coded. With three coders or more: alpha over all of them, and kappa
    pair by pair (--json: rows with "coder_a" and "coder_b"; --csv: the
    all-coder rows have those columns empty)."""
    from margin.store.analysis.agreement import agreement
    from margin.store.codes import find_code
    from margin.store.documents import find_document

    if as_json and as_csv:
        raise click.UsageError("--json or --csv, not both")
    if len(coders) < 2:
        raise click.UsageError("name two coders or more: --coder A --coder B")
    db = open_store(settings_for(context, db_path, None), read_only=True)
    code_ids = []
    for path in codes:
        code = find_code(db, path)
        if code is None:
            raise click.ClickException(f"no code {path!r} (see margin codes)")
        code_ids.append(code.id)
    document_ids = [find_document(db, document).id for document in documents]
    report = agreement(db, coders, unit=unit, codes=code_ids, documents=document_ids)
    if as_json:
        for row in report.rows:
            say_json(row.record())
        for row in report.pairs:
            say_json({"coder_a": row.coders[0], "coder_b": row.coders[1], **row.record()})
    elif as_csv:
        write_stdout(_csv(report).encode())
    else:
        _print_table(report)


def _csv(report) -> str:
    """The rows as CSV (no BOM: standard output), through the exports' one CSV writer."""
    from margin.store.export import table_csv

    rows = []
    for row in [*report.rows, *report.pairs]:
        pair = len(row.coders) == 2
        values = {"code": row.code or "", "unit": row.unit,
                  "coder_a": row.coders[0] if pair else "",
                  "coder_b": row.coders[1] if pair else "",
                  "kappa": _number(row.kappa), "alpha": _number(row.alpha),
                  "agreement": _number(row.agreement), "units": row.units,
                  "coded_a": row.coded[0] if pair else "",
                  "coded_b": row.coded[1] if pair else "", "note": row.note}
        rows.append([values[field] for field in CSV_FIELDS])
    return table_csv(list(CSV_FIELDS), rows, bom=False)


def _right(text: str, cells: int) -> str:
    """``text`` in ``cells`` terminal cells, aligned right (cut with "…")."""
    shown = fit(text, cells, pad=False)
    return " " * (cells - cell_len(shown)) + shown


def _number(value: float | None) -> float | str:
    """A figure for CSV: the number (never quoted as text), "" when undefined."""
    return "" if value is None else value


def _figure(value: float | None) -> str:
    return UNDEFINED if value is None else f"{value:.3f}"


def _percent(value: float | None) -> str:
    return UNDEFINED if value is None else f"{100 * value:.1f}%"


UNIT_WORDS = {"character": "characters", "sentence": "sentences", "paragraph": "paragraphs"}


def _print_table(report) -> None:
    from margin.store.analysis.agreement import KAPPA_PAIRS

    names = report.coders
    who = " and ".join(names) if len(names) == 2 else ", ".join(names)
    every = "both" if len(names) == 2 else "all of them"
    say(f"Agreement of {who} in {UNIT_WORDS[report.unit]}, over "
        f"{plural(len(report.documents), 'document')} {every} coded")
    labels = [POOLED if row.code is None else row.code for row in report.rows]
    width = min(max(CODE_CELLS[0], *(cell_len(label) for label in labels)), CODE_CELLS[1])
    count = max(7, *(len(f"{row.units:,}") for row in report.rows))
    coded = [max(len(name), 7) for name in names]
    head = f"{fit('code', width)}  "
    if len(names) == 2:
        head += f"{'kappa':>6}  "
    head += f"{'alpha':>6}  {'agree':>6}  {'units':>{count}}"
    head += "".join(f"  {_right(name, cells)}" for name, cells in zip(names, coded, strict=True))
    say(head)
    for label, row in zip(labels, report.rows, strict=True):
        line = f"{fit(label, width)}  "
        if len(names) == 2:
            line += f"{_figure(row.kappa):>6}  "
        line += f"{_figure(row.alpha):>6}  {_percent(row.agreement):>6}  {row.units:>{count},}"
        line += "".join(f"  {n:>{cells},}" for n, cells in zip(row.coded, coded, strict=True))
        say(line)
    if report.pairs:
        pairs = [f"{a}–{b}" for a, b in combinations(names, 2)]
        cells = [max(6, cell_len(pair)) for pair in pairs]
        say("")
        say("Cohen's kappa, pair by pair:")
        say(fit("code", width) + "".join(f"  {_right(p, c)}"
                                          for p, c in zip(pairs, cells, strict=True)))
        per_pair = len(report.rows)
        for index, label in enumerate(labels):
            kappas = [report.pairs[p * per_pair + index].kappa for p in range(len(pairs))]
            say(f"{fit(label, width)}" + "".join(f"  {_figure(k):>{c}}"
                                                 for k, c in zip(kappas, cells, strict=True)))
    notes = dict.fromkeys(note for row in [*report.rows, *report.pairs]
                          for note in row.note.split("; ") if note)
    notes.pop(KAPPA_PAIRS, None)  # the pairs' table says so
    for note in notes:
        say(f"{UNDEFINED} undefined: {note}")


def register(cli: click.Group) -> None:
    """Add ``margin agreement`` to margin's command line."""
    cli.add_command(agreement_command)
