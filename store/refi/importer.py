"""REFI-QDA import: a QDPX project or a QDC codebook into a margin database.

- ``import_qdpx(db, path)`` reads ``project.qde`` and its sources: Users become
  coders, the CodeBook codes, TextSources documents, PlainTextSelections
  codings, and the Notes referenced by NoteRefs memos (of codings, documents
  and codes, as ``margin.store.refi.exporter`` writes them). GUIDs are kept as UUIDs.
- ``import_qdc(db, path)`` merges a codebook into ours.

Offsets from other tools are not uniform (``\\r\\n`` as one or two characters,
UTF-16 code units, a BOM counted or not). For each source the importer tries
each interpretation and keeps the one under which the selections' ``name``
attributes match their passages, else the one placing every selection on
sensible bounds. A selection that cannot be placed is listed in the report
with its reason and skipped, never shifted.

The whole import is ONE transaction (``writing(db)``): a failure leaves the
database untouched. It is not recorded in the undo history (imports are not
user actions on existing data); undoing means deleting what was imported.

Zip safety: absolute or ``..`` entry names, symlinks, nested archives, too
many entries, too many bytes or a suspicious compression ratio, DOCTYPEs and
malformed XML are refused with a one-line StoreError; nothing is extracted to
disk. XML is parsed by defusedxml (any declared encoding; DTDs, entities and
external references refused).

Files from strangers: sources are read from the archive. ``absolute://`` and
``relative://`` source paths (a project whose sources live beside it, as the
standard allows) are read only when the caller names a folder (``sources``,
``margin import --sources DIR``), and only from regular files whose real path
(``..`` and symlinks resolved) lies inside it: a project cannot read
``/etc/passwd`` or the user's keys. Code trees of any depth import (a loop,
not recursion).
"""

from __future__ import annotations

import hashlib
import re
import stat
import unicodedata
import uuid as uuid_module
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedET

from margin.store.codes import PATH_SEPARATOR, next_colour, normalise_colour, used_colours
from margin.store.codings import NewCoding, write_codings
from margin.store.db import Database
from margin.store.documents import (
    document_text,
    index_documents,
    indexed_in_pieces,
    pieces_of,
)
from margin.store.errors import StoreError
from margin.store.history import writing
from margin.store.refi.exporter import ORIGIN, derived_guid
from margin.store.sources.textio import count_words
from margin.store.textspans import trim_span
from margin.store.util import new_uuid, now, one_line, plural

MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 2 * 1024**3
MAX_RATIO = 200
# Below this size a high ratio is harmless (a short run of spaces compresses well).
RATIO_FLOOR = 1024 * 1024
ARCHIVE_SUFFIXES = (".zip", ".qdpx", ".qdc", ".jar", ".gz", ".tgz", ".bz2", ".xz",
                    ".7z", ".rar", ".tar", ".zst")
ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh", b"\xfd7zXZ")


#: Why a selection of nothing but whitespace is not imported.
WHITESPACE_ONLY = "only whitespace, nothing to code"


@dataclass
class UnplacedCoding:
    document: str
    start: int
    end: int
    reason: str


@dataclass
class RefiImportReport:
    documents_added: int = 0
    documents_reused: int = 0
    codes_added: int = 0
    codes_reused: int = 0
    codings_added: int = 0
    codings_skipped: int = 0  # their coder had already coded the passage with the code
    memos_added: int = 0
    coders_added: int = 0
    unplaced: list[UnplacedCoding] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    skipped_sources: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"documents {self.documents_added} added, {self.documents_reused} reused",
            f"codes {self.codes_added} added, {self.codes_reused} already present",
            f"codings {self.codings_added} added, {self.codings_skipped} duplicates skipped",
            f"{self.memos_added} memos",
        ]
        blank = sum(1 for unplaced in self.unplaced if unplaced.reason == WHITESPACE_ONLY)
        if len(self.unplaced) > blank:
            parts.append(f"{len(self.unplaced) - blank} codings could not be placed")
        if blank:
            parts.append(f"{plural(blank, 'selection')} of only whitespace skipped")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} conflicts (ours kept)")
        if self.skipped_sources:
            parts.append(f"{len(self.skipped_sources)} non-text sources skipped")
        return "; ".join(parts)


# ---------------------------------------------------------------- XML helpers


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    if element is None:
        return []
    return [child for child in element if _local(child.tag) == name]


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    found = _children(element, name)
    return found[0] if found else None


_CANONICAL_GUID = re.compile(
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _guid(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().strip("{}")
    if _CANONICAL_GUID.fullmatch(value):
        return value.lower()  # what str(UUID(value)) gives, without parsing it
    try:
        return str(uuid_module.UUID(value))
    except ValueError:
        return value.lower() or None


def _parse_xml(data: bytes, what: str) -> ET.Element:
    """The root element of ``data``, parsed by defusedxml: any encoding the XML
    declares (UTF-8, UTF-16…), and a DTD, an entity or an external reference
    refused, wherever it is and however it is encoded."""
    try:
        return DefusedET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                    forbid_external=True)
    except DefusedXmlException:
        raise StoreError(
            f"{what}: DTDs and entities are not allowed in REFI-QDA files") from None
    except ET.ParseError as error:
        line, column = error.position
        raise StoreError(f"{what} is not well-formed XML (line {line}, column {column})") from None


# ---------------------------------------------------------------- zip safety


class _SafeZip:
    """A zip whose entries were checked before any is read."""

    def __init__(self, path: Path):
        try:
            self.archive = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise StoreError(f"{path} does not exist") from None
        except (zipfile.BadZipFile, OSError) as error:
            raise StoreError(f"{path} is not a REFI-QDA project (zip): {error}") from None
        self.path = path
        try:
            self._check()
        except BaseException:
            self.archive.close()
            raise

    def _check(self) -> None:
        infos = self.archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise StoreError(f"{self.path.name} has {len(infos):,} entries (limit {MAX_ENTRIES:,})")
        total = 0
        self.names: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            parts = name.replace("\\", "/").split("/")
            if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
                raise StoreError(f"{self.path.name}: unsafe entry name {name!r}")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise StoreError(f"{self.path.name}: entry {name!r} is a symbolic link")
            if info.is_dir():
                continue
            if name.lower().endswith(ARCHIVE_SUFFIXES):
                raise StoreError(f"{self.path.name}: nested archive {name!r} is not allowed")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise StoreError(f"{self.path.name} is too big uncompressed (over 2 GB)")
            if info.file_size > RATIO_FLOOR and \
                    info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise StoreError(
                    f"{self.path.name}: entry {name!r} is compressed suspiciously well "
                    f"(a zip bomb?)")
            self.names[name] = info

    def find(self, name: str) -> str | None:
        if name in self.names:
            return name
        lowered = name.lower()
        for candidate in self.names:
            if candidate.lower() == lowered:
                return candidate
        return None

    def read(self, name: str) -> bytes:
        info = self.names[name]
        with self.archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
        if len(data) != info.file_size:
            raise StoreError(f"{self.path.name}: entry {name!r} is not the size it claims")
        if data[:6].startswith(ARCHIVE_MAGIC):
            raise StoreError(f"{self.path.name}: nested archive {name!r} is not allowed")
        return data

    def close(self) -> None:
        self.archive.close()


# ---------------------------------------------------------------- text and offsets


def _decode(data: bytes, what: str) -> str:
    """Decoded text, a BOM kept as U+FEFF and line endings as they are
    (offsets may count them); ``_normalise`` makes the stored text."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")  # drops the BOM itself
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StoreError(f"source {what} is not UTF-8 text ({error.reason} at byte "
                         f"{error.start})") from None


def _normalise(raw: str) -> tuple[str, Sequence[int]]:
    """The text with BOM dropped and line endings ``\\n``, and for each index
    of ``raw`` (and its end) the index it becomes in that text."""
    if "\r" not in raw and not raw.startswith("\ufeff"):
        return raw, range(len(raw) + 1)  # nothing to change: the identity
    out: list[str] = []
    mapping: list[int] = []
    length = len(raw)
    for index, char in enumerate(raw):
        mapping.append(len(out))
        if index == 0 and char == "\ufeff":
            continue
        if char == "\r":
            if index + 1 < length and raw[index + 1] == "\n":
                continue
            out.append("\n")
            continue
        out.append(char)
    mapping.append(len(out))
    return "".join(out), mapping


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


class _Interpretation:
    """One reading of a source's offsets; ``units`` (unit offset -> raw index,
    None inside a character) is built on first use."""

    def __init__(self, label: str, raw: str, collapse: bool, drop_bom: bool, utf16: bool):
        self.label = label
        self._raw = raw
        self._flags = (collapse, drop_bom, utf16)
        self._units: Sequence[int | None] | None = None

    @property
    def units(self) -> Sequence[int | None]:
        if self._units is None:
            self._units = self._build()
        return self._units

    def _build(self) -> Sequence[int | None]:
        raw = self._raw
        collapse, drop_bom, utf16 = self._flags
        if not (collapse or drop_bom or utf16):
            return range(len(raw) + 1)
        units: list[int | None] = []
        append = units.append
        for index, char in enumerate(raw):
            if index == 0 and drop_bom and char == "\ufeff":
                continue
            if collapse and char == "\r" and raw[index + 1:index + 2] == "\n":
                continue
            append(index)
            if utf16 and char > "\uffff":
                append(None)
        append(len(raw))
        return units


def _interpretations(raw: str) -> list[_Interpretation]:
    has_bom = raw.startswith("\ufeff")
    has_cr = "\r" in raw
    has_crlf = has_cr and "\r\n" in raw
    has_astral = not raw.isascii() and _ASTRAL.search(raw) is not None
    found: list[_Interpretation] = []
    # Two readings give the same units exactly when they agree on the flags
    # that change anything: collapsing needs a CRLF, dropping a BOM a BOM,
    # UTF-16 units an astral character.
    seen: set[tuple[bool, bool, bool]] = set()
    for collapse in (True, False):
        for drop_bom in (True, False):
            for utf16 in (False, True):
                if (not collapse and not has_cr) or (not drop_bom and not has_bom) or \
                        (utf16 and not has_astral):
                    continue
                key = (collapse and has_crlf, drop_bom and has_bom, utf16 and has_astral)
                if key in seen:
                    continue
                seen.add(key)
                label = ", ".join(filter(None, [
                    "UTF-16 units" if utf16 else "code points",
                    ("CRLF as one" if collapse else "CRLF as two") if has_cr else "",
                    ("BOM not counted" if drop_bom else "BOM counted") if has_bom else "",
                ]))
                found.append(_Interpretation(label, raw, *key))
    return found


def _same_passage(name: str, quote: str) -> bool:
    wanted = unicodedata.normalize("NFC", name.replace("\r\n", "\n").replace("\r", "\n")).strip()
    got = unicodedata.normalize("NFC", quote).strip()
    if not wanted:
        return False
    if wanted == got:
        return True
    for ellipsis in ("…", "..."):
        if wanted.endswith(ellipsis) and len(wanted) > 8:
            return got.startswith(wanted[: -len(ellipsis)].rstrip())
    return False


def _at_boundary(text: str, index: int) -> bool:
    if index <= 0 or index >= len(text):
        return True
    return not (text[index - 1].isalnum() and text[index].isalnum())


@dataclass
class _Selection:
    element: ET.Element
    start: int
    end: int
    name: str | None


def _place(raw: str, text_mapping: Sequence[int], text: str, selections: list[_Selection],
           code_points_only: bool = False) -> tuple[list[tuple[int, int] | str], str]:
    """Each selection's (start, end) in ``text`` or the reason it cannot be placed.

    ``code_points_only``: the file is margin's own (code points of the stored
    text, by construction), so no other interpretation is tried: guessing by
    word bounds could misplace a passage that ends inside a word."""
    best: tuple | None = None
    candidates = _interpretations(raw)
    if code_points_only:
        candidates = candidates[:1]
    for order, interpretation in enumerate(candidates):
        units = interpretation.units
        placed: list[tuple[int, int] | str] = []
        matches = valid = bounds = 0
        for selection in selections:
            start, end = selection.start, selection.end
            if not (0 <= start <= end < len(units)):
                placed.append(f"offsets outside the text ({interpretation.label})")
                continue
            raw_start, raw_end = units[start], units[end]
            if raw_start is None or raw_end is None:
                placed.append(f"offsets split a character ({interpretation.label})")
                continue
            start_index, end_index = text_mapping[raw_start], text_mapping[raw_end]
            end_index = min(end_index, len(text))
            start_index = min(start_index, end_index)
            valid += 1
            bounds += _at_boundary(text, start_index) + _at_boundary(text, end_index)
            if selection.name and _same_passage(selection.name, text[start_index:end_index]):
                matches += 1
            placed.append((start_index, end_index))
        score = (matches, valid, bounds, -order)
        if best is None or score > best[0]:
            best = (score, placed, interpretation.label)
    assert best is not None
    (matches, _, _, _), placed, label = best
    if matches:  # names are quotes in this file: every one must match
        for index, selection in enumerate(selections):
            where = placed[index]
            if isinstance(where, tuple) and selection.name and \
                    not _same_passage(selection.name, text[where[0]:where[1]]):
                placed[index] = f"its name does not match the passage ({label})"
    return placed, label


# ---------------------------------------------------------------- the import


class _Importer:
    def __init__(self, db: Database, report: RefiImportReport, ours: bool = False):
        self.db = db
        self.ours = ours
        self.report = report
        self.timestamp = now()
        self.coders: dict[str, int] = {}
        self.codes: dict[str, int] = {}
        self.notes: dict[str, ET.Element] = {}
        self.in_pieces: list[int] = []  # new documents to index in pieces
        # Loaded on first use (see stored_document and codings).
        self._text_digests: dict[str, int] | None = None
        self._coding_uuids: set[str] | None = None
        self._known_codes: dict[tuple[int | None, str], tuple[int, str]] | None = None
        self._colours: set[str] | None = None  # the colours in use, lower case

    # coders
    def user(self, guid: str, name: str) -> int:
        name = one_line(name) or f"user {guid[:8]}"
        for row in self.db.query("SELECT id FROM coders WHERE uuid = ?", [guid]):
            self.coders[guid] = row["id"]
            return row["id"]
        for row in self.db.query("SELECT id FROM coders WHERE name = ?", [name]):
            self.coders[guid] = row["id"]
            return row["id"]
        coder_id = self.db["coders"].insert(
            {"uuid": guid, "name": name, "created": self.timestamp}).last_pk
        self.coders[guid] = coder_id
        self.report.coders_added += 1
        return coder_id

    def coder_for(self, guid_text: str | None) -> int | None:
        guid = _guid(guid_text)
        if guid is None:
            return None
        if guid not in self.coders:
            self.user(guid, "")
        return self.coders[guid]

    # codes
    def code_tree(self, parent_element: ET.Element | None, parent_id: int | None, prefix: str,
                  with_notes: bool) -> None:
        """The codes under ``parent_element``, parents before children, in the
        file's order; a loop, not recursion, so a tree of any depth imports."""
        stack = [(child, parent_id, prefix)
                 for child in reversed(_children(parent_element, "Code"))]
        while stack:
            element, parent, path_prefix = stack.pop()
            code_id, path = self.code(element, parent, path_prefix, with_notes)
            stack.extend((child, code_id, path + PATH_SEPARATOR)
                         for child in reversed(_children(element, "Code")))

    def known_codes(self) -> dict[tuple[int | None, str], tuple[int, str]]:
        """(parent id, casefolded name) -> (id, name) of every code, loaded
        once and kept up to date, so a big codebook imports in linear time."""
        if self._known_codes is None:
            self._known_codes = {}
            for code_id, parent_id, name in self.db.execute(
                    "SELECT id, parent_id, name FROM codes ORDER BY id").fetchall():
                self._known_codes.setdefault((parent_id, name.casefold()), (code_id, name))
        return self._known_codes

    def code(self, element: ET.Element, parent_id: int | None, prefix: str,
             with_notes: bool) -> tuple[int, str]:
        guid = _guid(element.get("guid")) or new_uuid()
        name = one_line(element.get("name") or "") or "Unnamed code"
        for row in self.db.query("SELECT id, name FROM codes WHERE uuid = ?", [guid]):
            if row["name"] != name:
                self.report.conflicts.append(
                    f"code {guid}: ours is named {row['name']!r}, theirs {name!r}; ours kept")
            self.codes[guid] = row["id"]
            self.report.codes_reused += 1
            return row["id"], prefix + row["name"]
        sibling = self.known_codes().get((parent_id, name.casefold()))
        if sibling is not None:
            self.codes[guid] = sibling[0]
            self.report.codes_reused += 1
            return sibling[0], prefix + sibling[1]
        if self._colours is None:
            self._colours = used_colours(self.db)
        colour_value = element.get("color") or ""
        chosen = None  # the file's colour: chosen, or another tool's default
        try:
            colour = normalise_colour(colour_value) if colour_value else None
        except StoreError:
            colour = None
        if colour is None:
            colour, chosen = next_colour(self.db, self._colours), 0  # margin's pick
        self._colours.add(colour)
        description = _child(element, "Description")
        code_id = self.db["codes"].insert({
            "uuid": guid, "parent_id": parent_id, "name": name, "colour": colour,
            "colour_chosen": chosen,
            "description": (description.text or "") if description is not None else "",
            "created": self.timestamp, "updated": self.timestamp,
        }).last_pk
        self.known_codes()[(parent_id, name.casefold())] = (code_id, name)
        self.codes[guid] = code_id
        self.report.codes_added += 1
        if with_notes:
            for ref in _children(element, "NoteRef"):
                self.memo(ref, "code_id", code_id)
        return code_id, prefix + name

    # memos
    def note_text(self, ref: ET.Element) -> tuple[str, ET.Element] | None:
        note = self.notes.get(_guid(ref.get("targetGUID")) or "")
        if note is None:
            return None
        content = _child(note, "PlainTextContent")
        text = (content.text or "") if content is not None else ""
        return (text, note) if text.strip() else None

    def memo(self, ref: ET.Element, column: str, target_id: int) -> None:
        found = self.note_text(ref)
        if found is None:
            return
        text, note = found
        if list(self.db.query(f"SELECT id FROM memos WHERE {column} = ?", [target_id])):
            self.report.conflicts.append(f"{column[:-3]} {target_id} already has a memo; ours kept")
            return
        guid = _guid(note.get("guid")) or new_uuid()
        if list(self.db.query("SELECT id FROM memos WHERE uuid = ?", [guid])):
            guid = new_uuid()
        created = note.get("creationDateTime") or self.timestamp
        self.db["memos"].insert({
            "uuid": guid, column: target_id, "text": text,
            "coder_id": self.coder_for(note.get("creatingUser")),
            "created": created, "updated": created,
        })
        self.report.memos_added += 1

    # documents and codings
    def document(self, element: ET.Element, raw: str, source_label: str) -> None:
        full, mapping = _normalise(raw)
        title = one_line(element.get("name") or "") or "Untitled"
        selections = []
        for selection in _children(element, "PlainTextSelection"):
            try:
                start = int(selection.get("startPosition", ""))
                end = int(selection.get("endPosition", ""))
            except ValueError:
                self.report.unplaced.append(UnplacedCoding(
                    title, -1, -1, "startPosition/endPosition are not integers"))
                continue
            selections.append(_Selection(selection, start, end, selection.get("name")))
        placed, _ = _place(raw, mapping, full, selections, code_points_only=self.ours)
        # Trailing whitespace is dropped (as any import does) unless a passage needs it.
        text = full.rstrip()
        if any(isinstance(p, tuple) and p[1] > len(text) for p in placed):
            text = full
        document_id = self.stored_document(element, text, title, source_label)
        batch = _CodingBatch(self, document_id, text)
        for selection, where in zip(selections, placed, strict=True):
            if isinstance(where, str):
                self.report.unplaced.append(
                    UnplacedCoding(title, selection.start, selection.end, where))
                continue
            self.codings(selection.element, batch, *where)
        batch.flush()
        for ref in _children(element, "NoteRef"):
            self.memo(ref, "document_id", document_id)

    def stored_document(self, element: ET.Element, text: str, title: str,
                        source_label: str) -> int:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        # The same document: its hash (indexed), or the same text under another
        # hash (a cleaned text's hash is its original's); the lowest id wins.
        found = [row[0] for row in self.db.execute(
            "SELECT id FROM documents WHERE hash = ?", [digest])]
        same_text = self.text_digests().get(digest)
        if same_text is not None:
            found.append(same_text)
        if found:
            self.report.documents_reused += 1
            return min(found)
        guid = _guid(element.get("guid")) or new_uuid()
        if list(self.db.query("SELECT id FROM documents WHERE uuid = ?", [guid])):
            guid = new_uuid()
        imported = element.get("creationDateTime") or self.timestamp
        # A very long text is not indexed whole in this transaction: marked,
        # with where its pieces lie, it is indexed a piece a short
        # transaction once the project is in (the import's index_all_pieces),
        # and stored once (its original "" as the import's own long texts).
        in_pieces = indexed_in_pieces(text)
        document_id = self.db["documents"].insert({
            "uuid": guid, "title": title, "text": text, "original": "" if in_pieces else text,
            "source_path": source_label, "encoding": "utf-8", "cleaned": 0,
            "word_count": count_words(text), "hash": digest,
            "imported": imported, "updated": imported, "indexed_in_pieces": int(in_pieces),
        }).last_pk
        if in_pieces:
            self.in_pieces.append(document_id)
            self.db.conn.executemany(
                'INSERT INTO document_pieces (document_id, start, "end") VALUES (?, ?, ?)',
                [(document_id, start, end) for start, end in pieces_of(text)])
        self.report.documents_added += 1
        return document_id

    def text_digests(self) -> dict[str, int]:
        """sha256 of the text -> lowest id, for the documents there before this
        import whose hash is not their text's (documents are never edited, and
        the ones this import adds are found by their hash)."""
        if self._text_digests is None:
            digests: dict[str, int] = {}
            for document_id, stored in self.db.execute(
                    "SELECT id, hash FROM documents ORDER BY id").fetchall():
                text = document_text(self.db, document_id)
                digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
                if digest != stored:
                    digests.setdefault(digest, document_id)
            self._text_digests = digests
        return self._text_digests

    def coding_uuids(self) -> set[str]:
        """The UUIDs of every coding, kept up to date as codings are added."""
        if self._coding_uuids is None:
            self._coding_uuids = {row[0] for row in self.db.execute("SELECT uuid FROM codings")}
        return self._coding_uuids

    def codings(self, selection: ET.Element, batch: _CodingBatch, start: int, end: int) -> None:
        selection_guid = _guid(selection.get("guid")) or new_uuid()
        memo = ""
        for ref in _children(selection, "NoteRef"):
            found = self.note_text(ref)
            if found:
                memo = found[0] if not memo else memo + "\n\n" + found[0]
        if start < end and trim_span(batch.text, start, end) is None:
            # Nothing to code (the coding writer refuses it): skipped and
            # told, not a failure of the whole import.
            self.report.unplaced.append(UnplacedCoding(batch.title, start, end, WHITESPACE_ONLY))
            return
        for number, coding in enumerate(_children(selection, "Coding")):
            code_ref = _child(coding, "CodeRef")
            code_id = self.codes.get(_guid(code_ref.get("targetGUID")) or "") \
                if code_ref is not None else None
            title = batch.title
            if code_id is None:
                self.report.unplaced.append(UnplacedCoding(
                    title, start, end, "its CodeRef names no code of the codebook"))
                continue
            if start >= end:
                self.report.unplaced.append(UnplacedCoding(title, start, end, "empty passage"))
                continue
            guid = selection_guid if number == 0 else derived_guid(
                "coding", f"{selection_guid}:{number}")
            uuids = self.coding_uuids()
            if guid in uuids:
                guid = new_uuid()
            uuids.add(guid)
            created = (selection.get("creationDateTime") or coding.get("creationDateTime")
                       or self.timestamp)
            # margin names the coder on the selection; qc on each Coding.
            user = selection.get("creatingUser") or coding.get("creatingUser")
            batch.codings.append(NewCoding(batch.document_id, code_id, start, end,
                                           self.coder_for(user), memo, guid, created))


class _CodingBatch:
    """The codings of one document, written at once (inside the import's
    transaction, not undoable) by ``flush``: what one coder had already
    coded, here or in this file, is counted as skipped."""

    def __init__(self, importer: _Importer, document_id: int, text: str):
        self.db = importer.db
        self.report = importer.report
        self.document_id = document_id
        self.text = text
        self.title: str = self.db.execute(
            "SELECT title FROM documents WHERE id = ?", [document_id]).fetchone()[0]
        self.codings: list[NewCoding] = []

    def flush(self) -> None:
        if self.codings:
            written = write_codings(self.db, self.codings, texts={self.document_id: self.text})
            self.report.codings_added += len(written.added)
            self.report.codings_skipped += len(written.already_coded) + len(written.repeated)
            self.codings = []


def _inside(folder: Path, candidate: Path) -> Path | None:
    """``candidate`` with every symlink and ``..`` resolved, if it is a
    regular file inside ``folder`` (itself resolved); else None."""
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(folder):
        return None
    try:
        return real if stat.S_ISREG(real.stat().st_mode) else None
    except OSError:
        return None


def _source_bytes(source: ET.Element, archive: _SafeZip, project: Path,
                  sources: Path | None) -> tuple[bytes, str]:
    """A source's bytes: from the archive, or (``absolute://`` and
    ``relative://`` paths) from a file inside ``sources``, the folder the user
    named, never from anywhere else on disk."""
    reference = (source.get("plainTextPath") or "").strip()
    name = source.get("name") or reference
    label = f"{project.name}: {name}"
    if not reference:
        raise StoreError(f"source {name!r} has neither PlainTextContent nor plainTextPath")

    def from_zip(candidates: list[str]) -> bytes | None:
        for candidate in candidates:
            found = archive.find(candidate.lstrip("/"))
            if found:
                return archive.read(found)
        return None

    def from_folder(where: str) -> bytes:
        if sources is None:
            raise StoreError(
                f"source {name!r}: {reference} is a file outside the project; nothing was "
                f"imported (name the folder of its sources: --sources DIR, or the import "
                f"dialog's sources folder)")
        try:
            folder = sources.resolve(strict=True)
        except (OSError, RuntimeError):
            raise StoreError(f"sources folder {sources} does not exist") from None
        if not folder.is_dir():
            raise StoreError(f"sources folder {sources} is not a folder")
        where = where.replace("\\", "/")
        # The path as written, then its name alone (a project made on
        # another computer names files where they were there).
        candidates = [folder / where.lstrip("/"), folder / PurePosixPath(where).name]
        if where.startswith("/"):
            candidates.insert(0, Path(where))
        for candidate in candidates:
            found = _inside(folder, candidate)
            if found is not None:
                try:
                    return found.read_bytes()
                except OSError as error:
                    raise StoreError(f"source {name!r}: cannot read {found}: "
                                     f"{error.strerror or error}") from None
        raise StoreError(f"source {name!r}: {reference} is not a file inside {sources}; "
                         f"nothing was imported")

    data: bytes | None = None
    if reference.startswith("internal://"):
        file = reference[len("internal://"):]
        data = from_zip([f"sources/{file}", f"Sources/{file}", file])
    elif reference.startswith("relative://"):
        relative = reference[len("relative://"):]
        data = from_zip([relative, f"sources/{relative}", f"Sources/{relative}"])
        if data is None:
            data = from_folder(relative)
    elif reference.startswith("absolute://"):
        data = from_folder(reference[len("absolute://"):])
    elif "://" not in reference:
        data = from_zip([f"sources/{reference}", f"Sources/{reference}", reference])
    if data is None:
        raise StoreError(f"source {name!r}: {reference} is missing; nothing was imported")
    return data, label


def import_qdpx(db: Database, path: str | Path,
                sources: str | Path | None = None) -> RefiImportReport:
    """Import a REFI-QDA project (one transaction; see the module's notes).
    Sources are read from the archive; ``absolute://`` and ``relative://``
    ones only from files inside the folder ``sources``, if given."""
    path = Path(path)
    folder = Path(sources) if sources is not None else None
    archive = _SafeZip(path)
    try:
        project_name = archive.find("project.qde")
        if project_name is None:
            candidates = [n for n in archive.names if n.lower().endswith(".qde")]
            if len(candidates) != 1:
                raise StoreError(f"{path.name} has no project.qde: not a REFI-QDA project")
            project_name = candidates[0]
        root = _parse_xml(archive.read(project_name), f"{path.name}: {project_name}")
        if _local(root.tag) != "Project":
            raise StoreError(f"{path.name}: project.qde does not hold a REFI-QDA Project")
        # Read every source before writing anything.
        texts: list[tuple[ET.Element, str, str]] = []
        skipped: list[str] = []
        sources = _child(root, "Sources")
        for source in (list(sources) if sources is not None else []):
            if _local(source.tag) != "TextSource":
                # A PDF or Word source may carry its plain-text twin (a
                # TextSource-shaped Representation) with the text selections.
                twin = _child(source, "Representation")
                if twin is None:
                    skipped.append(f"{_local(source.tag)} {source.get('name') or ''}".strip())
                    continue
                if not twin.get("name") and source.get("name"):
                    twin.set("name", source.get("name"))
                source = twin
            inline = _child(source, "PlainTextContent")
            if inline is not None and inline.text is not None:
                texts.append((source, inline.text, f"{path.name}: {source.get('name') or ''}"))
                continue
            data, label = _source_bytes(source, archive, path, folder)
            texts.append((source, _decode(data, repr(source.get("name") or label)), label))
    finally:
        archive.close()

    report = RefiImportReport(skipped_sources=skipped)
    importer = _Importer(db, report, ours=root.get("origin") == ORIGIN)
    for note in _children(_child(root, "Notes"), "Note"):
        guid = _guid(note.get("guid"))
        if guid:
            importer.notes[guid] = note
    with writing(db):
        for user in _children(_child(root, "Users"), "User"):
            guid = _guid(user.get("guid"))
            if guid:
                importer.user(guid, user.get("name") or "")
        book = _child(root, "CodeBook")
        importer.code_tree(_child(book, "Codes"), None, "", with_notes=True)
        for source, raw, label in texts:
            importer.document(source, raw, label)
    # Its very long texts, a piece a short transaction (none inside a
    # bigger transaction: whoever holds it completes them after).
    index_documents(db, importer.in_pieces)
    return report


def import_qdc(db: Database, path: str | Path) -> RefiImportReport:
    """Merge a REFI-QDA codebook into ours: codes matched by GUID, else by path
    (case-insensitive); a GUID we have under another name is a conflict and
    ours is kept. One transaction."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise StoreError(f"cannot read {path}: {error.strerror or error}") from None
    root = _parse_xml(data, path.name)
    if _local(root.tag) != "CodeBook":
        raise StoreError(f"{path.name} does not hold a REFI-QDA CodeBook")
    report = RefiImportReport()
    importer = _Importer(db, report)
    with writing(db):
        importer.code_tree(_child(root, "Codes"), None, "", with_notes=False)
    return report


__all__ = ["RefiImportReport", "UnplacedCoding", "import_qdc", "import_qdpx"]
