"""The reader screen: a document, its codings, the codebook, and coding actions."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Static

from margin.store.citations import citable_passage, format_citation
from margin.store.coders import coder_names
from margin.store.codes import Code, get_code, recently_used_codes
from margin.store.codings import (
    Coding,
    apply_coding,
    apply_new_code,
    change_boundaries,
    codings_for_document,
    get_coding,
    memo_text,
    remove_coding,
    set_coding_memo,
    set_memo,
)
from margin.store.documents import Document, get_document, rename_document
from margin.store.entities.grouping import group_for_document
from margin.store.entities.storage import (
    REJECTED,
    StoredEntity,
    entities_for_document,
    entity_label_counts,
)
from margin.store.errors import StoreError
from margin.store.textspans import paragraph_number
from margin.store.util import plural, visible_controls
from margin.tui.cells import fit, fit_entries, fit_text
from margin.tui.clipboard import copy_text
from margin.tui.codebook.tree import CodebookColumn, CodebookPane, CodebookTree, code_label
from margin.tui.entities.panel import EntityPanel
from margin.tui.entities.styles import NOT_HIGHLIGHTED, entity_style, legend
from margin.tui.keybar import KeyBar
from margin.tui.modals import Choice, CreateNew, FuzzyPicker, MemoEditor, TextPrompt
from margin.tui.reader.markdown import is_markdown
from margin.tui.reader.spans import find_matches, next_span
from margin.tui.reader.view import ReaderView, coder_of
from margin.tui.reader.wrapping import display_text
from margin.tui.screen import MarginScreen, settle_memory

#: ``app.reader_coders`` for "only mine" (no coder's name is empty).
MINE = ""

# Documents longer than this (characters) open in two steps: the first
# FIRST_SCREENS characters are wrapped and drawn, then the rest.
LONG_DOCUMENT = 200_000
FIRST_SCREENS = 30_000


def _recent_binding(number: int) -> Binding:
    return Binding(
        str(number), f"apply_recent({number})", f"Recent code {number}", show=False,
        id=f"reader.recent_{number}",
        tooltip=f"Code the selection with the {number}. most recently used code",
    )


class _Legend(Static):
    """The entity legend: one line, cut to the width it has with "…"."""

    def __init__(self, **keywords) -> None:
        super().__init__(**keywords)
        self.legend = Text()

    def show(self, legend: Text) -> None:
        self.legend = legend
        self.refresh()

    def render(self) -> Text:
        width = self.content_region.width or self.size.width
        return fit_text(self.legend, width) if width else self.legend


class ReaderScreen(CodebookPane, MarginScreen):
    BINDINGS = [
        Binding("c", "code", "Code", id="reader.code",
                tooltip="Code the selection: pick or create a code"),
        Binding("x", "remove", "Uncode", id="reader.remove",
                tooltip="Remove the coding under the cursor"),
        Binding("a", "adjust", "Adjust", id="reader.adjust",
                tooltip="Move the boundaries of the coding under the cursor"),
        Binding("enter", "confirm", "Apply", show=False, id="reader.confirm",
                tooltip="Finish adjusting boundaries, or code the selection"),
        Binding("m", "memo", "Memo", id="reader.memo",
                tooltip="Memo of the coding under the cursor, else of the document"),
        Binding("y", "copy", "Copy", id="reader.copy",
                tooltip="Copy the selection or the coded passage with its citation"),
        Binding("t", "rename", "Title", show=False, id="reader.rename",
                tooltip="Edit the document's title"),
        Binding("tab", "toggle_focus", "Codebook", id="reader.focus_codebook",
                tooltip="Move between the text and the codebook"),
        Binding("e", "toggle_entities", "Entities", id="reader.entities",
                tooltip="Show or hide the named-entity highlights (] and [ jump between them)"),
        Binding("E", "entity_panel", "Entity list", show=False, id="reader.entity_panel",
                tooltip="The document's entities by type: Enter finds mentions, r reviews"),
        Binding("f", "find", "Find", id="reader.find",
                tooltip="Find text in this document (n next, N previous)"),
        Binding("n", "find_next(1)", "Next match", show=False, id="reader.find_next"),
        Binding("N", "find_next(-1)", "Previous match", show=False, id="reader.find_previous"),
        Binding("W", "cycle_coders", "Coders", show=False, id="reader.coders",
                tooltip="Whose codings are shown: every coder's, only mine, or one "
                        "coder's, in turn"),
        Binding("escape", "back", "Back", id="reader.back",
                tooltip="Clear the selection, cancel adjusting, or go back to the library"),
        *[_recent_binding(n) for n in range(1, 10)],
    ]

    def __init__(self, document_id: int, offset: int | None = None) -> None:
        super().__init__()
        self.document_id = document_id
        self.start_offset = offset
        self.document: Document = get_document(self.app.db, document_id)
        self.adjusting: Coding | None = None
        self.recent: list[Code] = []
        self.code_paths: dict[int, str] = {}
        self._bar_texts: dict[str, str] = {}
        self.entities: list[StoredEntity] = []
        self.find_text = ""
        self.coder_colours: dict[str, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        text = self.document.text
        # A long document paints its first screens first: wrapping a megabyte
        # and reading thousands of codings can wait for the frame after.
        self.first_screens_end: int | None = None
        if len(text) > LONG_DOCUMENT and self.start_offset is None:
            line_break = text.find("\n", FIRST_SCREENS)
            self.first_screens_end = line_break if line_break > 0 else None
        yield _Legend(id="entity-legend")
        with Horizontal(id="main"):
            view = ReaderView(
                text,
                self._load_codings(starting_before=self.first_screens_end),
                first_screens_end=self.first_screens_end,
                measure=self.app.measure,
                markdown=is_markdown(self.document.source_path),
                id="reader",
            )
            view.coder_colours = self.coder_colours
            yield view
            yield CodebookColumn()
            yield EntityPanel(id="entity-panel")
        yield Static(id="coding-info")
        yield Static(id="status-bar")
        yield KeyBar()

    MAIN_WIDGET = "#reader"

    @property
    def view(self) -> ReaderView:
        return self.query_one("#reader", ReaderView)

    def on_mount(self) -> None:
        self._show_title()
        self._refresh_codebook()
        self.query_one("#entity-panel", EntityPanel).display = False
        # A long document: the first frame draws the entities of its first
        # screens; the rest come with the rest of its codings.
        self._load_entities(starting_before=self.first_screens_end)
        view = self.view
        view.focus()
        if self.start_offset is not None:
            self.call_after_refresh(view.move_cursor_to, self.start_offset, center=True)
        self._update_bars()
        self.call_after_refresh(settle_memory)

    @on(ReaderView.FirstScreensDrawn)
    def _finish_opening(self) -> None:
        if self.first_screens_end is None:
            return
        self.first_screens_end = None
        self.view.set_codings(self._load_codings(), self.coder_colours)
        self._load_entities()
        self.view.finish_opening()
        # The whole document's codings, entities and rows live as long as the
        # screen: out of future collections, like what the first frame drew.
        settle_memory()

    def _load_codings(self, starting_before: int | None = None) -> list[Coding]:
        """The codings of the coders shown (``shown_coders``); several
        coders' codings set ``coder_colours``, the stripes' colours."""
        self.mark_read()
        self.coder_colours = None
        try:
            codings = codings_for_document(self.app.db, self.document_id, starting_before)
            shown = self.shown_coders()
            if shown:
                codings = [coding for coding in codings if coder_of(coding) in shown]
            coders = {coder_of(coding) for coding in codings}
            if len(coders) > 1:
                order = coder_names(self.app.db)
                self.coder_colours = {name: order.index(name) if name in order else len(order)
                                      for name in coders}
            return codings
        except StoreError as error:
            # Never show a shifted passage: say what is wrong, show the text alone.
            self.app.notify(str(error), severity="error", timeout=15)
            return []

    # ------------------------------------------------------------- coders

    def shown_coders(self) -> tuple[str, ...]:
        """Whose codings the reader shows (empty: everyone's). Blind mode
        shows the current coder's whatever was chosen with W."""
        app = self.app
        if app.blind:
            return (app.coder,)
        if app.reader_coders is None:
            return ()
        return (app.coder,) if app.reader_coders == MINE else (app.reader_coders,)

    def _coders_shown_text(self) -> Text:
        """What the title bar says about whose codings are shown, the
        coders' colours as a legend when the stripes are in them."""
        app = self.app
        shown = Text()
        if app.blind:
            shown.append(f"blind mode: {app.coder}'s codings only", Style(bold=True))
        elif app.reader_coders is not None:
            name = self.shown_coders()[0]
            mine = " (mine)" if app.reader_coders == MINE else ""
            shown.append(f"only {name}'s codings{mine}", Style(bold=True))
            shown.append(" · W: next", Style(dim=True))
        elif self.coder_colours:
            shown.append("coders ", Style(dim=True))
            for name in sorted(self.coder_colours, key=self.coder_colours.__getitem__):
                shown.append("┃", self.view.coder_style(name))
                shown.append(f"{name} ")
        return shown

    def action_cycle_coders(self) -> None:
        """Every coder's codings, then only mine, then each other coder's."""
        app = self.app
        if app.blind:
            app.notify("Blind mode shows only your codings; the palette's “Blind mode: turn "
                       "off and compare…” shows the others'", severity="warning", timeout=4)
            return
        others = [name for name in coder_names(app.db) if name != app.coder]
        sequence: list[str | None] = [None, MINE, *others]
        current = sequence.index(app.reader_coders) if app.reader_coders in sequence else 0
        self.show_coders(sequence[(current + 1) % len(sequence)])

    def action_pick_coders(self) -> None:
        """A picker: every coder's codings, only mine, or one coder's."""
        app = self.app
        if app.blind:
            self.action_cycle_coders()  # says why not
            return
        choices = [Choice("all every coder", Text("Every coder's codings"), None),
                   Choice(f"mine {app.coder}", Text(f"Only mine ({app.coder})"), MINE)]
        choices += [Choice(name, Text(f"Only {name}'s"), name)
                    for name in coder_names(app.db) if name != app.coder]
        self.app.push_screen(FuzzyPicker("Show the codings of…", choices),
                             lambda value: self.show_coders(value, picked=True))

    def show_coders(self, choice: str | None, *, picked: bool = False) -> None:
        """Show every coder's codings (None), only mine (MINE) or a coder's."""
        if picked and choice is None and self.app.reader_coders is None:
            return
        self.app.reader_coders = choice
        self.reload()
        shown = self.shown_coders()
        if not shown:
            self.app.notify("Showing every coder's codings", timeout=2)
        else:
            self.app.notify(f"Showing only {shown[0]}'s codings", timeout=2)

    def reload(self) -> None:
        """Re-read everything an action (or undo) may have changed."""
        self.mark_read()
        self.document = get_document(self.app.db, self.document_id)
        self.view.set_codings(self._load_codings(), self.coder_colours)
        self._load_entities()  # a review may have corrected labels
        self._show_title()
        self._refresh_codebook()
        self._update_bars()

    # ---------------------------------------------------------------- find

    def action_find(self) -> None:
        def find(text: str | None) -> None:
            if text is not None and text.strip():
                self.find(text)

        self.app.push_screen(TextPrompt("Find in this document", self.find_text,
                                        hint="Case and line breaks are ignored; "
                                             "n and N move between the matches"), find)

    def find(self, text: str) -> int:
        """Highlight every match of ``text`` and go to the first one after the
        cursor; returns how many there are."""
        self.find_text = text
        matches = find_matches(self.document.text, text)
        self.view.set_matches(matches)
        if not matches:
            self.app.notify(f"No match for “{text}”", severity="warning", timeout=3)
            self._update_bars()
            return 0
        self.action_find_next(1, from_cursor=True)
        return len(matches)

    def action_find_next(self, step: int, from_cursor: bool = False) -> None:
        matches = self.view.matches.entities
        if not matches:
            if self.find_text:
                self.find(self.find_text)
            return
        target = next_span(matches, self.view.cursor, step, from_cursor=from_cursor)
        self.view.move_cursor_to(target.start, center=True)

    # ------------------------------------------------------------ entities

    def _load_entities(self, starting_before: int | None = None) -> None:
        """Entities are read whole: they are small beside the text (a 1 MB
        document has some 20,000), and recognition may not have run yet.
        While a long document opens, only those of its first screens."""
        # A rejected mention was judged not to be that entity: not shown.
        entities = [e for e in entities_for_document(self.app.db, self.document_id,
                                                     starting_before)
                    if e.label not in NOT_HIGHLIGHTED and e.decision != REJECTED]
        self.entities = entities
        self.view.set_entities(entities)
        panel = self.query_one("#entity-panel", EntityPanel)
        if panel.display:
            panel.show_groups(group_for_document((e.as_mention() for e in entities),
                                                  self.document.text))
        if starting_before is None:
            self._show_legend()
        else:  # the whole document's counts, without reading every mention yet
            counts = entity_label_counts(self.app.db, self.document_id)
            self._show_legend({label: count for label, count in counts.items()
                               if label not in NOT_HIGHLIGHTED})

    def entities_updated(self, document_ids: list[int]) -> None:
        """Called by the app when background recognition stored entities."""
        if self.document_id in document_ids and self.is_attached:
            self._load_entities()

    def _show_legend(self, counts: dict[str, int] | None = None) -> None:
        legend_bar = self.query_one("#entity-legend", _Legend)
        if counts is None:
            counts = {}
            for entity in self.entities:
                counts[entity.label] = counts.get(entity.label, 0) + 1
        legend_bar.display = bool(counts) and self.view.show_entities
        if legend_bar.display:
            legend_bar.show(Text.assemble(("entities  ", Style(dim=True)), legend(counts)))

    def action_toggle_entities(self) -> None:
        shown = self.view.toggle_entities()
        self._show_legend()
        if not self.entities:
            self.app.notify("No entities in this document (yet)", severity="warning", timeout=2)
        elif not shown:
            self.app.notify("Entity highlights hidden (e shows them)", timeout=2)

    def action_entity_panel(self) -> None:
        panel = self.query_one("#entity-panel", EntityPanel)
        codebook_tree = self.query_one("#codebook", CodebookTree)
        if panel.display:
            self._close_entity_panel()
            return
        panel.show_groups(group_for_document((e.as_mention() for e in self.entities),
                                              self.document.text))
        panel.display = True
        codebook_tree.display = False
        panel.focus()

    def action_toggle_focus(self) -> None:
        # Tab goes to the codebook: the entity panel gives it its place back.
        if self.query_one("#entity-panel", EntityPanel).display:
            self.query_one("#entity-panel", EntityPanel).display = False
        super().action_toggle_focus()

    def on_resize(self) -> None:
        # Textual calls CodebookPane.on_resize too (it dispatches the handler
        # of every class in the MRO), which would bring the codebook back
        # beside an open entity panel: lay out once every handler has run.
        self.call_later(self._lay_out_panes)
        self.call_later(self._show_title)  # the title is cut to the width
        self.call_later(self._update_bars)  # and the codings line

    def on_screen_resume(self) -> None:
        # The terminal may have been resized while another screen (the entity
        # review, help, a dialog) was on top: lay out for the size it has now.
        self._lay_out_panes()

    def _lay_out_panes(self) -> None:
        """The entity panel has the codebook's place while it is open; else
        the codebook shows on a wide screen, or while it has the focus."""
        if self.query_one("#entity-panel", EntityPanel).display:
            self.query_one("#codebook", CodebookTree).display = False
        else:
            CodebookPane.on_resize(self)

    @on(EntityPanel.Closed)
    def _close_entity_panel(self) -> None:
        self.query_one("#entity-panel", EntityPanel).display = False
        self.view.focus()
        self._lay_out_panes()  # the codebook comes back if there is room

    @on(EntityPanel.MentionRequested)
    def _next_mention(self, message: EntityPanel.MentionRequested) -> None:
        """Each Enter on an entity goes to its next mention, after the cursor,
        wrapping around; the panel keeps the focus for the next Enter."""
        mentions = sorted(message.group.mentions, key=lambda m: m.start)
        if not mentions:
            return
        if not self.view.show_entities:
            self.action_toggle_entities()
        mention = next_span(mentions, self.view.cursor, 1)
        number = mentions.index(mention) + 1
        self.view.move_cursor_to(mention.start, center=True)
        self.app.notify(f"{message.group.canonical}: mention {number} of {len(mentions)}", timeout=2)

    @on(EntityPanel.ReviewRequested)
    def _review(self, message: EntityPanel.ReviewRequested) -> None:
        from margin.tui.entities.review import ReviewScreen

        self.app.push_screen(ReviewScreen(message.label, message.group))

    def _refresh_codebook(self) -> None:
        codes = self.app.codebook()
        self.code_paths = {code.id: code.path for code in codes}
        self.query_one("#codebook", CodebookTree).show_codes(codes)
        self.recent = recently_used_codes(self.app.db, coders=self.app.visible_coders(),
                                          strict=False, codes=codes)

    def _show_title(self) -> None:
        """The title (cut with "…" to leave room), its words, and whose
        codings are shown."""
        words = f"  {plural(self.document.word_count, 'word')}"
        coders = self._coders_shown_text()
        if coders:
            coders = Text.assemble(("  ·  ", Style(dim=True)), coders)
        bar = self.query_one("#title-bar", Static)
        width = bar.content_region.width or self.app.size.width - 2
        room = max(12, width - cell_len(words) - coders.cell_len)
        bar.update(Text.assemble((fit(display_text(self.document.title), room, pad=False),
                                  Style(bold=True)), (words, Style(dim=True)), coders))

    # ------------------------------------------------------------- status

    @on(ReaderView.CursorMoved)
    def _cursor_moved(self) -> None:
        self._update_bars()

    def _update_bars(self) -> None:
        view = self.view
        # Each coding under the cursor, or each recent code: an entry cut
        # with "…" as a whole (fit_entries), never a "■" without the start
        # of its name.
        bar = self.query_one("#coding-info", Static)
        width = bar.content_region.width or self.app.size.width - 2
        codings = view.codings_at(view.cursor)
        # Memos shortened, then only marked, before a coding is left out.
        for memo_cells in (80, 24, 0):
            entries = [self._coding_entry(coding, memo_cells) for coding in codings]
            if sum(entry.cell_len + 3 for entry in entries) - 3 <= width:
                break
        if entries:
            info = fit_entries(entries, width)
        elif self.recent:
            head = Text("recent codes: ", Style(dim=True))
            info = Text.assemble(head, fit_entries(
                [Text.assemble((f"{number} ", Style(bold=True)), ("■ ", Style(color=code.colour)),
                               display_text(code.name) + "  ")
                 for number, code in enumerate(self.recent, start=1)],
                width - head.cell_len, separator="", least=6))
        else:
            info = Text()
        self._set_bar("#coding-info", info)

        total = len(view.paragraphs) or 1
        paragraph = paragraph_number(view.paragraphs, view.cursor) if view.paragraphs else 1
        percent = round(100 * view.cursor / max(1, len(self.document.text) - 1))
        status = Text()
        if self.adjusting is not None:
            status.append(" ADJUST ", Style(reverse=True, bold=True))
            status.append(f" {self.adjusting.code_name}: motions move the cursor end, o the other "
                          "end, Enter saves, Escape cancels  ")
        elif view.selection is not None:
            status.append(" VISUAL ", Style(reverse=True, bold=True))
            status.append(f" {plural(len(view.selection), 'character')} selected  ")
        entity = view.entity_at(view.cursor)
        if entity is not None:
            status.append(entity.label, entity_style(entity.label))
            status.append(f" {display_text(entity.text)}")
            if entity.decision:
                status.append(f" ({entity.decision})", Style(dim=True))
            status.append(" · ", Style(dim=True))
        if len(view.matches):
            current = view.matches.number_starting_at(view.cursor)
            status.append(f"“{display_text(self.find_text)}” ", Style(bold=True))
            status.append(f"{current or '–'}/{len(view.matches)} · ", Style(dim=True))
        status.append(f"para. {paragraph}/{total} · {percent}%")
        status.append("   coder: ", Style(dim=True))
        status.append(self.app.coder)
        if self.app.blind:
            status.append(" (blind)", Style(bold=True))
        self._set_bar("#status-bar", status)

    def _coding_entry(self, coding: Coding, memo_cells: int) -> Text:
        """■ code · coder · memo: its start (up to ``memo_cells``; 0: "memo")."""
        entry = Text()
        entry.append("■ ", Style(color=coding.colour))
        entry.append(display_text(self._code_path(coding)))
        if self.coder_colours:  # the stripe's colour names the coder
            entry.append(" · ", Style(dim=True))
            entry.append(display_text(coder_of(coding)), self.view.coder_style(coder_of(coding)))
        else:
            entry.append(f" · {display_text(coder_of(coding))}", Style(dim=True))
        if coding.memo and memo_cells:
            entry.append(" · memo: ", Style(dim=True))
            entry.append(fit(display_text(" ".join(coding.memo.split())), memo_cells, pad=False))
        elif coding.memo:
            entry.append(" · memo", Style(dim=True))
        return entry

    def _set_bar(self, selector: str, content: Text) -> None:
        # One-line bars never change size: skip the layout pass (and skip the
        # update altogether when nothing changed), so a keystroke costs one frame.
        if self._bar_texts.get(selector) != content.plain + repr(content.spans):
            self._bar_texts[selector] = content.plain + repr(content.spans)
            self.query_one(selector, Static).update(content, layout=False)

    def _code_path(self, coding: Coding) -> str:
        return self.code_paths.get(coding.code_id, coding.code_name)

    # ------------------------------------------------------------- coding

    def action_code(self) -> None:
        selection = self.view.selection
        if selection is None:
            self.app.notify("Select a passage first: v and motions, s sentence, p paragraph",
                            severity="warning", timeout=3)
            return
        choices = [
            Choice(code.path, code_label(code, with_path=True), code)
            for code in self.app.codebook()
        ]
        picker = FuzzyPicker(
            f"Code {plural(len(selection), 'character')} as…",
            choices,
            create_label="Create code",
            hint="Enter applies the highlighted code · on “+ Create code” it makes "
                 "the new one (“Parent > Child” nests it) · Escape cancels",
            placeholder="Code name",
        )
        self.app.push_screen(picker, lambda value: self._apply(value, selection))

    def _apply(self, value, selection) -> None:
        if value is None:
            return
        span = (self.document_id, selection.start, selection.end, self.app.coder)
        if isinstance(value, CreateNew):
            done = self.app.run_store(
                lambda db: apply_new_code(db, span[0], value.name, *span[1:]),
                success=lambda ids: f"Coded as {get_code(self.app.db, ids[0]).path}",
            )
        else:
            done = self.app.run_store(lambda db: apply_coding(db, span[0], value.id, *span[1:]),
                                      success=f"Coded as {value.path}")
        if done:
            self.view.clear_selection()

    def action_apply_recent(self, number: int) -> None:
        if number > len(self.recent):
            self.app.notify(f"No recent code {number} yet", severity="warning", timeout=2)
            return
        if self.view.selection is None:
            self.app.notify("Select a passage first", severity="warning", timeout=2)
            return
        self._apply(self.recent[number - 1], self.view.selection)

    def _with_coding_under_cursor(self, purpose: str, callback, *, allow_none=False) -> None:
        """Call back with the coding under the cursor, asking which if several."""
        codings = self.view.codings_at(self.view.cursor)
        if not codings:
            if allow_none:
                callback(None)
            else:
                self.app.notify("No coding under the cursor", severity="warning", timeout=2)
            return
        if len(codings) == 1:
            callback(codings[0])
            return
        choices = [
            Choice(
                coding.code_name,
                Text.assemble(("■ ", Style(color=coding.colour)), self._code_path(coding),
                              (f"  “{_excerpt(coding.quote)}”", Style(dim=True))),
                coding,
            )
            for coding in codings
        ]
        self.app.push_screen(FuzzyPicker(f"Which coding to {purpose}?", choices),
                             lambda coding: coding is not None and callback(coding))

    def action_remove(self) -> None:
        def remove(coding: Coding) -> None:
            self.app.run_store(remove_coding, coding.id,
                               success=f"Removed coding {coding.code_name} (u undoes)")

        self._with_coding_under_cursor("remove", remove)

    def action_adjust(self) -> None:
        def adjust(coding: Coding) -> None:
            self.adjusting = coding
            self.view.select_range(coding.start, coding.end)
            self._update_bars()

        self._with_coding_under_cursor("adjust", adjust)

    def action_confirm(self) -> None:
        if self.adjusting is not None:
            selection = self.view.selection
            coding, self.adjusting = self.adjusting, None
            if selection is None:
                return
            if self.app.run_store(change_boundaries, coding.id, selection.start, selection.end,
                                  success=f"New boundaries for {coding.code_name}"):
                self.view.clear_selection()
        elif self.view.selection is not None:
            self.action_code()

    def action_back(self) -> None:
        if self.adjusting is not None:
            self.adjusting = None
            self.view.clear_selection()
            self._update_bars()
        elif self.view.selection is not None:
            self.view.clear_selection()
        elif len(self.view.matches):
            self.view.set_matches([])
            self._update_bars()
        else:
            self.app.pop_screen()

    def action_memo(self) -> None:
        db = self.app.db

        def edit(coding: Coding | None) -> None:
            if coding is not None:
                coding = get_coding(db, coding.id)  # the memo as stored now

                def save(text: str | None) -> None:
                    if text is not None:
                        self.app.run_store(set_coding_memo, coding.id, text)
                self.app.push_screen(MemoEditor(f"Memo on {coding.code_name}: "
                                                f"“{_excerpt(coding.quote)}”", coding.memo), save)
                return

            def save_document(text: str | None) -> None:
                if text is not None:
                    self.app.run_store(set_memo, text, self.app.coder,
                                       document_id=self.document_id, success="Document memo saved")

            self.app.push_screen(
                MemoEditor(f"Memo on {self.document.title}",
                           memo_text(db, document_id=self.document_id)),
                save_document,
            )

        self._with_coding_under_cursor("annotate", edit, allow_none=True)

    def action_copy(self) -> None:
        """The selection, else the coding under the cursor (asking which where
        several overlap, as x and a do), with its citation."""
        selection = self.view.selection
        if selection is not None:
            self._copy(selection.start, selection.end)
            return
        if not self.view.codings_at(self.view.cursor):
            self.app.notify("Nothing to copy: select a passage or move onto a coding",
                            severity="warning", timeout=3)
            return
        self._with_coding_under_cursor("copy", lambda coding: self._copy(coding.start, coding.end))

    def _copy(self, start: int, end: int) -> None:
        text = format_citation(citable_passage(self.app.db, self.document_id, start, end),
                               self.app.citation_style)
        where = copy_text(self.app, text)
        self.app.notify(f"Copied {plural(end - start, 'character')} with citation to the {where}",
                        timeout=3)

    def action_rename(self) -> None:
        def rename(title: str | None) -> None:
            if title and title.strip() and title.strip() != self.document.title:
                self.app.run_store(rename_document, self.document_id, title)

        self.app.push_screen(TextPrompt("Document title", self.document.title), rename)


def _excerpt(text: str, limit: int = 50) -> str:
    text = visible_controls(" ".join(text.split()), keep="")
    return text if len(text) <= limit else text[: limit - 1] + "…"
