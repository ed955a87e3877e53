"""REFI-QDA export: QDPX projects and QDC codebooks, checked against the
official schemas (tests/data/refi-qda, MIT licence)."""

from __future__ import annotations

import itertools
import os
import stat
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from helpers import make_demo_project

from margin.store.codes import codebook, create_code, describe_code
from margin.store.codings import apply_coding, set_memo
from margin.store.db import open_database
from margin.store.documents import import_text
from margin.store.errors import QuoteMismatch, StoreError
from margin.store.refi import exporter as refi_export
from margin.store.refi.exporter import export_qdc, export_qdpx
from margin.store.sources.textio import DecodedText

SCHEMAS = Path(__file__).parent / "data" / "refi-qda"
P = "{urn:QDA-XML:project:1.0}"
C = "{urn:QDA-XML:codebook:1.0}"


@pytest.fixture(scope="module")
def project_schema():
    return xmlschema.XMLSchema(SCHEMAS / "Project.xsd")


@pytest.fixture(scope="module")
def codebook_schema():
    return xmlschema.XMLSchema(SCHEMAS / "Codebook.xsd")


@pytest.fixture
def demo(tmp_path):
    db = open_database(make_demo_project(tmp_path / "p.db"))
    set_memo(db, "The first article frames the aid debate.", "bob", document_id=1)
    set_memo(db, "People who act, not institutions.", "ada", code_id=_code_id(db, "Actors"))
    describe_code(db, _code_id(db, "US aid"), "Money & <weapons> sent to Ukraine")
    yield db
    db.conn.close()


def _code_id(db, name):
    return next(code.id for code in codebook(db) if code.name == name)


def _read_qdpx(path: Path) -> tuple[bytes, dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[0] == "project.qde"
        return archive.read("project.qde"), {
            name: archive.read(name) for name in names if name != "project.qde"
        }


def _source_texts(root: ET.Element, files: dict[str, bytes]) -> dict[str, str]:
    texts = {}
    for source in root.iter(f"{P}TextSource"):
        path = source.get("plainTextPath")
        assert path == f"internal://{source.get('guid')}.txt"
        texts[source.get("guid")] = files["sources/" + path.removeprefix("internal://")].decode(
            "utf-8")
    return texts


def test_qdpx_validates_and_selections_match_quotes(demo, tmp_path, project_schema):
    path = export_qdpx(demo, tmp_path / "project.qdpx")
    qde, files = _read_qdpx(path)
    project_schema.validate(qde.decode("utf-8"))
    root = ET.fromstring(qde)
    texts = _source_texts(root, files)

    codings = {row["uuid"]: row for row in demo.query(
        """SELECT c.uuid, c.start, c."end", c.quote, c.memo, codes.uuid AS code_uuid,
                  coders.uuid AS coder_uuid, c.created
           FROM codings c JOIN codes ON codes.id = c.code_id
           LEFT JOIN coders ON coders.id = c.coder_id""")}
    seen = set()
    for source in root.iter(f"{P}TextSource"):
        text = texts[source.get("guid")]
        for selection in source.findall(f"{P}PlainTextSelection"):
            row = codings[selection.get("guid")]
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            assert (start, end) == (row["start"], row["end"])
            assert text[start:end] == row["quote"]
            assert selection.get("creatingUser") == row["coder_uuid"]
            assert selection.get("creationDateTime") == row["created"]
            (coding,) = selection.findall(f"{P}Coding")
            assert coding.find(f"{P}CodeRef").get("targetGUID") == row["code_uuid"]
            assert coding.get("guid") not in codings
            seen.add(selection.get("guid"))
    assert seen == set(codings)
    # The demo project has overlapping codings: both survive as selections.
    spans = sorted((row["start"], row["end"]) for row in codings.values())
    assert any(a[1] > b[0] for a, b in itertools.pairwise(spans))


def test_qdpx_sources_are_the_documents_texts_and_guids_are_stored_uuids(
        demo, tmp_path):
    qde, files = _read_qdpx(export_qdpx(demo, tmp_path / "project.qdpx"))
    root = ET.fromstring(qde)
    documents = {row["uuid"]: row for row in demo.query("SELECT uuid, title, text FROM documents")}
    assert set(files) == {f"sources/{guid}.txt" for guid in documents}
    for source in root.iter(f"{P}TextSource"):
        document = documents[source.get("guid")]
        assert source.get("name") == document["title"]
        assert files[f"sources/{source.get('guid')}.txt"] == document["text"].encode("utf-8")

    users = {user.get("guid"): user.get("name") for user in root.iter(f"{P}User")}
    assert users == {row["uuid"]: row["name"] for row in demo.query("SELECT uuid, name FROM coders")}

    def tree(parent):
        return [(code.get("guid"), code.get("name"), code.get("isCodable"), code.get("color"),
                 tree(code)) for code in parent.findall(f"{P}Code")]

    def expected(parent_id):
        return [(code.uuid, code.name, "true", code.colour.upper(), expected(code.id))
                for code in codebook(demo) if code.parent_id == parent_id]

    assert tree(root.find(f"{P}CodeBook/{P}Codes")) == expected(None)
    aid = next(c for c in root.iter(f"{P}Code") if c.get("name") == "US aid")
    assert aid.findtext(f"{P}Description") == "Money & <weapons> sent to Ukraine"


def test_memos_are_notes_referenced_where_they_belong(demo, tmp_path):
    qde, _ = _read_qdpx(export_qdpx(demo, tmp_path / "project.qdpx"))
    root = ET.fromstring(qde)
    notes = {note.get("guid"): note for note in root.iter(f"{P}Note")}
    assert len(notes) == 3

    def note_text(element):
        (ref,) = element.findall(f"{P}NoteRef")
        return notes[ref.get("targetGUID")].findtext(f"{P}PlainTextContent")

    coding_memo = [s for s in root.iter(f"{P}PlainTextSelection") if s.find(f"{P}NoteRef") is not None]
    assert [note_text(s) for s in coding_memo] == [
        "Sullivan speaks for the outgoing administration"]
    document = root.find(f"{P}Sources/{P}TextSource")
    assert note_text(document) == "The first article frames the aid debate."
    actors = next(c for c in root.iter(f"{P}Code") if c.get("name") == "Actors")
    assert note_text(actors) == "People who act, not institutions."
    memo_rows = {row["uuid"]: row for row in demo.query(
        "SELECT memos.uuid, memos.created, coders.uuid AS coder FROM memos "
        "JOIN coders ON coders.id = memos.coder_id")}
    for guid, row in memo_rows.items():
        assert notes[guid].get("creatingUser") == row["coder"]
        assert notes[guid].get("creationDateTime") == row["created"]


def test_two_exports_are_byte_identical(demo, tmp_path):
    first = export_qdpx(demo, tmp_path / "a.qdpx").read_bytes()
    second = export_qdpx(demo, tmp_path / "a.qdpx").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.qdpx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert (export_qdc(demo, tmp_path / "a.qdc").read_bytes()
            == export_qdc(demo, tmp_path / "a.qdc").read_bytes())


def test_unicode_offsets_are_code_points(tmp_path, project_schema):
    db = open_database(tmp_path / "u.db")
    text = ("Ce\u0301line said 👩‍👩‍👧 family 🇺🇦 first.\n"
            "北京的会议很重要。 Then: «naïve» 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 & <tags> \"quoted\".\n")
    import_text(db, DecodedText(text, "utf-8", False), source="test", clean=False)
    document_id = next(db.query("SELECT id FROM documents"))["id"]
    stored = next(db.query("SELECT text FROM documents"))["text"]
    code = create_code(db, "Ünïcode 🙂")
    phrases = ["Ce\u0301line", "👩‍👩‍👧 family 🇺🇦", "北京的会议", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 & <tags>"]
    for phrase in phrases:
        start = stored.index(phrase)
        apply_coding(db, document_id, code, start, start + len(phrase), "zoë")
    qde, files = _read_qdpx(export_qdpx(db, tmp_path / "u.qdpx"))
    project_schema.validate(qde.decode("utf-8"))
    root = ET.fromstring(qde)
    (source_text,) = _source_texts(root, files).values()
    assert source_text == stored
    quotes = [source_text[int(s.get("startPosition")):int(s.get("endPosition"))]
              for s in root.iter(f"{P}PlainTextSelection")]
    assert sorted(quotes) == sorted(phrases)
    # Offsets are code points, not UTF-16 units or bytes.
    emoji = next(s for s in root.iter(f"{P}PlainTextSelection")
                 if source_text[int(s.get("startPosition"))] == "👩")
    assert int(emoji.get("startPosition")) == stored.index("👩")
    db.conn.close()


def test_qdc_validates_and_lists_the_tree_with_colours(demo, tmp_path, codebook_schema):
    path = export_qdc(demo, tmp_path / "codes.qdc")
    codebook_schema.validate(str(path))
    root = ET.parse(path).getroot()
    assert root.tag == f"{C}CodeBook"

    def tree(parent):
        return [(code.get("guid"), code.get("name"), code.get("color").lower(), tree(code))
                for code in parent.findall(f"{C}Code")]

    def expected(parent_id):
        return [(code.uuid, code.name, code.colour.lower(), expected(code.id))
                for code in codebook(demo) if code.parent_id == parent_id]

    assert tree(root.find(f"{C}Codes")) == expected(None)
    actors = root.find(f"{C}Codes/{C}Code")
    assert [child.get("name") for child in actors.findall(f"{C}Code")] == ["Officials"]


def test_empty_project_still_validates(tmp_path, project_schema):
    db = open_database(tmp_path / "e.db")
    qde, files = _read_qdpx(export_qdpx(db, tmp_path / "e.qdpx"))
    project_schema.validate(qde.decode("utf-8"))
    assert files == {}
    with pytest.raises(StoreError):
        export_qdc(db, tmp_path / "e.qdc")
    assert not (tmp_path / "e.qdc").exists()
    db.conn.close()


def test_a_shifted_passage_stops_the_export(demo, tmp_path):
    demo.execute("UPDATE codings SET quote = 'not the passage' WHERE id = 1")
    with pytest.raises(QuoteMismatch):
        export_qdpx(demo, tmp_path / "bad.qdpx")
    assert list(tmp_path.glob("bad*")) == []


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.suffix == ".tmp"]


def test_writing_to_a_directory_fails_cleanly(demo, tmp_path):
    target = tmp_path / "out.qdpx"
    target.mkdir()
    with pytest.raises(StoreError):
        export_qdpx(demo, target)
    with pytest.raises(StoreError):
        export_qdc(demo, target)
    assert target.is_dir() and list(target.iterdir()) == []
    assert _leftovers(tmp_path) == []
    with pytest.raises(StoreError):
        export_qdpx(demo, tmp_path / "missing" / "out.qdpx")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_writing_to_a_read_only_folder_fails_cleanly(demo, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StoreError):
            export_qdpx(demo, folder / "out.qdpx")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_failure_mid_write_leaves_the_old_file_and_no_partial_file(
        demo, tmp_path, monkeypatch):
    target = tmp_path / "out.qdpx"
    target.write_bytes(b"previous export")

    def failing_writer(entries):
        def write(handle):
            handle.write(b"PK partial")
            raise OSError(28, "No space left on device")
        return write

    monkeypatch.setattr(refi_export, "qdpx_bytes_writer", failing_writer)
    with pytest.raises(StoreError, match="No space left"):
        export_qdpx(demo, target)
    assert target.read_bytes() == b"previous export"
    assert _leftovers(tmp_path) == []
