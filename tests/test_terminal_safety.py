"""Nothing from a document reaches the terminal as a control sequence: the
command line's human output and the CSV and Markdown exports show control
characters as visible symbols; JSONL and REFI-QDA keep the text exact; and
Markdown escapes what would change the document's structure."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from margin.store.codes import create_code
from margin.store.codings import apply_coding, set_coding_memo, set_memo
from margin.store.db import open_database
from margin.store.documents import import_text
from margin.store.entities.rules import RuleRecogniser
from margin.store.entities.storage import recognise_documents
from margin.store.export import coded_passages, to_csv, to_jsonl, to_markdown
from margin.store.sources.textio import DecodedText
from margin.tui.cli import main

# What a hostile text carries: OSC 52 (set the clipboard), OSC 0 (the window
# title), CSI (clear the screen, colours), 8-bit C1 CSI and DCS, BEL, DEL.
ATTACKS = ["\x1b]52;c;cm0gLXJmIH4=\x07", "\x1b]0;owned\x1b\\", "\x1b[2J", "\x1b[31m",
           "\x9b31m", "\x90q\x9c", "\x07", "\x7f", "\x85", "\x00", "\x08", "\r"]
# ESC, BEL and the C1 controls, as a terminal would receive them.
FORBIDDEN = re.compile("[\x1b\x07\x80-\x9f]")


def run(*args: str) -> tuple[int, str]:
    """``margin ARGS`` in this process; its exit status and everything it
    printed (standard output and error) as a terminal would receive it."""
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = 0
        try:
            main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        output = out.getvalue() + (err.getvalue() if err is not None else b"")
    return code, output.decode("utf-8", errors="replace")


def _project(path: Path, text: str, memo: str) -> tuple[int, str]:
    """A database with ``text`` as a document, coded whole, with a memo."""
    db = open_database(path)
    body = f"Opening words of a hostile text.\n\n{text}\n\nClosing words."
    document = import_text(db, DecodedText(body, "utf-8", False), source="x",
                           clean=False).document_id
    stored = db.execute("SELECT text FROM documents WHERE id = ?", [document]).fetchone()[0]
    code = create_code(db, "Theme")
    start, end = len("Opening words of a hostile text.\n\n"), stored.rindex("\n\nClosing")
    if not stored[start:end].strip():
        start, end = 0, len("Opening")
    coding = apply_coding(db, document, code, start, end, "ada")
    set_coding_memo(db, coding, memo)
    set_memo(db, memo, "ada", document_id=document)
    recognise_documents(db, [document], RuleRecogniser())
    db.conn.close()
    return document, stored


hostile = st.lists(st.one_of(st.sampled_from(ATTACKS), st.sampled_from(["Kyiv", "word", " "]),
                             st.text(max_size=4)), min_size=1, max_size=12).map("".join)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=hostile, memo=hostile)
def test_no_human_output_of_the_command_line_carries_a_control_sequence(
        tmp_path_factory, text, memo):
    folder = tmp_path_factory.mktemp("hostile")
    db = str(folder / "p.db")
    document, stored = _project(folder / "p.db", text, memo)
    source = folder / "source.txt"
    source.write_text(f"Kyiv {text}", encoding="utf-8", errors="surrogatepass")
    word = next((w for w in stored.split() if w.isalnum()), "words")
    commands = [
        ["documents"],
        ["codes"],
        ["search", word],
        ["search", text or "x"],
        ["export", "--format", "csv"],
        ["export", "--format", "md"],
        ["export", "--format", "csv", "--document", text or "x"],
        ["entities", str(document)],
        ["entities", str(source)],
        ["import", str(source), "--no-entities"],
    ]
    for command in commands:
        _, output = run("--db", db, *command)
        found = FORBIDDEN.search(output)
        assert found is None, (command, output[max(found.start() - 40, 0):found.end() + 40])


def test_search_shows_the_escape_as_a_symbol(tmp_path):
    _project(tmp_path / "p.db", "Kyiv \x1b]52;c;cm0gLXJmIH4=\x07 wants", "memo")
    _, output = run("--db", str(tmp_path / "p.db"), "search", "Kyiv wants")
    assert "␛]52;c;cm0gLXJmIH4=␇" in output


# ---------------------------------------------------------------- exports


@pytest.fixture
def hostile_passages(tmp_path):
    text = "A \x1b]0;title\x07 line\n# Not a heading\n```\nstill the quote <script>x</script>"
    memo = "First line\n# Heading in a memo\n\n<script>alert(1)</script>\n1. not a list"
    _project(tmp_path / "p.db", text, memo)
    db = open_database(tmp_path / "p.db")
    yield coded_passages(db), text, memo
    db.conn.close()


def test_csv_shows_controls_and_jsonl_keeps_the_text_exact(hostile_passages):
    passages, text, memo = hostile_passages
    rows = list(csv.DictReader(io.StringIO(to_csv(passages).lstrip("\ufeff"))))
    assert rows[0]["quote"] == text.replace("\x1b", "␛").replace("\x07", "␇")
    assert "\x1b" not in to_csv(passages) and "\x07" not in to_csv(passages)
    records = [json.loads(line) for line in to_jsonl(passages).splitlines()]
    assert records[0]["quote"] == text and records[0]["memo"] == memo


def test_markdown_passages_and_memos_cannot_change_the_documents_structure(hostile_passages):
    passages, _, _ = hostile_passages
    markdown = to_markdown(passages)
    assert FORBIDDEN.search(markdown) is None
    tokens = MarkdownIt("commonmark").parse(markdown)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["Coded passages", "Theme"]
    assert not [t for t in tokens if t.type in ("fence", "code_block", "html_block",
                                                "ordered_list_open")]
    html = MarkdownIt("commonmark").render(markdown)
    assert "<script>" not in html and "&lt;script&gt;" in html
    # The citation is still the quote's last line, outside any code.
    assert re.search(r"<p>— <em>[^<]+</em>, para\. \d+ \(coded by ada\)</p>\n</blockquote>",
                     html)
    assert "# Heading in a memo" in html and "# Not a heading" in html
    assert "```" in html


def test_a_file_name_with_escapes_is_shown_not_sent(tmp_path):
    source = tmp_path / "\x1b]0;owned\x07 notes \x9b2J.txt"
    source.write_text("Field notes from Kyiv.")
    code, output = run("--db", str(tmp_path / "p.db"), "import", str(source), "--no-entities")
    assert code == 0, output
    assert FORBIDDEN.search(output) is None
    assert "␛]0;owned␇ notes" in output
