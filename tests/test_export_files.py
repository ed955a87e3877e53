"""`margin export` as a Unix user expects it: real processes, real files.

``-o -`` is standard output; files get ``0666 & ~umask``; a write is atomic
(a failure keeps the old file and leaves nothing beside it); only regular
files are written (never a pipe, a device or a folder, nor through a symlink
to one); a CSV has a byte-order mark in a file and none on standard output;
a full disk is one line; a closed pipe (``| head -1``) is the end of the run,
not an error.

The project is built with the store's functions, so that these tests run
only the export (and ``documents``) command.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shlex
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from margin.store.codes import create_code
from margin.store.codings import apply_coding
from margin.store.db import open_database
from margin.store.documents import get_document, import_text, list_documents
from margin.store.errors import StoreError
from margin.store.export import write_atomically
from margin.store.importing import import_sample_corpus
from margin.store.sources.textio import DecodedText

FORMATS = ("csv", "jsonl", "md", "qdpx", "qdc")
BOM = b"\xef\xbb\xbf"
# A few hundred documents with long titles: `margin documents` prints far
# more than a pipe holds, so `| head -1` closes it while margin still writes.
EXTRA_DOCUMENTS = 400
# How many codings the project holds (every line of the samples, five times).
CODINGS: list[int] = []


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The sample corpus, every line of it coded with five codes (~800
    codings, about 600 kB of JSONL), and many documents with long titles."""
    path = tmp_path_factory.mktemp("project") / "project.db"
    db = open_database(path)
    import_sample_corpus(db)
    codes = [create_code(db, f"Theme {number}") for number in range(5)]
    for document in list_documents(db):
        text = get_document(db, document.id).text
        for line in re.finditer(r"[^\n]+", text):
            for code in codes:
                apply_coding(db, document.id, code, line.start(), line.end(), "ada")
    CODINGS[:] = [db.execute("SELECT COUNT(*) FROM codings").fetchone()[0]]
    for number in range(EXTRA_DOCUMENTS):
        title = f"Interview {number} " + "about the summit and its aftermath " * 10
        import_text(db, DecodedText(f"Interview {number}.\n\nWe talked.\n", "utf-8", False),
                    source=f"interview-{number}.txt", clean=False, title=title.strip())
    db.conn.close()
    return path


def margin(*args: str, cwd: Path | None = None, stdout=subprocess.PIPE,
           umask: int = -1, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "margin.tui.cli", *args],
        stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
        cwd=cwd, umask=umask, timeout=timeout,
    )


def export(project: Path, export_format: str, *args: str, **options):
    return margin("export", "--db", str(project), "--format", export_format, *args, **options)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The run failed with exactly one ``Error:`` line on standard error."""
    err = result.stderr.decode()
    assert result.returncode != 0, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: "), err
    return lines[0]


def check_content(export_format: str, data: bytes) -> None:
    """``data`` is a whole export in ``export_format``."""
    if export_format == "csv":
        assert data.removeprefix(BOM).startswith(b"document_id,document_title,code,")
        assert data.count(b"\r\n") > CODINGS[0]  # a header, and quotes over several lines
    elif export_format == "jsonl":
        records = [json.loads(line) for line in data.decode().splitlines()]
        assert len(records) == CODINGS[0] > 700
        assert records[0]["code"].startswith("Theme ")
    elif export_format == "md":
        assert data.startswith(b"# Coded passages\n")
        assert b"## Theme 4" in data
    elif export_format == "qdpx":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert "project.qde" in archive.namelist()
            ElementTree.fromstring(archive.read("project.qde"))
    elif export_format == "qdc":
        root = ElementTree.fromstring(data)
        assert root.tag.endswith("CodeBook")
        assert b"Theme 4" in data


# ------------------------------------------------------------ standard output


@pytest.mark.parametrize("export_format", FORMATS)
def test_dash_is_standard_output_and_no_file_named_dash(project, tmp_path, export_format):
    result = export(project, export_format, "-o", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert os.listdir(tmp_path) == []  # no file named "-"
    assert result.stderr == b""  # not even "wrote -"
    check_content(export_format, result.stdout)


def test_a_qdpx_project_is_not_sent_to_a_terminal(project, tmp_path):
    controller, terminal = os.openpty()
    try:
        result = export(project, "qdpx", "-o", "-", cwd=tmp_path, stdout=terminal)
    finally:
        os.close(terminal)
        os.close(controller)
    line = one_error_line(result)
    assert "zip" in line
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------ file modes


@pytest.mark.parametrize("export_format", FORMATS)
def test_a_written_file_gets_0666_less_the_umask(project, tmp_path, export_format):
    for umask, mode in ((0o022, 0o644), (0o077, 0o600)):
        output = tmp_path / f"out-{umask:03o}.{export_format}"
        result = export(project, export_format, "-o", str(output), umask=umask)
        assert result.returncode == 0, result.stderr.decode()
        assert stat.S_IMODE(output.stat().st_mode) == mode, (oct(umask), export_format)
        check_content(export_format, output.read_bytes())
    assert len(os.listdir(tmp_path)) == 2  # and nothing else beside them


# ------------------------------------------------------------ atomic writes


@pytest.mark.parametrize(
    "failure, raised",
    [
        (OSError(errno.ENOSPC, "No space left on device"), StoreError),
        (RuntimeError("a bug half-way"), RuntimeError),
        (KeyboardInterrupt(), KeyboardInterrupt),
    ],
)
def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_beside_it(
        tmp_path, failure, raised):
    output = tmp_path / "export.csv"
    output.write_bytes(b"the old export\n")

    def writer(handle) -> None:
        handle.write(b"half of the new export" * 1000)
        handle.flush()
        raise failure

    with pytest.raises(raised) as caught:
        write_atomically(output, writer)
    if raised is StoreError:
        assert str(caught.value) == f"cannot write {output}: No space left on device"
    assert output.read_bytes() == b"the old export\n"
    assert os.listdir(tmp_path) == ["export.csv"]


def test_a_name_near_the_limit_is_written(project, tmp_path):
    """A name of 250 bytes (of 255): the temporary file's name must fit too."""
    name = "a" + "é" * 122 + "x.csv"  # the temporary name cuts inside a character
    assert len(os.fsencode(name)) == 250
    result = export(project, "csv", "-o", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert os.listdir(tmp_path) == [name]
    check_content("csv", (tmp_path / name).read_bytes())


# ------------------------------------------------------------ only regular files


@pytest.mark.parametrize("export_format", FORMATS)
def test_a_fifo_is_refused_and_left_a_fifo(project, tmp_path, export_format):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = export(project, export_format, "-o", str(fifo))
    line = one_error_line(result)
    assert "not a regular file" in line
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


@pytest.mark.parametrize("export_format", ["csv", "qdpx"])
def test_a_symlink_to_a_device_is_refused_and_left_a_symlink(project, tmp_path, export_format):
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    result = export(project, export_format, "-o", str(link))
    line = one_error_line(result)
    assert "not a regular file" in line
    assert os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert os.listdir(tmp_path) == ["null"]


@pytest.mark.parametrize("export_format", ["jsonl", "qdc"])
def test_a_symlink_to_a_fifo_is_refused_and_left_a_symlink(project, tmp_path, export_format):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    result = export(project, export_format, "-o", str(link))
    line = one_error_line(result)
    assert "not a regular file" in line
    assert os.readlink(link) == str(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["link", "pipe"]


@pytest.mark.parametrize("export_format", FORMATS)
def test_a_symlink_to_a_file_is_written_through(project, tmp_path, export_format):
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / f"latest.{export_format}"
    target.write_bytes(b"the old export\n")
    link = tmp_path / "link"
    link.symlink_to(target)
    result = export(project, export_format, "-o", str(link))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    assert os.readlink(link) == str(target)  # still the same link
    check_content(export_format, target.read_bytes())
    assert os.listdir(tmp_path) == ["exports", "link"]
    assert os.listdir(folder) == [target.name]


@pytest.mark.parametrize("export_format", ["md", "qdpx"])
def test_a_folder_is_refused(project, tmp_path, export_format):
    folder = tmp_path / "exports"
    folder.mkdir()
    result = export(project, export_format, "-o", str(folder))
    line = one_error_line(result)
    assert "directory" in line or "folder" in line
    assert folder.is_dir()
    assert os.listdir(folder) == []
    assert os.listdir(tmp_path) == ["exports"]


# ------------------------------------------------------------ byte-order mark


def test_a_csv_file_starts_with_a_bom_and_standard_output_does_not(project, tmp_path):
    output = tmp_path / "out.csv"
    assert export(project, "csv", "-o", str(output)).returncode == 0
    assert output.read_bytes().startswith(BOM + b"document_id,")

    for args in ((), ("-o", "-")):
        result = export(project, "csv", *args)
        assert result.returncode == 0
        assert result.stdout.startswith(b"document_id,")


def test_bom_and_no_bom_override_both_ways(project, tmp_path):
    output = tmp_path / "out.csv"
    result = export(project, "csv", "--no-bom", "-o", str(output))
    assert result.returncode == 0, result.stderr.decode()
    assert output.read_bytes().startswith(b"document_id,")

    result = export(project, "csv", "--bom")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.startswith(BOM + b"document_id,")

    assert export(project, "csv", "--bom", "-o", str(output)).returncode == 0
    assert output.read_bytes().startswith(BOM + b"document_id,")
    assert export(project, "csv", "--no-bom", "-o", "-").stdout.startswith(b"document_id,")


# ------------------------------------------------------------ a full disk


@pytest.mark.parametrize(
    "export_format, args",
    [("jsonl", ()), ("md", ("-o", "-")), ("qdpx", ("-o", "-")), ("qdc", ("-o", "-"))],
)
def test_standard_output_on_a_full_disk_is_one_line(project, export_format, args):
    with open("/dev/full", "wb") as full:
        result = export(project, export_format, *args, stdout=full)
    line = one_error_line(result)
    assert "No space left on device" in line


@pytest.mark.parametrize("args", [("csv",), ("qdpx", "-o", "-")])
def test_a_closed_standard_output_is_one_line(project, args):
    command = shlex.join([sys.executable, "-m", "margin.tui.cli", "export", "--db",
                          str(project), "--format", *args])
    result = subprocess.run(["bash", "-c", f"{command} >&-"], stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=30)
    line = one_error_line(result)
    assert line == "Error: cannot write to standard output: Bad file descriptor"


def test_a_list_to_a_closed_standard_output_is_one_line(project):
    """`margin documents >&-`: Python has no stdout at all; the list cannot be
    printed, and saying so beats a traceback (or an empty success)."""
    command = shlex.join([sys.executable, "-m", "margin.tui.cli", "documents", "--db",
                          str(project)])
    result = subprocess.run(["bash", "-c", f"{command} >&-"], stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=30)
    line = one_error_line(result)
    assert line == "Error: cannot write to standard output: Bad file descriptor"


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 kB file system (tmpfs), mounted for the test: root only."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("export_format", ["jsonl", "csv", "md"])
def test_a_file_on_a_full_disk_is_one_line_and_the_old_file_stays(
        project, tiny_disk, export_format):
    old = tiny_disk / f"export.{export_format}"
    old.write_bytes(b"the old export\n")
    new = tiny_disk / f"new.{export_format}"
    for output in (old, new):
        result = export(project, export_format, "-o", str(output))
        line = one_error_line(result)
        assert "No space left on device" in line
    assert old.read_bytes() == b"the old export\n"
    assert os.listdir(tiny_disk) == [old.name]  # no partial file, no temporary file


# ------------------------------------------------------------ a closed pipe


@pytest.mark.parametrize(
    "command",
    [
        ["export", "--format", "jsonl"],
        ["export", "--format", "md", "-o", "-"],
        ["export", "--format", "qdpx", "-o", "-"],
        ["documents", "--json"],
    ],
)
def test_a_reader_that_goes_away_is_not_an_error(project, command):
    margin_command = shlex.join([sys.executable, "-m", "margin.tui.cli", *command,
                                 "--db", str(project)])
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {margin_command} | head -c 100"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
    )
    assert result.stderr == b""  # no traceback, no "Exception ignored", no "Broken pipe"
    assert result.returncode == 0
    assert len(result.stdout) == 100


@pytest.mark.parametrize("command", [["export", "--format", "jsonl"], ["documents"]])
def test_head_one_line(project, command):
    """The pipeline of the README: ``margin … | head -1``."""
    margin_command = shlex.join([sys.executable, "-m", "margin.tui.cli", *command,
                                 "--db", str(project)])
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {margin_command} | head -1"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
    )
    assert result.stderr == b""
    assert result.returncode == 0
    assert result.stdout.count(b"\n") == 1
    if command[0] == "export":
        assert json.loads(result.stdout)["code"].startswith("Theme ")
    else:
        assert result.stdout.split() == [b"id", b"words", b"codings", b"title"]


# ------------------------------------------------------------ one writer


def test_the_refi_exporter_refuses_a_fifo_as_the_passages_do(project, tmp_path):
    """There is one writer: a .qdpx or .qdc onto a pipe gets the same refusal,
    word for word, as a CSV."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    lines = {export_format: one_error_line(export(project, export_format, "-o", str(fifo)))
             for export_format in ("csv", "qdpx", "qdc")}
    assert lines["qdpx"] == lines["csv"] == lines["qdc"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("export_format", ["csv", "qdpx"])
def test_a_symlink_to_nothing_is_refused_and_left_a_symlink(project, tmp_path, export_format):
    """A dangling link is refused like a link to a device: margin creates no
    file where the link's maker chose, nor replaces the link with a file."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "latest"
    link.symlink_to(elsewhere / "planted.csv")
    result = export(project, export_format, "-o", str(link))
    line = one_error_line(result)
    assert line == (f"Error: cannot write {link}: it is a symbolic link to "
                    f"{elsewhere / 'planted.csv'}, which does not exist; name the file "
                    "itself, or - for standard output")
    assert os.readlink(link) == str(elsewhere / "planted.csv")
    assert os.listdir(elsewhere) == []
    assert sorted(os.listdir(tmp_path)) == ["elsewhere", "latest"]
