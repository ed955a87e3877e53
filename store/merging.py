"""Merging a colleague's copy: their margin database or REFI-QDA project into ours.

Each coder works on their own copy; :func:`merge_file` brings the other
copy's work into this one, and the colleague does the same the other way.
There is one merge rule, :func:`merge_database` (database into database): a
.qdpx project is first imported, through the one import flow, into an
in-memory database, which is then merged like any other.

How things are matched, and the rule when the two copies disagree (ours is
always kept; theirs is reported as a conflict):

- **Coders** by UUID, else by name. Same UUID, another name: ours kept.
- **Documents** by UUID when the text is the same, else by the SHA-256 of
  their text (identical text is the same document whatever its UUID). A
  different title: ours kept. The same UUID with another text is another
  document. A new document comes in with its text, original, metadata and
  its entity mentions as their margin recognised them (derived from the
  same text; a document without them is recognised later, as after an
  import); entity review decisions come with it. A document whose source
  we have with another text (cleaned differently) cannot be placed: it is
  left out, with its codings, and reported.
- **Codes** by UUID, else by name under the matched parent (their path).
  Same UUID with another name, or under another parent: ours kept (their
  codings go to our code). A matched code with another colour or
  description: ours kept. Another colour is a conflict only when both
  colours were chosen (``codes.colour_chosen``, migration 0013); where one
  is the colour margin picked itself for a new code, nothing is said. Where
  that is not known (a code from before 0013, or from a REFI-QDA file) and
  one may be margin's pick (codes.could_be_automatic), the codes are one
  note, not a conflict each. A new code comes in under its matched parent,
  with its UUID, colour (and whether it was chosen) and description.
- **Codings** keep their coder. One already here (same document, code,
  coder, start and end, or the same UUID) is not added again; a coding
  whose UUID we have at another place is ours, changed since: ours kept.
  Every quote is checked against our text: one that does not match is
  refused and reported, never written. New codings go through the one
  coding writer (store/codings.py).
- **Memos** of documents, codes and codings: one only they have comes in;
  one that differs from ours: ours kept. The memos of new codings come with
  them and are counted (``memos_with_codings``).

The whole merge is ONE transaction and one undoable action ("Merge NAME":
``u`` in the app takes it back; coders it added stay, as coders always do).
Merging the same file again adds nothing. Their file is opened read-only and
never written (:func:`margin.store.db.open_other_database`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from margin.store.codes import PATH_SEPARATOR, Code, code_paths, codebook, could_be_automatic
from margin.store.codings import NewCoding, write_codings
from margin.store.db import Database, open_database, open_other_database
from margin.store.documents import index_documents, indexed_in_pieces, pieces_of
from margin.store.errors import StoreError
from margin.store.history import ChangeLog, action
from margin.store.util import new_uuid, now, plural

SQLITE_HEADER = b"SQLite format 3\x00"
ZIP_HEADER = b"PK\x03\x04"

# The columns of a document that come with it (id aside).
_DOCUMENT_COLUMNS = ("uuid", "title", "text", "original", "source_path", "encoding", "cleaned",
                     "word_count", "hash", "imported", "updated", "author", "published")


@dataclass(frozen=True)
class Conflict:
    """Where the two copies disagree: what, and the rule's outcome (ours kept)."""

    kind: str  # "coder", "document-title", "document-uuid", "document-source", "code-name",
    # "code-parent", "code-colour", "code-description", "memo", "coding-memo", "coding-moved"
    message: str


@dataclass(frozen=True)
class RefusedCoding:
    document: str
    start: int
    end: int
    coder: str | None
    reason: str


@dataclass
class MergeReport:
    """What came in from the other copy, and where the copies disagree."""

    source: str
    label: str = ""
    documents_added: list[str] = field(default_factory=list)  # titles
    documents_matched: int = 0
    codes_added: list[str] = field(default_factory=list)  # paths
    coders_added: list[str] = field(default_factory=list)
    # Per coder (None: unknown): codings added and codings already here.
    codings_added: Counter = field(default_factory=Counter)
    codings_present: Counter = field(default_factory=Counter)
    memos_added: int = 0
    # Memos of codings that came in with their (new) codings: memos too.
    memos_with_codings: int = 0
    # Shared codes whose colour differs where one side's colour may be the
    # one margin picked itself (not a choice: one note, not a conflict each).
    colours_differ: list[str] = field(default_factory=list)  # paths
    # New documents that came without entity mentions (recognised later).
    documents_without_entities: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    refused: list[RefusedCoding] = field(default_factory=list)
    # Codings of documents that were left out (see "document-source").
    codings_left_out: int = 0

    @property
    def nothing_new(self) -> bool:
        return not (self.documents_added or self.codes_added or sum(self.codings_added.values())
                    or self.memos_added or self.memos_with_codings)

    @property
    def memos(self) -> int:
        """Every memo that came in: of documents, codes and codings (those
        that came with their codings included)."""
        return self.memos_added + self.memos_with_codings

    def _memos_said(self) -> str:
        said = plural(self.memos, "memo")
        if self.memos_with_codings:
            said += (" (1 with its coding)" if self.memos_with_codings == 1
                     else f" ({self.memos_with_codings:,} with their codings)")
        return said

    def summary(self) -> str:
        """One line: what came in, how many conflicts and refusals."""
        if self.nothing_new:
            said = f"Nothing new in {self.source}: all of it is already here"
        else:
            parts = [plural(len(self.documents_added), "document"),
                     plural(len(self.codes_added), "code"),
                     plural(sum(self.codings_added.values()), "coding"),
                     self._memos_said()]
            said = f"Merged {self.source}: {', '.join(parts)} came in"
        if self.conflicts:
            said += f"; {plural(len(self.conflicts), 'conflict')} (ours kept)"
        if self.refused:
            said += f"; {plural(len(self.refused), 'coding')} refused"
        return said

    def lines(self) -> list[tuple[str, str]]:
        """(kind, text) for each line of the report, the summary first. The
        kinds: "summary", "document", "code", "coder", "codings", "note",
        "conflict", "refused"."""
        lines = [("summary", self.summary())]
        lines += [("document", f"new document  “{title}”") for title in self.documents_added]
        if self.documents_matched:
            lines.append(("note", f"{plural(self.documents_matched, 'document')} already here"))
        lines += [("code", f"new code      {path}") for path in self.codes_added]
        lines += [("coder", f"new coder     {name}") for name in self.coders_added]
        for coder in sorted(set(self.codings_added) | set(self.codings_present),
                            key=lambda name: name or ""):
            added, present = self.codings_added[coder], self.codings_present[coder]
            text = f"codings       {coder or 'unknown coder'}: {added:,} new"
            if present:
                text += f", {present:,} already here"
            lines.append(("codings", text))
        if self.documents_without_entities:
            lines.append(("note", f"{plural(self.documents_without_entities, 'new document')} "
                                  "without entity mentions yet: the app recognises them "
                                  "(or margin entities)"))
        if self.colours_differ:
            lines.append(("note", self._colours_said()))
        lines += [("conflict", f"conflict      {c.message}") for c in self.conflicts]
        lines += [("refused", f"refused       coding {r.start}-{r.end} of “{r.document}” by "
                              f"{r.coder or 'an unknown coder'}: {r.reason}")
                  for r in self.refused]
        if self.codings_left_out:
            lines.append(("refused", f"left out      {plural(self.codings_left_out, 'coding')} "
                                     "of documents that could not be placed"))
        if self.label and not self.nothing_new:
            lines.append(("note", "one action: undo (u in the app) takes the merge back"))
        return lines

    def _colours_said(self) -> str:
        count = len(self.colours_differ)
        return (f"colours       {plural(count, 'shared code')} "
                f"{'has' if count == 1 else 'have'} another colour in theirs "
                "(colours margin picked, not chosen by both); ours kept")

    def as_json(self) -> list[dict]:
        """One object per line: the summary, then each item of the report."""
        objects: list[dict] = [{
            "type": "summary", "source": self.source, "action": self.label or None,
            "documents_added": len(self.documents_added),
            "documents_matched": self.documents_matched,
            "codes_added": len(self.codes_added), "coders_added": len(self.coders_added),
            "codings_added": sum(self.codings_added.values()),
            "codings_present": sum(self.codings_present.values()),
            "memos_added": self.memos, "memos_with_codings": self.memos_with_codings,
            "conflicts": len(self.conflicts),
            "refused": len(self.refused), "codings_left_out": self.codings_left_out,
        }]
        objects += [{"type": "document", "title": title} for title in self.documents_added]
        objects += [{"type": "code", "path": path} for path in self.codes_added]
        objects += [{"type": "coder", "name": name} for name in self.coders_added]
        objects += [{"type": "codings", "coder": coder, "added": self.codings_added[coder],
                     "present": self.codings_present[coder]}
                    for coder in sorted(set(self.codings_added) | set(self.codings_present),
                                        key=lambda name: name or "")]
        if self.colours_differ:
            objects.append({"type": "note", "kind": "code-colours",
                            "codes": list(self.colours_differ),
                            "message": self._colours_said().removeprefix("colours").strip()})
        objects += [{"type": "conflict", "kind": c.kind, "message": c.message}
                    for c in self.conflicts]
        objects += [{"type": "refused", "document": r.document, "start": r.start, "end": r.end,
                     "coder": r.coder, "reason": r.reason} for r in self.refused]
        return objects


# ------------------------------------------------------------------ files


def merge_file(db: Database, path: str | Path, *, sources: str | Path | None = None
               ) -> MergeReport:
    """Merge a colleague's margin database or REFI-QDA project (.qdpx) into
    ``db``: one undoable action. ``sources``: the folder a project's external
    sources may be read from (as ``margin import --sources``). Anything that
    is neither, a damaged or newer database, or ``db``'s own file, is refused
    with a one-line StoreError."""
    path = Path(path).expanduser()
    if sources is not None:
        sources = Path(sources).expanduser()
        if sources.exists() and not sources.is_dir():
            raise StoreError(f"{sources} is a file: name the folder of the project's sources")
    if path.is_dir():
        raise StoreError(f"{path} is a folder: name a margin database or a .qdpx project")
    try:
        with open(path, "rb") as file:
            header = file.read(16)
    except FileNotFoundError:
        raise StoreError(f"no file at {path}") from None
    except OSError as error:
        raise StoreError(f"cannot read {path}: {error.strerror or error}") from None
    ours = getattr(db.conn, "margin_path", None)
    if ours is not None and _same_file(path, Path(ours)):
        raise StoreError(f"{path} is this database: there is nothing to merge")
    if header.startswith(SQLITE_HEADER):
        theirs = open_other_database(path)
        try:
            return merge_database(db, theirs, source=path.name)
        finally:
            theirs.close()
    suffix = path.suffix.lower()
    if suffix == ".qdc":
        raise StoreError(f"{path.name} is a REFI-QDA codebook, not a project: "
                         f"margin import {path.name} merges its codes into ours")
    if header.startswith(ZIP_HEADER) or suffix == ".qdpx":
        return _merge_project(db, path, sources)
    raise StoreError(f"{path.name} is neither a margin database nor a REFI-QDA project (.qdpx)")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _merge_project(db: Database, path: Path, sources: str | Path | None) -> MergeReport:
    """A .qdpx: imported by the one import flow into an in-memory database,
    which is then merged (one merge rule for both kinds of file)."""
    from margin.store.importing import ImportOptions, run_import

    scratch = open_database(None)
    try:
        options = ImportOptions(entities=False, sources=None if sources is None else str(sources))
        imported = run_import(scratch, [str(path)], options)
        for result in imported.results:
            if result.status == "refused":
                raise StoreError(f"{path.name}: {result.message}")
        report = merge_database(db, scratch, source=path.name)
        for unplaced in (u for result in imported.results for u in result.unplaced):
            report.refused.append(RefusedCoding(unplaced.document, unplaced.start, unplaced.end,
                                                None, unplaced.reason))
        return report
    finally:
        scratch.close()


# -------------------------------------------------------------- the rule


def text_digest(text: str) -> str:
    """What identifies a document's text across copies: its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def merge_database(db: Database, theirs: Database, *, source: str = "the other copy"
                   ) -> MergeReport:
    """Merge everything of ``theirs`` into ``db`` (see the module's notes for
    the rules): one transaction, one undoable action; ``theirs`` is only
    read. Returns the report of what came in."""
    label = f"Merge {source}"
    report = MergeReport(source, label)
    # Theirs as of one moment (their margin may be open on it).
    with theirs.snapshot():
        their = _TheirCopy.read(theirs)
        with action(db, label) as log:
            merger = _Merger(db, log, theirs, their, report)
            merger.coders()
            merger.documents()
            merger.codes()
            merger.memos()
            merger.codings()
            merger.entities()
    # A very long text that came in is indexed now, a piece a short
    # transaction, as an import indexes one (store/documents.py).
    index_documents(db, merger.in_pieces)
    return report


@dataclass
class _TheirCopy:
    coders: list[dict]
    documents: list[dict]
    codes: list[Code]  # tree order: parents first
    memos: list[dict]
    codings: list[tuple]
    entity_runs: dict[int, tuple]

    @classmethod
    def read(cls, theirs: Database) -> _TheirCopy:
        columns = ", ".join(f"[{column}]" for column in _DOCUMENT_COLUMNS)
        return cls(
            coders=list(theirs.query("SELECT id, uuid, name, created FROM coders ORDER BY id")),
            documents=list(theirs.query(f"SELECT id, {columns} FROM documents ORDER BY id")),
            codes=codebook(theirs),
            memos=list(theirs.query(
                "SELECT uuid, document_id, code_id, text, coder_id, created, updated "
                "FROM memos WHERE text != '' ORDER BY id")),
            codings=theirs.execute(
                'SELECT uuid, document_id, code_id, start, "end", quote, memo, coder_id, '
                "created FROM codings ORDER BY document_id, start, id").fetchall(),
            entity_runs={row[0]: row[1:] for row in theirs.execute(
                "SELECT document_id, backend, version, created FROM entity_runs")},
        )


class _Merger:
    def __init__(self, db: Database, log: ChangeLog, theirs: Database, their: _TheirCopy,
                 report: MergeReport):
        self.db, self.log, self.theirs, self.their, self.report = db, log, theirs, their, report
        self.coder_ids: dict[int, int] = {}  # their coder id -> ours
        self.coder_names: dict[int, str] = {}  # our coder id -> name
        self.document_ids: dict[int, int] = {}  # their document id -> ours
        self.new_documents: dict[int, int] = {}  # our new document id -> their id
        self.in_pieces: list[int] = []  # new documents whose full text is indexed in pieces
        self.texts: dict[int, str] = {}  # our document id -> text (of the merged ones)
        self.titles: dict[int, str] = {}  # our document id -> title
        self.left_out: set[int] = set()  # their documents that could not be placed
        self.code_ids: dict[int, int] = {}  # their code id -> ours

    # coders: not part of the undo (as ensure_coder's), so undoing the merge
    # leaves a coder without codings, as removing a coder's last coding does.
    def coders(self) -> None:
        by_uuid = {row[1]: (row[0], row[2]) for row in self.db.execute(
            "SELECT id, uuid, name FROM coders")}
        by_name = {name: coder_id for coder_id, name in by_uuid.values()}
        self.coder_names = {coder_id: name for coder_id, name in by_uuid.values()}
        for row in self.their.coders:
            if row["uuid"] in by_uuid:
                coder_id, name = by_uuid[row["uuid"]]
                if name != row["name"]:
                    self._conflict("coder", f"coder “{name}”: theirs is named “{row['name']}” "
                                            "(same UUID); ours kept")
            elif row["name"] in by_name:
                coder_id = by_name[row["name"]]
            else:
                coder_id = self.db.execute(
                    "INSERT INTO coders (uuid, name, created) VALUES (?, ?, ?)",
                    [row["uuid"], row["name"], row["created"] or now()]).lastrowid
                by_name[row["name"]] = coder_id
                self.coder_names[coder_id] = row["name"]
                self.report.coders_added.append(row["name"])
            self.coder_ids[row["id"]] = coder_id

    def documents(self) -> None:
        by_uuid: dict[str, tuple[int, str]] = {}  # uuid -> (our id, text digest)
        by_digest: dict[str, int] = {}
        hashes: set[str] = set()  # the import hashes (of the originals): unique
        for document_id, uuid, title, text, digest in self.db.execute(
                "SELECT id, uuid, title, text, hash FROM documents ORDER BY id"):
            text_hash = text_digest(text)
            by_uuid[uuid] = (document_id, text_hash)
            by_digest.setdefault(text_hash, document_id)
            hashes.add(digest)
            self.titles[document_id] = title
        new_rows: list[list] = []
        pending: dict[str, int] = {}  # text digest -> position in new_rows
        their_new: dict[int, int] = {}  # their id -> position in new_rows
        for row in self.their.documents:
            text_hash = text_digest(row["text"])
            if text_hash in pending:  # the same text as one of theirs coming in
                their_new[row["id"]] = pending[text_hash]
                continue
            found = by_uuid.get(row["uuid"])
            document_id = found[0] if found is not None and found[1] == text_hash \
                else by_digest.get(text_hash)
            if document_id is not None:
                self.document_ids[row["id"]] = document_id
                self.texts[document_id] = row["text"]  # the same text as ours
                self.report.documents_matched += 1
                if self.titles[document_id] != row["title"]:
                    self._conflict("document-title", f"document “{self.titles[document_id]}”: "
                                   f"theirs is titled “{row['title']}”; ours kept")
                continue
            if row["hash"] in hashes:
                self.left_out.add(row["id"])
                self._conflict("document-source", f"document “{row['title']}”: we have its "
                               "source with another text (cleaned differently?); theirs and "
                               "its codings left out")
                continue
            values = [row[column] for column in _DOCUMENT_COLUMNS]
            if found is not None:
                self._conflict("document-uuid", f"document “{row['title']}”: its UUID is ours "
                               f"for “{self.titles[found[0]]}”, another text; it comes in as "
                               "a new document")
                values[0] = new_uuid()
            pending[text_hash] = their_new[row["id"]] = len(new_rows)
            new_rows.append(values)
            hashes.add(row["hash"])
        # kept: the undo history holds their ids and digests, not a second
        # copy of every text (the documents table has them).
        # A very long text is indexed in pieces, not whole (migration 0011):
        # its row marked so, where its pieces lie recorded with it, and the
        # pieces indexed after the merge's transaction (merge_database).
        long = [indexed_in_pieces(values[2]) for values in new_rows]
        ids = self.log.insert_rows("documents", [*_DOCUMENT_COLUMNS, "indexed_in_pieces"],
                                   [[*values, int(is_long)]
                                    for values, is_long in zip(new_rows, long, strict=True)],
                                   kept=True)
        self.in_pieces = [document_id for document_id, is_long in zip(ids, long, strict=True)
                          if is_long]
        self.log.insert_rows("document_pieces", ["document_id", "start", "end", "indexed"], [
            [document_id, start, end, 0] for document_id, values in zip(ids, new_rows, strict=True)
            if document_id in self.in_pieces for start, end in pieces_of(values[2])])
        for their_id, position in their_new.items():
            document_id, values = ids[position], new_rows[position]
            self.document_ids[their_id] = document_id
            if document_id in self.texts:
                continue
            self.new_documents[document_id] = their_id
            self.titles[document_id] = values[1]
            self.texts[document_id] = values[2]
            self.report.documents_added.append(values[1])

    def codes(self) -> None:
        ours = codebook(self.db)
        by_uuid = {code.uuid: code for code in ours}
        by_id = {code.id: code for code in ours}
        siblings = {(code.parent_id, code.name.casefold()): code.id for code in ours}
        paths = {code.id: code.path for code in ours}
        levels: dict[int, list[list]] = {}
        next_id = (self.db.execute("SELECT MAX(id) FROM codes").fetchone()[0] or 0) + 1
        timestamp = now()
        for code in self.their.codes:
            parent_id = self.code_ids.get(code.parent_id) if code.parent_id else None
            match = by_uuid.get(code.uuid)
            if match is not None:
                code_id = match.id
                if match.name != code.name:
                    self._conflict("code-name", f"code “{paths[code_id]}”: theirs is named "
                                   f"“{code.path}” (same UUID); ours kept")
                elif match.parent_id != parent_id:
                    where = paths[parent_id] if parent_id else "the top"
                    self._conflict("code-parent", f"code “{paths[code_id]}”: theirs is under "
                                   f"“{where}” (“{code.path}”); ours kept")
            else:
                code_id = siblings.get((parent_id, code.name.casefold()))
            if code_id is not None:
                self.code_ids[code.id] = code_id
                if code_id in by_id:
                    self._compare_code(by_id[code_id], code, paths[code_id])
                continue
            code_id = next_id
            next_id += 1
            prefix = paths[parent_id] + PATH_SEPARATOR if parent_id else ""
            paths[code_id] = prefix + code.name
            siblings[(parent_id, code.name.casefold())] = code_id
            self.code_ids[code.id] = code_id
            levels.setdefault(code.depth, []).append(
                [code_id, code.uuid, parent_id, code.name, code.colour,
                 None if code.colour_chosen is None else int(code.colour_chosen),
                 code.description, timestamp, timestamp])
            self.report.codes_added.append(paths[code_id])
        # A level at a time: undo deletes the deepest first.
        for depth in sorted(levels):
            self.log.insert_rows("codes", ["id", "uuid", "parent_id", "name", "colour",
                                           "colour_chosen", "description", "created",
                                           "updated"], levels[depth])

    def _compare_code(self, ours: Code, theirs: Code, path: str) -> None:
        if ours.colour.lower() != theirs.colour.lower():
            if ours.colour_chosen is False or theirs.colour_chosen is False:
                pass  # one is the colour margin picked: no real difference
            elif (ours.colour_chosen is None and could_be_automatic(ours.colour)) or \
                    (theirs.colour_chosen is None and could_be_automatic(theirs.colour)):
                self.report.colours_differ.append(path)  # may be margin's pick: not known
            else:  # both chosen: a conflict
                self._conflict("code-colour", f"code “{path}”: theirs is {theirs.colour}, ours "
                               f"{ours.colour}; ours kept")
        if (ours.description or "").strip() != (theirs.description or "").strip():
            self._conflict("code-description", f"code “{path}”: their description differs; "
                           "ours kept")

    def memos(self) -> None:
        existing = {}
        for row in self.db.query("SELECT uuid, document_id, code_id, text FROM memos"):
            key = ("document_id", row["document_id"]) if row["document_id"] is not None \
                else ("code_id", row["code_id"])
            existing[key] = row["text"]
        uuids = {row[0] for row in self.db.execute("SELECT uuid FROM memos")}
        paths = code_paths(self.db)
        rows = []
        for memo in self.their.memos:
            if memo["document_id"] is not None:
                target = self.document_ids.get(memo["document_id"])
                key = ("document_id", target)
                what = f"the document “{self.titles.get(target, '')}”"
            else:
                target = self.code_ids.get(memo["code_id"])
                key = ("code_id", target)
                what = f"the code “{paths.get(target, '')}”"
            if target is None:
                continue
            ours = existing.get(key)
            if ours is not None:
                if ours.strip() != memo["text"].strip():
                    self._conflict("memo", f"memo of {what}: theirs differs; ours kept")
                continue
            uuid = memo["uuid"] if memo["uuid"] not in uuids else new_uuid()
            uuids.add(uuid)
            existing[key] = memo["text"]
            coder = self.coder_ids.get(memo["coder_id"]) if memo["coder_id"] else None
            rows.append([uuid, target if key[0] == "document_id" else None,
                         target if key[0] == "code_id" else None, memo["text"], coder,
                         memo["created"], memo["updated"]])
        self.log.insert_rows("memos", ["uuid", "document_id", "code_id", "text", "coder_id",
                                       "created", "updated"], rows)
        self.report.memos_added += len(rows)

    def codings(self) -> None:
        documents = sorted(set(self.document_ids.values()))
        by_uuid: dict[str, tuple] = {}
        by_key: dict[tuple, tuple[int, str]] = {}
        for first in range(0, len(documents), 500):
            chunk = documents[first:first + 500]
            for row in self.db.execute(
                    'SELECT id, uuid, document_id, code_id, IFNULL(coder_id, 0), start, "end", '
                    f"memo FROM codings WHERE document_id IN ({','.join('?' * len(chunk))})",
                    chunk):
                key = row[2:7]
                by_uuid[row[1]] = key
                by_key[key] = (row[0], row[7] or "")
        all_uuids = None
        new: list[NewCoding] = []
        new_coders: list[str | None] = []
        paths: dict[int, str] | None = None
        for uuid, document, code, start, end, quote, memo, coder, created in self.their.codings:
            document_id = self.document_ids.get(document)
            if document_id is None:
                self.report.codings_left_out += document in self.left_out
                continue
            code_id = self.code_ids[code]
            coder_id = self.coder_ids.get(coder) if coder is not None else None
            name = self.coder_names.get(coder_id) if coder_id is not None else None
            text = self.texts[document_id]
            if not 0 <= start < end <= len(text) or text[start:end] != quote:
                reason = ("it is outside the text" if not 0 <= start < end <= len(text)
                          else "its quote does not match our text")
                self.report.refused.append(RefusedCoding(
                    self.titles[document_id], start, end, name, reason))
                continue
            key = (document_id, code_id, coder_id or 0, start, end)
            present = by_key.get(key)
            if present is None and uuid in by_uuid:
                if paths is None:
                    paths = code_paths(self.db)
                self._conflict("coding-moved", f"coding {start}-{end} of "
                               f"“{self.titles[document_id]}” ({paths.get(code_id)}, "
                               f"{name or 'unknown coder'}): ours (same UUID) is at another "
                               "place or code; ours kept")
                continue
            if present is not None:
                self.report.codings_present[name] += 1
                self._coding_memo(present, memo, key)
                continue
            if all_uuids is None:  # a UUID of a coding in a document not merged
                all_uuids = {row[0] for row in self.db.execute("SELECT uuid FROM codings")}
            if uuid in all_uuids:
                uuid = new_uuid()
            all_uuids.add(uuid)
            by_key[key] = (0, memo or "")
            new.append(NewCoding(document_id, code_id, start, end, coder_id, memo or "", uuid,
                                 created))
            new_coders.append(name)
        written = write_codings(self.db, new, log=self.log, texts=self.texts, many=True)
        names = {coding.key: name for coding, name in zip(new, new_coders, strict=True)}
        for coding in written.added:
            self.report.codings_added[names.get(coding.key)] += 1
            self.report.memos_with_codings += bool((coding.memo or "").strip())
        for coding in written.already_coded + written.repeated:
            self.report.codings_present[names.get(coding.key)] += 1

    def _coding_memo(self, present: tuple[int, str], memo: str | None, key: tuple) -> None:
        coding_id, ours = present
        theirs = (memo or "").strip()
        if not theirs or theirs == ours.strip() or coding_id == 0:
            return
        if not ours.strip():
            self.log.update("codings", coding_id, {"memo": theirs, "updated": now()})
            self.report.memos_added += 1
            return
        self._conflict("coding-memo", f"memo of the coding {key[3]}-{key[4]} of "
                       f"“{self.titles[key[0]]}”: theirs differs; ours kept")

    def entities(self) -> None:
        """Entity mentions of the new documents, as their margin recognised
        them in the same text: derived data, not part of the undo history
        (undoing the merge deletes them with their documents; a document
        without them is recognised later, as after an import). The review
        decisions on them are researchers' work: part of the action."""
        theirs = self.theirs
        ours_by_theirs = {their: ours for ours, their in self.new_documents.items()}
        recognised = [their for their in ours_by_theirs if their in self.their.entity_runs]
        self.report.documents_without_entities = len(ours_by_theirs) - len(recognised)
        for first in range(0, len(recognised), 500):
            chunk = recognised[first:first + 500]
            marks = ",".join("?" * len(chunk))
            self.db.conn.executemany(
                'INSERT INTO entities (document_id, start, "end", label, text) '
                "VALUES (?, ?, ?, ?, ?)",
                ((ours_by_theirs[row[0]], *row[1:]) for row in theirs.execute(
                    f'SELECT document_id, start, "end", label, text FROM entities '
                    f"WHERE document_id IN ({marks}) ORDER BY id", chunk)))
            self.db.conn.executemany(
                "INSERT INTO entity_runs (document_id, backend, version, created) "
                "VALUES (?, ?, ?, ?)",
                [(ours_by_theirs[their], *self.their.entity_runs[their]) for their in chunk])
        reviews = []
        everyone = list(ours_by_theirs)
        for first in range(0, len(everyone), 500):
            chunk = everyone[first:first + 500]
            for row in theirs.execute(
                    'SELECT document_id, start, "end", label, decision, coder_id, created '
                    f"FROM entity_reviews WHERE document_id IN ({','.join('?' * len(chunk))}) "
                    "ORDER BY id", chunk):
                coder = self.coder_ids.get(row[5]) if row[5] is not None else None
                reviews.append([ours_by_theirs[row[0]], *row[1:5], coder, row[6]])
        self.log.insert_rows("entity_reviews", ["document_id", "start", "end", "label",
                                                "decision", "coder_id", "created"], reviews)

    def _conflict(self, kind: str, message: str) -> None:
        self.report.conflicts.append(Conflict(kind, message))
