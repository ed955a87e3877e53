"""Exports: one record per coding, verified, safe for spreadsheets."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from margin.store.codes import create_code
from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.store.documents import get_document, import_text
from margin.store.errors import NotFound, QuoteMismatch
from margin.store.export import coded_passages, to_csv, to_jsonl, to_markdown
from margin.store.sources.textio import DecodedText
from margin.store.textspans import trim_span


def _code(db, document_id, code_name, phrase, parent=None):
    from margin.store.codes import find_code

    code = find_code(db, code_name)
    code_id = code.id if code else create_code(db, code_name, parent_id=parent)
    text = get_document(db, document_id).text
    start = text.index(phrase)
    apply_coding(db, document_id, code_id, start, start + len(phrase), "ada")
    return code_id


@pytest.fixture
def coded(sample_db):
    actors = create_code(sample_db, "Actors")
    _code(sample_db, 1, "Officials", "Jake Sullivan", parent=actors)
    _code(sample_db, 1, "Money", "$725 million in additional security assistance")
    _code(sample_db, 3, "Officials", "Andrii Sybiha")
    return sample_db


def test_records_have_every_field_and_are_in_document_order(coded):
    records = [json.loads(line) for line in to_jsonl(coded_passages(coded)).splitlines()]
    assert [r["quote"] for r in records] == [
        "Jake Sullivan", "$725 million in additional security assistance", "Andrii Sybiha"]
    first = records[0]
    assert first["code"] == "Actors > Officials"
    assert first["document_title"] == "Diplomacy Watch: Still tap dancing around NATO for Kyiv"
    assert first["coder"] == "ada"
    assert set(first) >= {"document_id", "document_title", "code", "start", "end", "quote",
                          "memo", "coder", "created"}
    text = get_document(coded, 1).text
    assert text[first["start"]:first["end"]] == first["quote"]


def test_filters_by_code_including_subcodes_and_by_document(coded):
    assert {p.quote for p in coded_passages(coded, codes=["Actors"])} == {
        "Jake Sullivan", "Andrii Sybiha"}
    assert [p.quote for p in coded_passages(coded, codes=["Officials"], documents=["3"])] == [
        "Andrii Sybiha"]
    with pytest.raises(NotFound, match="no code named 'Nope'"):
        coded_passages(coded, codes=["Nope"])
    with pytest.raises(NotFound):
        coded_passages(coded, documents=["999"])


def test_csv_has_a_bom_for_excel_and_neutralises_formulas(sample_db):
    import_text(sample_db, DecodedText("=HYPERLINK(\"http://evil\")\n+1 -2 @sum café ✓", "utf-8",
                                        False), source="x", clean=False)
    document_id = 6
    code_id = create_code(sample_db, "@risky")
    text = get_document(sample_db, document_id).text
    apply_coding(sample_db, document_id, code_id, 0, len(text), "ada")
    content = to_csv(coded_passages(sample_db))
    assert content.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(content.lstrip("\ufeff"))))
    assert rows[0]["quote"].startswith("'=HYPERLINK")
    assert rows[0]["code"] == "'@risky"
    assert rows[0]["quote"].endswith("café ✓")


def test_markdown_groups_passages_by_code_with_citations(coded):
    markdown = to_markdown(coded_passages(coded))
    assert "## Actors > Officials" in markdown
    assert "> Jake Sullivan" in markdown
    assert "> — *Diplomacy Watch: Still tap dancing around NATO for Kyiv*, para. " in markdown
    officials = markdown.split("## Actors > Officials")[1].split("## ")[0]
    assert "2 passages" in officials


def test_export_refuses_a_corrupt_coding(coded):
    coded.execute("UPDATE codings SET quote = 'Jake Sullivans' WHERE quote = 'Jake Sullivan'")
    with pytest.raises(QuoteMismatch, match="Diplomacy Watch"):
        coded_passages(coded)


# Pieces that break naive offset handling: combining marks, ZWJ emoji
# sequences, flags, CJK, right-to-left scripts and marks, CRLF.
PIECES = [
    *"abc xyz\n.,!",
    "\u00e9", "e\u0301", "\U0001F469\u200d\U0001F469\u200d\U0001F467", "\U0001F1FA\U0001F1E6",
    "中", "文", "\u0639", "\u05d1", "\u200f", "\ufb01", "\r\n",
]
unicode_text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=120).map("".join).filter(
    lambda t: t.strip()
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=unicode_text, data=st.data())
def test_random_codings_on_unicode_text_survive_export(text, data):
    db = open_database(None)
    result = import_text(db, DecodedText(text, "utf-8", False), source="t", clean=False)
    stored = get_document(db, result.document_id).text
    code_id = create_code(db, "Random")
    expected = set()
    for _ in range(data.draw(st.integers(1, 5))):
        start = data.draw(st.integers(0, len(stored) - 1))
        end = data.draw(st.integers(start + 1, len(stored)))
        # The store keeps a passage without the whitespace at its ends.
        span = trim_span(stored, start, end)
        if span is None or span in expected:
            continue
        apply_coding(db, result.document_id, code_id, start, end, "ada")
        expected.add(span)
    for line in to_jsonl(coded_passages(db)).splitlines():
        record = json.loads(line)
        assert record["quote"] == stored[record["start"]:record["end"]]
        assert record["quote"] == record["quote"].strip()
        expected.discard((record["start"], record["end"]))
    assert not expected
    rows = list(csv.DictReader(io.StringIO(to_csv(coded_passages(db)).lstrip("\ufeff"))))
    for row in rows:
        quote = row["quote"][1:] if row["quote"].startswith("'") else row["quote"]
        assert quote == stored[int(row["start"]):int(row["end"])]
