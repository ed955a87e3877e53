"""Import and export from inside the app, in worker threads with progress.

Workers open their own database connection: sqlite3 connections belong to
the thread that made them. Each imported document is its own transaction, so
cancelling or a crash keeps what was imported so far and nothing half-done.
"""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, ProgressBar, RichLog, Select, Switch
from textual.worker import get_current_worker

from margin.store.documents import (
    ImportResult,
    expand_paths,
    import_paths,
    import_sample_corpus,
    sample_sources,
)
from margin.store.errors import StoreError
from margin.store.export import FORMATS, coded_passages, render, write_atomically
from margin.tui.workers import worker_database


class _TransferScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    _TransferScreen { align: center middle; }
    _TransferScreen > Vertical {
        width: 90; max-width: 96%; height: auto; max-height: 90%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    _TransferScreen Label.title { text-style: bold; margin-bottom: 1; }
    _TransferScreen Label.hint { color: $foreground-muted; }
    _TransferScreen Horizontal { height: auto; margin-top: 1; }
    _TransferScreen Horizontal Label { padding: 1 1 0 0; }
    _TransferScreen RichLog { height: 10; border: none; margin-top: 1; }
    _TransferScreen ProgressBar { margin-top: 1; }
    """

    BINDINGS = [Binding("escape", "close", "Close", id="transfer.close")]

    def action_close(self) -> None:
        for worker in self.workers:
            worker.cancel()
        self.dismiss(None)  # the library below reloads when it is shown again

    def _failed(self, error: Exception) -> None:
        self._log(Text(f"Error: {error}", Style(color="red")))

    def _log(self, line: Text) -> None:
        if self.is_attached:
            self.query_one("#log", RichLog).write(line)


class ImportScreen(_TransferScreen):
    """Paths in, a line per file out, and a summary."""

    def __init__(self, *, sample: bool = False) -> None:
        super().__init__()
        self.sample = sample

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Import documents", classes="title")
            yield Input(placeholder="Files, folders or .qdpx/.qdc projects, separated by spaces "
                                    "(~ works)", id="paths")
            with Horizontal():
                yield Label("Remove web boilerplate")
                yield Switch(value=False, id="clean")
            yield Label("Enter starts · Escape closes", classes="hint")
            yield ProgressBar(id="progress", show_eta=False)
            yield RichLog(id="log", wrap=True, markup=False)

    def on_mount(self) -> None:
        if self.sample:
            self.query_one("#paths", Input).value = ""
            self.run_import([], sample=True, clean=True)

    @on(Input.Submitted, "#paths")
    def _start(self, event: Input.Submitted) -> None:
        paths = event.value.split()
        if not paths:
            self.app.notify("Give a file or a folder to import", severity="warning", timeout=3)
            return
        self.run_import(paths, sample=False, clean=self.query_one("#clean", Switch).value)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def run_import(self, paths: list[str], *, sample: bool, clean: bool) -> None:
        worker = get_current_worker()
        results = worker_database(
            self.app, lambda db: self._import(db, worker, paths, sample=sample, clean=clean),
            on_error=self._failed)
        if results is None:
            return
        # The library behind this dialog (or in front, if it was closed
        # meanwhile) shows what arrived.
        self.app.call_from_thread(self.app.reload_screen)
        imported = sum(r.status == "imported" for r in results)
        skipped = sum(r.status == "duplicate" for r in results)
        refused = sum(r.status == "refused" for r in results)
        summary = f"{imported} imported, {skipped} skipped as duplicates, {refused} refused"
        self.app.call_from_thread(self._log, Text(summary, Style(bold=True)))
        self.app.call_from_thread(self.app.notify, summary, timeout=4)

    def _import(self, db, worker, paths: list[str], *, sample: bool,
                clean: bool) -> list[ImportResult]:
        """Import into ``db`` (in the worker, on its own connection)."""
        try:
            projects = [p for p in paths if Path(p).suffix.lower() in (".qdpx", ".qdc")]
            paths = [p for p in paths if p not in projects]
            for project in projects:
                self._import_project(db, project)
            sources = list(expand_paths(paths))
            total = len(sources) + (len(sample_sources()) if sample else 0)
            self.app.call_from_thread(self._progress, 0, total)
            results: list[ImportResult] = []
            if sample:
                for result in import_sample_corpus(db):
                    results.append(result)
                    self.app.call_from_thread(self._report, result, len(results), total)
            for result in import_paths(db, paths, clean=clean, stdin=lambda: b""):
                if worker.is_cancelled:
                    break
                results.append(result)
                self.app.call_from_thread(self._report, result, len(results), total)
            imported_ids = [r.document_id for r in results if r.status == "imported"]
            if imported_ids and not worker.is_cancelled:
                self._recognise(db, imported_ids, worker)
            return results
        finally:
            # Whatever this dialog did not recognise (it was closed, it
            # failed) the app recognises in the background.
            self.app.call_from_thread(self.app.recognise_pending)

    def _import_project(self, db, path: str) -> None:
        """A REFI-QDA project or codebook: one transaction, one summary line,
        and a line for every coding that could not be placed."""
        from margin.store.refi.importer import import_qdc, import_qdpx

        importer = import_qdpx if path.lower().endswith(".qdpx") else import_qdc
        try:
            report = importer(db, Path(path).expanduser())
        except StoreError as error:
            self.app.call_from_thread(self._log, Text.assemble(
                ("refused   ", Style(color="red")), path, (f": {error}", Style(dim=True))))
            return
        self.app.call_from_thread(self._log, Text.assemble(
            ("imported  ", Style(color="green")), path, (f": {report.summary()}", Style(dim=True))))
        for unplaced in report.unplaced:
            self.app.call_from_thread(self._log, Text(
                f"  not placed: {unplaced.document} {unplaced.start}-{unplaced.end}: "
                f"{unplaced.reason}", Style(color="yellow")))

    def _recognise(self, db, document_ids: list[int], worker) -> None:
        """Named entities of the new documents, with progress (still in the worker)."""
        from margin.store.entities import get_recogniser
        from margin.store.entities.storage import recognise_documents
        from margin.tui.entities.recognition import EntitiesUpdated

        recogniser, notice = get_recogniser(self.app.entity_backend)
        if notice:
            self.app.call_from_thread(self._log, Text(notice, Style(color="yellow")))
        self.app.call_from_thread(
            self._log, Text(f"Recognising entities ({recogniser.name})…", Style(dim=True)))
        self.app.call_from_thread(self._progress, 0, len(document_ids))
        try:
            summary = recognise_documents(
                db, document_ids, recogniser,
                progress=lambda done, total: self.app.call_from_thread(self._progress, done, total),
                cancelled=lambda: worker.is_cancelled,
            )
        except StoreError as error:
            self.app.call_from_thread(self._log, Text(f"Error: {error}", Style(color="red")))
            return
        self.app.post_message(EntitiesUpdated(document_ids))
        self.app.call_from_thread(self._log, Text(
            f"{summary.entities:,} entities in {summary.documents} documents "
            f"({summary.seconds:.1f} s)", Style(dim=True)))

    def _progress(self, done: int, total: int) -> None:
        if self.is_attached:  # the dialog may have been closed while importing
            self.query_one("#progress", ProgressBar).update(total=max(total, 1), progress=done)

    def _report(self, result: ImportResult, done: int, total: int) -> None:
        colour = {"imported": "green", "duplicate": "yellow", "refused": "red"}[result.status]
        self._log(Text.assemble((f"{result.status:<9} ", Style(color=colour)), result.source,
                                (f": {result.message}", Style(dim=True))))
        self._progress(done, total)



class ExportScreen(_TransferScreen):
    """Format, file and an optional code filter; writes in a worker."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export coded passages or the project", classes="title")
            yield Select([(f.upper() if f != "md" else "Markdown", f) for f in FORMATS]
                         + [("REFI-QDA project (.qdpx)", "qdpx"),
                            ("REFI-QDA codebook (.qdc)", "qdc")],
                         value="csv", allow_blank=False, id="format")
            yield Input(placeholder="Only this code (and codes beneath it) — optional", id="code")
            yield Input(value=str(Path.cwd() / "coded-passages.csv"), id="path")
            yield Label("Enter on the file name writes it · Escape closes", classes="hint")
            yield ProgressBar(id="progress", show_eta=False)
            yield RichLog(id="log", wrap=True, markup=False)

    @on(Select.Changed, "#format")
    def _format_changed(self, event: Select.Changed) -> None:
        path_input = self.query_one("#path", Input)
        path = Path(path_input.value.strip())
        if path.name:  # an emptied field stays empty
            path_input.value = str(path.with_suffix("." + str(event.value)))

    @on(Input.Submitted, "#code")
    def _to_path(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    def _start(self) -> None:
        export_format = str(self.query_one("#format", Select).value)
        code = self.query_one("#code", Input).value.strip()
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.app.notify("Give a file name to write", severity="warning", timeout=3)
            return
        self.run_export(export_format, code, Path(value).expanduser())

    @work(thread=True, exclusive=True, exit_on_error=False)
    def run_export(self, export_format: str, code: str, path: Path) -> None:
        self.app.call_from_thread(self._progress, None)

        def export(db) -> str:
            if export_format in ("qdpx", "qdc"):
                from margin.store.refi.exporter import export_qdc, export_qdpx

                if code:
                    raise StoreError("a REFI-QDA export holds everything: "
                                     "leave the code filter empty")
                (export_qdpx if export_format == "qdpx" else export_qdc)(db, path)
                return f"Wrote the {export_format.upper()} file {path}"
            passages = coded_passages(db, codes=[code] if code else [])
            write_atomically(path, render(passages, export_format))
            return f"Wrote {len(passages)} passages to {path}"

        # A StoreError, or a bug: say so, never hang.
        message = worker_database(self.app, export, on_error=self._failed, errors=(Exception,))
        if message is None:
            return
        self.app.call_from_thread(self._progress, 1)
        self.app.call_from_thread(self._log, Text(message, Style(bold=True)))
        self.app.call_from_thread(self.app.notify, message, timeout=4)

    def _failed(self, error: Exception) -> None:
        super()._failed(error)
        self._progress(0)

    def _progress(self, done: int | None) -> None:
        if self.is_attached:
            self.query_one("#progress", ProgressBar).update(total=None if done is None else 1,
                                                            progress=done or 0)
