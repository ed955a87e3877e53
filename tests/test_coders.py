"""Coders side by side, below the app: the one coder filter of the store
(store/coders.py), `margin codes` and `margin export` with --coder, the blind
setting in the config file, and the coders' colours."""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import sys

import pytest
from textual.theme import BUILTIN_THEMES

from margin.store.analysis.units import coded_spans
from margin.store.coders import (
    coder_condition,
    coder_ids,
    coder_names,
    coders_present,
    codes_of_passage,
)
from margin.store.codes import codebook, create_code, recently_used_codes
from margin.store.codings import apply_coding
from margin.store.config import load_config, save_setting
from margin.store.db import open_database
from margin.store.documents import get_document, list_documents
from margin.store.errors import StoreError
from margin.store.export import coded_passages
from margin.tui.cli import main
from margin.tui.colours import MIN_CONTRAST, _distance, contrast, theme_colours


def code_phrase(db, code_id: int, phrase: str, coder: str, document_id: int = 1) -> int:
    text = get_document(db, document_id).text
    start = text.index(phrase)
    return apply_coding(db, document_id, code_id, start, start + len(phrase), coder)


@pytest.fixture(scope="module")
def two_coders(tmp_path_factory):
    """The sample corpus; ada codes two passages, bob one of them and another,
    an imported coding has no coder."""
    path = tmp_path_factory.mktemp("coders") / "two.db"
    db = open_database(path)
    from margin.store.importing import import_sample_corpus

    import_sample_corpus(db)
    aid, escalation = create_code(db, "US aid"), create_code(db, "Escalation")
    code_phrase(db, aid, "National security adviser Jake Sullivan", "ada")
    code_phrase(db, escalation, "The Kremlin said on Tuesday", "ada")
    code_phrase(db, escalation, "National security adviser Jake Sullivan", "bob")
    code_phrase(db, aid, "House Speaker Mike Johnson", "bob")
    db.conn.close()
    return path


@pytest.fixture
def db(two_coders):
    database = open_database(two_coders)
    yield database
    database.conn.close()


def test_the_store_counts_and_lists_the_codings_of_the_coders_named(db):
    counts = {code.path: code.coding_count for code in codebook(db, ["ada"])}
    assert counts == {"US aid": 1, "Escalation": 1}
    assert {code.path: code.coding_count for code in codebook(db, ["bob"])} == {
        "US aid": 1, "Escalation": 1}
    assert sum(code.coding_count for code in codebook(db)) == 4
    assert sum(code.coding_count for code in codebook(db, ["ada", "bob"])) == 4
    assert {p.coder for p in coded_passages(db, coders=["bob"])} == {"bob"}
    assert len(coded_passages(db, coders=["ada"])) == 2
    assert sum(d.coding_count for d in list_documents(db, ["ada"])) == 2
    assert [c.path for c in recently_used_codes(db, coders=["ada"])] == ["Escalation", "US aid"]
    assert coder_names(db) == ["ada", "bob"]  # the first to code first (colour order)


def test_an_unknown_coder_is_one_line_naming_the_coders_unless_not_strict(db):
    with pytest.raises(StoreError, match=r"^no coder named 'zed'; coders: ada, bob$"):
        coded_passages(db, coders=["zed"])
    with pytest.raises(StoreError, match="no coder named 'zed'"):
        codebook(db, ["ada", "zed"])
    # The app's blind mode for a coder who has not coded yet: nothing, no error.
    assert coded_passages(db, coders=["zed"], strict=False) == []
    assert sum(c.coding_count for c in codebook(db, ["zed"], strict=False)) == 0
    assert coder_condition(db, ()) == ("1", [])
    assert coder_ids(db, [" ada "]) == coder_ids(db, ["ada"])  # names as stored


def test_codings_without_a_coder_belong_to_unknown(db):
    text = get_document(db, 1).text
    start = text.index("The Kremlin said")
    db.execute('INSERT INTO codings (uuid, document_id, code_id, start, "end", quote, created) '
               "VALUES ('u-1', 1, 1, ?, ?, ?, 'now')", [start, start + 10, text[start:start + 10]])
    try:
        [passage] = coded_passages(db, coders=["unknown"])
        assert passage.coder == "" and passage.start == start
        assert len(coded_passages(db, coders=["unknown", "ada"])) == 3
        # Analysis reads coders through the same filter.
        assert [(s.coder, s.start) for s in coded_spans(db, coders=["unknown"])] == [
            ("unknown", start)]
    finally:
        db.execute("DELETE FROM codings WHERE uuid = 'u-1'")


def test_the_coder_unknown_shares_only_the_documents_it_coded(db):
    """With "unknown" named, the documents shared are those with codings
    without a coder, and the places match the figures (store/coders.py is
    the one filter)."""
    from margin.store.analysis.agreement import agreement, disagreements, shared_documents

    text = get_document(db, 1).text
    start = text.index("The Kremlin said")
    db.execute('INSERT INTO codings (uuid, document_id, code_id, start, "end", quote, created) '
               "VALUES ('u-1', 1, 2, ?, ?, ?, 'now')", [start, start + 10, text[start:start + 10]])
    other = get_document(db, 2).text
    db.execute('INSERT INTO codings (uuid, document_id, code_id, start, "end", quote, created) '
               "VALUES ('u-2', 2, 2, 0, 5, ?, 'now')", [other[:5]])
    try:
        code_phrase(db, 2, other[:5], "ada", document_id=2)  # ada and unknown: documents 1, 2
        code_phrase(db, 1, "Kyiv", "bob", document_id=3)  # bob alone in document 3
        assert coders_present(db, ["unknown"]) and not coders_present(db, ["cy"])
        assert shared_documents(db, ["ada", "unknown"]) == [1, 2]
        assert shared_documents(db, ["bob", "unknown"]) == [1]  # not bob's document 3
        assert shared_documents(db, ["ada", "bob", "unknown"]) == [1]
        figures = agreement(db, ["bob", "unknown"], codes=[2])
        unfiltered = agreement(db, ["bob", "unknown"])
        assert figures.documents == unfiltered.documents == (1,)
        places = disagreements(db, "bob", "unknown", 2)
        assert {place.document_id for place in places} == {1}
        assert any(place.b == ((start, start + 10),) for place in places)
    finally:
        db.execute("DELETE FROM codings WHERE uuid IN ('u-1', 'u-2') OR document_id IN (2, 3)")


def test_codes_of_passage_names_only_the_coders_codes(db):
    text = get_document(db, 1).text
    start = text.index("National security adviser Jake Sullivan")
    end = start + len("National security adviser Jake Sullivan")
    paths = {code.id: code.path for code in codebook(db)}
    assert [paths[i] for i in codes_of_passage(db, 1, start, end, ["ada"])] == ["US aid"]
    assert len(codes_of_passage(db, 1, start, end, [])) == 2


# ------------------------------------------------------------ the CLI


def run(capfd, *args: str) -> tuple[int, str, str]:
    """`margin ARGS` in this process: exit status, stdout, stderr."""
    status = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        status = exit_.code or 0
    out, err = capfd.readouterr()
    return status, out, err


def test_margin_codes_counts_the_coders_named(two_coders, capfd):
    status, out, _ = run(capfd, "codes", "--db", str(two_coders), "--coder", "ada", "--json")
    assert status == 0
    counts = {r["path"]: r["codings"] for r in map(json.loads, out.splitlines())}
    assert counts == {"Escalation": 1, "US aid": 1}
    status, out, _ = run(capfd, "codes", "--db", str(two_coders), "--coder", "ada",
                         "--coder", "bob")
    assert status == 0
    assert out.splitlines() == ["Codings by ada, bob", "Escalation  2", "US aid  2"]
    _, everyone, _ = run(capfd, "codes", "--db", str(two_coders))
    assert everyone.splitlines() == ["Escalation  2", "US aid  2"]


def test_margin_export_writes_only_the_coders_named_in_every_format(two_coders, capfd):
    db = str(two_coders)
    status, out, _ = run(capfd, "export", "--db", db, "--format", "csv", "--coder", "bob")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert not out.startswith("\ufeff")  # standard output: no BOM
    assert len(rows) == 2 and {row["coder"] for row in rows} == {"bob"}
    _, out, _ = run(capfd, "export", "--db", db, "--format", "jsonl", "--coder", "ada")
    assert [json.loads(line)["coder"] for line in out.splitlines()] == ["ada", "ada"]
    _, out, _ = run(capfd, "export", "--db", db, "--format", "md", "--coder", "ada")
    assert "(coded by ada)" in out and "coded by bob" not in out
    _, out, _ = run(capfd, "export", "--db", db, "--format", "jsonl",
                    "--coder", "ada", "--coder", "bob")
    assert len(out.splitlines()) == 4


def test_a_refi_project_stays_whole_and_says_so(two_coders, tmp_path, capfd):
    status, _, err = run(capfd, "export", "--db", str(two_coders), "--format", "qdpx",
                         "--coder", "ada", "-o", str(tmp_path / "p.qdpx"))
    assert status == 2
    assert "exports everything: --code, --document and --coder do not apply" in err
    assert not (tmp_path / "p.qdpx").exists()


def test_an_unknown_coder_on_the_command_line_is_one_line_listing_the_coders(two_coders):
    for command in (["codes"], ["export", "--format", "csv"]):
        result = subprocess.run(
            [sys.executable, "-m", "margin.tui.cli", *command, "--db", str(two_coders),
             "--coder", "zed"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr == "Error: no coder named 'zed'; coders: ada, bob\n"


# ------------------------------------------------------- config, colours


def test_blind_is_a_setting_and_switching_saves_it_keeping_the_comments(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('coder = "ada"  # me\nblind = true  # until we compare\n\n[entities]\n'
                    'backend = "rules"\n')
    config = load_config(path)
    assert config.blind is True and config.coder == "ada" and not config.problems
    save_setting(path, "blind", False)
    save_setting(path, "coder", "bob")
    assert path.read_text().splitlines()[:2] == ['coder = "bob"  # me',
                                                 "blind = false  # until we compare"]
    assert load_config(path).blind is False
    path.write_text("blind = \"yes\"\n")
    assert load_config(path).problems == ['blind must be true or false, not "yes"; '
                                          'default false used']


@pytest.mark.parametrize("name", sorted(BUILTIN_THEMES))
def test_coder_colours_read_on_the_background_and_stay_apart(name):
    colours = theme_colours(BUILTIN_THEMES[name])
    inks = [colours.coder_ink(number) for number in range(8)]
    assert all(contrast(ink, colours.background) >= MIN_CONTRAST for ink in inks)
    # The first six far apart, all eight apart (a weighted RGB distance).
    assert min(_distance(a, b) for a, b in itertools.combinations(inks[:6], 2)) > 100
    assert min(_distance(a, b) for a, b in itertools.combinations(inks, 2)) > 70
    # 16 colours: six coders, six different ANSI colours.
    sixteen = {colours.coder_ink(number, sixteen=True) for number in range(6)}
    assert len(sixteen) == 6
