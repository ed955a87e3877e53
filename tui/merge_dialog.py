"""Merging a colleague's copy from the app: the palette's "Merge a
colleague's project…".

A path in (as the import dialog takes one), the merge in a worker with its
own connection (store/merging.py: one undoable action), and the report's
lines in the dialog, the lines `margin merge` prints. The library behind
re-reads on return (the history changed); new documents without entity
mentions are recognised in the background, as after an import.
"""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, ProgressBar, RichLog

from margin.store.merging import MergeReport, merge_file
from margin.store.util import visible_controls
from margin.tui.transfer import _TransferScreen
from margin.tui.workers import worker_database

# How the dialog colours the report's lines.
_LINE_STYLES = {
    "summary": Style(bold=True),
    "document": Style(color="green"),
    "code": Style(color="green"),
    "coder": Style(color="green"),
    "codings": Style(color="green"),
    "note": Style(dim=True),
    "conflict": Style(color="yellow"),
    "refused": Style(color="red"),
}


# The lines a coder in blind mode sees: documents, codes and coders that came
# in, and the summary; not the codings (their coders, codes and places).
_BLIND_KINDS = {"summary", "document", "code", "coder"}


class MergeScreen(_TransferScreen):
    """A colleague's margin database or .qdpx project into this one."""

    def __init__(self) -> None:
        super().__init__()
        #: The report's lines shown, as text (tests read them).
        self.shown: list[str] = []
        self.report: MergeReport | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Merge a colleague's project", classes="title")
            yield Input(placeholder="Their margin database (.db) or REFI-QDA project (.qdpx) "
                                    "(~ works)", id="path")
            # margin merge --sources DIR: where a .qdpx project's external
            # (absolute:// and relative://) sources may be read from. Optional.
            yield Input(placeholder="Folder of a .qdpx project's external sources (optional)",
                        id="sources")
            yield Label("Enter merges (one action: u undoes it) · Escape closes",
                        classes="hint")
            progress = ProgressBar(id="progress", show_eta=False)
            progress.display = False  # until there is something to wait for
            yield progress
            # The report starts with its summary: no scrolling to the last line.
            yield RichLog(id="log", wrap=True, markup=False, min_width=20, auto_scroll=False)

    @on(Input.Submitted, "#path")
    @on(Input.Submitted, "#sources")
    def _start(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.app.notify("Give the file to merge", severity="warning", timeout=3)
            return
        folder = self.query_one("#sources", Input).value.strip()
        # Each Enter's report replaces the last (an error above a later
        # success read as if both were about this merge).
        self.query_one("#log", RichLog).clear()
        self.shown.clear()
        self._progress(None)
        self.run_merge(Path(value).expanduser(), Path(folder).expanduser() if folder else None)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def run_merge(self, path: Path, sources: Path | None = None) -> None:
        report = worker_database(self.app, lambda db: merge_file(db, path, sources=sources),
                                 on_error=self._failed)
        if report is None:
            return
        self.app.call_from_thread(self._show, report)
        self.app.call_from_thread(self.app.reload_screen)
        if report.documents_without_entities:
            self.app.call_from_thread(self.app.recognise_pending)
        self.app.call_from_thread(self.app.notify, report.summary(), timeout=5)

    def _show(self, report: MergeReport) -> None:
        self.report = report
        self._progress(1)
        lines = report.lines()
        if self.app.visible_coders():
            # Blind mode: what came in, not where their codings lie (the
            # counts per coder, moved or refused codings name codes and places).
            lines = [(kind, line) for kind, line in lines if kind in _BLIND_KINDS]
            lines.append(("note", "Blind mode: their codings came in and stay hidden "
                                  "until you compare"))
        for kind, line in lines:
            line = visible_controls(line, keep="")
            self.shown.append(line)
            self._log(Text(line, _LINE_STYLES.get(kind, Style())))
        # The report starts with its summary: show the top, not the last line.
        self.query_one("#log", RichLog).scroll_home(animate=False, immediate=True)

    def _failed(self, error: Exception) -> None:
        super()._failed(error)
        self.shown.append(f"Error: {error}")
        if self.is_attached:  # nothing is under way: no bar at 0 % under the error
            self.query_one("#progress", ProgressBar).display = False

    def _progress(self, done: int | None) -> None:
        if self.is_attached:
            bar = self.query_one("#progress", ProgressBar)
            bar.display = True
            bar.update(total=None if done is None else 1, progress=done or 0)
