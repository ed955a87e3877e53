"""Exporting coded passages: CSV, JSONL and Markdown, one record per coding.

Every passage is checked against its document's text before it is written
(``quote == text[start:end]``); a mismatch stops the export with an error that
names the document and offsets.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from margin.store.codes import codebook, descendant_ids, find_code
from margin.store.codings import verify_quote
from margin.store.db import Database
from margin.store.documents import document_text, find_document
from margin.store.errors import NotFound, StoreError
from margin.store.textspans import paragraph_number, paragraph_spans

FORMATS = ("csv", "jsonl", "md")


@dataclass
class Passage:
    document_id: int
    document_uuid: str
    document_title: str
    code: str  # full path, "Parent > Child"
    start: int
    end: int
    quote: str
    memo: str
    coder: str
    created: str
    uuid: str
    paragraph: int

    def record(self) -> dict:
        data = asdict(self)
        return {key: data[key] for key in RECORD_FIELDS}


RECORD_FIELDS = [
    "document_id", "document_title", "code", "start", "end", "quote", "memo", "coder",
    "created", "paragraph", "uuid", "document_uuid",
]


def coded_passages(
    db: Database,
    codes: Iterable[str] = (),
    documents: Iterable[str] = (),
) -> list[Passage]:
    """Coded passages, by document then position, filtered by code names or
    paths (a code includes the codes beneath it) and document references."""
    code_ids: set[int] | None = None
    for name in codes:
        code = find_code(db, name)
        if code is None:
            raise NotFound(f"no code named {name!r}")
        code_ids = (code_ids or set()) | set(descendant_ids(db, code.id))
    document_ids = {find_document(db, reference).id for reference in documents} or None

    with db.snapshot():  # the codebook and the codings as of one moment
        return _coded_passages(db, code_ids, document_ids)


def _coded_passages(db: Database, code_ids: set[int] | None,
                    document_ids: set[int] | None) -> list[Passage]:
    paths = {code.id: code.path for code in codebook(db)}
    texts: dict[int, tuple[str, str, list[tuple[int, int]]]] = {}
    passages = []
    rows = db.query(
        """SELECT c.uuid, c.document_id, c.code_id, c.start, c."end", c.quote, c.memo,
                  c.created, coders.name AS coder, d.uuid AS document_uuid, d.title
           FROM codings c JOIN documents d ON d.id = c.document_id
           LEFT JOIN coders ON coders.id = c.coder_id
           ORDER BY c.document_id, c.start, c."end", c.id"""
    )
    for row in rows:
        if code_ids is not None and row["code_id"] not in code_ids:
            continue
        if document_ids is not None and row["document_id"] not in document_ids:
            continue
        if row["document_id"] not in texts:
            text = document_text(db, row["document_id"])
            texts[row["document_id"]] = (row["title"], text, paragraph_spans(text))
        title, text, paragraphs = texts[row["document_id"]]
        verify_quote(title, text, row["start"], row["end"], row["quote"])
        passages.append(
            Passage(
                document_id=row["document_id"],
                document_uuid=row["document_uuid"],
                document_title=title,
                code=paths[row["code_id"]],
                start=row["start"],
                end=row["end"],
                quote=row["quote"],
                memo=row["memo"] or "",
                coder=row["coder"] or "",
                created=row["created"],
                uuid=row["uuid"],
                paragraph=paragraph_number(paragraphs, row["start"]),
            )
        )
    return passages


# Spreadsheets run cells that start with these as formulas (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(passages: list[Passage]) -> str:
    """UTF-8 CSV with a BOM, which Excel needs to read the characters right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RECORD_FIELDS)
    for passage in passages:
        record = passage.record()
        writer.writerow([_spreadsheet_safe(record[field]) for field in RECORD_FIELDS])
    return "\ufeff" + buffer.getvalue()


def to_jsonl(passages: list[Passage]) -> str:
    return "".join(json.dumps(p.record(), ensure_ascii=False) + "\n" for p in passages)


def to_markdown(passages: list[Passage]) -> str:
    """Passages grouped by code, as block quotes with their citations."""
    if not passages:
        return "# Coded passages\n\nNo coded passages.\n"
    lines = ["# Coded passages", ""]
    for code in sorted({p.code for p in passages}, key=str.casefold):
        group = [p for p in passages if p.code == code]
        lines += [f"## {_md_escape(code)}", "", f"{len(group)} passage{'s' * (len(group) != 1)}", ""]
        for passage in group:
            for quote_line in passage.quote.split("\n"):
                lines.append(f"> {quote_line}".rstrip())
            lines.append(">")
            citation = f"> — *{_md_escape(passage.document_title)}*, para. {passage.paragraph}"
            if passage.coder:
                citation += f" (coded by {_md_escape(passage.coder)})"
            lines.append(citation)
            if passage.memo:
                lines += ["", f"Memo: {_md_escape(passage.memo)}"]
            lines.append("")
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    # Keep titles and code names literal inside emphasis and headings.
    return "".join("\\" + ch if ch in "\\`*_[]<|" else ch for ch in text)


def render(passages: list[Passage], format: str) -> str:
    if format == "csv":
        return to_csv(passages)
    if format == "jsonl":
        return to_jsonl(passages)
    if format == "md":
        return to_markdown(passages)
    raise ValueError(f"unknown export format {format!r}")


def write_atomically(path: Path, content: str) -> None:
    """Write via a temporary file and rename, so a full disk or a crash never
    leaves a half-written export in place of a good one."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise StoreError(f"folder {folder} does not exist")
    path = Path(path)
    try:
        # Not a with-block: the file outlives it, renamed over the target.
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
            "w", encoding="utf-8", newline="", dir=folder, delete=False, suffix=".tmp"
        )
    except OSError as error:
        raise StoreError(f"cannot write in {folder}: {error.strerror or error}") from None
    temporary = Path(handle.name)
    try:
        with handle:
            handle.write(content)
        if path.is_dir():
            raise IsADirectoryError(21, "is a directory")
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {error.strerror or error}") from None
