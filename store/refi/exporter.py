"""REFI-QDA export: a whole project as QDPX, the codebook alone as QDC.

The formats are those of the REFI-QDA standard (www.qdasoftware.org), read by
NVivo, ATLAS.ti, MAXQDA and QualCoder:

- ``export_qdpx(db, path)`` writes a zip holding ``project.qde`` (XML in the
  ``urn:QDA-XML:project:1.0`` namespace, valid against Project.xsd) and each
  document's text as ``sources/<guid>.txt`` (UTF-8, exactly the stored text,
  so that code-point offsets mean the same thing on both sides).
- ``export_qdc(db, path)`` writes the codebook (``urn:QDA-XML:codebook:1.0``,
  valid against Codebook.xsd).

GUIDs are the UUIDs stored in the database; where the database has none (the
``Coding`` inside a selection, or a stored id that is not a UUID) a stable one
is derived with uuid5, so exporting twice gives byte-identical files: fixed
order, only stored timestamps, fixed zip entry dates.

Memos are REFI ``Note`` elements (in ``Project/Notes``, the memo's text as
``PlainTextContent``), keeping the memo's GUID, author and date, and are
referenced by a ``NoteRef``: a coding's memo from its ``PlainTextSelection``,
a document's memo from its ``TextSource``, a code's memo from its ``Code``.
A code's description is the ``Description`` of its ``Code``. A QDC codebook
has no notes, so code memos are not part of it.

Every passage is checked against its document's text before anything is
written (QuoteMismatch, a StoreError, names the document and offsets).
"""

from __future__ import annotations

import re
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

from margin.store.codes import Code, codebook
from margin.store.codings import verify_quote
from margin.store.db import Database
from margin.store.documents import document_text
from margin.store.errors import StoreError
from margin.store.export import write_atomically

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
ORIGIN = "margin"

# Derived GUIDs live in their own namespace, so they never collide with the
# random (version 4) UUIDs the database stores.
_GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://margin.invalid/refi-qda")
_GUID_PATTERN = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_COLOUR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")
# Zip entries carry this date (the earliest a zip can hold), never "now".
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# Characters XML 1.0 cannot carry at all, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def derived_guid(kind: str, key: str) -> str:
    """A stable GUID for something the database has no UUID for."""
    return str(uuid.uuid5(_GUID_NAMESPACE, f"{kind}:{key}"))


def _guid(value: str | None, kind: str, key: object) -> str:
    if value and _GUID_PATTERN.fullmatch(value.strip()):
        return value.strip().lower()
    return derived_guid(kind, str(value or key))


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _colour(colour: str | None) -> str | None:
    value = (colour or "").strip()
    if len(value) == 4 and value.startswith("#"):
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value.upper() if _COLOUR_PATTERN.fullmatch(value) else None


# ---------------------------------------------------------------- reading


def _coders(db: Database) -> dict[int, tuple[str, str]]:
    return {
        row["id"]: (_guid(row["uuid"], "coder", row["id"]), row["name"])
        for row in db.query("SELECT id, uuid, name FROM coders ORDER BY id")
    }


def _memos(db: Database, column: str) -> dict[int, dict]:
    return {
        row[column]: row
        for row in db.query(
            f"SELECT id, uuid, {column}, text, coder_id, created FROM memos "
            f"WHERE {column} IS NOT NULL ORDER BY id"
        )
        if (row["text"] or "").strip()
    }


# ---------------------------------------------------------------- building


def _codes_element(parent: ET.Element, ns: str, roots: list[Code],
                   note_for: Callable[[Code], str | None] | None = None) -> None:
    """The codebook's ``Codes`` element, built with a loop, not recursion, so
    a tree of any depth is written."""
    codes = ET.SubElement(parent, f"{{{ns}}}Codes")
    stack = [(codes, code) for code in reversed(roots)]
    while stack:
        into, code = stack.pop()
        element = ET.SubElement(into, f"{{{ns}}}Code")
        element.set("guid", _guid(code.uuid, "code", code.id))
        element.set("name", _xml_text(code.name))
        element.set("isCodable", "true")
        colour = _colour(code.colour)
        if colour:
            element.set("color", colour)
        if code.description.strip():
            ET.SubElement(element, f"{{{ns}}}Description").text = _xml_text(code.description)
        if note_for is not None:
            note_guid = note_for(code)
            if note_guid:
                ET.SubElement(element, f"{{{ns}}}NoteRef").set("targetGUID", note_guid)
        stack.extend((element, child) for child in reversed(code.children))


def _roots(codes: list[Code]) -> list[Code]:
    ids = {code.id for code in codes}
    return [code for code in codes if not code.parent_id or code.parent_id not in ids]


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(value: str) -> str:
    return (_escape_text(value).replace('"', "&quot;").replace("\r", "&#13;")
            .replace("\n", "&#10;").replace("\t", "&#09;"))


def _serialise(root: ET.Element, ns: str) -> bytes:
    """The document as UTF-8 XML, indented by two spaces, with ``ns`` as the
    default namespace: what ``ET.indent`` and ``ET.tostring`` write, with a
    loop instead of their recursion, so an element tree of any depth (a deep
    codebook) is written."""
    prefix = f"{{{ns}}}"
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    write = out.append
    # (element, depth, closing): each element is visited to open it and,
    # if it has children, again to close it.
    stack: list[tuple[ET.Element, int, bool]] = [(root, 0, False)]
    while stack:
        element, depth, closing = stack.pop()
        tag = element.tag.removeprefix(prefix)
        if closing:
            write(f"\n{'  ' * depth}</{tag}>")
            continue
        if depth:
            write(f"\n{'  ' * depth}")
        write(f"<{tag}")
        if element is root:
            write(f' xmlns="{_escape_attribute(ns)}"')
        for key, value in element.items():
            write(f' {key}="{_escape_attribute(value)}"')
        children = list(element)
        if children:
            write(">")
            stack.append((element, depth, True))
            stack.extend((child, depth + 1, False) for child in reversed(children))
        elif element.text:
            write(f">{_escape_text(element.text)}</{tag}>")
        else:
            write(" />")
    write("\n")
    return "".join(out).encode("utf-8")


def codebook_xml(db: Database) -> bytes:
    """The codebook as a QDC document (Codebook.xsd)."""
    with db.snapshot():
        codes = codebook(db)
    if not codes:
        raise StoreError("the codebook is empty: a REFI-QDA codebook needs at least one code")
    root = ET.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": ORIGIN})
    _codes_element(root, CODEBOOK_NS, _roots(codes))
    return _serialise(root, CODEBOOK_NS)


def project_files(db: Database, name: str = "margin") -> list[tuple[str, bytes]]:
    """The entries of a QDPX zip, in order: ``project.qde`` then the sources."""
    with db.snapshot():  # the whole project as of one moment
        return _project_files(db, name)


def _project_files(db: Database, name: str) -> list[tuple[str, bytes]]:
    ns = PROJECT_NS
    coders = _coders(db)
    codes = codebook(db)
    code_guids = {code.id: _guid(code.uuid, "code", code.id) for code in codes}
    document_memos = _memos(db, "document_id")
    code_memos = _memos(db, "code_id")

    notes: list[ET.Element] = []

    def note(guid: str, title: str, text: str, coder_id: int | None,
             created: str | None) -> str:
        element = ET.Element(f"{{{ns}}}Note")
        element.set("guid", guid)
        element.set("name", _xml_text(title))
        if coder_id in coders:
            element.set("creatingUser", coders[coder_id][0])
        if created:
            element.set("creationDateTime", created)
        ET.SubElement(element, f"{{{ns}}}PlainTextContent").text = _xml_text(text)
        notes.append(element)
        return guid

    def memo_note(memo: dict | None, title: str) -> str | None:
        if memo is None:
            return None
        return note(_guid(memo["uuid"], "memo", memo["id"]), title, memo["text"],
                    memo["coder_id"], memo["created"])

    root = ET.Element(f"{{{ns}}}Project", {"name": _xml_text(name), "origin": ORIGIN})

    if coders:
        users = ET.SubElement(root, f"{{{ns}}}Users")
        for guid, coder_name in coders.values():
            ET.SubElement(users, f"{{{ns}}}User", {"guid": guid, "name": _xml_text(coder_name)})

    if codes:
        book = ET.SubElement(root, f"{{{ns}}}CodeBook")
        _codes_element(book, ns, _roots(codes),
                       lambda code: memo_note(code_memos.get(code.id), f"Memo: {code.name}"))

    files: list[tuple[str, bytes]] = []
    documents = list(db.query("SELECT id, uuid, title, imported FROM documents ORDER BY id"))
    if documents:
        sources = ET.SubElement(root, f"{{{ns}}}Sources")
    for document in documents:
        guid = _guid(document["uuid"], "document", document["id"])
        text = document_text(db, document["id"])
        source = ET.SubElement(sources, f"{{{ns}}}TextSource")
        source.set("guid", guid)
        source.set("name", _xml_text(document["title"]))
        source.set("plainTextPath", f"internal://{guid}.txt")
        if document["imported"]:
            source.set("creationDateTime", document["imported"])
        files.append((f"sources/{guid}.txt", text.encode("utf-8")))
        rows = db.query(
            """SELECT id, uuid, code_id, start, "end", quote, memo, coder_id, created
               FROM codings WHERE document_id = ? ORDER BY start, "end", id""",
            [document["id"]],
        )
        for row in rows:
            verify_quote(document["title"], text, row["start"], row["end"], row["quote"])
            selection_guid = _guid(row["uuid"], "coding", row["id"])
            selection = ET.SubElement(source, f"{{{ns}}}PlainTextSelection")
            selection.set("guid", selection_guid)
            selection.set("startPosition", str(row["start"]))
            selection.set("endPosition", str(row["end"]))
            user = coders.get(row["coder_id"])
            if user:
                selection.set("creatingUser", user[0])
            if row["created"]:
                selection.set("creationDateTime", row["created"])
            coding = ET.SubElement(selection, f"{{{ns}}}Coding")
            coding.set("guid", derived_guid("coding", selection_guid))
            if user:
                coding.set("creatingUser", user[0])
            if row["created"]:
                coding.set("creationDateTime", row["created"])
            ET.SubElement(coding, f"{{{ns}}}CodeRef", {"targetGUID": code_guids[row["code_id"]]})
            if (row["memo"] or "").strip():
                note_guid = note(derived_guid("coding-memo", selection_guid),
                                 f"Memo: {document['title']} {row['start']}-{row['end']}",
                                 row["memo"], row["coder_id"], row["created"])
                ET.SubElement(selection, f"{{{ns}}}NoteRef", {"targetGUID": note_guid})
        document_note = memo_note(document_memos.get(document["id"]),
                                  f"Memo: {document['title']}")
        if document_note:
            ET.SubElement(source, f"{{{ns}}}NoteRef", {"targetGUID": document_note})

    if notes:
        ET.SubElement(root, f"{{{ns}}}Notes").extend(notes)

    return [("project.qde", _serialise(root, ns)), *files]


# ---------------------------------------------------------------- writing


def qdpx_bytes_writer(entries: list[tuple[str, bytes]]) -> Callable[[object], None]:
    def write(handle) -> None:
        with zipfile.ZipFile(handle, "w") as archive:
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
    return write


def export_qdpx(db: Database, path: str | Path, name: str | None = None) -> Path:
    """Write the project (codebook, documents, codings, memos) as a REFI-QDA
    project file; ``name`` defaults to the file's name without ``.qdpx``."""
    path = Path(path)
    entries = project_files(db, name or path.stem or "margin")
    write_atomically(path, qdpx_bytes_writer(entries))
    return path


def export_qdc(db: Database, path: str | Path) -> Path:
    """Write the codebook as a REFI-QDA codebook file."""
    path = Path(path)
    content = codebook_xml(db)
    write_atomically(path, content)
    return path
