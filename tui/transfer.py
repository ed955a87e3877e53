"""Import and export from inside the app, in worker threads with progress.

Workers open their own database connection: sqlite3 connections belong to
the thread that made them. Import runs the one import flow
(store/importing.py): documents are written with their entities, a batch a
transaction, so cancelling (closing the dialog) or a crash keeps what was
imported so far and nothing half-done.
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

from margin.store.errors import StoreError
from margin.store.export import FORMATS, coded_passages, render, write_atomically
from margin.store.importing import (
    EntitiesProgress,
    ImportEvent,
    ImportFinished,
    ImportOptions,
    ImportReport,
    ImportStarted,
    SourceDone,
    import_sources,
)
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
    _TransferScreen Horizontal Input { width: 1fr; margin-left: 2; }
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


# How the dialog colours the import report's lines (the command line prints
# the same lines).
_LINE_STYLES = {
    "imported": Style(color="green"),
    "skipped": Style(color="yellow"),
    "refused": Style(color="red"),
    "detail": Style(color="yellow"),
    "note": Style(dim=True),
    "summary": Style(bold=True),
    "entities": Style(dim=True),
}


class ImportScreen(_TransferScreen):
    """Paths in, the import report's lines out (those `margin import` prints)."""

    def __init__(self, *, sample: bool = False) -> None:
        super().__init__()
        self.sample = sample
        # The report lines shown in the log, as text.
        self.shown: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Import documents", classes="title")
            yield Input(placeholder="Files, folders or .qdpx/.qdc projects, separated by spaces "
                                    "(~ works)", id="paths")
            with Horizontal():
                yield Label("Remove web boilerplate")
                yield Switch(value=False, id="clean")
                # margin import --sources DIR: where a project's absolute:// and
                # relative:// sources may be read from (else only its own files).
                yield Input(placeholder="Sources folder for projects",
                            id="sources")
            yield Label("Enter starts · Escape closes", classes="hint")
            yield ProgressBar(id="progress", show_eta=False)
            # min_width: wrap at the dialog's width (RichLog's default, 78 columns,
            # would cut the lines of a narrow terminal instead).
            yield RichLog(id="log", wrap=True, markup=False, min_width=20)

    def on_mount(self) -> None:
        if self.sample:
            self.query_one("#paths", Input).value = ""
            self.run_import([], sample=True, clean=True)

    @on(Input.Submitted, "#paths")
    @on(Input.Submitted, "#sources")
    def _start(self) -> None:
        paths = self.query_one("#paths", Input).value.split()
        if not paths:
            self.app.notify("Give a file or a folder to import", severity="warning", timeout=3)
            return
        folder = self.query_one("#sources", Input).value.strip()
        self.run_import(paths, sample=False, clean=self.query_one("#clean", Switch).value,
                        sources=str(Path(folder).expanduser()) if folder else None)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def run_import(self, paths: list[str], *, sample: bool, clean: bool,
                   sources: str | None = None) -> None:
        """The one import flow (store/importing.py), its lines in the log."""
        worker = get_current_worker()
        try:
            report = worker_database(
                self.app, lambda db: self._import(db, worker, paths, sample=sample, clean=clean,
                                                  sources=sources),
                on_error=self._failed)
        finally:
            # Whatever this dialog did not recognise (it was closed, it
            # failed) the app recognises in the background.
            self.app.call_from_thread(self.app.recognise_pending)
        # The library behind this dialog (or in front, if it was closed
        # meanwhile) shows what arrived.
        self.app.call_from_thread(self.app.reload_screen)
        if report is None:
            return
        if report.recognised:
            from margin.tui.entities.recognition import EntitiesUpdated

            self.app.post_message(EntitiesUpdated(report.recognised))
        self.app.call_from_thread(self.app.notify, report.summary(), timeout=4)

    def _import(self, db, worker, paths: list[str], *, sample: bool, clean: bool,
                sources: str | None = None) -> ImportReport | None:
        """Run the flow on ``db`` (the worker's own connection), showing each
        event's lines as they come; the report, unless it never finished."""
        options = ImportOptions(clean=clean, sample=sample, backend=self.app.entity_backend,
                                sources=sources)
        report = None
        for event in import_sources(db, paths, options, cancelled=lambda: worker.is_cancelled):
            self.app.call_from_thread(self._show, event)
            if isinstance(event, ImportFinished):
                report = event.report
        return report

    def _show(self, event: ImportEvent) -> None:
        for line in event.lines:
            self.shown.append(line.text)
            self._log(Text(line.text, _LINE_STYLES.get(line.kind, Style())))
        if isinstance(event, ImportStarted):
            self._progress(0, event.total)
        elif isinstance(event, (SourceDone, EntitiesProgress)):
            self._progress(event.done, event.total)

    def _progress(self, done: int, total: int) -> None:
        if self.is_attached:  # the dialog may have been closed while importing
            self.query_one("#progress", ProgressBar).update(total=max(total, 1), progress=done)


class ExportScreen(_TransferScreen):
    """Format, file and an optional code filter; writes in a worker."""

    def compose(self) -> ComposeResult:
        with Vertical():
            title = "Export coded passages or the project"
            if self.app.blind:  # what the export holds: the current coder's passages alone
                title = Text(f"Export {self.app.coder}'s coded passages (blind mode)")
            yield Label(title, classes="title")
            yield Select([(f.upper() if f != "md" else "Markdown", f) for f in FORMATS]
                         + [("REFI-QDA project (.qdpx)", "qdpx"),
                            ("REFI-QDA codebook (.qdc)", "qdc")],
                         value="csv", allow_blank=False, id="format")
            yield Input(placeholder="Only this code (and codes beneath it) — optional", id="code")
            yield Input(value=str(Path.cwd() / "coded-passages.csv"), id="path")
            yield Label("Enter on the file name writes it · Escape closes", classes="hint")
            yield ProgressBar(id="progress", show_eta=False)
            # min_width: wrap at the dialog's width (RichLog's default, 78 columns,
            # would cut the lines of a narrow terminal instead).
            yield RichLog(id="log", wrap=True, markup=False, min_width=20)

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
        coders = self.app.visible_coders()  # blind mode: the current coder's passages only

        def export(db) -> str:
            if export_format in ("qdpx", "qdc"):
                from margin.store.refi.exporter import export_qdc, export_qdpx

                if code:
                    raise StoreError("a REFI-QDA export holds everything: "
                                     "leave the code filter empty")
                if coders and export_format == "qdpx":
                    raise StoreError("blind mode: a REFI-QDA project holds every coder's "
                                     "codings; export CSV, JSONL or Markdown (yours only), "
                                     "or turn blind mode off to compare first")
                (export_qdpx if export_format == "qdpx" else export_qdc)(db, path)
                return f"Wrote the {export_format.upper()} file {path}"
            passages = coded_passages(db, codes=[code] if code else [], coders=coders,
                                      strict=False)
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
