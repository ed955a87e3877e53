"""The command line reads colours as the app's picker does (one parser, in
the store) and cuts a long search result with "…" (tui/cells.py's fit)."""

from __future__ import annotations

import json

import pytest
from helpers import make_demo_project
from textual._color_constants import COLOR_NAME_TO_RGB
from textual.color import Color

from margin.store.codes import colour_from_text, create_code
from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.store.documents import get_document
from margin.tui.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_demo_project(tmp_path_factory.mktemp("cli-cuts") / "demo.db")


def test_the_store_reads_every_colour_textual_reads_to_the_same_value():
    for name, rgb in COLOR_NAME_TO_RGB.items():
        if name.startswith("ansi") or name == "transparent":
            assert colour_from_text(name) is None, name
            continue
        assert colour_from_text(name) == "#{:02x}{:02x}{:02x}".format(*rgb[:3]), name
    for text, textual in (("rgb(10, 20, 30)", None), ("rgba(10,20,30,1)", None),
                          ("hsl(30, 100%, 50%)", None), ("hsla(200, 40%, 60%, 1)", None),
                          ("rgb(300, -4, 7.9)", None), ("#ABC", None),
                          ("Dark Orange", "darkorange"), ("dark_orange", "darkorange")):
        assert colour_from_text(text) == Color.parse(textual or text).hex.lower(), text
    for nonsense in ("oran", "rgb(1, 2)", "hsl(1, 2, 3)", "rgba(1, 2, 3, 0.5)", "#12345", ""):
        assert colour_from_text(nonsense) is None, nonsense


def test_codes_add_takes_the_colour_names_the_picker_takes(project, capsys):
    code, out, err = run(capsys, "--db", str(project), "codes", "add", "Red flags",
                         "--colour", "red", "--json")
    assert (code, err) == (0, "") and json.loads(out)["colour"] == "#ff0000"
    code, out, err = run(capsys, "--db", str(project), "codes", "add", "Warm", "--color",
                         "Dark Orange")
    assert (code, err) == (0, "") and out == "Added Warm (#ff8c00)\n"
    code, out, err = run(capsys, "--db", str(project), "codes", "add", "Cold", "--colour",
                         "blue-ish")
    assert code == 1 and out == ""
    assert err == "Error: 'blue-ish' is not a colour; use #rrggbb or a colour name such as orange\n"
    # Adding a code that is there already changes nothing and says so.
    code, out, err = run(capsys, "--db", str(project), "codes", "add", "Red flags",
                         "--colour", "blue", "--description", "overwritten?")
    assert code == 1 and out == ""
    assert err == "Error: 'Red flags' exists already; nothing was changed\n"
    code, out, err = run(capsys, "--db", str(project), "codes", "--json")
    red = next(json.loads(line) for line in out.splitlines()
               if json.loads(line)["path"] == "Red flags")
    assert red["colour"] == "#ff0000" and red["description"] == ""


def test_a_colour_of_numbers_out_of_range_is_no_colour_and_no_traceback(project, capsys):
    # int(inf) raises OverflowError; a NaN hue was drawn as grey.
    for text in ("rgb(inf,0,0)", "rgb(1e999,0,0)", "hsl(inf,50%,50%)", "hsl(nan,50%,50%)",
                 "rgba(0,0,0,nan)"):
        assert colour_from_text(text) is None, text
    code, out, err = run(capsys, "--db", str(project), "codes", "add", "Hot", "--colour",
                         "rgb(inf,0,0)")
    assert code == 1 and out == "" and "Traceback" not in err
    assert err.startswith("Error: 'rgb(inf,0,0)' is not a colour")


def test_margin_search_cuts_a_long_passage_with_an_ellipsis(project, capsys):
    db = open_database(project)
    text = get_document(db, 1).text
    start = text.index("Kyiv and Moscow both hinted")
    end = text.index("\n", start)
    assert end - start > 200
    apply_coding(db, 1, create_code(db, "Long passages"), start, end, "ada")
    db.close()
    code, out, err = run(capsys, "--db", str(project), "search", "kyiv moscow hinted frantic",
                         "--kind", "passage", "--limit", "1")
    assert (code, err) == (0, "")
    shown = out.splitlines()[1].strip()
    assert shown.endswith("…") and len(shown) == 200
    assert text[start:end].startswith(shown[:-1])
