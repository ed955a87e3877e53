"""REFI-QDA projects from strangers: sources are read from the archive, or
from a folder the user names and nowhere else; XML with a DTD is refused in
any encoding; code trees of any depth and codebooks of any size import."""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from margin.store.codes import codebook
from margin.store.db import open_database
from margin.store.errors import StoreError
from margin.store.refi.exporter import export_qdc, export_qdpx
from margin.store.refi.importer import import_qdc, import_qdpx

CODE_GUID = "11111111-1111-4111-8111-111111111111"


def _project(sources: str = "", codes: str | None = None, encoding: str = "UTF-8",
             doctype: str = "") -> str:
    if codes is None:
        codes = f'<Code guid="{CODE_GUID}" name="Theme" isCodable="true" color="#AA0000"/>'
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n{doctype}'
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="t" origin="other">'
        f'<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>{sources}</Sources></Project>'
    )


def _source(path: str, name: str = "Doc") -> str:
    return (f'<TextSource guid="55555555-5555-4555-8555-555555555555" name="{name}" '
            f'plainTextPath="{path}"/>')


def _zip(path: Path, entries: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _texts(db) -> list[str]:
    return [row[0] for row in db.execute("SELECT text FROM documents ORDER BY id")]


def _dump(db) -> list:
    return [db.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall()
            for table in ("coders", "documents", "codes", "codings", "memos")]


@pytest.fixture
def empty(tmp_path):
    db = open_database(tmp_path / "empty.db")
    yield db
    db.conn.close()


@pytest.fixture
def outside(tmp_path):
    """A secret file outside the folder the user names."""
    secret = tmp_path / "private" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("the user's secret")
    return secret


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "interview.txt").write_text("We met at dawn.")
    return folder


def _refused(db, archive: Path, **keywords) -> str:
    before = _dump(db)
    with pytest.raises(StoreError) as error:
        import_qdpx(db, archive, **keywords)
    assert _dump(db) == before
    message = str(error.value)
    assert "\n" not in message and "secret" not in _texts(db)
    return message


# ---------------------------------------------------------------- outside paths


@pytest.mark.parametrize("reference", [
    "absolute:///etc/passwd",
    "relative://../../../../../../../../etc/hostname",
])
def test_a_project_cannot_read_system_files_by_default(empty, tmp_path, reference):
    archive = _zip(tmp_path / "p.qdpx", {"project.qde": _project(_source(reference))})
    message = _refused(empty, archive)
    assert "outside the project" in message and "--sources" in message
    assert _texts(empty) == []


def test_an_absolute_path_to_a_file_outside_the_named_folder_is_refused(
        empty, tmp_path, folder, outside):
    archive = _zip(tmp_path / "p.qdpx",
                   {"project.qde": _project(_source(f"absolute://{outside}"))})
    message = _refused(empty, archive, sources=folder)
    assert "is not a file inside" in message
    assert _texts(empty) == []


def test_dot_dot_out_of_the_named_folder_is_refused(empty, tmp_path, folder, outside):
    reference = "relative://../private/secret.txt"
    archive = _zip(tmp_path / "p.qdpx", {"project.qde": _project(_source(reference))})
    _refused(empty, archive, sources=folder)
    assert _texts(empty) == []


def test_a_symlink_out_of_the_named_folder_is_refused(empty, tmp_path, folder, outside):
    (folder / "link.txt").symlink_to(outside)
    for reference in ("relative://link.txt", f"absolute://{folder / 'link.txt'}"):
        archive = _zip(tmp_path / "p.qdpx", {"project.qde": _project(_source(reference))})
        _refused(empty, archive, sources=folder)
    assert _texts(empty) == []


def test_a_device_in_the_named_folder_is_not_read(empty, tmp_path, folder):
    (folder / "zero").symlink_to("/dev/zero")
    archive = _zip(tmp_path / "p.qdpx",
                   {"project.qde": _project(_source("relative://zero"))})
    _refused(empty, archive, sources=folder)


def test_sources_inside_the_named_folder_are_read(empty, tmp_path, folder):
    (folder / "notes").mkdir()
    (folder / "notes" / "field.txt").write_text("Field notes.")
    sources = (_source(f"absolute://{folder / 'interview.txt'}", "A")
               + _source("relative://notes/field.txt", "B").replace("5555-555555555555",
                                                                      "5555-555555555556"))
    archive = _zip(tmp_path / "p.qdpx", {"project.qde": _project(sources)})
    import_qdpx(empty, archive, sources=folder)
    assert _texts(empty) == ["We met at dawn.", "Field notes."]


def test_a_path_from_another_computer_is_found_by_name_in_the_named_folder(
        empty, tmp_path, folder):
    reference = "absolute://C:/Users/anna/Project/interview.txt"
    archive = _zip(tmp_path / "p.qdpx", {"project.qde": _project(_source(reference))})
    import_qdpx(empty, archive, sources=folder)
    assert _texts(empty) == ["We met at dawn."]


def test_the_command_line_reads_outside_sources_only_with_sources_dir(tmp_path, folder):
    archive = _zip(tmp_path / "p.qdpx",
                   {"project.qde": _project(_source("relative://interview.txt"))})
    db = str(tmp_path / "p.db")

    def margin(*args):
        return subprocess.run([sys.executable, "-m", "margin.tui.cli", *args, "--db", db,
                               "--no-entities"], capture_output=True, timeout=120)

    refused = margin("import", str(archive))
    assert refused.returncode == 1
    assert b"--sources DIR" in refused.stderr and b"Traceback" not in refused.stderr
    done = margin("import", str(archive), "--sources", str(folder))
    assert done.returncode == 0, done.stderr
    listed = subprocess.run([sys.executable, "-m", "margin.tui.cli", "documents", "--db", db],
                            capture_output=True, timeout=120)
    assert b"Doc" in listed.stdout


# ---------------------------------------------------------------- DTDs


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16", "UTF-16-LE"])
def test_a_dtd_is_refused_in_any_encoding(empty, tmp_path, encoding):
    codes = f'<Code guid="{CODE_GUID}" name="&e;" isCodable="true"/>'
    text = _project(codes=codes, encoding="UTF-16" if "16" in encoding else encoding,
                    doctype='<!DOCTYPE Project [<!ENTITY e "expanded">]>')
    data = text.encode("utf-16") if encoding == "UTF-16" else \
        b"\xff\xfe" + text.encode("utf-16-le") if encoding == "UTF-16-LE" else text.encode()
    archive = _zip(tmp_path / "p.qdpx", {"project.qde": data})
    message = _refused(empty, archive)
    assert "DTDs and entities are not allowed" in message
    assert codebook(empty) == []
    qdc = tmp_path / "book.qdc"
    qdc.write_bytes(data.replace(b"P\x00r\x00o\x00j\x00e\x00c\x00t\x00",
                                 b"C\x00o\x00d\x00e\x00B\x00o\x00o\x00k\x00"))
    with pytest.raises(StoreError, match="DTDs and entities"):
        import_qdc(empty, qdc)


def test_a_utf16_project_without_a_dtd_imports(empty, tmp_path):
    text = _project(encoding="UTF-16")
    archive = _zip(tmp_path / "p.qdpx", {"project.qde": text.encode("utf-16")})
    import_qdpx(empty, archive)
    assert [code.name for code in codebook(empty)] == ["Theme"]


# ---------------------------------------------------------------- deep and big codebooks


def _deep_codes(depth: int) -> str:
    opening = "".join(
        f'<Code guid="00000000-0000-4000-8000-{level:012d}" name="level {level}" '
        f'isCodable="true">' for level in range(depth))
    return opening + "</Code>" * depth


def test_a_codebook_1000_deep_imports_lists_and_exports(empty, tmp_path):
    archive = _zip(tmp_path / "p.qdpx", {"project.qde": _project(codes=_deep_codes(1000))})
    report = import_qdpx(empty, archive)
    assert report.codes_added == 1000
    codes = codebook(empty)
    assert [code.depth for code in codes] == list(range(1000))
    assert codes[-1].path.startswith("level 0 > level 1 > ")
    assert codes[-1].path.endswith(" > level 999")
    assert codes[0].total_count == 0

    # Out again (project and codebook) and back into another database.
    qdpx = export_qdpx(empty, tmp_path / "out.qdpx")
    qdc = export_qdc(empty, tmp_path / "out.qdc")
    other = open_database(tmp_path / "other.db")
    import_qdpx(other, qdpx)
    import_qdc(other, qdc)
    assert [code.path for code in codebook(other)] == [code.path for code in codes]
    other.conn.close()


def test_margin_codes_lists_a_1000_deep_codebook(tmp_path):
    db_path = tmp_path / "deep.db"
    db = open_database(db_path)
    import_qdpx(db, _zip(tmp_path / "p.qdpx", {"project.qde": _project(codes=_deep_codes(1000))}))
    db.conn.close()
    result = subprocess.run([sys.executable, "-m", "margin.tui.cli", "codes", "--db",
                             str(db_path)], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr[-500:]
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1000 and lines[-1].strip() == "level 999  0"


def test_20000_codes_without_colours_import_in_linear_time(empty, tmp_path):
    codes = "".join(f'<Code guid="00000000-0000-4000-8000-{n:012d}" name="code {n}" '
                    f'isCodable="true"/>' for n in range(20_000))
    archive = _zip(tmp_path / "p.qdpx", {"project.qde": _project(codes=codes)})
    started = time.perf_counter()
    report = import_qdpx(empty, archive)
    seconds = time.perf_counter() - started
    assert report.codes_added == 20_000
    colours = {code.name: code.colour for code in codebook(empty)}
    assert all(len(colour) == 7 and colour.startswith("#") for colour in colours.values())
    # The palette's colours come first, each once.
    assert len({colours[f"code {n}"] for n in range(18)}) == 18
    # A figure for the report (pytest -s shows it), not a pass/fail test.
    print(f"\n20,000 codes without colours imported in {seconds:.1f} s")


async def test_the_import_dialog_reads_outside_sources_only_from_the_folder_named(
        tmp_path, folder):
    from helpers import make_project

    from margin.tui.app import MarginApp

    archive = _zip(tmp_path / "p.qdpx",
                   {"project.qde": _project(_source("relative://interview.txt"))})
    project = make_project(tmp_path / "p.db", sample=False)
    app = MarginApp(project, "ada", entity_backend="rules")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#paths").value = str(archive)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("outside the project" in line for line in dialog.shown)
        assert _texts(app.db) == []
        dialog.query_one("#sources").value = str(folder)
        dialog.query_one("#sources").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("documents 1 added" in line for line in dialog.shown), dialog.shown
    db = open_database(project)
    assert _texts(db) == ["We met at dawn."]
    db.conn.close()
