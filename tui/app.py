"""The margin app: library, reader, codebook, and the actions they share."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from margin.store import codes as codebook_store
from margin.store import history
from margin.store.codes import Code
from margin.store.codings import memo_text, set_memo
from margin.store.config import Config, resolve_entity_backend
from margin.store.db import Database, open_database
from margin.store.errors import StoreError
from margin.tui.codebook.tree import CodebookTree, code_label
from margin.tui.help import displayed_keys
from margin.tui.modals import Choice, Confirm, CreateNew, FuzzyPicker, MemoEditor, TextPrompt


def settle_memory() -> None:
    """Once a screen is drawn: keep what exists out of future garbage
    collections (it lives as long as the screen) and collect again."""
    gc.freeze()
    gc.enable()


# Seconds after start-up before documents without entities are recognised.
RECOGNITION_DELAY = 0.8

# The move picker's answer for "no parent"; None means the picker was cancelled.
TOP_LEVEL = "top level"


class MarginApp(App):
    TITLE = "margin"
    CSS_PATH = Path(__file__).with_name("margin.tcss")
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Keys", id="app.help", tooltip="Show every key"),
        Binding("u", "undo", "Undo", id="app.undo", tooltip="Undo the last action"),
        Binding("ctrl+r", "redo", "Redo", id="app.redo", tooltip="Redo the last undone action"),
        Binding("ctrl+p", "command_palette", "Commands", id="app.commands",
                tooltip="Every action by name"),
        Binding("slash", "search", "Search", id="app.search",
                tooltip="Search passages, memos, codes, titles and entities as you type"),
        Binding("ctrl+f", "full_text", "Full text", id="app.full_text",
                tooltip="Full-text search of the documents; code all hits"),
    ]

    def __init__(
        self,
        db_path: Path,
        coder: str,
        keymap: dict[str, str] | None = None,
        db: Database | None = None,
        *,
        entity_backend: str | None = None,
        entity_code_template: str = "{label} > {name}",
        citation_style: str = "plain",
    ):
        """``db``, if given, is an open connection to ``db_path`` (the command
        line has one already); workers open their own from ``db_path``."""
        super().__init__()
        self.db_path = Path(db_path)
        self.coder = coder
        self.user_keymap = keymap or {}
        self.db = db or open_database(self.db_path)
        # $MARGIN_ENTITY_BACKEND, else auto: the command line passes the config's.
        self.entity_backend = entity_backend or resolve_entity_backend(None, Config())
        self.entity_code_template = entity_code_template
        self.citation_style = citation_style
        # The search index, built on the first search and kept in step after.
        self.search_corpus = None

    class EntitiesUpdated(Message):
        """Recognition stored new entities for these documents."""

        def __init__(self, document_ids: list[int]) -> None:
            super().__init__()
            self.document_ids = document_ids

    def on_mount(self) -> None:
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        from margin.tui.library import LibraryScreen

        self.push_screen(LibraryScreen())
        self.call_after_refresh(settle_memory)
        # Documents never recognised (the sample corpus of a new database, or
        # imports made with --no-entities) get their entities in the background,
        # a moment after the first frame: importing spaCy in a thread holds the
        # interpreter for most of a second and would delay that frame.
        self.set_timer(RECOGNITION_DELAY, self.recognise_pending)

    def on_unmount(self) -> None:
        # Background recognition stops at its next check instead of keeping
        # the process alive after the app has closed.
        self.workers.cancel_group(self, "entities")
        self.db.conn.close()

    # ------------------------------------------------------------ helpers

    def notify(self, message: str, *, markup: bool = False, **kwargs) -> None:
        """Notifications carry code names, titles, quotes and entity names:
        never markup, whoever asks (``Widget.notify`` passes markup=True)."""
        super().notify(message, markup=False, **kwargs)

    def report(self, error: Exception) -> None:
        """Show a user-facing error as a notification, never a traceback."""
        self.notify(str(error), severity="error", timeout=6)

    def reload_screen(self) -> None:
        reload = getattr(self.screen, "reload", None)
        if reload is not None:
            reload()

    def open_document(self, document_id: int, offset: int | None = None) -> None:
        from margin.tui.reader.screen import ReaderScreen

        self.push_screen(ReaderScreen(document_id, offset=offset))

    # ------------------------------------------------------------- entities

    def recognise_pending(self) -> None:
        from margin.store.entities.storage import documents_needing_entities

        running = any(w.group == "entities" and w.is_running for w in self.workers)
        # A running worker looks for more documents before it stops; starting
        # another would cancel it (a rebuild half done).
        if not running and documents_needing_entities(self.db):
            self._recognise_worker()

    def rebuild_entities(self) -> None:
        """Recognise every document again (with the configured backend)."""
        from margin.store.entities.storage import all_document_ids

        self.notify("Recognising the entities of every document again…", timeout=3)
        self._recognise_worker(all_document_ids(self.db), announce=True)

    @work(thread=True, group="entities", exclusive=True, exit_on_error=False)
    def _recognise_worker(
        self, document_ids: list[int] | None = None, announce: bool = False
    ) -> None:
        """Recognise ``document_ids``, then every document that has no entities
        yet, until none is left (documents imported meanwhile are picked up
        too). Opening a document never waits for this: the reader shows the
        entities when they arrive."""
        from margin.store.entities import get_recogniser
        from margin.store.entities.storage import documents_needing_entities, recognise_documents

        worker = get_current_worker()
        try:
            db = open_database(self.db_path)
        except StoreError as error:
            self.call_from_thread(self.report, error)
            return
        try:
            recogniser, notice = get_recogniser(self.entity_backend)
            if notice:
                self.call_from_thread(self.notify, notice, severity="warning", timeout=6)
            pending = list(document_ids or []) or documents_needing_entities(db)
            found = done = 0
            while pending and not worker.is_cancelled:
                for first in range(0, len(pending), 4):
                    batch = pending[first:first + 4]
                    summary = recognise_documents(db, batch, recogniser,
                                                  cancelled=lambda: worker.is_cancelled)
                    found, done = found + summary.entities, done + summary.documents
                    self.post_message(self.EntitiesUpdated(batch))
                    if worker.is_cancelled:
                        return
                pending = documents_needing_entities(db)
            if announce:
                self.call_from_thread(
                    self.notify, f"{found:,} entities in {done} documents ({recogniser.name})",
                    timeout=4)
        except (StoreError, sqlite3.Error) as error:
            self.call_from_thread(self.report, error)
        finally:
            db.conn.close()

    def review_entities(self) -> None:
        """Pick an entity (or a whole type) of the corpus, then review it.
        Grouping a big corpus's mentions takes a while: it runs in a worker."""
        self.notify("Gathering the corpus's entities…", timeout=2)
        self._gather_entities_worker()

    @work(thread=True, group="gather-entities", exclusive=True, exit_on_error=False)
    def _gather_entities_worker(self) -> None:
        from margin.store.entities.storage import corpus_groups

        try:
            db = open_database(self.db_path)
            try:
                groups = corpus_groups(db)
            finally:
                db.conn.close()
        except (StoreError, sqlite3.Error) as error:
            self.call_from_thread(self.report, error)
            return
        self.call_from_thread(self._pick_entity, groups)

    def _pick_entity(self, groups) -> None:
        from margin.store.entities import ALL_LABELS
        from margin.tui.entities.review import ReviewScreen
        from margin.tui.entities.styles import NOT_HIGHLIGHTED, entity_style

        # Bare numbers are not shown in the reader: not offered for review either.
        groups = [group for group in groups if group.label not in NOT_HIGHLIGHTED]
        if not groups:
            self.notify("No entities yet", severity="warning", timeout=3)
            return
        counts: dict[str, int] = {}
        for group in groups:
            counts[group.label] = counts.get(group.label, 0) + group.count
        order = {label: index for index, label in enumerate(ALL_LABELS)}
        choices = [
            Choice(f"{label} all", Text.assemble((label, entity_style(label)),
                                                  (f"  every mention ({count})", Style(dim=True))),
                   (label, None))
            for label, count in sorted(counts.items(), key=lambda i: order.get(i[0], len(order)))
        ] + [
            Choice(f"{group.canonical} {group.label}",
                   Text.assemble((f"{group.label:<8} ", entity_style(group.label)),
                                 group.canonical, (f"  {group.count}", Style(dim=True))),
                   (group.label, group))
            for group in sorted(groups, key=lambda g: -g.count)
        ]

        def review(choice) -> None:
            if choice is not None:
                self.push_screen(ReviewScreen(*choice))

        self.push_screen(FuzzyPicker("Review which entity?", choices,
                                     placeholder="Name or type, e.g. NATO or PERSON"), review)

    @on(EntitiesUpdated)
    def _entities_updated(self, message: EntitiesUpdated) -> None:
        for screen in self.screen_stack:
            update = getattr(screen, "entities_updated", None)
            if update is not None:
                update(message.document_ids)

    # ------------------------------------------------------------ undo/redo

    def action_undo(self) -> None:
        self._history_step(history.undo, "Undid", "Nothing to undo")

    def action_redo(self) -> None:
        self._history_step(history.redo, "Redid", "Nothing to redo")

    def _history_step(self, step, verb: str, nothing: str) -> None:
        try:
            label = step(self.db)
        except StoreError as error:
            self.report(error)
            return
        if label is None:
            self.notify(nothing, severity="warning", timeout=2)
            return
        self.notify(f"{verb}: {label}", timeout=3)
        self.reload_screen()

    def action_search(self) -> None:
        from margin.tui.search.fuzzy import SearchScreen

        if not isinstance(self.screen, SearchScreen):
            self.push_screen(SearchScreen())

    def action_full_text(self) -> None:
        from margin.tui.search.fulltext import FullTextScreen

        if not isinstance(self.screen, FullTextScreen):
            self.push_screen(FullTextScreen())

    def action_help(self) -> None:
        from margin.tui.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # --------------------------------------------------- command palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action reachable by a key on this screen, plus the rest."""
        yield from super().get_system_commands(screen)
        seen: set[tuple[int, str]] = set()
        # The focused widget's keys are active; the codebook's are offered too,
        # acting on its highlighted code, wherever the focus is.
        reachable = [(active.node, active.binding) for active in screen.active_bindings.values()]
        for tree in screen.query(CodebookTree):
            reachable += [(tree, binding) for binding in tree.BINDINGS]
        for node, binding in reachable:
            if binding.action == "command_palette" or not binding.description:
                continue
            if (id(node), binding.action) in seen:
                continue
            seen.add((id(node), binding.action))
            context = "Codebook: " if isinstance(node, CodebookTree) else ""
            yield SystemCommand(
                f"{context}{binding.description} ({displayed_keys(self, binding)})",
                binding.tooltip or binding.description,
                partial(self._run_from_palette, binding.action, node),
            )
        from margin.tui.transfer import ExportScreen, ImportScreen

        yield SystemCommand("Import documents", "Import text or Markdown files or a folder",
                            lambda: self.push_screen(ImportScreen()))
        yield SystemCommand("Import the sample articles", "Add the built-in sample corpus",
                            lambda: self.push_screen(ImportScreen(sample=True)))
        yield SystemCommand("Export coded passages", "Write CSV, JSONL or Markdown",
                            lambda: self.push_screen(ExportScreen()))
        yield SystemCommand("Review entities", "Pick an entity or a type, review its mentions "
                            "in all documents and code them", self.review_entities)
        yield SystemCommand("Recognise entities again", "Rebuild every document's entities "
                            f"with the {self.entity_backend} backend", self.rebuild_entities)

    def _run_from_palette(self, action: str, node) -> None:
        self.call_later(self.run_action, action, node)

    # ------------------------------------------------------------ codebook

    @on(CodebookTree.CodeAction)
    def _codebook_action(self, message: CodebookTree.CodeAction) -> None:
        code = message.code
        handler = getattr(self, f"_code_{message.action}", None)
        if handler is None:
            return
        if code is None and message.action not in ("new",):
            self.notify("No code highlighted", severity="warning", timeout=2)
            return
        handler(code)

    def run_store(self, function, *args, success=None, **kwargs) -> bool:
        """Run one store action on the app's database: report a failure as a
        notification, else say ``success`` (a text, or a function of the
        action's result) and reload the screen. True if it succeeded."""
        try:
            result = function(self.db, *args, **kwargs)
        except (StoreError, sqlite3.Error) as error:
            self.report(error)
            return False
        if success:
            self.notify(success(result) if callable(success) else success, timeout=3)
        self.reload_screen()
        return True

    def _code_passages(self, code: Code) -> None:
        from margin.tui.codebook.passages import PassagesScreen

        self.push_screen(PassagesScreen(code.id))

    def _code_new(self, code: Code | None, parent: Code | None = None) -> None:
        title = f"New code under {parent.path}" if parent else "New code"

        def create(name: str | None) -> None:
            if name and name.strip():
                parent_id = parent.id if parent else None
                if parent is None and ">" in name:
                    self.run_store(codebook_store.ensure_code_path, name,
                                    success=f"Created {name.strip()}")
                else:
                    self.run_store(codebook_store.create_code, name, parent_id,
                                    success=f"Created {name.strip()}")

        self.push_screen(TextPrompt(title, hint="A > B creates B under A"), create)

    def _code_new_child(self, code: Code) -> None:
        self._code_new(None, parent=code)

    def _code_rename(self, code: Code) -> None:
        def rename(name: str | None) -> None:
            if name and name.strip() and name.strip() != code.name:
                self.run_store(codebook_store.rename_code, code.id, name,
                                success=f"Renamed to {name.strip()}")

        self.push_screen(TextPrompt(f"Rename {code.path}", code.name), rename)

    def _code_recolour(self, code: Code) -> None:
        choices = [
            Choice(colour, _swatch(colour), colour) for colour in codebook_store.PALETTE
        ]

        def recolour(colour: str | None) -> None:
            if colour:
                self.run_store(codebook_store.recolour_code, code.id, colour,
                                success=f"Recoloured {code.name}")

        self.push_screen(
            FuzzyPicker(f"Colour for {code.path}", choices, hint="Pick a colour or type #rrggbb",
                        create_label="Use colour"),
            lambda value: recolour(value.name if isinstance(value, CreateNew) else value),
        )

    def _code_describe(self, code: Code) -> None:
        def describe(text: str | None) -> None:
            if text is not None:
                self.run_store(codebook_store.describe_code, code.id, text,
                                success=f"Description of {code.name} saved")

        self.push_screen(MemoEditor(f"Description of {code.path}", code.description), describe)

    def _code_memo(self, code: Code) -> None:
        def save(text: str | None) -> None:
            if text is not None:
                self.run_store(set_memo, text, self.coder, code_id=code.id,
                               success=f"Memo of {code.name} saved")

        self.push_screen(MemoEditor(f"Memo on code {code.path}",
                                    memo_text(self.db, code_id=code.id)), save)

    def _other_codes(self, code: Code, *, exclude_subtree: bool) -> list[Choice]:
        excluded = set(codebook_store.descendant_ids(self.db, code.id)) if exclude_subtree else {
            code.id}
        return [
            Choice(other.path, code_label(other, with_path=True), other)
            for other in codebook_store.codebook(self.db)
            if other.id not in excluded
        ]

    def _code_move(self, code: Code) -> None:
        top = Choice("(top level)", Text("(top level)"), TOP_LEVEL)
        choices = [top] + self._other_codes(code, exclude_subtree=True)

        def move(target) -> None:
            if target is None:
                return
            parent_id = None if target is TOP_LEVEL else target.id
            self.run_store(codebook_store.move_code, code.id, parent_id,
                            success=f"Moved {code.name}")

        self.push_screen(FuzzyPicker(f"Move {code.path} under…", choices), move)

    def _code_merge(self, code: Code) -> None:
        def merge(target: Code | None) -> None:
            if target is None:
                return
            self.run_store(
                codebook_store.merge_codes, code.id, target.id,
                success=lambda moved: f"Merged {code.name} into {target.name} "
                                      f"({moved} codings moved)",
            )

        self.push_screen(
            FuzzyPicker(f"Merge {code.path} into…", self._other_codes(code, exclude_subtree=True)),
            merge,
        )

    def _code_delete(self, code: Code) -> None:
        codes, codings = codebook_store.deletion_summary(self.db, code.id)
        what = f"code {code.path}"
        if codes > 1:
            what += f" and the {codes - 1} code{'s' * (codes > 2)} beneath it"

        def delete(confirmed: bool | None) -> None:
            if confirmed:
                self.run_store(codebook_store.delete_code, code.id,
                                success=f"Deleted {code.name} (u undoes)")

        self.push_screen(
            Confirm(f"Delete {what}, with {codings} coding{'s' * (codings != 1)}? (undoable)"),
            delete,
        )


def _swatch(colour: str) -> Text:
    return Text.assemble(("■■■ ", Style(color=colour)), colour)
