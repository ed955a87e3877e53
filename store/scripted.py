"""Coding from a script: `margin code`, `margin uncode` and `--from FILE.jsonl`.

A script names a passage the way a person would: a document (id, uuid or
title), a code path ("Parent > Child"), and either offsets or the quoted
words (``quote``, with ``nth`` for the n-th occurrence or ``all`` for every
one). Every request of one run is resolved first, against the texts as
stored; if any is wrong (an unknown document or code, a quote not found or
found several times without ``nth``/``all``), nothing is written and every
problem is reported, with its line. Then all of it is written as **one
undoable action**, through the one coding writer (store/codings.py), so
`u` in the app or a second script can take it back whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from margin.store.codes import PATH_SEPARATOR, ensure_code_path, find_code
from margin.store.codings import NewCoding, ensure_coder, find_coder, write_codings
from margin.store.db import Database
from margin.store.documents import document_text, find_document
from margin.store.errors import NotFound, StoreError
from margin.store.history import action
from margin.store.util import plural


@dataclass
class PassageRequest:
    """One passage a script asks to code or uncode. ``line``: where it came
    from (a JSONL line number, 0 for the command line), for the messages."""

    document: str
    code: str
    start: int | None = None
    end: int | None = None
    quote: str | None = None
    nth: int | None = None
    all: bool = False
    memo: str = ""
    coder: str | None = None
    line: int = 0

    @classmethod
    def from_json(cls, record: object, line: int) -> PassageRequest:
        """A request from one JSONL object: ``document``, ``code``, then
        ``start``/``end`` or ``quote`` (with ``nth`` or ``all``), and
        optionally ``memo`` and ``coder``."""
        if not isinstance(record, dict):
            raise StoreError(f"line {line}: expected a JSON object")
        unknown = set(record) - {"document", "code", "start", "end", "quote", "nth", "all",
                                 "memo", "coder"}
        if unknown:
            raise StoreError(f"line {line}: unknown field(s) {', '.join(sorted(unknown))}")
        kinds = {"document": (str, int), "code": (str,), "start": (int,), "end": (int,),
                 "quote": (str,), "nth": (int,), "all": (bool,), "memo": (str,),
                 "coder": (str,)}
        for name, value in record.items():
            if value is not None and (not isinstance(value, kinds[name])
                                      or (isinstance(value, bool) and name != "all")):
                raise StoreError(f"line {line}: {name} must be "
                                 f"{' or '.join(k.__name__ for k in kinds[name])}")
        if record.get("document") is None or not record.get("code"):
            raise StoreError(f"line {line}: document and code are required")
        return cls(document=str(record["document"]), code=record["code"],
                   start=record.get("start"), end=record.get("end"),
                   quote=record.get("quote"), nth=record.get("nth"),
                   all=bool(record.get("all")), memo=record.get("memo") or "",
                   coder=record.get("coder"), line=line)

    def where(self) -> str:
        return f"line {self.line}: " if self.line else ""


@dataclass
class ScriptReport:
    """What a run did (or, with problems, why it did nothing)."""

    coded: int = 0
    already_coded: int = 0
    removed: int = 0
    created_codes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        if self.coded or not (self.removed or self.already_coded):
            parts.append(f"coded {plural(self.coded, 'passage')}")
        if self.already_coded:
            parts.append(f"{plural(self.already_coded, 'passage')} already coded (left alone)")
        if self.removed:
            parts.append(f"removed {plural(self.removed, 'coding')}")
        if self.created_codes:
            parts.append(f"created {plural(len(self.created_codes), 'code')}: "
                         + ", ".join(self.created_codes))
        return "; ".join(parts)

    def as_json(self) -> dict:
        return {"coded": self.coded, "already_coded": self.already_coded,
                "removed": self.removed, "created_codes": self.created_codes}


def _spans(request: PassageRequest, text: str) -> list[tuple[int, int]]:
    """The passages a request names in ``text``; StoreError if it names none
    or, without nth/all, more than one."""
    if request.quote is None:
        if request.start is None or request.end is None:
            raise StoreError("give start and end, or a quote")
        if not 0 <= request.start < request.end <= len(text):
            raise StoreError(f"passage {request.start}-{request.end} is outside the document "
                             f"(0-{len(text)})")
        return [(request.start, request.end)]
    if request.start is not None or request.end is not None:
        raise StoreError("give start and end, or a quote, not both")
    if not request.quote.strip():
        raise StoreError("the quote is empty")
    found, at = [], text.find(request.quote)
    while at >= 0:
        found.append((at, at + len(request.quote)))
        at = text.find(request.quote, at + 1)
    if not found:
        raise StoreError(f"quote {request.quote[:60]!r} is not in the document")
    if request.all:
        return found
    if request.nth is not None:
        if not 1 <= request.nth <= len(found):
            raise StoreError(f"quote {request.quote[:60]!r} occurs {len(found)} time(s); "
                             f"there is no occurrence {request.nth}")
        return [found[request.nth - 1]]
    if len(found) > 1:
        raise StoreError(f"quote {request.quote[:60]!r} occurs {len(found)} times; "
                         "say which with nth (1 is the first) or all")
    return found


def _resolve(db: Database, requests: list[PassageRequest], create: bool, report: ScriptReport
             ) -> list[tuple[PassageRequest, int, str, list[tuple[int, int]]]]:
    """(request, document id, code path, spans) for each request; every
    problem goes to ``report.problems``."""
    resolved, texts, documents, codes = [], {}, {}, {}
    for request in requests:
        try:
            if request.document not in documents:
                documents[request.document] = find_document(db, request.document)
            document = documents[request.document]
            if document.id not in texts:
                texts[document.id] = document_text(db, document.id)
            if request.code not in codes:  # the codebook is read once per code named
                codes[request.code] = find_code(db, request.code)
            code = codes[request.code]
            path = code.path if code else PATH_SEPARATOR.join(
                part.strip() for part in request.code.split(">"))
            if code is None and not create:
                raise StoreError(f"no code {request.code!r} (add it with margin codes add, "
                                 "or pass --create)")
            resolved.append((request, document.id, path, _spans(request, texts[document.id])))
        except NotFound:
            report.problems.append(f"{request.where()}no document {request.document!r}")
        except StoreError as error:
            report.problems.append(f"{request.where()}{error}")
    return resolved


def code_passages(db: Database, requests: list[PassageRequest], coder: str,
                  create: bool = False) -> ScriptReport:
    """Code every requested passage, as one undoable action (nothing at all
    if any request has a problem: see ``report.problems``)."""
    report = ScriptReport()
    resolved = _resolve(db, requests, create, report)
    if report.problems or not resolved:
        return report
    label = (f"Code {plural(sum(len(spans) for *_, spans in resolved), 'passage')} "
             "from a script")
    with action(db, label) as log:
        codings, code_ids, coder_ids = [], {}, {}
        for request, document_id, path, spans in resolved:
            if path not in code_ids:
                existed = find_code(db, path) is not None
                code_ids[path] = ensure_code_path(db, path)
                if not existed:
                    report.created_codes.append(path)
            code_id = code_ids[path]
            who = request.coder or coder
            if who not in coder_ids:
                coder_ids[who] = ensure_coder(db, who)
            coder_id = coder_ids[who]
            codings += [NewCoding(document_id, code_id, start, end, coder_id, memo=request.memo)
                        for start, end in spans]
        written = write_codings(db, codings, log=log)
    report.coded = len(written.added)
    report.already_coded = len(written.already_coded) + len(written.repeated)
    return report


def uncode_passages(db: Database, requests: list[PassageRequest], coder: str | None
                    ) -> ScriptReport:
    """Remove the codings of each request's code on exactly its passages, by
    the request's coder, or by ``coder``; ``coder`` None: by any coder. One
    undoable action; nothing if any request has a problem."""
    report = ScriptReport()
    resolved = _resolve(db, requests, create=False, report=report)
    if report.problems or not resolved:
        return report
    doomed: list[int] = []
    for request, document_id, path, spans in resolved:
        code = find_code(db, path)
        who = request.coder or coder
        coder_id = find_coder(db, who) if who else None
        if who and coder_id is None:
            report.problems.append(f"{request.where()}no coder {who!r}")
            continue
        for start, end in spans:
            rows = db.execute(
                'SELECT id FROM codings WHERE document_id = ? AND code_id = ? AND start = ? '
                'AND "end" = ?' + (" AND coder_id = ?" if who else ""),
                [document_id, code.id, start, end, *([coder_id] if who else [])]).fetchall()
            if not rows:
                report.problems.append(f"{request.where()}{path!r} is not on the passage "
                                       f"{start}-{end}" + (f" by {who}" if who else ""))
            doomed += [row[0] for row in rows]
    if report.problems:
        return report
    with action(db, f"Remove {plural(len(doomed), 'coding')} from a script") as log:
        for coding_id in doomed:
            log.delete("codings", coding_id)
    report.removed = len(doomed)
    return report
