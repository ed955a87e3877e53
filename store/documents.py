"""Documents: importing text, listing the library, reading one document.

A document's ``text`` never changes after import: codings point into it by
code-point offsets. ``original`` keeps the decoded source before boilerplate
cleaning (or, for a transcript, the WebVTT/SubRip source of its readable
text), so nothing of the source is ever lost.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from margin.store.db import Database
from margin.store.errors import NotFound, StoreError
from margin.store.history import action
from margin.store.util import new_uuid, now, one_line

# Importing reads sources (store/sources/: decoding, cleaning, titles,
# transcripts, formats): ~17 ms of imports that the library and the reader,
# which only read documents, do not wait for. They are imported where used.
if TYPE_CHECKING:
    from margin.store.sources.textio import DecodedText

# File types `margin import` reads from directories; named files of any
# extension are tried (and refused if binary).
TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
# Interview transcripts, stored as readable text (see store/sources/transcripts.py).
TRANSCRIPT_SUFFIXES = {".vtt", ".srt"}
# HTML, DOCX, PDF and EPUB (FORMAT_SUFFIXES): text extracted by
# store/sources/formats.py (the formats extra).


@dataclass
class Document:
    id: int
    uuid: str
    title: str
    text: str
    source_path: str | None
    encoding: str | None
    cleaned: bool
    word_count: int
    imported: str
    coding_count: int = 0


@dataclass
class DocumentSummary:
    """A library row: everything but the text."""

    id: int
    uuid: str
    title: str
    source_path: str | None
    word_count: int
    coding_count: int
    imported: str
    author: str | None = None
    published: str | None = None

    @property
    def date(self) -> str:
        """The publication date where the source gave one, else the import date."""
        return (self.published or self.imported or "")[:10]

    @property
    def source(self) -> str:
        """Who or where the document comes from, for the library: the author,
        else the file's name."""
        if self.author:
            return self.author
        if not self.source_path or self.source_path.startswith("<"):
            return ""
        if self.source_path.startswith("sample:"):
            return "sample article"
        return os.path.basename(self.source_path)


@dataclass
class ImportResult:
    source: str
    status: str  # "imported", "duplicate" or "refused"
    message: str
    document_id: int | None = None
    title: str | None = None


def list_documents(db: Database) -> list[DocumentSummary]:
    rows = db.query(
        """SELECT d.id, d.uuid, d.title, d.source_path, d.word_count, d.imported, d.author,
                  d.published,
                  (SELECT COUNT(*) FROM codings c WHERE c.document_id = d.id) AS coding_count
           FROM documents d ORDER BY d.id"""
    )
    return [DocumentSummary(**row) for row in rows]


def get_document(db: Database, document_id: int) -> Document:
    rows = list(
        db.query(
            """SELECT id, uuid, title, text, source_path, encoding, cleaned, word_count, imported,
                      (SELECT COUNT(*) FROM codings c WHERE c.document_id = d.id) AS coding_count
               FROM documents d WHERE id = ?""",
            [document_id],
        )
    )
    if not rows:
        raise NotFound(f"document {document_id} does not exist")
    row = rows[0]
    row["cleaned"] = bool(row["cleaned"])
    return Document(**row)


def document_text(db: Database, document_id: int) -> str:
    """A document's text: the one place it is read (codings, entities,
    search and the reader all point into exactly this string)."""
    for (text,) in db.execute("SELECT text FROM documents WHERE id = ?", [document_id]):
        return text
    raise NotFound(f"document {document_id} does not exist")


def document_titles(db: Database) -> dict[int, str]:
    """Every document's title by its id (cheap: no text, no counts)."""
    return {row["id"]: row["title"] for row in db.query("SELECT id, title FROM documents")}


def find_document(db: Database, reference: str) -> Document:
    """A document by id, uuid or exact title (for the command line)."""
    reference = reference.strip()
    if reference.isdigit():
        return get_document(db, int(reference))
    for row in db.query(
        "SELECT id FROM documents WHERE uuid = ? OR title = ? ORDER BY id", [reference, reference]
    ):
        return get_document(db, row["id"])
    raise NotFound(f"no document with id, uuid or title {reference!r}")


def rename_document(db: Database, document_id: int, title: str) -> None:
    title = one_line(title)
    if not title:
        raise StoreError("a document needs a title")
    get_document(db, document_id)
    with action(db, f"Rename document to {title}") as log:
        log.update("documents", document_id, {"title": title, "updated": now()})


def import_text(
    db: Database,
    decoded: DecodedText,
    *,
    source: str,
    clean: bool,
    title: str | None = None,
    readable: str | None = None,
    author: str | None = None,
    published: str | None = None,
) -> ImportResult:
    """Store one decoded text as a new document (one transaction).

    Text seen before (same original after decoding) is reported and skipped.
    ``readable``, when given, is stored as the text instead of the (cleaned)
    decoded text, which is still kept as ``original``: a transcript's
    readable rendering of its WebVTT or SubRip source.  It is not cleaned.
    """
    import hashlib

    from margin.store.sources.cleaning import clean_boilerplate, cleaning_report
    from margin.store.sources.textio import count_words, normalise_text
    from margin.store.sources.titles import guess_title

    original = normalise_text(decoded.text)
    digest = hashlib.sha256(original.encode("utf-8")).hexdigest()
    for row in db.query("SELECT id, title FROM documents WHERE hash = ?", [digest]):
        return ImportResult(
            source, "duplicate", f"already imported as #{row['id']} “{row['title']}”; skipped",
            row["id"], row["title"],
        )
    if readable is not None:
        text, clean = normalise_text(readable), False
    else:
        text = clean_boilerplate(original) if clean else original
    if not text.strip():
        return ImportResult(source, "refused", "no text left after removing boilerplate")
    title = one_line(title or guess_title(text)) or "Untitled"
    words = count_words(text)
    timestamp = now()
    try:
        with db.atomic():
            document_id = db["documents"].insert(
                {
                    "uuid": new_uuid(),
                    "title": title,
                    "text": text,
                    "original": original,
                    "source_path": source,
                    "encoding": decoded.encoding,
                    "cleaned": int(clean),
                    "word_count": words,
                    "hash": digest,
                    "imported": timestamp,
                    "updated": timestamp,
                    "author": one_line(author) or None if author else None,
                    "published": published or None,
                }
            ).last_pk
    except sqlite3.Error as error:  # disk full, locked, read-only…
        return ImportResult(source, "refused", f"could not save: {error}")
    notes = [f"“{title}”", f"{words:,} words"]
    if decoded.detected:
        notes.append(f"encoding detected as {decoded.encoding}")
    if clean:
        removed = cleaning_report(original, text)
        if removed:
            notes.append(f"{removed} boilerplate lines removed")
    return ImportResult(source, "imported", ", ".join(notes), document_id, title)


def expand_paths(paths: Iterable[str]) -> Iterator[tuple[str, Path | None]]:
    """Each argument as files to import: directories recursively (text,
    Markdown, transcript, HTML, DOCX, PDF and EPUB files only, hidden ones
    skipped), "-" as standard input."""
    from margin.store.sources.formats import FORMAT_SUFFIXES

    import_suffixes = TEXT_SUFFIXES | TRANSCRIPT_SUFFIXES | FORMAT_SUFFIXES
    for argument in paths:
        if argument == "-":
            yield "-", None
            continue
        path = Path(argument).expanduser()
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in import_suffixes
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                yield argument, path  # reported as "no text files in directory"
            for file in found:
                yield str(file), file
        else:
            yield argument, path


def import_paths(
    db: Database,
    paths: Iterable[str],
    *,
    clean: bool,
    stdin: Callable[[], bytes] | None = None,
) -> Iterator[ImportResult]:
    """Import each path, one transaction per document; yields a result each.

    A refused file (binary, empty, unreadable…) never stops the batch.
    A ``.vtt`` or ``.srt`` file is stored as a readable transcript titled by
    its WebVTT header text or else its file name (see store/sources/transcripts.py).
    HTML, DOCX, PDF and EPUB files are stored as their extracted text, with
    the title, author and date the file gives (see store/sources/formats.py).
    """
    from margin.store.sources.formats import FORMAT_SUFFIXES, extract
    from margin.store.sources.textio import (
        DecodedText,
        ImportRefused,
        decode_bytes,
        read_file_bytes,
        read_text_file,
    )
    from margin.store.sources.transcripts import parse_transcript, transcript_to_text

    for source, path in expand_paths(paths):
        readable = title = author = published = None
        skipped = 0
        warnings: tuple[str, ...] = ()
        try:
            if path is None:
                decoded = decode_bytes((stdin or sys.stdin.buffer.read)())
            elif path.is_dir():
                raise ImportRefused("no text or Markdown files in this directory")
            elif path.suffix.lower() in FORMAT_SUFFIXES:
                extracted = extract(read_file_bytes(path), path.suffix)
                title, author, published = extracted.title, extracted.author, extracted.published
                warnings = extracted.warnings
                if extracted.source is not None:
                    # HTML is text: its source is the original, like a transcript's.
                    decoded = DecodedText(extracted.source, extracted.encoding or "utf-8", False)
                    readable = extracted.text
                else:
                    # A binary format has no decoded text: what was decoded from
                    # it is the extracted text, so that is the original too.
                    decoded = DecodedText(extracted.text, extracted.encoding or "", False)
            else:
                decoded = read_text_file(path)
                if path.suffix.lower() in TRANSCRIPT_SUFFIXES:
                    transcript = parse_transcript(decoded.text, path.suffix)
                    readable = transcript_to_text(transcript)
                    title = transcript.title or path.stem
                    skipped = transcript.skipped
        except ImportRefused as refusal:
            yield ImportResult(source, "refused", str(refusal))
            continue
        source_path = "<stdin>" if path is None else os.path.abspath(path)
        result = import_text(
            db, decoded, source=source_path, clean=clean, title=title, readable=readable,
            author=author, published=published,
        )
        if skipped and result.status == "imported":
            result.message += f", {skipped} cues with broken timing skipped"
        if warnings and result.status == "imported":
            result.message += "".join(f", {warning}" for warning in warnings)
        yield result


def sample_sources() -> list[tuple[str, bytes]]:
    """The built-in sample corpus shipped in the package."""
    from importlib.resources import files

    folder = files("margin.seeds")
    return sorted(
        (entry.name, entry.read_bytes()) for entry in folder.iterdir() if entry.name.endswith(".txt")
    )


def import_sample_corpus(db: Database) -> list[ImportResult]:
    """Add the sample articles (boilerplate cleaned) to a database."""
    from margin.store.sources.textio import decode_bytes

    results = []
    for name, data in sample_sources():
        decoded = decode_bytes(data)
        results.append(import_text(db, decoded, source=f"sample:{name}", clean=True))
    return results
