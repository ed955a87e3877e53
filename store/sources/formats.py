"""Plain text out of HTML, DOCX, PDF and EPUB files, for import.

Each extractor takes the file's bytes and returns an ``Extracted``: the plain
text that will be coded (paragraphs separated by one blank line), what the
file says about itself (title, author, publication date as ISO
``YYYY-MM-DD``) and warnings worth showing in the import message.  A file
that yields no text, or that the format's library cannot read, is refused
with a one-line ``ImportRefused``.

The libraries (trafilatura, python-docx, pypdf) are the ``formats`` extra and
are imported only when a file of their kind is imported; without them the
file is refused with the line telling how to install them.  EPUB needs no
library: it is a zip of XHTML chapters listed in an OPF package file, read
here with the standard library.  Nothing is ever fetched from the network.

Pure Python: part of the store, which never imports the UI.
"""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import unquote

from margin.store.sources.textio import ImportRefused, decode_bytes, normalise_text

if TYPE_CHECKING:  # imported where an EPUB is read: import stays cheap at start-up
    import zipfile
    from xml.etree import ElementTree

NEEDS_EXTRA = "needs the formats extra: pip install 'margin[formats]'"


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO date, "YYYY-MM-DD" (or "YYYY-MM", "YYYY")
    warnings: tuple[str, ...] = field(default=())
    # What import stores as the document's original: the HTML source for HTML
    # (it is text); None for binary formats, whose original is the extracted text.
    source: str | None = None
    encoding: str | None = None


# --- shared helpers -----------------------------------------------------------

# Control characters no text needs (tab and newline are kept); PDF and DOCX
# text sometimes carries them (vertical tab for a soft line break in Word).
_CONTROLS = re.compile(r"[\x00-\x08\x0c\x0e-\x1f\x7f-\x9f]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def _tidy(text: str) -> str:
    """Controls out, line endings ``\\n``, runs of blank lines made one, trimmed."""
    text = normalise_text(text.replace("\x0b", "\n"))
    text = _CONTROLS.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _one_line(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _iso_date(value: object) -> str | None:
    """A date, datetime or date-like string as ``YYYY-MM-DD`` (or shorter if vaguer)."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    match = _ISO_DATE.match(str(value).strip())
    if not match or not 1000 <= int(match.group(1)) <= 2999:
        return None
    return "-".join(part for part in match.groups() if part)


def _refuse_if_empty(text: str, kind: str) -> None:
    if not text.strip():
        raise ImportRefused(f"no text found in this {kind} file")


# --- HTML to text without a library (EPUB chapters, HTML fallback) ----------

_BLOCK_TAGS = frozenset(
    ["address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "div", "dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"]
)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "noscript", "template", "svg", "math"})
_VOID_TAGS = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)


class _TextParser(HTMLParser):
    """Paragraphs of an (X)HTML page: block elements separate paragraphs,
    whitespace inside one collapses, script/style/head are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._skipping = 0
        self._pre = 0
        self.title_parts: list[str] = []
        self._in_title = False

    def _flush(self) -> None:
        text = "".join(self._current)
        if not self._pre:
            text = " ".join(text.split())
        if text.strip():
            self.paragraphs.append(text.strip("\n"))
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIPPED_TAGS:
            if tag not in _VOID_TAGS:
                self._skipping += 1
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "pre":
            self._pre += 1
        elif tag in ("td", "th") and self._current:
            self._current.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS and not self._skipping:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
            return
        if tag in ("td", "th"):
            return  # cells of one row stay on one line
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        if not self._skipping:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _parse_html(markup: str) -> _TextParser:
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    return parser


def html_to_text(markup: str) -> str:
    """Plain text of an HTML page with the standard library: one paragraph per block."""
    return _tidy("\n\n".join(_parse_html(markup).paragraphs))


def _html_title(markup: str) -> str | None:
    return _one_line(" ".join(_parse_html(markup).title_parts))


# --- HTML -------------------------------------------------------------------


def extract_html(data: bytes) -> Extracted:
    """Main text of a web page (trafilatura), without navigation, ads and footers."""
    try:
        import trafilatura
    except ImportError:
        raise ImportRefused(NEEDS_EXTRA) from None
    decoded = decode_bytes(data)
    markup = decoded.text
    text = None
    # Precision first (least boilerplate); a short page can come back empty,
    # so try again with trafilatura's defaults before giving up.
    for precision in (True, False):
        text = trafilatura.extract(
            markup,
            output_format="txt",
            include_comments=False,
            include_tables=True,
            favor_precision=precision,
            with_metadata=False,
            deduplicate=False,
        )
        if text and text.strip():
            break
    if not text or not text.strip():
        raise ImportRefused("no main text found in this HTML page")
    title = author = published = None
    try:
        metadata = trafilatura.extract_metadata(markup)
    except Exception:  # metadata is a bonus: never refuse a page for it
        metadata = None
    if metadata is not None:
        title = _one_line(metadata.title)
        author = _one_line(metadata.author)
        published = _iso_date(metadata.date)
    text = _tidy(_paragraphs_from_lines(text))
    _refuse_if_empty(text, "HTML")
    return Extracted(
        text,
        title=title or _html_title(markup),
        author=author,
        published=published,
        source=markup,
        encoding=decoded.encoding,
    )


def _paragraphs_from_lines(text: str) -> str:
    """trafilatura's "txt" puts one paragraph per line; make them blank-line separated."""
    return "\n\n".join(line for line in text.split("\n") if line.strip())


# --- DOCX -------------------------------------------------------------------


def extract_docx(data: bytes) -> Extracted:
    """Paragraphs (headings as their own lines) and tables (tab-separated rows)."""
    try:
        import docx
        from docx.table import Table
    except ImportError:
        raise ImportRefused(NEEDS_EXTRA) from None
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                rows = []
                for row in block.rows:
                    cells: list[str] = []
                    previous = None
                    for cell in row.cells:
                        # A merged cell repeats in python-docx: keep it once.
                        if previous is None or cell._tc is not previous._tc:
                            cells.append(" ".join(cell.text.split()))
                        previous = cell
                    if any(cells):
                        rows.append("\t".join(cells))
                if rows:
                    blocks.append("\n".join(rows))
            elif block.text.strip():
                blocks.append(block.text)
        properties = document.core_properties
        title = _one_line(properties.title)
        author = _one_line(properties.author)
        created = properties.created
    except ImportRefused:
        raise
    except Exception as error:
        raise ImportRefused(f"cannot read this DOCX file ({_reason(error)})") from None
    text = _tidy("\n\n".join(blocks))
    _refuse_if_empty(text, "DOCX")
    return Extracted(
        text, title=title, author=author, published=_iso_date(created), encoding="docx"
    )


def _reason(error: BaseException) -> str:
    reason = " ".join(str(error).split()) or type(error).__name__
    return reason[:120]


# --- PDF --------------------------------------------------------------------


def extract_pdf(data: bytes) -> Extracted:
    """Text page by page (pages separated by a blank line); pages without text warned about."""
    try:
        import pypdf
    except ImportError:
        raise ImportRefused(NEEDS_EXTRA) from None
    import logging

    # pypdf logs recoverable damage as warnings; the import message says enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise ImportRefused("PDF is password-protected")
            except ImportRefused:
                raise
            except Exception:
                raise ImportRefused("PDF is encrypted and cannot be read") from None
        pages: list[str] = []
        empty: list[int] = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                page_text = _tidy(page.extract_text() or "")
            except Exception:
                page_text = ""
            if page_text:
                pages.append(page_text)
            else:
                empty.append(number)
        title = author = published = None
        try:
            metadata = reader.metadata
            if metadata is not None:
                title = _one_line(metadata.title)
                author = _one_line(metadata.author)
                try:
                    published = _iso_date(metadata.creation_date)
                except Exception:  # a malformed date string
                    published = None
        except Exception:
            pass
    except ImportRefused:
        raise
    except Exception as error:
        raise ImportRefused(f"cannot read this PDF file ({_reason(error)})") from None
    if not pages:
        raise ImportRefused("no text in this PDF (scanned? it needs OCR first)")
    warnings = ()
    if empty:
        listed = ", ".join(str(n) for n in empty)
        noun = "pages" if len(empty) > 1 else "page"
        verb = "have" if len(empty) > 1 else "has"
        warnings = (f"{noun} {listed} {verb} no text (scanned?)",)
    return Extracted(
        "\n\n".join(pages),
        title=title,
        author=author,
        published=published,
        warnings=warnings,
        encoding="pdf",
    )


# --- EPUB -------------------------------------------------------------------

_CONTAINER_NS = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF_NS = "{http://www.idpf.org/2007/opf}"
_DC_NS = "{http://purl.org/dc/elements/1.1/}"
_HTML_TYPES = frozenset({"application/xhtml+xml", "text/html", "application/x-dtbook+xml"})
# A chapter bigger than this (uncompressed) is not a chapter: a zip bomb.
_MAX_MEMBER = 64 * 1024 * 1024


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > _MAX_MEMBER:
        raise ImportRefused(f"EPUB member {name} is too large")
    return archive.read(info)


def extract_epub(data: bytes) -> Extracted:
    """Chapters in spine order, read from the zip and its OPF package file."""
    import zipfile
    from xml.etree import ElementTree

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        container = ElementTree.fromstring(_read_member(archive, "META-INF/container.xml"))
        rootfile = container.find(f"{_CONTAINER_NS}rootfiles/{_CONTAINER_NS}rootfile")
        if rootfile is None or not rootfile.get("full-path"):
            raise ImportRefused("not an EPUB (no package file named in META-INF/container.xml)")
        opf_path = rootfile.get("full-path", "")
        package = ElementTree.fromstring(_read_member(archive, opf_path))
        base = posixpath.dirname(opf_path)
        manifest = {
            item.get("id"): item
            for item in package.iter(f"{_OPF_NS}item")
            if item.get("id") and item.get("href")
        }
        chapters: list[str] = []
        for itemref in package.iter(f"{_OPF_NS}itemref"):
            item = manifest.get(itemref.get("idref"))
            if item is None or item.get("media-type") not in _HTML_TYPES:
                continue
            name = posixpath.normpath(posixpath.join(base, unquote(item.get("href", ""))))
            try:
                markup = decode_bytes(_read_member(archive, name)).text
            except KeyError:
                continue  # listed but missing: keep the rest of the book
            except ImportRefused:
                continue  # an empty chapter
            chapter = html_to_text(markup)
            if chapter:
                chapters.append(chapter)
        metadata = package.find(f"{_OPF_NS}metadata")
        title = author = published = None
        if metadata is not None:
            title = _first_text(metadata, f"{_DC_NS}title")
            author = _first_text(metadata, f"{_DC_NS}creator")
            published = _iso_date(_first_text(metadata, f"{_DC_NS}date"))
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as error:
        raise ImportRefused(f"cannot read this EPUB file ({_reason(error)})") from None
    text = "\n\n".join(chapters)
    _refuse_if_empty(text, "EPUB")
    return Extracted(text, title=title, author=author, published=published, encoding="epub")


def _first_text(parent: ElementTree.Element, tag: str) -> str | None:
    for element in parent.iter(tag):
        text = _one_line("".join(element.itertext()))
        if text:
            return text
    return None


# --- by suffix --------------------------------------------------------------

EXTRACTORS: dict[str, Callable[[bytes], Extracted]] = {
    ".html": extract_html,
    ".htm": extract_html,
    ".xhtml": extract_html,
    ".docx": extract_docx,
    ".pdf": extract_pdf,
    ".epub": extract_epub,
}
FORMAT_SUFFIXES = frozenset(EXTRACTORS)


def extract(data: bytes, suffix: str) -> Extracted:
    """The extractor for a file suffix (``".pdf"``…), applied to the file's bytes."""
    return EXTRACTORS[suffix.lower()](data)
