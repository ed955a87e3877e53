"""The margin app, the shell: its screens, undo and redo, the command palette.

What the screens share is here too: the database (``app.db``; workers open
their own, see tui/workers.py), ``run_store`` for one store action, and
``reload_screen``. The codebook's dialogs are in tui/codebook/dialogs.py,
background entity recognition in tui/entities/recognition.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer

from margin.store import history
from margin.store.coders import coder_name
from margin.store.config import Config, resolve_entity_backend
from margin.store.db import Database, open_database
from margin.store.errors import StoreError
from margin.tui.codebook.tree import CodebookTree
from margin.tui.help import displayed_keys
from margin.tui.screen import MarginScreen, settle_memory

# Textual's palette entries that margin's own repeat: "Quit (q, ^q)" and
# "Keys (?)", margin's help screen (Textual's "Keys" opens its key panel).
TEXTUAL_COMMANDS_WE_REPLACE = frozenset({"Quit", "Keys"})

# Seconds after start-up before documents without entities are recognised.
RECOGNITION_DELAY = 0.8


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
        config: Config | None = None,
    ):
        """``db``, if given, is an open connection to ``db_path`` (the command
        line has one already); workers open their own from ``db_path``.
        ``config``, the file's settings as read: its theme is used, a theme
        chosen in the app is saved to it, its problems are shown at start-up."""
        super().__init__()
        self.config = config or Config()
        self._apply_config_theme()
        self.db_path = Path(db_path)
        self.coder = coder_name(coder)  # as it is stored: one line
        # Blind parallel coding: every screen shows this coder's codings only.
        self.blind = self.config.blind
        # Whose codings the reader shows when not blind (reader/screen.py):
        # None everyone's, MINE the current coder's, else a coder's name.
        self.reader_coders: str | None = None
        self.user_keymap = keymap or {}
        if self.user_keymap:  # before the first screen is composed, so it shows the user's keys
            self.set_keymap(self.user_keymap)
        self.db = db or open_database(self.db_path)
        # $MARGIN_ENTITY_BACKEND, else auto: the command line passes the config's.
        self.entity_backend = entity_backend or resolve_entity_backend(None, Config())
        self.entity_code_template = entity_code_template
        self.citation_style = citation_style
        self.measure = self.config.measure  # the reader's text column, in cells
        # The search index, built on the first search and kept in step after.
        self.search_corpus = None
        # Background recognition of unrecognised documents, after start-up.
        self._recognition_timer: Timer | None = None
        # What is wrong with the database file, once SQLite has said it is damaged.
        self.damage: str | None = None
        self._database_closed = False

    def get_default_screen(self) -> Screen:
        """The library is the first screen, the bottom of the stack. Pushed
        from on_mount (over Textual's blank default screen) it was composed,
        laid out and drawn twice, once inside Textual's start-up batch: a
        frame never shown, a tenth of the instructions to the first frame."""
        from margin.tui.library import LibraryScreen

        return LibraryScreen()

    def on_mount(self) -> None:
        self.call_after_refresh(settle_memory)
        # Checking [keys] imports every screen: after the first frame.
        from margin.tui.config_check import report_config_problems

        self.set_timer(0.3, partial(report_config_problems, self))
        # Documents never recognised (the sample corpus of a new database, or
        # imports made with --no-entities) get their entities in the background,
        # a moment after the first frame: importing spaCy in a thread holds the
        # interpreter for most of a second and would delay that frame.
        self._recognition_timer = self.set_timer(RECOGNITION_DELAY, self.recognise_pending)

    def on_unmount(self) -> None:
        # A quit within RECOGNITION_DELAY of start-up: the timer must not fire
        # on the connection closed below (nor its tick already in the queue:
        # see recognise_pending).
        self._database_closed = True
        if self._recognition_timer is not None:
            self._recognition_timer.stop()
        # Background recognition stops at its next check instead of keeping
        # the process alive after the app has closed.
        self.workers.cancel_group(self, "entities")
        self.db.close()

    # ------------------------------------------------------------- theme

    def _apply_config_theme(self) -> None:
        name = self.config.theme
        if name and name not in self.available_themes:
            self.config.problems.append(
                f"theme {name!r} is not a theme here (the palette's \"Change theme\" lists them); "
                f"{self.theme!r} used")
        elif name:
            self.theme = name

    def watch_theme(self, theme: str) -> None:
        """A theme chosen in the app is saved to the config file (if the app
        was started with one), keeping the file's other lines; what was drawn
        in the old theme's entity colours (legends, panels) is drawn again."""
        if self.is_running:
            for screen in self.screen_stack:
                if isinstance(screen, MarginScreen) and screen is not self.screen:
                    screen._stamp = ()  # stale: re-read and redrawn on resume
            self.call_next(self.reload_screen)
        if theme != self.config.theme and self._save_setting("theme", theme):
            self.config.theme = theme

    # ------------------------------------------------------------ helpers

    def notify(self, message: str, *, markup: bool = False, **kwargs) -> None:
        """Notifications carry code names, titles, quotes and entity names:
        never markup, whoever asks (``Widget.notify`` passes markup=True)."""
        super().notify(message, markup=False, **kwargs)

    def action_help_quit(self) -> None:
        """ctrl+c no longer quits (Textual copies with it in a text field), so
        say which key does. Textual's own reminder is markup, which ``notify``
        above shows raw ("Press [b]ctrl+q[/b]…"); this one is plain text.
        (A text field takes ctrl+c to copy: it never gets here.)"""
        keys = [
            key for key, active in self.active_bindings.items()
            if active.binding.action in ("quit", "app.quit") and key != "ctrl+q"
        ]
        anywhere = "ctrl+q"  # Textual's priority binding: it works in text fields too
        if keys:  # what the quit key is now (q closes the help screen, say)
            key = self.get_key_display(Binding(keys[0], "quit"))
            message = f"Press {key} to quit margin ({anywhere} quits from anywhere)"
        else:
            message = f"Press {anywhere} to quit margin"
        self.notify(message, title="Do you want to quit?", timeout=4)

    def report(self, error: Exception) -> None:
        """Show a user-facing error as a notification, never a traceback."""
        if self.show_damage(error):
            return
        self.notify(str(error), severity="error", timeout=6)

    def show_damage(self, error: BaseException) -> bool:
        """If ``error`` says the database file is damaged: the damaged-database
        screen (any key quits, exit status 1). True if it was that."""
        from margin.store.db import damaged_database

        damage = damaged_database(error, self.db_path)
        if damage is None:
            return False
        if self.damage is None:
            from margin.tui.damaged import DamagedDatabaseScreen

            self.damage = str(damage)
            self.workers.cancel_all()
            self.clear_notifications()  # nothing may cover what to do
            self.push_screen(DamagedDatabaseScreen(self.damage))
        return True

    def _handle_exception(self, error: Exception) -> None:
        # Textual's crash handler (a traceback, then exit): a damaged file is
        # not a bug of margin's, so it gets its own screen instead.
        if not self.show_damage(error):
            super()._handle_exception(error)

    def run_store(self, function, *args, success=None, **kwargs) -> bool:
        """Run one store action on the app's database: report a failure as a
        notification, else say ``success`` (a text, or a function of the
        action's result) and reload the screen. True if it succeeded."""
        try:
            result = function(self.db, *args, **kwargs)
        except StoreError as error:
            self.report(error)
            return False
        if success:
            self.notify(success(result) if callable(success) else success, timeout=3)
        self.reload_screen()
        return True

    def reload_screen(self) -> None:
        """Re-read the current screen's data (after an action, undo or redo)."""
        if isinstance(self.screen, MarginScreen):
            self.screen.reload_or_leave()

    def open_document(self, document_id: int, offset: int | None = None) -> None:
        from margin.tui.reader.screen import ReaderScreen

        self.push_screen(ReaderScreen(document_id, offset=offset))

    # -------------------------------------------------------------- coders

    def visible_coders(self) -> tuple[str, ...]:
        """Whose codings the app shows (for the store's ``coders=``): the
        current coder's alone in blind mode, else everyone's (``()``)."""
        return (self.coder,) if self.blind else ()

    def codebook(self) -> list:
        """The codebook with the counts of the codings the app shows (the
        current coder's in blind mode): what every screen lists codes from."""
        from margin.store.codes import codebook

        return codebook(self.db, self.visible_coders(), strict=False)

    def action_switch_coder(self) -> None:
        """Pick a coder who has coded here, or type a new name."""
        from rich.text import Text

        from margin.store.coders import coder_names
        from margin.store.util import visible_controls
        from margin.tui.modals import Choice, CreateNew, FuzzyPicker

        try:
            names = coder_names(self.db)
        except StoreError as error:
            self.report(error)
            return
        choices = [Choice(name, Text.assemble(visible_controls(name, keep=""),
                                              ("  (current)" if name == self.coder else "", "dim")),
                          name)
                   for name in names]

        def chosen(value) -> None:
            if value is None:
                return
            self.switch_coder(coder_name(value.name if isinstance(value, CreateNew) else value))

        self.push_screen(FuzzyPicker(
            f"Switch coder (now {self.coder})", choices, create_label="New coder",
            hint="Enter switches to the highlighted coder · on “+ New coder” to a new name · "
                 "new codings are recorded under that name",
            placeholder="Coder name",
            create_value=lambda query: coder_name(query) if query.strip() else None),
            chosen)

    def switch_coder(self, name: str) -> None:
        """New codings and memos are recorded under ``name`` from now on; it
        is saved to the config file, so the next start keeps it."""
        if name == self.coder:
            self.notify(f"Coding as {name} already", timeout=2)
            return
        self.coder = name
        saved = self._save_setting("coder", name)
        self.config.coder = name if saved else self.config.coder
        blind = " (blind: only your codings are shown)" if self.blind else ""
        self.notify(f"Coding as {name}{blind}" + ("" if saved else " for this session"),
                    timeout=3)
        self._shown_codings_changed()

    def action_toggle_blind(self) -> None:
        """Blind mode on at once; off (seeing the others' codings) only
        after a confirmation."""
        if not self.blind:
            self.set_blind(True)
            return
        from margin.tui.modals import Confirm

        def answer(confirmed: bool | None) -> None:
            if confirmed:
                self.set_blind(False)

        self.push_screen(Confirm(
            "Turn blind mode off and compare? Every coder's codings will be shown "
            f"to {self.coder} again, in the reader, the codebook, search and exports."), answer)

    def set_blind(self, blind: bool) -> None:
        """Blind mode on or off, saved to the config file."""
        self.blind = blind
        if self._save_setting("blind", blind):
            self.config.blind = blind
        if blind:
            self.notify(f"Blind mode: only {self.coder}'s codings are shown", timeout=4)
        else:
            self.notify("Blind mode off: every coder's codings are shown", timeout=4)
        self._shown_codings_changed()

    def _save_setting(self, key: str, value) -> bool:
        """A setting changed in the app, saved to the config file (if the app
        was started with one that could be read). True if it was saved."""
        from margin.store.config import save_setting

        path = self.config.path
        if path is None:
            return False
        try:
            save_setting(path, key, value)
        except StoreError as error:
            self.report(error)
            return False
        return True

    def _shown_codings_changed(self) -> None:
        """The coder or blind mode changed: every screen shows other codings."""
        from margin.tui.search.fuzzy import SearchScreen

        for screen in self.screen_stack:
            if isinstance(screen, MarginScreen) and screen is not self.screen:
                screen._stamp = ()  # stale: re-read on resume
            elif isinstance(screen, SearchScreen):
                screen.codings_changed()
        self.reload_screen()

    # ------------------------------------------------------------- entities

    # Recognition (tui/entities/recognition.py) is imported when it is first
    # needed, after start-up.

    def recognise_pending(self) -> None:
        """Recognise the documents that have no entities yet, in the background."""
        if self._database_closed:
            # Its timer fired (or an import queued it) just before the app
            # closed, under load: its callback came after the connection closed.
            return
        from margin.tui.entities import recognition

        recognition.recognise_pending(self)

    def rebuild_entities(self) -> None:
        """Recognise every document again (with the configured backend)."""
        from margin.tui.entities import recognition

        recognition.rebuild_entities(self)

    def review_entities(self) -> None:
        """Pick an entity (or a whole type) of the corpus, then review it."""
        from margin.tui.entities import recognition

        recognition.review_entities(self)

    def on_entities_updated(self, message) -> None:
        """recognition.EntitiesUpdated: pass the news to every screen that
        shows entities (the MarginScreens, and search as you type)."""
        from margin.tui.search.fuzzy import SearchScreen

        for screen in self.screen_stack:
            if isinstance(screen, (MarginScreen, SearchScreen)):
                screen.entities_updated(message.document_ids)

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

    def action_memos(self) -> None:
        from margin.tui.memos import MemosScreen

        if not isinstance(self.screen, MemosScreen):
            self.push_screen(MemosScreen())

    def action_analysis(self) -> None:
        from margin.tui.analysis.screen import AnalysisScreen

        if not isinstance(self.screen, AnalysisScreen):
            self.push_screen(AnalysisScreen())

    def action_help(self) -> None:
        from margin.tui.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # --------------------------------------------------- command palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action reachable by a key on this screen, plus the rest.

        One entry per action, with all its keys ("Quit (q, ^q)"): Textual's
        own "Quit" and "Keys" (its key panel) would repeat ours, and the
        import and export entries the library's own keys."""
        for command in super().get_system_commands(screen):
            if command.title not in TEXTUAL_COMMANDS_WE_REPLACE:
                yield command
        # Before the keys' entries: typing "merge" offers the project merge
        # first, the codebook's "Merge (J)" (a code into another) after it
        # (the palette keeps this order among equal scores).
        yield SystemCommand("Merge a colleague's project…", "Bring in their codings, codes, "
                            "documents and memos (.db or .qdpx)", self.merge_project)
        # The focused widget's keys are active; the codebook's are offered too,
        # acting on its highlighted code, wherever the focus is.
        reachable = [(active.node, active.binding) for active in screen.active_bindings.values()]
        for tree in screen.query(CodebookTree):
            reachable += [(tree, binding) for binding in tree.BINDINGS]
        entries: dict[tuple[int, str], tuple[object, list[Binding]]] = {}
        for node, binding in reachable:
            if binding.action == "command_palette" or not binding.description:
                continue
            if binding.id and binding.id.startswith("reader.recent_") and binding.id[-1] != "1":
                continue  # one entry for 1–9, as in the help screen
            entries.setdefault((id(node), binding.action), (node, []))[1].append(binding)
        actions = set()
        for (_node_id, action), (node, bindings) in entries.items():
            actions.add(action)
            bindings.sort(key=lambda binding: not binding.show)  # the key-bar key first
            first = bindings[0]
            keys = dict.fromkeys(displayed_keys(self, binding) for binding in bindings)
            context = "Codebook: " if isinstance(node, CodebookTree) else ""
            tooltip = next((b.tooltip for b in bindings if b.tooltip), "")
            yield SystemCommand(
                f"{context}{first.description} ({', '.join(keys)})",
                "" if tooltip == first.description else tooltip,
                partial(self._run_from_palette, action, node),
            )
        from margin.tui.transfer import ExportScreen, ImportScreen

        if "import" not in actions:
            yield SystemCommand("Import documents", "Import text or Markdown files or a folder",
                                lambda: self.push_screen(ImportScreen()))
        yield SystemCommand("Import the sample articles", "Add the built-in sample corpus",
                            lambda: self.push_screen(ImportScreen(sample=True)))
        if "export" not in actions:
            yield SystemCommand("Export coded passages", "Write CSV, JSONL or Markdown",
                                lambda: self.push_screen(ExportScreen()))
        if hasattr(screen, "action_pick_coders"):  # the reader
            yield SystemCommand("Show the codings of…", "Every coder's, only mine, or one "
                                "coder's (W goes through them in turn)", screen.action_pick_coders)
        # The palette reads its help texts as markup: no coder's name in them.
        yield SystemCommand("Switch coder…", "Pick another coder or type a new name for the "
                            "codings you make next", self.action_switch_coder)
        if self.blind:
            yield SystemCommand("Blind mode: turn off and compare…", "Show every coder's "
                                "codings again (asks first)", self.action_toggle_blind)
        else:
            yield SystemCommand("Blind mode: turn on", "Show only your own codings "
                                "everywhere, until you choose to compare", self.action_toggle_blind)
        if "app.memos" not in actions:
            yield SystemCommand("Memos", "Every memo by kind, filtered as you type; Enter "
                                "opens its document, code or coding", self.action_memos)
        if "app.analysis" not in actions:
            yield SystemCommand("Analysis", "Code frequencies, co-occurrence and the code × "
                                "document matrix; Enter lists the passages behind a figure",
                                self.action_analysis)
        yield SystemCommand("Review entities", "Pick an entity or a type, review its mentions "
                            "in all documents and code them", self.review_entities)
        yield SystemCommand("Inter-coder agreement…", "Two coders' kappa and alpha per code; "
                            "where they differ; reconcile", self.show_agreement)
        yield SystemCommand("Recognise entities again", "Rebuild every document's entities "
                            f"with the {self.entity_backend} backend", self.rebuild_entities)

    def merge_project(self) -> None:
        from margin.tui.merge_dialog import MergeScreen

        self.push_screen(MergeScreen())

    def show_agreement(self) -> None:
        if self.blind:
            # Comparing is what blind mode holds back until the coder chooses
            # to: the agreement screen shows every coder's passages.
            self.notify("Blind mode is on: turn it off in the palette to compare coders",
                        severity="warning")
            return
        from margin.tui.agreement.screen import open_agreement

        open_agreement(self)

    def _run_from_palette(self, action: str, node) -> None:
        self.call_later(self.run_action, action, node)

    # ------------------------------------------------------------ codebook

    @on(CodebookTree.CodeAction)
    def _codebook_action(self, message: CodebookTree.CodeAction) -> None:
        from margin.tui.codebook.dialogs import run_code_action

        run_code_action(self, message.action, message.code)
