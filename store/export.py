"""Exporting coded passages: CSV, JSONL and Markdown, one record per coding.

Every passage is checked against its document's text before it is written
(``quote == text[start:end]``); a mismatch stops the export with an error that
names the document and offsets.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from margin.store.coders import coder_condition
from margin.store.codes import codebook, descendant_ids, find_code
from margin.store.codings import verify_quote
from margin.store.db import Database
from margin.store.documents import document_text, find_document
from margin.store.errors import NotFound, StoreError
from margin.store.textspans import paragraph_number, paragraph_spans
from margin.store.util import json_text, one_line, plural, visible_controls

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
    coders: Sequence[str] = (),
    *,
    strict: bool = True,
) -> list[Passage]:
    """Coded passages, by document then position, filtered by code names or
    paths (a code includes the codes beneath it), document references and
    coder names (store/coders.py; ``strict=False``: an unknown coder has no
    passages, rather than being an error)."""
    by_coder, coder_params = coder_condition(db, coders, "c.coder_id", strict=strict)
    code_ids: set[int] | None = None
    for name in codes:
        code = find_code(db, name)
        if code is None:
            raise NotFound(f"no code named {name!r}")
        code_ids = (code_ids or set()) | set(descendant_ids(db, code.id))
    document_ids = {find_document(db, reference).id for reference in documents} or None

    with db.snapshot():  # the codebook and the codings as of one moment
        return _coded_passages(db, code_ids, document_ids, by_coder, coder_params)


def _coded_passages(db: Database, code_ids: set[int] | None,
                    document_ids: set[int] | None, by_coder: str = "1",
                    coder_params: Sequence = ()) -> list[Passage]:
    paths = {code.id: code.path for code in codebook(db)}
    texts: dict[int, tuple[str, str, list[tuple[int, int]]]] = {}
    passages = []
    rows = db.query(
        f"""SELECT c.uuid, c.document_id, c.code_id, c.start, c."end", c.quote, c.memo,
                  c.created, coders.name AS coder, d.uuid AS document_uuid, d.title
           FROM codings c JOIN documents d ON d.id = c.document_id
           LEFT JOIN coders ON coders.id = c.coder_id
           WHERE {by_coder}
           ORDER BY c.document_id, c.start, c."end", c.id""",
        list(coder_params),
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


def _shown(value: object) -> object:
    """A value as CSV and Markdown show it: control characters (ESC, BEL, C1…)
    as visible pictures, tab and newline kept, so that ``cat export.csv`` or
    ``margin export --format md`` cannot drive the terminal. JSONL and QDPX
    keep the text exact."""
    return visible_controls(value) if isinstance(value, str) else value


def csv_cell(value: object) -> object:
    """A value as margin's CSV writes it: control characters as visible
    pictures, and a text a spreadsheet would run as a formula quoted."""
    return _spreadsheet_safe(_shown(value))


def to_csv(passages: list[Passage], bom: bool = True) -> str:
    """UTF-8 CSV, with a BOM (``bom``), which Excel needs to read the
    characters right; standard output goes without."""
    return table_csv(RECORD_FIELDS, ([passage.record()[field] for field in RECORD_FIELDS]
                                     for passage in passages), bom=bom)


def table_csv(header: list[str], rows: Iterable[list[object]], bom: bool = True) -> str:
    """Any table as margin writes CSV (the passages, the analysis tables):
    control characters shown, cells a spreadsheet would run as formulas
    quoted, CRLF line ends, a BOM first if ``bom``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return ("\ufeff" if bom else "") + buffer.getvalue()


def to_jsonl(passages: list[Passage]) -> str:
    """One JSON object a line, the text exact (controls as JSON escapes)."""
    return "".join(json_text(p.record()) + "\n" for p in passages)


def to_markdown(passages: list[Passage]) -> str:
    """Passages grouped by code, as block quotes with their citations. What
    the texts hold is escaped so that it cannot change the document's
    structure: a memo line "# Heading" stays text, a passage with a fence
    cannot swallow its citation, ``<script>`` is not HTML."""
    if not passages:
        return "# Coded passages\n\nNo coded passages.\n"
    lines = ["# Coded passages", ""]
    for code in sorted({p.code for p in passages}, key=str.casefold):
        group = [p for p in passages if p.code == code]
        lines += [f"## {_md_escape(code)}", "", plural(len(group), "passage"), ""]
        for passage in group:
            for quote_line in _md_block(passage.quote):
                lines.append(f"> {quote_line}".rstrip())
            lines.append(">")
            citation = f"> — *{_md_escape(passage.document_title)}*, para. {passage.paragraph}"
            if passage.coder:
                citation += f" (coded by {_md_escape(passage.coder)})"
            lines.append(citation)
            if passage.memo:
                memo = _md_block(passage.memo)
                lines += ["", f"Memo: {memo[0]}", *memo[1:]]
            lines.append("")
    return "\n".join(lines)


def _md_inline(text: str) -> str:
    """Markdown's inline marks and HTML's ``<`` escaped."""
    return "".join("\\" + ch if ch in "\\`*_[]<|" else ch for ch in text)


def _md_escape(text: str) -> str:
    """One line of text (a title, a code, a coder), literal inside emphasis,
    headings and paragraphs, control characters shown."""
    return _md_inline(one_line(_shown(text)))


# A line that starts with one of these (after spaces) would become a heading,
# a quote, a list item, a rule or a fence, or underline the line before.
_BLOCK_START = re.compile(r"( *)(?:([#>+\-=~])|(\d{1,9})([.)]))")


def _md_block(text: str) -> list[str]:
    """Text of many lines (a passage, a memo) as Markdown lines that read as
    the text and nothing else: inline marks escaped, control characters shown,
    and a mark at a line's start that Markdown would read as structure
    escaped too (``\\#``, ``\\>``, ``1\\.``…)."""
    lines = []
    for line in _shown(text).split("\n"):
        escaped = _md_inline(line)
        start = _BLOCK_START.match(escaped)
        if start:
            spaces, mark, number, dot = start.groups()
            marked = f"\\{mark}" if mark else f"{number}\\{dot}"
            escaped = spaces + marked + escaped[start.end():]
        lines.append(escaped)
    return lines


def render(passages: list[Passage], format: str, bom: bool = True) -> str:
    """The passages in ``format``; ``bom``: a CSV starts with a byte-order mark."""
    if format == "csv":
        return to_csv(passages, bom=bom)
    if format == "jsonl":
        return to_jsonl(passages)
    if format == "md":
        return to_markdown(passages)
    raise ValueError(f"unknown export format {format!r}")


def _target(path: Path) -> Path:
    """The file that writing ``path`` replaces: ``path``, or the file a
    symlink points to. A folder, a device, a pipe or a socket (or a symlink to
    one) is refused: margin never replaces one with a file. So is a symlink
    to nothing: writing the name it points to would create a file wherever
    whoever made the link chose (the old trick of a link planted in a shared
    folder), and replacing the link would undo what its maker meant."""
    try:
        info = os.stat(path)  # follows symlinks
    except FileNotFoundError:
        if os.path.islink(path):
            raise StoreError(f"cannot write {path}: it is a symbolic link to "
                             f"{os.readlink(path)}, which does not exist; name the file "
                             "itself, or - for standard output") from None
        return path
    except OSError as error:
        raise StoreError(f"cannot write {path}: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(f"cannot write {path}: it is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"cannot write {path}: it is not a regular file (a device, a pipe "
                         f"or a socket); name a file, or - for standard output")
    return path.resolve()


def write_atomically(path: str | Path,
                     content: str | bytes | Callable[[BinaryIO], None]) -> Path:
    """The one way margin writes a file (CSV, JSONL, Markdown, QDPX, QDC,
    search results): ``content`` (text as UTF-8, bytes, or a function that
    writes to a binary handle) goes to a new file beside the target, is
    synced, then renamed over it, so a full disk or a crash never leaves a
    half-written file, and the old one stays until the new one is whole.
    Only regular files are written (see ``_target``); a new file gets
    ``0666 & ~umask``, as any Unix tool's would."""
    path = Path(path)
    target = _target(path)
    folder = target.parent
    if not folder.is_dir():
        raise StoreError(f"cannot write {path}: folder {folder} does not exist")
    # The target's name shortened, so that a name near the system's limit
    # (255 bytes) still leaves room for the temporary file's.
    stem = os.fsdecode(os.fsencode(target.name)[:64])
    temporary = folder / f".{stem}.{secrets.token_hex(6)}.tmp"
    try:
        # Mode 0o666: the kernel takes the umask away (tempfile would use 0o600).
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise StoreError(f"cannot write in {folder}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        _target(path)  # still a regular file (or none), not swapped for a device meanwhile
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
