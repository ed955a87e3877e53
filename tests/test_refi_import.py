"""REFI-QDA import: our own exports round-trip; other tools' offset
conventions are detected; hostile zips are refused with the database unchanged."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest
from helpers import make_demo_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from margin.store.codes import codebook, create_code, describe_code
from margin.store.codings import apply_coding, set_memo
from margin.store.db import open_database
from margin.store.documents import import_text
from margin.store.errors import StoreError
from margin.store.refi.exporter import export_qdc, export_qdpx
from margin.store.refi.importer import import_qdc, import_qdpx
from margin.store.sources.textio import DecodedText

CODE_GUID = "11111111-1111-4111-8111-111111111111"
USER_GUID = "22222222-2222-4222-8222-222222222222"


def _code_id(db, name):
    return next(code.id for code in codebook(db) if code.name == name)


def _codings(db) -> list[tuple]:
    return sorted(db.execute(
        """SELECT d.title, c.start, c."end", c.quote, codes.name, coders.name, c.memo, c.uuid
           FROM codings c JOIN documents d ON d.id = c.document_id
           JOIN codes ON codes.id = c.code_id LEFT JOIN coders ON coders.id = c.coder_id"""
    ).fetchall())


def _code_tree(db) -> list[tuple]:
    return [(c.path, c.colour.lower(), c.description, c.uuid) for c in codebook(db)]


def _dump(db) -> list:
    return [
        (table, db.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall())
        for table in ("coders", "documents", "codes", "codings", "memos", "history")
    ]


@pytest.fixture
def demo(tmp_path):
    db = open_database(make_demo_project(tmp_path / "p.db"))
    set_memo(db, "The first article frames the aid debate.", "bob", document_id=1)
    set_memo(db, "People who act, not institutions.", "ada", code_id=_code_id(db, "Actors"))
    describe_code(db, _code_id(db, "US aid"), "Money & <weapons> sent to Ukraine")
    yield db
    db.conn.close()


@pytest.fixture
def empty(tmp_path):
    db = open_database(tmp_path / "empty.db")
    yield db
    db.conn.close()


def test_round_trip_keeps_everything_and_exports_identically(demo, empty, tmp_path):
    first = export_qdpx(demo, tmp_path / "project.qdpx")
    report = import_qdpx(empty, first)

    assert report.unplaced == [] and report.conflicts == []
    assert report.codings_added == len(_codings(demo)) == 4
    assert report.memos_added == 2
    assert sorted(r[0] for r in demo.execute("SELECT text FROM documents").fetchall()) == \
        sorted(r[0] for r in empty.execute("SELECT text FROM documents").fetchall())
    assert _code_tree(empty) == _code_tree(demo)
    assert _codings(empty) == _codings(demo)
    memos = "SELECT m.uuid, m.text, coders.name FROM memos m " \
            "LEFT JOIN coders ON coders.id = m.coder_id ORDER BY m.uuid"
    assert empty.execute(memos).fetchall() == demo.execute(memos).fetchall()
    documents = demo.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    assert report.documents_added == documents
    assert report.summary().startswith(f"documents {documents} added, 0 reused")

    (tmp_path / "again").mkdir()
    second = export_qdpx(empty, tmp_path / "again" / "project.qdpx")
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        assert a.read("project.qde") == b.read("project.qde")
        assert a.namelist() == b.namelist()


def test_reimporting_reuses_documents_and_skips_identical_codings(demo, tmp_path):
    before = _codings(demo)
    report = import_qdpx(demo, export_qdpx(demo, tmp_path / "project.qdpx"))
    assert report.documents_added == 0 and report.documents_reused >= 1
    assert report.codes_added == 0 and report.codings_added == 0
    assert report.codings_skipped == 4
    assert _codings(demo) == before


def test_import_is_not_in_the_undo_history(demo, empty, tmp_path):
    import_qdpx(empty, export_qdpx(demo, tmp_path / "project.qdpx"))
    assert empty.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 0


# ---------------------------------------------------------------- hand-written projects


def _project(sources: str, *, base_path: str | None = None, users: bool = True) -> bytes:
    base = f' basePath="{base_path}"' if base_path else ""
    user = f'<Users><User guid="{USER_GUID}" name="zoe"/></Users>' if users else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="t" origin="other"{base}>'
        f'{user}<CodeBook><Codes><Code guid="{CODE_GUID}" name="Theme" isCodable="true" '
        f'color="#AA0000"/></Codes></CodeBook><Sources>{sources}</Sources></Project>'
    ).encode()


def _selection(start: int, end: int, number: int = 1, name: str | None = None) -> str:
    named = f' name="{name}"' if name is not None else ""
    return (
        f'<PlainTextSelection guid="33333333-3333-4333-8333-33333333333{number}"{named} '
        f'startPosition="{start}" endPosition="{end}" creatingUser="{USER_GUID}" '
        f'creationDateTime="2024-01-02T03:04:05Z"><Coding guid="44444444-4444-4444-8444-'
        f'44444444444{number}"><CodeRef targetGUID="{CODE_GUID}"/></Coding></PlainTextSelection>'
    )


def _source(path: str, selections: str, name: str = "Doc") -> str:
    return (f'<TextSource guid="55555555-5555-4555-8555-555555555555" name="{name}" '
            f'plainTextPath="{path}">{selections}</TextSource>')


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _quotes(db) -> list[str]:
    return [row[3] for row in _codings(db)]


def test_inline_plain_text_content(empty, tmp_path):
    source = ('<TextSource guid="55555555-5555-4555-8555-555555555555" name="Inline">'
              '<PlainTextContent>Hello brave new world</PlainTextContent>'
              f'{_selection(6, 11)}</TextSource>')
    report = import_qdpx(empty, _zip(tmp_path / "a.qdpx", {"project.qde": _project(source)}))
    assert report.documents_added == 1 and report.codings_added == 1
    rows = _codings(empty)
    assert rows[0][:6] == ("Inline", 6, 11, "brave", "Theme", "zoe")
    assert rows[0][7] == "33333333-3333-4333-8333-333333333331"


def test_relative_path_read_from_the_sources_folder_the_user_names(empty, tmp_path):
    # basePath is where the sources were on the author's computer; here they
    # are read only from the folder the user names (tests/test_refi_safety.py).
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "interview.txt").write_bytes(b"We met at dawn.")
    qde = _project(_source("relative://interview.txt", _selection(10, 14)),
                   base_path="/home/anna/corpus")
    import_qdpx(empty, _zip(tmp_path / "a.qdpx", {"project.qde": qde}), sources=folder)
    assert _quotes(empty) == ["dawn"]


def test_bare_file_name_and_capital_sources_folder(empty, tmp_path):
    qde = _project(_source("notes.txt", _selection(0, 5)))
    import_qdpx(empty, _zip(tmp_path / "a.qdpx", {"project.qde": qde,
                                                  "Sources/notes.txt": b"Quiet morning"}))
    assert _quotes(empty) == ["Quiet"]


def test_internal_under_capital_sources(empty, tmp_path):
    qde = _project(_source("internal://x.txt", _selection(6, 13)))
    import_qdpx(empty, _zip(tmp_path / "a.qdpx", {"project.qde": qde,
                                                  "Sources/x.txt": b"Quiet morning"}))
    assert _quotes(empty) == ["morning"]


def test_crlf_offsets_counted_as_two(empty, tmp_path):
    raw = b"First line\r\nSecond line\r\nThird line here"
    # "Third" starts at 25 counting \r\n as two, 23 counting it as one.
    qde = _project(_source("internal://c.txt", _selection(25, 30) + _selection(12, 18, 2)))
    report = import_qdpx(empty, _zip(tmp_path / "a.qdpx", {"project.qde": qde,
                                                          "sources/c.txt": raw}))
    assert report.unplaced == []
    text = empty.execute("SELECT text FROM documents").fetchone()[0]
    assert "\r" not in text
    assert sorted(_quotes(empty)) == ["Second", "Third"]


def test_crlf_offsets_counted_as_one_with_names(empty, tmp_path):
    raw = b"First line\r\nSecond line\r\nThird line here"
    qde = _project(_source("internal://c.txt", _selection(23, 28, name="Third")))
    import_qdpx(empty, _zip(tmp_path / "a.qdpx", {"project.qde": qde, "sources/c.txt": raw}))
    assert _quotes(empty) == ["Third"]


def test_utf16_offsets_on_text_with_emoji(empty, tmp_path):
    text = "I 😀 love 🎉 the party"
    start16 = len(text[:text.index("party")].encode("utf-16-le")) // 2
    qde = _project(_source("internal://e.txt",
                           _selection(start16, start16 + 5, name="party")))
    import_qdpx(empty, _zip(tmp_path / "a.qdpx", {"project.qde": qde,
                                                  "sources/e.txt": text.encode()}))
    assert _quotes(empty) == ["party"]


def test_bom_counted_in_offsets(empty, tmp_path):
    raw = "\ufeffAlpha beta gamma".encode()
    # A tool that counts the BOM puts "beta" at 7-11.
    qde = _project(_source("internal://b.txt", _selection(7, 11, name="beta")))
    import_qdpx(empty, _zip(tmp_path / "a.qdpx", {"project.qde": qde, "sources/b.txt": raw}))
    assert _quotes(empty) == ["beta"]
    assert not empty.execute("SELECT text FROM documents").fetchone()[0].startswith("\ufeff")


def test_unplaceable_coding_is_reported_not_shifted(empty, tmp_path):
    qde = _project(_source("internal://x.txt",
                           _selection(0, 5, name="Quiet") + _selection(50, 60, 2)))
    report = import_qdpx(empty, _zip(tmp_path / "a.qdpx", {
        "project.qde": qde, "sources/x.txt": b"Quiet morning"}))
    assert _quotes(empty) == ["Quiet"]
    assert len(report.unplaced) == 1
    assert (report.unplaced[0].start, report.unplaced[0].end) == (50, 60)
    assert "outside" in report.unplaced[0].reason
    assert "could not be placed" in report.summary()


def test_existing_document_text_is_reused(empty, tmp_path):
    import_text(empty, DecodedText("Quiet morning", "utf-8", False), source="t", clean=False)
    qde = _project(_source("internal://x.txt", _selection(0, 5)))
    report = import_qdpx(empty, _zip(tmp_path / "a.qdpx", {
        "project.qde": qde, "sources/x.txt": b"Quiet morning"}))
    assert report.documents_reused == 1 and report.documents_added == 0
    assert empty.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 1


def test_document_found_by_text_when_its_hash_is_another(empty, tmp_path):
    # A transcript's text is its readable rendering; its hash is the source's.
    import_text(empty, DecodedText("WEBVTT source", "utf-8", False), source="t", clean=False,
                readable="Quiet morning")
    qde = _project(_source("internal://x.txt", _selection(0, 5) + _selection(0, 5, 2)))
    report = import_qdpx(empty, _zip(tmp_path / "a.qdpx", {
        "project.qde": qde, "sources/x.txt": b"Quiet morning"}))
    assert report.documents_reused == 1 and report.documents_added == 0
    # The second selection is the same passage and code: a duplicate.
    assert (report.codings_added, report.codings_skipped) == (1, 1)
    assert _quotes(empty) == ["Quiet"]
    again = import_qdpx(empty, tmp_path / "a.qdpx")
    assert (again.documents_reused, again.codings_added, again.codings_skipped) == (1, 0, 2)


def test_failure_after_codings_were_written_rolls_back(empty, tmp_path, monkeypatch):
    from margin.store.refi import importer as refi_import

    real = refi_import._Importer.stored_document
    calls = []

    def second_fails(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise StoreError("boom")
        return real(self, *args)

    monkeypatch.setattr(refi_import._Importer, "stored_document", second_fails)
    qde = _project(_source("internal://x.txt", _selection(0, 5), name="A")
                   + _source("internal://y.txt", _selection(0, 4, 2), name="B"))
    before = _dump(empty)
    with pytest.raises(StoreError):
        import_qdpx(empty, _zip(tmp_path / "a.qdpx", {
            "project.qde": qde, "sources/x.txt": b"Quiet", "sources/y.txt": b"Loud"}))
    assert len(calls) == 2
    assert _dump(empty) == before


# ---------------------------------------------------------------- hostile zips


def _symlink_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", _project(_source("internal://x.txt", "")))
        info = zipfile.ZipInfo("sources/x.txt")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    return path


GOOD_QDE = _project(_source("internal://x.txt", _selection(0, 5)))

HOSTILE = {
    "dotdot": lambda p: _zip(p, {"project.qde": GOOD_QDE, "sources/x.txt": b"Quiet",
                                 "../evil.txt": b"x"}),
    "absolute": lambda p: _zip(p, {"project.qde": GOOD_QDE, "sources/x.txt": b"Quiet",
                                   "/tmp/evil.txt": b"x"}),
    "symlink": _symlink_zip,
    "bomb": lambda p: _zip(p, {"project.qde": GOOD_QDE, "sources/x.txt": b"Quiet",
                               "sources/big.txt": b"\0" * (20 * 1024 * 1024)}),
    "nested": lambda p: _zip(p, {"project.qde": GOOD_QDE, "sources/x.txt": b"Quiet",
                                 "inner.zip": b"PK\x03\x04"}),
    "malformed": lambda p: _zip(p, {"project.qde": b"<Project>\n<Users></Project>",
                                    "sources/x.txt": b"Quiet"}),
    "doctype": lambda p: _zip(p, {"project.qde": b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Project/>'}),
    "missing_source": lambda p: _zip(p, {"project.qde": GOOD_QDE}),
    "missing_project": lambda p: _zip(p, {"sources/x.txt": b"Quiet"}),
    "not_a_zip": lambda p: (p.write_bytes(b"hello"), p)[1],
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archives_are_refused_and_change_nothing(demo, tmp_path, kind):
    path = HOSTILE[kind](tmp_path / f"{kind}.qdpx")
    before = _dump(demo)
    with pytest.raises(StoreError) as error:
        import_qdpx(demo, path)
    assert "\n" not in str(error.value)
    assert _dump(demo) == before
    if kind == "malformed":
        assert "line 2" in str(error.value)


def test_failure_midway_rolls_back(empty, tmp_path, monkeypatch):
    from margin.store.refi import importer as refi_import

    def explode(self, *args):
        raise StoreError("boom")

    monkeypatch.setattr(refi_import._Importer, "codings", explode)
    qde = _project(_source("internal://x.txt", _selection(0, 5)))
    before = _dump(empty)
    with pytest.raises(StoreError):
        import_qdpx(empty, _zip(tmp_path / "a.qdpx", {"project.qde": qde,
                                                      "sources/x.txt": b"Quiet"}))
    assert _dump(empty) == before


# ---------------------------------------------------------------- QDC


def test_qdc_merge_by_guid_and_path_with_conflicts(demo, empty, tmp_path):
    qdc = export_qdc(demo, tmp_path / "book.qdc")
    report = import_qdc(empty, qdc)
    assert report.codes_added == len(codebook(demo))
    assert [c[:3] for c in _code_tree(empty)] == [c[:3] for c in _code_tree(demo)]

    again = import_qdc(empty, qdc)
    assert again.codes_added == 0 and again.codes_reused == len(codebook(demo))

    # Same GUID, different name: ours kept, reported. Same path, other GUID: reused.
    other = open_database(tmp_path / "other.db")
    escalation = create_code(other, "escalation")  # differs only by case
    create_code(other, "New idea", colour="#123456")
    doc = import_text(other, DecodedText("x y", "utf-8", False), source="t", clean=False)
    apply_coding(other, doc.document_id, escalation, 0, 1, "ada")
    actors_uuid = next(c.uuid for c in codebook(empty) if c.name == "Actors")
    other.execute("UPDATE codes SET uuid = ? WHERE name = 'New idea'", [actors_uuid])
    report = import_qdc(empty, export_qdc(other, tmp_path / "other.qdc"))
    other.conn.close()
    assert report.codes_added == 0 and report.codes_reused == 2
    assert len(report.conflicts) == 1 and "Actors" in report.conflicts[0]
    assert sorted(c.name for c in codebook(empty)) == sorted(c.name for c in codebook(demo))


def test_qdc_malformed_is_refused(empty, tmp_path):
    path = tmp_path / "bad.qdc"
    path.write_bytes(b"<CodeBook><Codes>")
    with pytest.raises(StoreError, match="line 1"):
        import_qdc(empty, path)


# ---------------------------------------------------------------- property


_words = st.text(
    alphabet=st.sampled_from([*"abc xyz\n", "é", "😀", "漢", "字", "🎉", "ß"]),
    min_size=1, max_size=60,
).filter(lambda t: t.strip())


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_words, min_size=1, max_size=3, unique_by=lambda t: t.rstrip()),
       spans=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.floats(0, 1),
                                st.floats(0, 1)), max_size=8))
def test_random_projects_round_trip(tmp_path_factory, texts, spans):
    folder = tmp_path_factory.mktemp("prop")
    db = open_database(folder / "a.db")
    documents = []
    for text in texts:
        result = import_text(db, DecodedText(text, "utf-8", False), source="t", clean=False)
        if result.document_id:
            documents.append(result.document_id)
    root = create_code(db, "Root")
    codes = [root, create_code(db, "Child 漢", parent_id=root),
             create_code(db, "Other 😀")]
    for doc_index, code_index, a, b in spans:
        document_id = documents[doc_index % len(documents)]
        text = db.execute("SELECT text FROM documents WHERE id = ?", [document_id]).fetchone()[0]
        start, end = sorted((int(a * len(text)), int(b * len(text))))
        if start == end:
            continue
        try:
            apply_coding(db, document_id, codes[code_index], start, end, "ada")
        except StoreError:
            continue  # refused by the store (e.g. an identical coding)
    path = export_qdpx(db, folder / "p.qdpx")
    target = open_database(folder / "b.db")
    report = import_qdpx(target, path)
    assert report.unplaced == []
    assert _codings(target) == _codings(db)
    for row in target.execute(
            'SELECT d.text, c.start, c."end", c.quote FROM codings c '
            'JOIN documents d ON d.id = c.document_id'):
        assert row[0][row[1]:row[2]] == row[3]
    db.conn.close()
    target.conn.close()


def test_a_pdf_source_uses_its_plain_text_twin(empty, tmp_path):
    source = (
        '<PDFSource guid="66666666-6666-4666-8666-666666666666" name="Report.pdf" '
        'path="internal://66666666-6666-4666-8666-666666666666.pdf">'
        '<Representation guid="77777777-7777-4777-8777-777777777777" '
        'plainTextPath="internal://77777777-7777-4777-8777-777777777777.txt">'
        f'{_selection(4, 9)}</Representation></PDFSource>'
        '<PDFSource guid="88888888-8888-4888-8888-888888888888" name="Scan.pdf" '
        'path="internal://88888888-8888-4888-8888-888888888888.pdf"/>'
    )
    archive = _zip(tmp_path / "pdf.qdpx", {
        "project.qde": _project(source),
        "sources/77777777-7777-4777-8777-777777777777.txt": b"The quick fox.",
    })
    report = import_qdpx(empty, archive)
    assert report.documents_added == 1 and report.codings_added == 1
    assert report.skipped_sources == ["PDFSource Scan.pdf"]
    assert _codings(empty)[0][:4] == ("Report.pdf", 4, 9, "quick")


# ---------------------------------------------------------------- two coders


def _qc_guid(source: str) -> str:
    """A GUID as qc (cproctor/qualitative-coding) derives them from names."""
    import hashlib
    import uuid

    return str(uuid.UUID(bytes=hashlib.md5(source.encode("utf8")).hexdigest()[:16].encode()))


def _two_coder_project(lines: list[str], coder_on: str) -> bytes:
    """A project as qc writes one: two Users, every line coded by both with
    the same code. ``coder_on="selection"``: one PlainTextSelection per coder,
    identical but for its creatingUser; ``"coding"``: one selection per line
    with a Coding per coder, each naming its creatingUser (qc's writer)."""
    coders = ["ana", "ben"]
    code = _qc_guid("interview.txt > Trust")
    selections = []
    position = 0
    for number, line in enumerate(lines):
        start, end = position, position + len(line)
        position = end
        head = (f'guid="{_qc_guid(f"interview.txt:{number}")}" name="line:{number}" '
                f'startPosition="{start}" endPosition="{end}"')
        codings = {coder: (f'<Coding guid="{_qc_guid(f"interview.txt:{number}:{coder}:Trust")}"'
                           f' creatingUser="{_qc_guid(coder)}">'
                           f'<CodeRef targetGUID="{code}"/></Coding>') for coder in coders}
        if coder_on == "selection":
            selections += [f'<PlainTextSelection {head} creatingUser="{_qc_guid(coder)}">'
                           f'{codings[coder]}</PlainTextSelection>' for coder in coders]
        else:
            selections.append(f'<PlainTextSelection {head}>{"".join(codings.values())}'
                              "</PlainTextSelection>")
    users = "".join(f'<User name="{coder}" guid="{_qc_guid(coder)}"/>' for coder in coders)
    return (
        '<Project xmlns="urn:QDA-XML:project:1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" origin="qc 2.4.1" '
        f'name="qc project"><Users>{users}</Users><CodeBook><Codes>'
        f'<Code name="Trust" guid="{code}" isCodable="true"/></Codes></CodeBook><Sources>'
        f'<TextSource plainTextPath="internal://{_qc_guid("interview.txt")}.txt" '
        f'guid="{_qc_guid("interview.txt")}" name="interview.txt">{"".join(selections)}'
        "</TextSource></Sources></Project>"
    ).encode()


@pytest.mark.parametrize("coder_on", ["selection", "coding"])
def test_two_coders_codings_of_the_same_passages_are_all_imported(empty, tmp_path, coder_on):
    lines = [f"Speaker {n % 3}: I trust them about point {n}, mostly.\n" for n in range(50)]
    path = _zip(tmp_path / "team.qdpx", {
        "project.qde": _two_coder_project(lines, coder_on),
        f"sources/{_qc_guid('interview.txt')}.txt": "".join(lines).encode(),
    })
    report = import_qdpx(empty, path)
    assert report.unplaced == []
    assert (report.codings_added, report.codings_skipped) == (100, 0)
    assert "codings 100 added, 0 duplicates skipped" in report.summary()
    by_coder = dict(empty.execute(
        "SELECT coders.name, COUNT(*) FROM codings JOIN coders ON coders.id = codings.coder_id "
        "GROUP BY coders.name").fetchall())
    assert by_coder == {"ana": 50, "ben": 50}
    # Each line, coded Trust by both coders (stored without its line break:
    # a passage never ends with whitespace).
    quotes = _quotes(empty)
    assert len(quotes) == 100 and sorted(set(quotes)) == sorted(line.strip() for line in lines)

    again = import_qdpx(empty, path)
    assert (again.documents_reused, again.codings_added, again.codings_skipped) == (1, 0, 100)
    assert empty.execute("SELECT COUNT(*) FROM codings").fetchone()[0] == 100


def test_our_export_of_two_coders_codings_of_a_passage_round_trips(demo, empty, tmp_path):
    ada = next(c for c in demo.execute(
        'SELECT document_id, code_id, start, "end" FROM codings ORDER BY id').fetchall())
    apply_coding(demo, *ada, "bob")
    report = import_qdpx(empty, export_qdpx(demo, tmp_path / "project.qdpx"))
    assert (report.codings_added, report.codings_skipped) == (5, 0)
    assert _codings(empty) == _codings(demo)
    assert sorted(row[5] for row in _codings(empty) if row[1:3] == tuple(ada[2:])) == [
        "ada", "bob"]


def test_an_imported_selection_is_stored_without_whitespace_at_its_ends(empty, tmp_path):
    source = ('<TextSource guid="55555555-5555-4555-8555-555555555555" name="Inline">'
              '<PlainTextContent>Hello brave\nnew world</PlainTextContent>'
              f'{_selection(5, 12)}</TextSource>')
    report = import_qdpx(empty, _zip(tmp_path / "a.qdpx", {"project.qde": _project(source)}))
    assert report.codings_added == 1
    assert [row[1:4] for row in _codings(empty)] == [(6, 11, "brave")]


def test_a_selection_of_only_whitespace_is_skipped_and_reported_not_fatal(empty, tmp_path):
    """The coding writer refuses a passage of nothing but whitespace: the
    import keeps every other coding, and says which selection it skipped."""
    from margin.store.importing import ImportOptions, run_import

    text = "Hello brave\n\n   new world"
    source = ('<TextSource guid="55555555-5555-4555-8555-555555555555" name="Inline">'
              f'<PlainTextContent>{text}</PlainTextContent>'
              f'{_selection(6, 11, 1)}{_selection(11, 16, 2)}{_selection(16, 25, 3)}'
              '</TextSource>')
    path = _zip(tmp_path / "a.qdpx", {"project.qde": _project(source)})
    report = import_qdpx(empty, path)
    assert report.documents_added == 1 and report.codings_added == 2
    assert _quotes(empty) == ["brave", "new world"]
    assert [(u.document, u.start, u.end, u.reason) for u in report.unplaced] == [
        ("Inline", 11, 16, "only whitespace, nothing to code")]
    assert report.summary().endswith("; 1 selection of only whitespace skipped")
    assert "could not be placed" not in report.summary()
    # Through the import flow (CLI and app): the line that says so.
    again = open_database(tmp_path / "again.db")
    lines = [entry.text for entry in run_import(again, [str(path)], ImportOptions(entities=False)).entries]
    assert "  not placed: Inline 11-16: only whitespace, nothing to code" in lines
    again.close()
