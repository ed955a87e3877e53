"""The one import flow: files, folders, standard input, the sample articles and
REFI-QDA projects (.qdpx) and codebooks (.qdc) into the library, with the
named entities of every new document.

:func:`import_sources` is a generator of progress events, so the command
line prints as it goes and the app's import dialog shows progress and can be
cancelled between files. Each event carries the report lines it adds; the
last, :class:`ImportFinished`, carries the whole :class:`ImportReport`, whose
``lines()`` are exactly the lines both show, and whose ``as_json()`` is what
``margin import --json`` prints.

How a batch goes through:

1. The sources are planned: folders expanded (recursively; text, Markdown,
   transcript, HTML, DOCX, PDF and EPUB files, hidden ones skipped), "-" is
   standard input (bytes the caller gives), a named .qdpx/.qdc file is a
   REFI-QDA project or codebook, and the sample articles come first if asked.
2. Files are read, decoded and prepared (cleaned, titled, checked against the
   library) a few ahead of the one being written, and their texts recognised
   in batches: in this process, or for big imports in worker processes
   (:mod:`margin.store.entities.parallel`) while this process reads on.
3. In source order, each recognised batch (about 60,000 characters, at most
   32 files) is written in one transaction, every document together with
   its entities: cancelling (asked before each file) or a crash keeps what
   was imported so far, loses at most the batch in flight, and never leaves
   a document without its entities. One transaction per document would
   rewrite the same index pages and wait for the disk a thousand times in a
   1,000-file import. A refused file (binary, empty, unreadable…) never stops
   the batch; its progress events come once its batch is committed.
   A very long text (over ``parallel.LONG_TEXT_CHARS``, 2 million
   characters, and ``documents.PIECES_ABOVE``) is the exception: its
   document is committed alone (the row whole, in one transaction: nobody
   sees half a document), then its full text is indexed a piece at a time
   (``documents.index_pieces``: one short transaction a piece), then its
   text is recognised in pieces by the workers and its entities stored in
   short transactions as the pieces come, its run row last (see
   ``storage.store_long_text_entities``), so that another writer never
   waits long for the lock. Until its last piece is indexed it is being
   indexed (search finds what is indexed so far; the next import or
   ``margin check --repair`` indexes the rest); until its run row it is a
   document that needs its entities: a crash or a cancel leaves it so, and
   the app or ``margin entities --rebuild`` completes it.
4. A REFI-QDA project is imported where it stands (a savepoint in its batch's
   transaction); the entities of the documents it added are recognised at
   the end.

Exit status of the command line: 1 if anything was refused.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from margin.store import documents
from margin.store.db import Database
from margin.store.documents import (
    ImportResult,
    PreparedText,
    derived_writes,
    documents_being_indexed,
    index_all_pieces,
    index_pieces,
    piece_steps,
    prepare_text,
    save_prepared,
)
from margin.store.errors import StoreError
from margin.store.history import writing
from margin.store.sources.formats import FORMAT_SUFFIXES, extract
from margin.store.sources.textio import (
    DecodedText,
    ImportRefused,
    decode_bytes,
    read_file_bytes,
    read_text_file,
)
from margin.store.sources.transcripts import parse_transcript, transcript_to_text
from margin.store.util import plural

# File types read from folders; named files of any extension are tried (and
# refused if binary).
TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
# Interview transcripts, stored as readable text (see sources/transcripts.py).
TRANSCRIPT_SUFFIXES = {".vtt", ".srt"}
# HTML, DOCX, PDF and EPUB: text extracted by sources/formats.py (the formats extra).
IMPORT_SUFFIXES = TEXT_SUFFIXES | TRANSCRIPT_SUFFIXES | FORMAT_SUFFIXES
# REFI-QDA projects and codebooks, imported when named (never found in folders).
REFI_SUFFIXES = {".qdpx": "project", ".qdc": "codebook"}

# A batch of texts recognised together holds at most this many documents
# (and about parallel.BATCH_CHARS characters).
_BATCH_DOCUMENTS = 32
# Roughly how many bytes of a file make a word, to decide before reading
# whether an import is big enough for worker processes.
_BYTES_PER_WORD = 6


@dataclass(frozen=True)
class ImportOptions:
    clean: bool = False  # remove web boilerplate (the samples are always cleaned)
    sample: bool = False  # add the built-in sample articles first
    entities: bool = True  # recognise the named entities of new documents
    backend: str = "auto"  # "auto", "rules" or "spacy"
    # Processes recognising entities: None chooses (two or more only for
    # imports big enough to pay for starting them), 0 or 1: this one.
    workers: int | None = None
    # The folder a REFI-QDA project's absolute:// and relative:// sources may
    # be read from (None: only from inside the project file).
    sources: str | None = None


# ------------------------------------------------------------------ report


@dataclass(frozen=True)
class ReportLine:
    # What the line says, which decides where the command line prints it
    # (stdout for "imported", stderr for the rest) and how the dialog colours
    # it: "imported", "skipped", "refused", "detail", "note", "summary" or
    # "entities".
    kind: str
    text: str

    @property
    def is_result(self) -> bool:
        """A document or project that arrived (the command line's stdout)."""
        return self.kind == "imported"


@dataclass
class SourceResult:
    """What became of one source: a file, standard input, a sample article,
    a REFI-QDA project or codebook."""

    source: str
    kind: str  # "file", "stdin", "sample", "project", "codebook"
    status: str  # "imported", "duplicate" or "refused"
    message: str
    document_id: int | None = None
    title: str | None = None
    entities: int | None = None  # recognised in it (None: not recognised)
    # The documents a REFI-QDA project added (their entities come at the end).
    document_ids: list[int] = field(default_factory=list)
    unplaced: list = field(default_factory=list)  # refi.importer.UnplacedCoding
    conflicts: list[str] = field(default_factory=list)

    def lines(self) -> list[ReportLine]:
        if self.status == "refused":
            return [ReportLine("refused", f"refused   {self.source}: {self.message}")]
        if self.status == "duplicate":
            return [ReportLine("skipped", f"skipped   {self.source}: {self.message}")]
        where = f" as #{self.document_id}" if self.document_id is not None else ""
        lines = [ReportLine("imported", f"imported  {self.source}{where}: {self.message}")]
        lines += [
            ReportLine("detail", f"  not placed: {u.document} {u.start}-{u.end}: {u.reason}")
            for u in self.unplaced
        ]
        lines += [ReportLine("detail", f"  conflict: {conflict}") for conflict in self.conflicts]
        return lines

    def as_json(self) -> dict:
        return {
            "source": self.source, "kind": self.kind, "status": self.status,
            "message": self.message, "document_id": self.document_id, "title": self.title,
            "entities": self.entities, "document_ids": self.document_ids,
            "unplaced": [vars(u) for u in self.unplaced], "conflicts": self.conflicts,
        }


@dataclass
class ImportReport:
    total: int = 0  # sources planned
    results: list[SourceResult] = field(default_factory=list)
    backend: str | None = None  # the recogniser used, None without entities
    version: str | None = None
    workers: int = 0  # recognition processes (0: recognised in this one)
    recognised: list[int] = field(default_factory=list)  # documents given entities
    entities: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    entries: list[ReportLine] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Exactly the lines the command line prints and the dialog shows."""
        return [entry.text for entry in self.entries]

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)

    @property
    def failed(self) -> bool:
        """Something was refused (the command line then exits with 1)."""
        return self.count("refused") > 0

    def summary(self) -> str:
        return (f"{self.count('imported')} imported, {self.count('duplicate')} skipped as "
                f"duplicates, {self.count('refused')} refused")

    def as_json(self) -> dict:
        return {
            "results": [result.as_json() for result in self.results],
            "imported": self.count("imported"),
            "duplicates": self.count("duplicate"),
            "refused": self.count("refused"),
            "total": self.total,
            "cancelled": self.cancelled,
            "entities": None if self.backend is None else {
                "backend": self.backend, "version": self.version,
                "documents": len(self.recognised), "entities": self.entities,
                "workers": self.workers,
            },
            "seconds": round(self.seconds, 3),
            "lines": self.lines(),
        }


# ------------------------------------------------------------------ events


@dataclass(frozen=True)
class ImportStarted:
    total: int  # sources to import
    lines: tuple[ReportLine, ...] = ()


@dataclass(frozen=True)
class SourceDone:
    result: SourceResult
    done: int
    total: int
    lines: tuple[ReportLine, ...] = ()


@dataclass(frozen=True)
class EntitiesProgress:
    """Recognition of the documents REFI-QDA projects added, after the files."""

    done: int
    total: int
    lines: tuple[ReportLine, ...] = ()


@dataclass(frozen=True)
class ImportFinished:
    report: ImportReport
    lines: tuple[ReportLine, ...] = ()


ImportEvent = ImportStarted | SourceDone | EntitiesProgress | ImportFinished


# ---------------------------------------------------------------- planning


@dataclass
class _Source:
    label: str  # as the user named it, or the file found in a named folder
    kind: str  # "file", "stdin", "sample", "project", "codebook"
    path: Path | None = None
    data: bytes | None = None  # a sample article
    refusal: str | None = None  # refused before reading (an empty folder)

    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        try:
            return self.path.stat().st_size if self.path is not None else 0
        except OSError:
            return 0


def sample_sources() -> list[tuple[str, bytes]]:
    """The built-in sample corpus shipped in the package."""
    folder = files("margin.seeds")
    return sorted(
        (entry.name, entry.read_bytes()) for entry in folder.iterdir() if entry.name.endswith(".txt")
    )


def plan_sources(sources: Iterable[str], *, sample: bool = False) -> list[_Source]:
    """Each source as what to import, in order: the samples first if asked,
    folders as the files in them (recursively, hidden ones skipped)."""
    planned = [_Source(f"sample:{name}", "sample", data=data)
               for name, data in (sample_sources() if sample else [])]
    for argument in sources:
        if argument == "-":
            planned.append(_Source("-", "stdin"))
            continue
        path = Path(argument).expanduser()
        kind = REFI_SUFFIXES.get(path.suffix.lower())
        if kind is not None and not path.is_dir():
            planned.append(_Source(argument, kind, path))
        elif path.is_dir():
            found, unreadable = _files_in(path)
            if not found and not unreadable:
                planned.append(_Source(argument, "file", path,
                                       refusal="no text or Markdown files in this directory"))
            planned.extend(_Source(str(file), "file", file) for file in found)
            # A folder that cannot be listed is said, never skipped in silence.
            planned.extend(_Source(str(folder), "file", folder,
                                   refusal=f"cannot read this folder ({reason})")
                           for folder, reason in unreadable)
        else:
            planned.append(_Source(argument, "file", path))
    return planned


def _files_in(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The importable files under ``folder`` (hidden ones and those in hidden
    folders skipped), in order, and the folders that could not be listed."""
    found: list[Path] = []
    unreadable: list[tuple[Path, str]] = []

    def refused(error: OSError) -> None:
        unreadable.append((Path(error.filename), error.strerror or str(error)))

    for root, folders, names in os.walk(folder, onerror=refused):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        found += [Path(root) / name for name in names
                  if not name.startswith(".") and Path(name).suffix.lower() in IMPORT_SUFFIXES
                  and (Path(root) / name).is_file()]
    return sorted(found), unreadable


# ------------------------------------------------------------------ reading


@dataclass
class _Item:
    """A planned source on its way: read and prepared, or already decided."""

    source: _Source
    prepared: PreparedText | None = None
    result: SourceResult | None = None
    extra: str = ""  # appended to the message of an imported document
    # The same text as one prepared before it and not written yet: not
    # recognised again (it is found a duplicate when written).
    repeat: bool = False
    # A very long text (parallel.LONG_TEXT_CHARS): written alone, then
    # recognised in pieces, its entities stored in batches after it.
    long: bool = False
    # A text whose full text is indexed in pieces (documents.PIECES_ABOVE),
    # or recognised in pieces: written alone, in a transaction of its own.
    alone: bool = False


def _read(
    source: _Source, stdin: bytes | Callable[[], bytes] | None
) -> tuple[DecodedText, dict, str]:
    """Bytes to text: (decoded, what prepare_text needs besides, notes to add).

    Raises ImportRefused. A .vtt or .srt file is stored as a readable
    transcript titled by its WebVTT header or else its file name; HTML, DOCX,
    PDF and EPUB files as their extracted text, with the title, author and
    date the file gives.
    """
    if source.refusal:
        raise ImportRefused(source.refusal)
    if source.kind == "sample":
        return decode_bytes(source.data or b""), {}, ""
    if source.kind == "stdin":
        if stdin is None:
            raise ImportRefused("no standard input here")
        return decode_bytes(stdin() if callable(stdin) else stdin), {}, ""
    path = source.path
    assert path is not None
    suffix = path.suffix.lower()
    if suffix in FORMAT_SUFFIXES:
        extracted = extract(read_file_bytes(path), path.suffix)
        fields = {"title": extracted.title, "author": extracted.author,
                  "published": extracted.published}
        extra = "".join(f", {warning}" for warning in extracted.warnings)
        if extracted.source is not None:
            # HTML is text: its source is the original, like a transcript's.
            decoded = DecodedText(extracted.source, extracted.encoding or "utf-8", False)
            return decoded, {**fields, "readable": extracted.text}, extra
        # A binary format has no decoded text: what was decoded from it is
        # the extracted text, so that is the original too.
        return DecodedText(extracted.text, extracted.encoding or "", False), fields, extra
    decoded = read_text_file(path)
    if suffix in TRANSCRIPT_SUFFIXES:
        transcript = parse_transcript(decoded.text, path.suffix)
        extra = (f", {transcript.skipped} cues with broken timing skipped"
                 if transcript.skipped else "")
        return decoded, {"readable": transcript_to_text(transcript),
                         "title": transcript.title or path.stem}, extra
    return decoded, {}, ""


def _result(source: _Source, outcome: ImportResult) -> SourceResult:
    return SourceResult(outcome.source, source.kind, outcome.status, outcome.message,
                        outcome.document_id, outcome.title)


# --------------------------------------------------------------------- flow


def import_sources(
    db: Database,
    sources: Iterable[str],
    options: ImportOptions = ImportOptions(),
    *,
    stdin: bytes | Callable[[], bytes] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[ImportEvent]:
    """Import ``sources`` (paths, folders, "-", .qdpx/.qdc files) and, with
    ``options.sample``, the sample articles; yields progress events, the
    last an :class:`ImportFinished` with the report.

    ``stdin`` is what "-" reads (bytes, or a function giving them, called
    only if "-" is given). ``cancelled()`` is asked between files and between
    batches of recognition; once true, the import stops there (what was
    imported stays) and finishes with ``report.cancelled``.
    """
    from margin.store.entities.parallel import RecognitionRunner

    started = time.perf_counter()
    is_cancelled = cancelled or (lambda: False)
    planned = plan_sources(sources, sample=options.sample)
    report = ImportReport(total=len(planned))
    opening: list[ReportLine] = []
    recogniser = None
    if options.entities and any(source.kind != "codebook" for source in planned):
        recogniser, notice, report.workers = _recogniser(options, planned)
        report.backend, report.version = recogniser.name, recogniser.version
        if notice:
            opening.append(ReportLine("note", f"note: {notice}"))
        opening.append(ReportLine("note", f"Recognising entities ({recogniser.name})…"))
    report.entries += opening
    yield ImportStarted(len(planned), tuple(opening))

    flow = _Flow(db, options, stdin, is_cancelled, recogniser)
    refi_documents: list[int] = []
    unrecognised = 0  # long texts imported whose entities were cancelled
    with RecognitionRunner(recogniser, report.workers, is_cancelled) as runner:
        for batch, found in runner.map(flow.batches(planned)):
            results = flow.write_batch(batch, found)
            for item, result in zip(batch, results, strict=False):  # fewer if cancelled
                if item.long and result.status == "imported":
                    # Its full text is indexed in pieces while its entities
                    # are recognised in pieces (short transactions, paced).
                    result.entities = flow.recognise_long(item, result, runner)
                    unrecognised += result.entities is None
                if item.alone and result.status == "imported":  # the rest of it
                    index_pieces(db, result.document_id, item.prepared.text, is_cancelled)
            for result in results:
                report.results.append(result)
                if result.entities is not None:
                    report.recognised.append(result.document_id)
                    report.entities += result.entities
                refi_documents += result.document_ids
                lines = result.lines()
                report.entries += lines
                yield SourceDone(result, len(report.results), len(planned), tuple(lines))
            if len(results) < len(batch):
                break  # cancelled
        if not is_cancelled():
            # Long documents an earlier import left half indexed (a crash).
            index_all_pieces(db, is_cancelled)
        if recogniser is not None and refi_documents and not is_cancelled():
            from margin.store.entities.storage import recognise_in_batches

            done = 0
            for documents, entities in recognise_in_batches(db, refi_documents, runner):
                report.recognised += refi_documents[done:done + documents]
                report.entities += entities
                done += documents
                yield EntitiesProgress(done, len(refi_documents))
    unfinished = len(planned) - len(report.results)
    report.cancelled = unfinished > 0 or is_cancelled()
    closing = [ReportLine("summary", report.summary())]
    if unfinished:
        closing.append(ReportLine(
            "note", f"cancelled: {unfinished} of {len(planned)} sources not imported"))
    elif report.cancelled and (unrecognised or set(refi_documents) - set(report.recognised)):
        closing.append(ReportLine(  # the app recognises them later
            "note", "cancelled: some documents are left without entities for now"))
    if report.backend is not None and report.recognised:
        closing.append(ReportLine(
            "entities", f"{plural(report.entities, 'entity')} in "
                        f"{plural(len(report.recognised), 'document')} "
                        f"({report.backend})"))
    closing += [ReportLine("note", f"note: {document.note}; the next import or "
                                   "`margin check --repair` completes it")
                for document in documents_being_indexed(db)]
    report.entries += closing
    report.seconds = time.perf_counter() - started
    yield ImportFinished(report, tuple(closing))


def _recogniser(options: ImportOptions, planned: Sequence[_Source]):
    """(recogniser, notice, worker processes) for this import."""
    from margin.store.entities import get_recogniser
    from margin.store.entities.parallel import recognition_workers

    recogniser, notice = get_recogniser(options.backend)
    if options.workers is not None:
        workers = options.workers
    else:
        words = sum(source.size() for source in planned) // _BYTES_PER_WORD
        workers = recognition_workers(words, recogniser.name)
    return recogniser, notice, workers if workers >= 2 else 0


class _Flow:
    """The steps of one import (see :func:`import_sources`)."""

    def __init__(self, db: Database, options: ImportOptions, stdin, cancelled, recogniser) -> None:
        self.db = db
        self.options = options
        self.stdin = stdin
        self.cancelled = cancelled
        self.recogniser = recogniser  # None: no entities
        # Digests of the texts prepared and not written yet.
        self._pending: set[str] = set()

    def prepare(self, source: _Source) -> _Item:
        if source.kind in ("project", "codebook"):
            return _Item(source)  # imported when its turn comes
        try:
            decoded, fields, extra = _read(source, self.stdin)
        except ImportRefused as refusal:
            return _Item(source, result=SourceResult(source.label, source.kind, "refused",
                                                     str(refusal)))
        label = {"stdin": "<stdin>", "sample": source.label}.get(
            source.kind, os.path.abspath(source.path or ""))
        clean = True if source.kind == "sample" else self.options.clean
        prepared = prepare_text(self.db, decoded, source=label, clean=clean, **fields)
        if isinstance(prepared, ImportResult):
            return _Item(source, result=_result(source, prepared))
        return _Item(source, prepared=prepared, extra=extra)

    def _to_recognise(self, item: _Item) -> bool:
        """Recognised with its batch (a long text is recognised after it)."""
        return (self.recogniser is not None and item.prepared is not None and not item.repeat
                and not item.long)

    def recognise_long(self, item: _Item, result: SourceResult, runner) -> int | None:
        """The entities of a long text just imported, recognised in pieces and
        stored in batches (see storage.store_long_text_entities); None if
        cancelled (the document is then one that still needs its entities)."""
        from margin.store.entities.storage import store_long_text_entities

        assert item.prepared is not None and result.document_id is not None
        text = item.prepared.text
        return store_long_text_entities(
            self.db, result.document_id, text, runner,
            between=piece_steps(self.db, result.document_id, text))

    def write_batch(self, batch: list[_Item], found: list) -> list[SourceResult]:
        """Write a batch of prepared sources, in order, each document with
        its entities (``found``, one list for each text recognised): one
        transaction. Stops before the next source once cancelled.

        A document the database refuses (a savepoint each) does not stop the
        others; if the transaction cannot be committed, none of its
        documents was imported and each says so.
        """
        spans = iter(found)
        results: list[SourceResult] = []
        # A very long text's row (alone in its batch) is committed without
        # waiting for the disk while it holds the lock: a power cut may lose
        # this import, which can be run again, never the database's
        # consistency (the checkpoint right after writes it through).
        alone = derived_writes(self.db) if any(item.alone for item in batch) else nullcontext()
        try:
            with alone, writing(self.db):
                for item in batch:
                    if self.cancelled():
                        break
                    found_here = next(spans, None) if self._to_recognise(item) else None
                    results.append(self.write(item, found_here))
        except StoreError as error:
            results = [
                SourceResult(r.source, r.kind, "refused", f"could not save: {error}")
                if r.status == "imported" else r
                for r in results
            ]
            # The rest of the batch was never written: each says so, and the
            # import goes on with the next batch (not reported as cancelled).
            if not self.cancelled():
                results.extend(
                    SourceResult(item.source.label, item.source.kind, "refused",
                                 f"could not save: {error}")
                    for item in batch[len(results):]
                )
        for item in batch:
            if item.prepared is not None:
                self._pending.discard(item.prepared.digest)
        return results

    def batches(self, planned: Sequence[_Source]) -> Iterator[tuple[list[_Item], list[str]]]:
        from margin.store.entities.parallel import BATCH_CHARS, LONG_TEXT_CHARS

        batch: list[_Item] = []
        texts: list[str] = []
        chars = 0
        for source in planned:
            if self.cancelled():
                return
            item = self.prepare(source)
            if item.prepared is not None:
                item.repeat = item.prepared.digest in self._pending
                self._pending.add(item.prepared.digest)
                item.long = (self.recogniser is not None and not item.repeat
                             and len(item.prepared.text) > LONG_TEXT_CHARS)
                item.alone = item.long or (not item.repeat and len(item.prepared.text)
                                           > documents.PIECES_ABOVE)
            if item.alone:
                # Alone in its batch: the document is committed first (its
                # text whole, in one transaction), its entities after it.
                if batch:
                    yield batch, texts
                yield [item], []
                batch, texts, chars = [], [], 0
                continue
            if self._to_recognise(item):
                texts.append(item.prepared.text)
                chars += len(item.prepared.text)
            batch.append(item)
            if chars >= BATCH_CHARS or len(batch) >= _BATCH_DOCUMENTS:
                yield batch, texts
                batch, texts, chars = [], [], 0
        if batch:
            yield batch, texts

    def write(self, item: _Item, spans: list | None) -> SourceResult:
        """One source's document (with its ``spans``, if recognised) or
        project, in the batch's transaction."""
        source = item.source
        if item.result is not None:
            return item.result
        if item.prepared is None:
            return self._import_refi(source)
        prepared = item.prepared
        recogniser = self.recogniser
        also = None
        if spans is not None and recogniser is not None:
            from margin.store.entities.storage import store_entities

            def also(document_id: int, text: str) -> None:
                store_entities(self.db, document_id, spans, recogniser.name,
                               recogniser.version, text=text)

        result = _result(source, save_prepared(self.db, prepared, also=also))
        if result.status == "imported":
            result.message += item.extra
            if also is not None:
                result.entities = len(spans)
        return result

    def _import_refi(self, source: _Source) -> SourceResult:
        """A REFI-QDA project or codebook: one transaction, one line, and a
        line for each coding that could not be placed and each conflict."""
        from margin.store.entities.storage import documents_needing_entities
        from margin.store.refi.importer import import_qdc, import_qdpx

        recognise = self.recogniser is not None and source.kind == "project"
        before = set(documents_needing_entities(self.db)) if recognise else set()
        try:
            if source.kind == "project":
                refi = import_qdpx(self.db, source.path, sources=self.options.sources)
            else:
                refi = import_qdc(self.db, source.path)
        except StoreError as error:
            return SourceResult(source.label, source.kind, "refused", str(error))
        added = ([i for i in documents_needing_entities(self.db) if i not in before]
                 if recognise else [])
        return SourceResult(source.label, source.kind, "imported", refi.summary(),
                            document_ids=added, unplaced=list(refi.unplaced),
                            conflicts=list(refi.conflicts))


# ------------------------------------------------------- for callers in code


def run_import(
    db: Database,
    sources: Iterable[str],
    options: ImportOptions = ImportOptions(),
    **keywords,
) -> ImportReport:
    """:func:`import_sources` to the end; its report."""
    report = None
    for event in import_sources(db, sources, options, **keywords):
        if isinstance(event, ImportFinished):
            report = event.report
    assert report is not None
    return report


def import_paths(
    db: Database,
    paths: Iterable[str],
    *,
    clean: bool,
    stdin: bytes | Callable[[], bytes] | None = None,
) -> Iterator[SourceResult]:
    """Import files and folders without entities: a result for each file."""
    options = ImportOptions(clean=clean, entities=False)
    for event in import_sources(db, paths, options, stdin=stdin):
        if isinstance(event, SourceDone):
            yield event.result


def import_sample_corpus(db: Database) -> list[SourceResult]:
    """Add the sample articles (boilerplate cleaned) to a database, without
    entities (the app recognises them in the background)."""
    return run_import(db, [], ImportOptions(sample=True, entities=False)).results


__all__ = [
    "EntitiesProgress", "ImportEvent", "ImportFinished", "ImportOptions", "ImportReport",
    "ImportStarted", "ReportLine", "SourceDone", "SourceResult", "import_paths",
    "import_sample_corpus", "import_sources", "plan_sources", "run_import", "sample_sources",
]
