"""Importing HTML, DOCX, PDF and EPUB files (store/formats.py)."""

from __future__ import annotations

import builtins
import datetime
import zipfile
from pathlib import Path

import pytest

from margin.store.documents import get_document
from margin.store.importing import import_paths
from margin.store.sources.formats import (
    NEEDS_EXTRA,
    extract_docx,
    extract_epub,
    extract_html,
    extract_pdf,
)
from margin.store.sources.textio import ImportRefused, read_text_file

pytest.importorskip("trafilatura")
pytest.importorskip("docx")
pytest.importorskip("pypdf")


def _columns(db, document_id: int) -> dict:
    [row] = db.query(
        "SELECT title, author, published, encoding, original, text FROM documents WHERE id = ?",
        [document_id],
    )
    return row


# --- HTML -------------------------------------------------------------------

ARTICLE = [
    "The city council voted on Tuesday to approve a plan for two thousand new homes "
    "on the former rail yards, after months of debate among residents and developers.",
    "Residents who spoke at the meeting said they welcomed the homes but worried about "
    "traffic, schools and the loss of green space along the river bank.",
    "The plan will now go to the regional planning board, which is expected to decide "
    "before the end of the year, according to the council’s housing officer.",
]

HTML = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Council approves housing plan | The Daily Gazette</title>
<meta name="author" content="Anna Smith">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<script>var tracking = "should never appear";</script>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav>
<div class="advertisement ad-banner">Buy cheap watches now! Limited offer.</div>
<article><h1>Council approves housing plan</h1>
{"".join(f"<p>{paragraph}</p>" for paragraph in ARTICLE)}
</article>
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Celebrity gossip</a></li></ul></aside>
<footer>Copyright 2024 The Daily Gazette. All rights reserved. Privacy policy.</footer>
</body></html>
"""


def test_html_main_text_kept_and_boilerplate_dropped():
    extracted = extract_html(HTML.encode("utf-8"))
    for paragraph in ARTICLE:
        assert paragraph in extracted.text
    # One blank line between paragraphs.
    assert f"{ARTICLE[0]}\n\n{ARTICLE[1]}" in extracted.text
    for boilerplate in ("Home", "Sport", "watches", "Copyright", "tracking", "Celebrity"):
        assert boilerplate not in extracted.text
    assert extracted.title == "Council approves housing plan"
    assert extracted.author == "Anna Smith"
    assert extracted.published == "2024-03-05"
    assert extracted.source == HTML  # the page itself is the original


def test_html_import_sets_columns_and_keeps_source_as_original(db, tmp_path: Path):
    path = tmp_path / "article.html"
    path.write_text(HTML, encoding="utf-8")
    [result] = import_paths(db, [str(path)], clean=True)
    assert result.status == "imported", result.message
    row = _columns(db, result.document_id)
    assert row["title"] == "Council approves housing plan"
    assert row["author"] == "Anna Smith"
    assert row["published"] == "2024-03-05"
    assert row["encoding"] == "utf-8"
    assert row["original"] == HTML.rstrip()
    assert ARTICLE[2] in row["text"] and "<p>" not in row["text"]
    # The same page again is a duplicate.
    [again] = import_paths(db, [str(path)], clean=True)
    assert again.status == "duplicate"


def test_html_title_falls_back_to_title_element():
    page = (
        "<html><head><title>Only a title</title></head><body>"
        + "".join(f"<p>{paragraph}</p>" for paragraph in ARTICLE)
        + "</body></html>"
    )
    extracted = extract_html(page.encode())
    assert ARTICLE[0] in extracted.text
    assert extracted.title == "Only a title"
    assert extracted.author is None and extracted.published is None


def test_html_without_main_text_is_refused():
    with pytest.raises(ImportRefused, match="no main text"):
        extract_html(
            b"<html><head><title>x</title><script>var a;</script></head><body></body></html>"
        )


# --- DOCX -------------------------------------------------------------------


def _make_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Interview notes", level=1)
    document.add_paragraph("First paragraph about the housing plan.")
    document.add_paragraph("Second paragraph, with a second sentence. Here it is.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Name"
    table.cell(0, 1).text = "Role"
    table.cell(1, 0).text = "Anna"
    table.cell(1, 1).text = "Resident"
    document.add_paragraph("After the table.")
    properties = document.core_properties
    properties.title = "Notes from the council meeting"
    properties.author = "Bob Jones"
    properties.created = datetime.datetime(2023, 11, 20, 9, 30)
    document.save(path)


def test_docx_paragraphs_heading_table_and_properties(tmp_path: Path):
    path = tmp_path / "notes.docx"
    _make_docx(path)
    extracted = extract_docx(path.read_bytes())
    assert extracted.text == (
        "Interview notes\n\n"
        "First paragraph about the housing plan.\n\n"
        "Second paragraph, with a second sentence. Here it is.\n\n"
        "Name\tRole\nAnna\tResident\n\n"
        "After the table."
    )
    assert extracted.title == "Notes from the council meeting"
    assert extracted.author == "Bob Jones"
    assert extracted.published == "2023-11-20"
    assert extracted.warnings == ()


def test_docx_import_sets_columns(db, tmp_path: Path):
    path = tmp_path / "notes.docx"
    _make_docx(path)
    [result] = import_paths(db, [str(path)], clean=False)
    assert result.status == "imported", result.message
    row = _columns(db, result.document_id)
    assert row["title"] == "Notes from the council meeting"
    assert row["author"] == "Bob Jones"
    assert row["published"] == "2023-11-20"
    assert row["encoding"] == "docx"
    # A binary format: the extracted text is what was decoded, so it is the original.
    assert row["original"] == row["text"]
    assert get_document(db, result.document_id).text.startswith("Interview notes\n\n")


# --- PDF --------------------------------------------------------------------


def _make_pdf(path: Path, pages: list[str | None], metadata: dict | None = None) -> None:
    """A PDF with one page per entry: a line of Helvetica text, or blank for None."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    for text in pages:
        page = writer.add_blank_page(612, 792)
        if text is None:
            continue
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    if metadata:
        writer.add_metadata(metadata)
    with open(path, "wb") as handle:
        writer.write(handle)


PDF_METADATA = {
    "/Title": "Annual housing report",
    "/Author": "City Council",
    "/CreationDate": "D:20220114093000Z",
}


def test_pdf_pages_text_metadata_and_empty_page_warning(tmp_path: Path):
    path = tmp_path / "report.pdf"
    _make_pdf(
        path,
        ["Page one speaks of homes.", None, "Page three speaks of schools.", None],
        PDF_METADATA,
    )
    extracted = extract_pdf(path.read_bytes())
    assert extracted.text == "Page one speaks of homes.\n\nPage three speaks of schools."
    assert extracted.title == "Annual housing report"
    assert extracted.author == "City Council"
    assert extracted.published == "2022-01-14"
    assert extracted.warnings == ("pages 2, 4 have no text (scanned?)",)


def test_pdf_import_reports_warning_and_sets_columns(db, tmp_path: Path):
    path = tmp_path / "report.pdf"
    _make_pdf(path, ["Page one speaks of homes.", None], PDF_METADATA)
    [result] = import_paths(db, [str(path)], clean=False)
    assert result.status == "imported", result.message
    assert result.message.endswith(", page 2 has no text (scanned?)")
    row = _columns(db, result.document_id)
    assert (row["title"], row["author"], row["published"], row["encoding"]) == (
        "Annual housing report",
        "City Council",
        "2022-01-14",
        "pdf",
    )
    assert row["text"] == row["original"] == "Page one speaks of homes."


def test_pdf_without_any_text_is_refused(tmp_path: Path):
    path = tmp_path / "scan.pdf"
    _make_pdf(path, [None, None])
    with pytest.raises(ImportRefused, match="no text in this PDF"):
        extract_pdf(path.read_bytes())


def test_pdf_under_a_text_name_is_still_refused_as_binary(tmp_path: Path):
    path = tmp_path / "report.txt"
    _make_pdf(path, ["Some text."])
    with pytest.raises(ImportRefused, match="PDF document"):
        read_text_file(path)


# --- EPUB -------------------------------------------------------------------

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf"
    media-type="application/oebps-package+xml"/></rootfiles>
</container>"""

OPF = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="id">urn:uuid:1234</dc:identifier>
    <dc:title>A Book of Rivers</dc:title>
    <dc:creator>Clara Oswald</dc:creator>
    <dc:date>2019-06-01T00:00:00Z</dc:date>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="c1" href="text/chapter%201.xhtml" media-type="application/xhtml+xml"/>
    <item id="c2" href="text/chapter2.xhtml" media-type="application/xhtml+xml"/>
    <item id="css" href="style.css" media-type="text/css"/>
  </manifest>
  <spine><itemref idref="c2"/><itemref idref="c1"/></spine>
</package>"""

CHAPTER = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title>
<style>p {{ color: red; }}</style></head>
<body><h1>{title}</h1><p>{first}</p><p>{second}</p></body></html>"""


def _make_epub(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", CONTAINER)
        archive.writestr("OEBPS/content.opf", OPF)
        archive.writestr("OEBPS/nav.xhtml", "<html><body><nav>Contents</nav></body></html>")
        archive.writestr("OEBPS/style.css", "p { margin: 0 }")
        archive.writestr(
            "OEBPS/text/chapter 1.xhtml",
            CHAPTER.format(title="The Source", first="Rivers begin small.", second="Then grow."),
        )
        archive.writestr(
            "OEBPS/text/chapter2.xhtml",
            CHAPTER.format(
                title="Foreword", first="This book is about rivers.", second="Read it slowly."
            ),
        )


def test_epub_chapters_in_spine_order_with_metadata(tmp_path: Path):
    path = tmp_path / "rivers.epub"
    _make_epub(path)
    extracted = extract_epub(path.read_bytes())
    assert extracted.text == (
        "Foreword\n\nThis book is about rivers.\n\nRead it slowly.\n\n"
        "The Source\n\nRivers begin small.\n\nThen grow."
    )
    assert (extracted.title, extracted.author, extracted.published) == (
        "A Book of Rivers",
        "Clara Oswald",
        "2019-06-01",
    )


def test_epub_import_sets_columns(db, tmp_path: Path):
    path = tmp_path / "rivers.epub"
    _make_epub(path)
    [result] = import_paths(db, [str(path)], clean=False)
    assert result.status == "imported", result.message
    row = _columns(db, result.document_id)
    assert (row["title"], row["author"], row["published"], row["encoding"]) == (
        "A Book of Rivers",
        "Clara Oswald",
        "2019-06-01",
        "epub",
    )


def test_zip_that_is_not_an_epub_is_refused(tmp_path: Path):
    path = tmp_path / "not.epub"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ImportRefused, match="cannot read this EPUB"):
        extract_epub(path.read_bytes())


# --- batches, corrupt files, missing extra ------------------------------------


def test_corrupt_files_are_refused_in_one_line_and_batch_goes_on(db, tmp_path: Path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 this is not really a zip file")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage garbage\n")
    (folder / "broken.epub").write_bytes(b"PK\x03\x04 nope")
    (folder / "article.html").write_text(HTML, encoding="utf-8")
    _make_docx(folder / "notes.docx")
    _make_pdf(folder / "report.pdf", ["Page one speaks of homes."], PDF_METADATA)
    _make_epub(folder / "rivers.epub")
    (folder / "plain.txt").write_text("Just some text.\n", encoding="utf-8")
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # not picked up from a folder

    results = {Path(r.source).name: r for r in import_paths(db, [str(folder)], clean=False)}
    assert set(results) == {
        "broken.docx", "broken.pdf", "broken.epub", "article.html",
        "notes.docx", "report.pdf", "rivers.epub", "plain.txt",
    }  # fmt: skip
    for name in ("broken.docx", "broken.pdf", "broken.epub"):
        assert results[name].status == "refused"
        assert "\n" not in results[name].message
        assert results[name].message.startswith("cannot read this")
    for name in ("article.html", "notes.docx", "report.pdf", "rivers.epub", "plain.txt"):
        assert results[name].status == "imported", (name, results[name].message)


def test_empty_pdf_file_is_refused(db, tmp_path: Path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    [result] = import_paths(db, [str(path)], clean=False)
    assert (result.status, result.message) == ("refused", "empty file")


@pytest.mark.parametrize(
    ("module", "extractor", "data"),
    [
        ("trafilatura", extract_html, b"<html><body><p>Hello</p></body></html>"),
        ("docx", extract_docx, b"PK\x03\x04"),
        ("pypdf", extract_pdf, b"%PDF-1.4"),
    ],
)
def test_missing_extra_is_a_one_line_refusal(monkeypatch, module, extractor, data):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportRefused) as refusal:
        extractor(data)
    assert str(refusal.value) == NEEDS_EXTRA
    assert NEEDS_EXTRA == "needs the formats extra: pip install 'margin[formats]'"
