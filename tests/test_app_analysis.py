"""The analysis screen (issue 14, item 5) and the passages screen's query box
(item 4): the figures on screen are the store's (the ones `margin stats`
prints), Enter on a figure lists the passages behind it and opens them,
filters, CSV; a query retrieves passages, a mistake shows a caret."""

from __future__ import annotations

import json

import pytest
from helpers import make_project, wait_for
from textual.widgets import DataTable

from margin.store.analysis.cooccurrence import cooccurrence
from margin.store.analysis.frequencies import code_frequencies
from margin.store.analysis.matrix import code_matrix
from margin.store.analysis.retrieval import passages_behind, retrieve
from margin.store.codes import create_code, ensure_code_path
from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.store.documents import document_text, document_titles
from margin.tui.analysis.screen import AnalysisScreen
from margin.tui.analysis.tables import bar
from margin.tui.app import MarginApp
from margin.tui.codebook.passages import PassagesScreen
from margin.tui.modals import Confirm, FuzzyPicker, TextPrompt
from margin.tui.reader.screen import ReaderScreen

SIZE = (120, 36)
NARROW = (80, 24)

TEXTS = [
    "The envoy warned of escalation. NATO met in Brussels on Monday.\n\n"
    "A second paragraph: the alliance spoke of escalation again, and of NATO's aims.\n",
    "Kyiv asked NATO for more air defence.\n\nMoscow called it escalation.\n",
    "A note with nothing coded at all.\n",
]


def _code(db, document_id: int, code_id: int, phrase: str, coder: str, nth: int = 0) -> None:
    text = document_text(db, document_id)
    start = -1
    for _ in range(nth + 1):
        start = text.index(phrase, start + 1)
    apply_coding(db, document_id, code_id, start, start + len(phrase), coder)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three small documents, three codes (one a sub-code), two coders, with
    overlaps within and across codes; tests copy it."""
    path = make_project(tmp_path_factory.mktemp("analysis") / "a.db", sample=False,
                        texts=TEXTS, entities=False)
    db = open_database(path)
    escalation = create_code(db, "Escalation")
    nato = create_code(db, "NATO")
    officials = ensure_code_path(db, "Actors > Officials")
    _code(db, 1, escalation, "The envoy warned of escalation.", "ada")
    _code(db, 1, nato, "warned of escalation. NATO met", "ada")
    _code(db, 1, nato, "NATO met in Brussels", "bea")
    _code(db, 1, officials, "The envoy", "bea")
    _code(db, 1, escalation, "the alliance spoke of escalation again", "bea")
    _code(db, 1, nato, "NATO's aims", "ada")
    _code(db, 2, nato, "Kyiv asked NATO", "ada")
    _code(db, 2, escalation, "Moscow called it escalation.", "ada")
    db.conn.close()
    return path


@pytest.fixture
def project(corpus, tmp_path):
    copy = tmp_path / "p.db"
    copy.write_bytes(corpus.read_bytes())
    return copy


def cli(project, *args: str) -> str:
    """What `margin --db PROJECT *args` prints."""
    from click.testing import CliRunner

    from margin.tui.commands import cli as margin

    result = CliRunner().invoke(margin, ["--db", str(project), *args])
    assert result.exit_code == 0, result.output
    return result.output


def cli_json(project, *args: str) -> list[dict]:
    return [json.loads(line) for line in cli(project, *args, "--json").splitlines()]


def table_cells(app) -> list[list[str]]:
    data = app.screen.query_one("#analysis-table", DataTable)
    return [[str(getattr(cell, "plain", cell)).strip() for cell in data.get_row_at(row)]
            for row in range(data.row_count)]


def shown(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def open_analysis(pilot) -> AnalysisScreen:
    await pilot.pause()
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, AnalysisScreen)
                   and pilot.app.screen.table is not None
                   and pilot.app.screen.query_one("#analysis-table", DataTable).row_count)
    return pilot.app.screen


async def until_counted(pilot, screen: AnalysisScreen, **settings) -> None:
    def counted() -> bool:
        table = screen.table
        return (table is not None and table.settings == screen.settings
                and all(getattr(table.settings, k) == v for k, v in settings.items())
                and screen.query_one("#analysis-table", DataTable).row_count > 0)
    await wait_for(pilot, counted)
    await pilot.pause()


def test_bars_are_drawn_to_an_eighth_of_a_cell():
    assert bar(8, 8, 10) == "█" * 10
    assert bar(1, 8, 10) == "█▎"  # 10/8 cells: one and a quarter
    assert bar(1, 1000, 10) == "▏"  # above zero: a sliver at least
    assert bar(0, 8, 10) == "" and bar(3, 0, 10) == ""


async def test_frequencies_on_screen_are_the_stores_and_a_bar_lists_its_passages(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_analysis(pilot)
        db = open_database(project)
        expected = code_frequencies(db)
        rows = table_cells(app)
        assert [row[0] for row in rows] == [f"■ {f.path}" for f in expected]
        for row, frequency in zip(rows, expected, strict=True):
            assert row[2:] == [f"{frequency.codings:,}", f"{frequency.documents:,}",
                               f"{frequency.characters:,}", f"{frequency.words:,}"]
        # The same figures as `margin stats codes`.
        printed = cli_json(project, "stats", "codes")
        assert [[f"■ {p['code']}", *(str(p[k]) for k in ("codings", "documents", "characters",
                                                          "words"))] for p in printed] == \
            [[row[0], *row[2:]] for row in rows]
        # The longest bar is the code with the most codings (NATO: 4).
        bars = {row[0]: row[1] for row in rows}
        assert max(bars.values(), key=len) == bars["■ NATO"]
        assert bars["■ Actors"] == ""
        # Sub-codes: Actors counts its Officials.
        await pilot.press("s")
        await until_counted(pilot, screen, subcodes=True)
        actors = next(row for row in table_cells(app) if row[0] == "■ Actors")
        totals = next(f for f in expected if f.path == "Actors").with_subcodes
        assert actors[2] == str(totals.codings) == "1"
        await pilot.press("s")
        await until_counted(pilot, screen, subcodes=False)
        # Enter on NATO's bar: its four passages; Enter on one opens the reader there.
        while screen.table.rows[screen.query_one(DataTable).cursor_row].label != "NATO":
            await pilot.press("j")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassagesScreen)
                       and "4 passages in 2 documents" in shown(app))
        nato = next(row for row in screen.table.rows if row.label == "NATO")
        behind = passages_behind(db, code_id=nato.code_id)
        assert [p.quote for p in behind][:2] == ["warned of escalation. NATO met",
                                                  "NATO met in Brussels"]
        assert "warned of escalation. NATO met" in shown(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        assert app.screen.document_id == behind[0].document_id
        await pilot.pause()
        assert app.screen.view.cursor == behind[0].start
        db.conn.close()


async def test_the_heat_map_counts_the_stores_pairs_in_each_unit_and_a_cell_lists_them(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_analysis(pilot)
        await pilot.press("2")
        await until_counted(pilot, screen, view="cooccurrence")
        db = open_database(project)
        for unit in ("overlap", "sentence", "paragraph", "document"):
            await until_counted(pilot, screen, unit=unit)
            pairs = {frozenset((p.code_a, p.code_b)): p.count
                     for p in cooccurrence(db, unit=unit)}
            # …which `margin stats cooccurrence` prints.
            assert pairs == {frozenset((p["code_a"], p["code_b"])): p["count"]
                             for p in cli_json(project, "stats", "cooccurrence", "--unit", unit)}
            table = screen.table
            paths = [row.label for row in table.rows]
            cells = table_cells(app)
            for i, row in enumerate(cells):
                assert row[0] == f"■ {i + 1} {paths[i]}"
                for j, cell in enumerate(row[1:]):
                    expected = pairs.get(frozenset((paths[i], paths[j])), 0)
                    assert cell == ("—" if i == j else str(expected) if expected else "·"), \
                        (unit, paths[i], paths[j])
            if unit != "document":
                await pilot.press("o")
        # Document unit: Escalation × NATO co-occur in 2 documents.
        row = [r.label for r in screen.table.rows].index("Escalation")
        column = [r.label for r in screen.table.rows].index("NATO") + 1
        data = screen.query_one(DataTable)
        data.move_cursor(row=row, column=column)
        await pilot.pause()
        assert "2 documents: Escalation × NATO" in shown(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassagesScreen)
                       and "passages in 2 documents" in shown(app))
        expected = passages_behind(db, code_id=screen.table.rows[row].code_id,
                                   with_code_id=screen.table.column_ids[column - 1],
                                   unit="document")
        assert [(p.document_id, p.start) for p in app.screen.passages] == \
            [(p.document_id, p.start) for p in expected]
        assert len(expected) == 7  # all of both codes' codings in the two documents
        assert "Escalation × NATO" in shown(app)
        db.conn.close()


async def test_the_matrix_by_document_and_by_coder_and_its_filters(project, tmp_path):
    app = MarginApp(project, "ada")
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_analysis(pilot)
        await pilot.press("3")
        await until_counted(pilot, screen, view="matrix")
        db = open_database(project)
        matrix = code_matrix(db)
        assert [row[1:] for row in table_cells(app)] == [
            [str(n) if n else "·" for n in counts] for counts in matrix.counts]
        printed = {(p["code"], p["document_id"]): p["codings"]
                   for p in cli_json(project, "stats", "matrix", "--cols", "documents")}
        assert printed == {(path, document_id): count
                           for (_, path), counts in zip(matrix.rows, matrix.counts, strict=True)
                           for (document_id, _), count in zip(matrix.cols, counts, strict=True)}
        await pilot.press("o")  # columns: coders
        await until_counted(pilot, screen, cols="coders")
        matrix = code_matrix(db, cols="coders")
        assert [label for _key, label in matrix.cols] == ["ada", "bea"]
        assert [row[1:] for row in table_cells(app)] == [
            [str(n) if n else "·" for n in counts] for counts in matrix.counts]
        # Filter to bea's codings: the picker toggles a coder.
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        await pilot.press(*"bea", "enter")
        await until_counted(pilot, screen, coders=("bea",))
        matrix = code_matrix(db, cols="coders", coders=["bea"])
        assert [row[1:] for row in table_cells(app)] == [
            [str(n) if n else "·" for n in counts] for counts in matrix.counts]
        assert "coders: bea" in shown(app)
        # …and to document 2: bea coded nothing there.
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        await pilot.press(*"Kyiv asked", "enter")
        await until_counted(pilot, screen, documents=(2,))
        assert all(cell == "·" for row in table_cells(app) for cell in row[1:])
        # Back to frequencies with both filters: the store's figures, filtered.
        await pilot.press("1")
        await until_counted(pilot, screen, view="frequencies")
        filtered = code_frequencies(db, coders=["bea"], documents=[2])
        assert [row[2] for row in table_cells(app)] == [str(f.codings) for f in filtered]
        # All coders again.
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        await pilot.press(*"all coders", "enter")
        await until_counted(pilot, screen, coders=())
        filtered = code_frequencies(db, documents=[2])
        assert [row[2] for row in table_cells(app)] == [str(f.codings) for f in filtered]
        db.conn.close()


async def test_w_writes_the_table_shown_to_csv(project, tmp_path):
    app = MarginApp(project, "ada")
    target = tmp_path / "out" / "frequencies.csv"
    target.parent.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_analysis(pilot)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        prompt = app.screen.query_one("#value")
        prompt.value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, target.exists)
        assert isinstance(app.screen, AnalysisScreen)
        # What `margin stats codes --csv` prints, with a BOM for spreadsheets.
        written = target.read_bytes().decode("utf-8")
        printed = cli(project, "stats", "codes", "--csv")
        assert written.replace("\r\n", "\n") == "\ufeff" + printed.replace("\r\n", "\n")
        assert written.splitlines()[0].startswith("\ufeffcode,codings,documents,characters")
        # A folder that does not exist: one line in the dialog, which stays
        # open with what was typed; no traceback, nothing written.
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        prompt = app.screen
        missing = str(tmp_path / "nowhere" / "x.csv")
        prompt.query_one("#value").value = missing
        await pilot.press("enter")
        await wait_for(pilot, lambda: "does not exist" in shown(app))
        assert app.screen is prompt and prompt.query_one("#value").value == missing
        assert not (tmp_path / "nowhere").exists() and screen.is_attached
        # A folder: the same, and the path can be mended in place (the old
        # reason goes as soon as it is edited).
        prompt.query_one("#value").value = str(target.parent)
        await pilot.pause()
        assert "does not exist" not in shown(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "it is a folder" in shown(app))
        assert app.screen is prompt and target.parent.is_dir()
        # A user that does not exist after "~", and a name too long for the
        # file system: a reason under the box, never a traceback.
        for bad, reason in (("~no-such-user-here/x.csv", "home directory"),
                            (str(tmp_path / ("x" * 300 + ".csv")), "too long")):
            prompt.query_one("#value").value = bad
            await pilot.press("enter")
            await wait_for(pilot, lambda reason=reason: reason in shown(app))
            assert app.screen is prompt and app.is_running
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert not any("does not exist" in str(n.message) for n in app._notifications)


async def test_w_asks_before_replacing_a_file(project, tmp_path):
    # w wrote over an existing CSV without a word.
    app = MarginApp(project, "ada")
    target = tmp_path / "frequencies.csv"
    target.write_text("my own notes\n")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_analysis(pilot)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        prompt = app.screen
        prompt.query_one("#value").value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm)
                       and "It exists already." in shown(app))
        assert app.screen.question == f"Replace {target}? It exists already."
        await pilot.press("n")  # no: back in the dialog, the file as it was
        await wait_for(pilot, lambda: app.screen is prompt)
        assert target.read_text() == "my own notes\n"
        assert not prompt.query_one("#error").display  # nothing went wrong
        assert prompt.query_one("#value").value == str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is screen)
        assert target.read_text(encoding="utf-8-sig").startswith("code,codings,documents")
        assert any(str(n.message).startswith("Wrote ") for n in app._notifications)


# ------------------------------------------------------------------ the query box


async def _passages_of(pilot, name: str) -> PassagesScreen:
    from margin.store.codes import find_code

    app = pilot.app
    await pilot.pause()
    app.push_screen(PassagesScreen(find_code(app.db, name).id))
    await wait_for(pilot, lambda: isinstance(app.screen, PassagesScreen))
    await pilot.pause()
    return app.screen


async def test_the_query_box_retrieves_a_code_combination(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _passages_of(pilot, "Escalation")
        assert "■ Escalation  3 passages in 2 documents" in shown(app)
        await pilot.press("r", *"AND NATO", "enter")  # the box starts with the code's name
        await wait_for(pilot, lambda: "Query: Escalation AND NATO" in shown(app)
                       and "counting" not in shown(app))
        db = open_database(project)
        expected = retrieve(db, "Escalation AND NATO")
        assert [(p.document_id, p.start, p.end) for p in screen.passages] == \
            [(r.document_id, r.start, r.end) for r in expected]
        assert len(expected) == 1
        assert "1 passage in 1 document (overlap of AND)" in shown(app)
        assert "warned of escalation." in shown(app)  # where Escalation and NATO overlap
        # o: AND gives both passages whole (Enter left the box for the list,
        # so o is the key, not a letter typed into the query).
        await pilot.press("o")
        await wait_for(pilot, lambda: "(union of AND)" in shown(app))
        union = retrieve(db, "Escalation AND NATO", combine="union")
        await wait_for(pilot, lambda: [p.end for p in screen.passages] == [r.end for r in union])
        # Enter on a result opens it in the reader.
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        await pilot.pause()
        assert app.screen.document_id == union[0].document_id
        assert app.screen.view.cursor == union[0].start
        db.conn.close()


async def test_a_mistake_in_the_query_is_shown_with_a_caret_under_it(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _passages_of(pilot, "NATO")
        box = screen.query_one("#passage-query")
        await pilot.press("r", *"AND (", "enter")  # "NATO AND (": nothing after "("
        error = screen.query_one("#query-error")
        await wait_for(pilot, lambda: error.display)
        await pilot.pause()
        lines = shown(app).splitlines()
        row = next(i for i, line in enumerate(lines) if "^" in line and "NATO" not in line)
        caret = lines[row].index("^")
        typed_row = next(line for line in lines if "NATO AND (" in line)
        from margin.store.analysis.retrieval import QueryError, parse_query

        with pytest.raises(QueryError) as problem:
            parse_query("NATO AND (")
        assert caret == typed_row.index("NATO AND (") + problem.value.position
        assert str(problem.value) in lines[row + 1]
        # The list still shows NATO's own passages; the title says so.
        assert "■ NATO  4 passages" in shown(app)
        # An unknown code: the caret under its name (found by the store, in a worker).
        box.value = "NATO OR Nope"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "no code named 'Nope'" in shown(app))
        lines = shown(app).splitlines()
        row = next(i for i, line in enumerate(lines) if line.strip() == "^")
        typed_row = next(line for line in lines if "NATO OR Nope" in line)
        assert lines[row].index("^") == typed_row.index("Nope")
        # Fixed: the error goes, the results come.
        box.value = "NATO OR Escalation"
        await pilot.press("enter")
        await wait_for(pilot, lambda: not error.display and "Query: NATO OR Escalation" in
                       shown(app) and "counting" not in shown(app))
        assert len(screen.passages) == 7


async def test_a_wide_table_draws_its_first_columns_and_says_so(project, monkeypatch):
    import margin.tui.analysis.screen as analysis_screen

    # As 56 codes × 1,000 documents would be cut (6,000 cells at most).
    monkeypatch.setattr(analysis_screen, "MAX_CELLS", 8)
    monkeypatch.setattr(analysis_screen, "MIN_COLUMNS", 1)
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_analysis(pilot)
        await pilot.press("3")
        await until_counted(pilot, screen, view="matrix")
        assert len(screen.table.headings) == 3  # three documents counted
        assert all(len(row) == 1 + 2 for row in table_cells(app))  # four codes: two drawn
        assert "columns: documents (the first 2 of 3 drawn, w writes all)" in shown(app)
        await pilot.press("o")  # two coders: nothing cut
        await until_counted(pilot, screen, cols="coders")
        assert "drawn, w writes all" not in shown(app)


async def test_a_long_list_of_passages_shows_the_first_ones_and_the_whole_count(
        project, monkeypatch):
    import margin.tui.codebook.passages as passages

    monkeypatch.setattr(passages, "SHOWN_PASSAGES", 2)
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _passages_of(pilot, "NATO")
        assert "■ NATO  4 passages in 2 documents" in shown(app)
        assert len(screen.passages) == 4
        options = screen.query_one("#passages")
        assert options.option_count == 3  # two passages and the note
        assert "the first 2 of 4 passages are listed" in shown(app)
        await pilot.press("down", "down", "down")
        assert options.highlighted == 1  # the note is not a passage


async def test_the_palette_opens_the_analysis_and_the_memos_from_the_reader(project):
    from helpers import open_first_document

    from margin.tui.memos import MemosScreen

    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        await open_first_document(pilot)
        await pilot.press("ctrl+p", *"analysis", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AnalysisScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        await pilot.press("ctrl+p", *"memos", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MemosScreen))


async def test_in_blind_mode_the_analysis_counts_only_my_codings_and_says_so(project):
    # The table computed for the blind settings must be shown (it once
    # counted them and then dropped them as out of date: "Counting…" forever).
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        app.blind = True
        screen = await open_analysis(pilot)
        await until_counted(pilot, screen)
        db = open_database(project)
        mine = {f"■ {f.path}": f.codings for f in code_frequencies(db, coders=["ada"])}
        everyone = {f"■ {f.path}": f.codings for f in code_frequencies(db)}
        db.conn.close()
        assert {row[0]: int(row[2]) for row in table_cells(app)} == mine
        assert mine["■ NATO"] < everyone["■ NATO"]  # bea's NATO codings are not counted
        assert "coders: ada" in shown(app) and "Counting…" not in shown(app)
        await pilot.press("c")  # no picking other coders while blind
        await pilot.pause()
        assert any("Blind mode" in str(n.message) for n in app._notifications)


async def test_in_blind_mode_the_coder_unknown_counts_the_codings_without_a_coder(project):
    # bea's codings lose their coder (as a REFI-QDA import's have none): they
    # are "unknown"'s, who in blind mode counts them rather than being told
    # there is nothing to count.
    db = open_database(project)
    db.execute("UPDATE codings SET coder_id = NULL WHERE coder_id = "
               "(SELECT id FROM coders WHERE name = 'bea')")
    db.conn.commit()
    theirs = {f"■ {f.path}": f.codings for f in code_frequencies(db, coders=["unknown"])}
    db.conn.close()
    assert theirs and "■ Actors > Officials" in theirs
    app = MarginApp(project, "unknown")
    async with app.run_test(size=SIZE) as pilot:
        app.blind = True
        screen = await open_analysis(pilot)
        await until_counted(pilot, screen)
        assert {row[0]: int(row[2]) for row in table_cells(app)} == theirs
        assert "no codings yet" not in shown(app)


def test_the_line_on_a_cell_starts_with_its_figure(project):
    # At 80 columns the status line is cut at its end: a document's long
    # title goes, the figure stays.
    from margin.tui.analysis.tables import Settings, build_table

    db = open_database(project)
    matrix = build_table(db, Settings(view="matrix"))
    pairs = build_table(db, Settings(view="cooccurrence", unit="document"))
    db.conn.close()
    nato = next(i for i, row in enumerate(matrix.rows) if row.label == "NATO")
    line = matrix.describe(nato, 0)
    count = matrix.rows[nato].values[0]
    assert line.startswith(f"{count} coding") and f"NATO in {matrix.headings[0]}" in line
    assert all(pairs.describe(0, column).split(":")[0][0].isdigit()
               for column in range(1, len(pairs.headings)))


# ------------------------------------------------------------------ rough edges


def reversed_on(app, start: str) -> str:
    """The reversed (highlighted) text on the screen line that starts so."""
    for strip in app.screen._compositor.render_strips():
        if strip.text.startswith(start):
            return "".join(segment.text for segment in strip
                           if segment.style is not None and segment.style.reverse).strip()
    raise AssertionError(f"no line starts with {start!r}")



async def test_h_j_k_l_move_as_the_arrows_do_in_every_view(project):
    keys = {"h": "left", "j": "down", "k": "up", "l": "right"}
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_analysis(pilot)
        data = screen.query_one("#analysis-table", DataTable)
        for view, name in (("1", "frequencies"), ("2", "cooccurrence"), ("3", "matrix")):
            await pilot.press(view)
            await until_counted(pilot, screen, view=name)
            walks = {}
            for vim in (True, False):
                data.move_cursor(row=0, column=0, animate=False)
                await pilot.pause()
                visited = []
                for key in "ljlkh":
                    await pilot.press(key if vim else keys[key])
                    visited.append(tuple(data.cursor_coordinate))
                walks[vim] = visited
            assert walks[True] == walks[False], name
            if name != "frequencies":  # the heat map and the matrix move by cell
                assert walks[True][:3] == [(0, 1), (1, 1), (1, 2)], name


async def test_the_matrix_columns_have_ids_and_a_legend_under_the_table(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_analysis(pilot)
        await pilot.press("3")
        await until_counted(pilot, screen, view="matrix")
        data = screen.query_one("#analysis-table", DataTable)
        headers = [column.label.plain.strip() for column in data.columns.values()][1:]
        db = open_database(project)
        titles = dict(sorted(document_titles(db).items()))
        db.conn.close()
        # Each column's header starts with its document's id; the legend
        # under the table pairs the ids with the titles (cut at 28 cells).
        assert [header.split(" ")[0] for header in headers] == [str(i) for i in titles]
        assert all(len(header) <= 12 for header in headers)
        lines = shown(app).splitlines()
        [legend] = [line for line in lines if line.startswith(" columns: ")]
        assert legend.startswith(" columns: 1 " + titles[1][:10])
        assert f"2 {titles[2][:10]}" in legend and len(legend.rstrip()) <= NARROW[0]
        # The highlighted column's entry is the reversed one, kept in view.
        for column in (1, 2, 3):
            if column > 1:
                await pilot.press("l")
            assert reversed_on(app, " columns: ").startswith(
                f"{column} {titles[column][:8]}"), column
        assert " columns: … 3 " in shown(app)  # the third did not fit after the others
        await pilot.press("h", "h", "h")  # on a code's label: no column is named
        assert reversed_on(app, " columns: ") == ""
        # By coder: a number each, the names in the legend.
        await pilot.press("o")
        await until_counted(pilot, screen, cols="coders")
        headers = [column.label.plain.strip() for column in data.columns.values()][1:]
        assert headers == ["1 ada", "2 bea"]
        assert " columns: 1 ada · 2 bea" in shown(app)
        # The heat map's numbered columns are named the same way.
        await pilot.press("2")
        await until_counted(pilot, screen, view="cooccurrence")
        paths = [row.label for row in screen.table.rows]
        assert " columns: " + " · ".join(f"{n} {p}" for n, p in enumerate(paths, 1)) \
            in shown(app)
        await pilot.press("1")
        await until_counted(pilot, screen, view="frequencies")
        assert "columns:" not in shown(app)  # bars have no columns to name


async def test_every_key_of_the_analysis_screen_is_on_screen_at_80_columns(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_analysis(pilot)
        for view, name in (("1", "frequencies"), ("3", "matrix"), ("2", "cooccurrence")):
            await pilot.press(view)
            await until_counted(pilot, screen, view=name)
            lines = shown(app).splitlines()
            keybar = lines[-1]
            for item in ("⏎ Passages", "tab View", "w CSV", "c Coders", "d Documents"):
                assert item in keybar, (name, keybar)
            # o and s on the settings line, before what they change.
            settings = lines[1]
            assert settings.startswith(" o ") and " · c coders: all · d documents: all" \
                in settings, settings
            assert (" · s each code alone · " in settings) == (name != "cooccurrence")
            assert all(len(line.rstrip()) <= NARROW[0] for line in lines)


async def test_passages_behind_a_heat_map_cell_name_their_code_and_coder(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_analysis(pilot)
        await pilot.press("2")
        await until_counted(pilot, screen, view="cooccurrence")
        for _ in range(3):  # overlap → sentence → paragraph → document
            await pilot.press("o")
        await until_counted(pilot, screen, unit="document")
        labels = [row.label for row in screen.table.rows]
        data = screen.query_one(DataTable)
        data.move_cursor(row=labels.index("Escalation"), column=labels.index("NATO") + 1)
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassagesScreen)
                       and "passages in 2 documents" in shown(app))
        passages = app.screen.passages
        # Both codes of the pair, each passage with its own, and whose it is.
        assert {(p.codes, p.coder) for p in passages} == {
            ("Escalation", "ada"), ("Escalation", "bea"), ("NATO", "ada"), ("NATO", "bea")}
        text = shown(app)
        assert "Escalation  by bea  " in text and "NATO  by ada  " in text
        # One coder's passages only: no "by".
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, AnalysisScreen))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        await pilot.press(*"ada", "enter")
        await until_counted(pilot, screen, coders=("ada",))
        labels = [row.label for row in screen.table.rows]
        data.move_cursor(row=labels.index("Escalation"), column=labels.index("NATO") + 1)
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassagesScreen)
                       and "passages in 2 documents" in shown(app))
        assert {p.coder for p in app.screen.passages} == {"ada"}
        text = shown(app)
        assert "NATO  Kyiv asked" in text and "Escalation  The envoy" in text
        assert " by ada" not in text


async def test_an_unknown_code_in_the_query_box_gets_a_did_you_mean(project):
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _passages_of(pilot, "NATO")
        box = screen.query_one("#passage-query")
        await pilot.press("r")
        box.value = "NATO OR Escalaton"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "no code named 'Escalaton' (did you mean 'Escalation'?)"
                       in shown(app))
        lines = shown(app).splitlines()
        row = next(i for i, line in enumerate(lines) if line.strip() == "^")
        typed_row = next(line for line in lines if "NATO OR Escalaton" in line)
        assert lines[row].index("^") == typed_row.index("Escalaton")


async def test_lines_cut_at_80_columns_end_with_an_ellipsis(tmp_path):
    # The legend and the line on a cell were cut mid-word at the edge, with
    # nothing to say that more was there.
    from helpers import make_demo_project

    app = MarginApp(make_demo_project(tmp_path / "demo.db"), "ada")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_analysis(pilot)
        await pilot.press("3", "l", "l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        rows = [row.rstrip() for row in shown(app).splitlines()]
        legend = next(row for row in rows if row.startswith(" columns:"))
        status = rows[-2]  # above the key bar: "N codings: CODE in TITLE…"
        assert legend.endswith("…") and " codings: " in status and status.endswith("…")


def test_the_heat_maps_row_numbers_are_right_aligned_so_the_names_line_up():
    from margin.tui.analysis.screen import numbered

    labels = numbered([f"Code {n}" for n in range(1, 12)])
    assert labels[0] == " 1 Code 1" and labels[8] == " 9 Code 9" and labels[9] == "10 Code 10"
    assert numbered(["Only"]) == ["1 Only"]


LONG_NAMES = ("Diplomatic signalling through intermediaries",
              "Escalation of the war on the ground in the east")


@pytest.fixture
def long_named(tmp_path):
    """Two codes with names longer than a legend entry's old 28 cells, whose
    codings overlap: the heat map has two columns to name."""
    path = make_project(tmp_path / "long.db", sample=False, texts=TEXTS[:1], entities=False)
    db = open_database(path)
    first, second = (create_code(db, name) for name in LONG_NAMES)
    _code(db, 1, first, "The envoy warned of escalation.", "ada")
    _code(db, 1, second, "warned of escalation. NATO met", "ada")
    db.conn.close()
    return path


async def test_the_legend_uses_the_room_it_has_and_cuts_only_when_needed(long_named):
    # Entries stopped at 28 cells ("1 Diplomatic signalling thr…") on a
    # 120-column line that had room for both names whole.
    app = MarginApp(long_named, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_analysis(pilot)
        await pilot.press("2")
        await until_counted(pilot, screen, view="cooccurrence")
        [legend] = [line for line in shown(app).splitlines() if line.startswith(" columns: ")]
        assert f" columns: 1 {LONG_NAMES[0]} · 2 {LONG_NAMES[1]}" in legend, legend
        assert "…" not in legend
    app = MarginApp(long_named, "ada")
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_analysis(pilot)
        await pilot.press("2")
        await until_counted(pilot, screen, view="cooccurrence")
        [legend] = [line.rstrip() for line in shown(app).splitlines()
                    if line.startswith(" columns: ")]
        # Too narrow for both whole: both cut alike with "…", both in view,
        # using the line (no more than a few cells to spare).
        first, second = legend.removeprefix(" columns: ").split(" · ")
        assert first.endswith("…") and second.endswith("…"), legend
        assert LONG_NAMES[0].startswith(first[2:-1]) and LONG_NAMES[1].startswith(second[2:-1])
        assert NARROW[0] - 4 <= len(legend) <= NARROW[0], legend


async def test_a_heat_map_cells_passages_say_why_their_number_is_not_the_cells(project):
    # "2 overlapping pairs" led to "3 passages" with no word on why.
    db = open_database(project)
    pairs = {(p.code_a, p.code_b): p.count for p in cooccurrence(db, unit="overlap")}
    db.conn.close()
    figure = pairs.get(("Escalation", "NATO")) or pairs[("NATO", "Escalation")]
    app = MarginApp(project, "ada")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_analysis(pilot)
        await pilot.press("2")
        await until_counted(pilot, screen, view="cooccurrence")
        labels = [row.label for row in screen.table.rows]
        screen.query_one(DataTable).move_cursor(row=labels.index("Escalation"),
                                                column=labels.index("NATO") + 1)
        await pilot.pause()
        assert shown(app).splitlines()[-2].startswith(f" {figure} overlapping pair")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassagesScreen)
                       and app.screen.passages and "passages in" in shown(app))
        listed = len(app.screen.passages)
        assert listed != figure  # what needs the word
        status = shown(app).splitlines()[-2].strip()
        pair_word = "pair" if figure == 1 else "pairs"
        assert status.startswith(f"{figure} overlapping {pair_word} of codings, made of these "
                                 f"{listed} passages"), status
        # By sentence: the units, and the codings in them.
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, AnalysisScreen))
        await pilot.press("o")
        await until_counted(pilot, screen, unit="sentence")
        labels = [row.label for row in screen.table.rows]
        screen.query_one(DataTable).move_cursor(row=labels.index("Escalation"),
                                                column=labels.index("NATO") + 1)
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassagesScreen)
                       and app.screen.passages and "passages in" in shown(app))
        status = shown(app).splitlines()[-2].strip()
        assert " with both codes; these " in status and "their codings of either code" \
            in status, status
        # A code's own passages keep the usual hint.
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, AnalysisScreen))
        await pilot.press("1")
        await until_counted(pilot, screen, view="frequencies")
        labels = [row.label for row in screen.table.rows]
        screen.query_one(DataTable).move_cursor(row=labels.index("Escalation"))
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassagesScreen)
                       and app.screen.passages and "passages in" in shown(app))
        assert shown(app).splitlines()[-2].strip().startswith("Enter opens the passage")
