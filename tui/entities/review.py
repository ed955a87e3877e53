"""Review an entity's mentions across the corpus, then code the accepted ones.

ATLAS.ti's "Named Entity Recognition" workflow, keyboard-first: every mention
of one entity (or of a whole type) with its sentence; accept or reject each or
all, fix a wrong label, choose the scope (the mention itself, its sentence or
its paragraph), and Enter codes the accepted mentions under a code such as
``PERSON > Vladimir Putin``. The whole batch is one undoable action, and the
decisions are remembered: a rejected mention is shown as rejected next time.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from margin.store.documents import document_text, document_titles
from margin.store.entities import ALL_LABELS, LABEL_DESCRIPTIONS
from margin.store.entities.grouping import EntityGroup, Mention
from margin.store.entities.storage import (
    ACCEPTED,
    CORRECTED,
    REJECTED,
    MentionDecision,
    apply_review,
    code_path_for,
    corpus_entities,
    corpus_groups,
)
from margin.store.errors import StoreError
from margin.store.textspans import SCOPES, context_of, sentence_spans
from margin.store.util import plural
from margin.tui.concordance import concordance_line
from margin.tui.entities.styles import entity_style
from margin.tui.keybar import KeyBar
from margin.tui.modals import Choice, Confirm, FuzzyPicker
from margin.tui.reader.wrapping import display_text
from margin.tui.screen import MarginScreen
from margin.tui.workers import worker_database

_MARKS = {None: ("·", Style(dim=True)), ACCEPTED: ("✓", Style(color="green", bold=True)),
          REJECTED: ("✗", Style(color="red", bold=True)),
          CORRECTED: ("·", Style(dim=True))}
# The columns beside the context: mark and type (fixed), entity and document
# (between these widths, by the terminal's), and each column's padding.
_MARK_WIDTH, _TYPE_WIDTH = 1, 8
_NAME_WIDTHS = (10, 20)
_PADDING = 2 * 5
# The context read around each mention, in characters: enough for the widest
# terminal, so a resize redraws without reading again.
_CONTEXT_CHARS = 400


def column_widths(width: int) -> tuple[int, int]:
    """(entity and document column width, context width) for a screen
    ``width`` cells wide: the context takes what the others leave, the whole
    table fits the screen (a scrollbar and the table's own padding aside)."""
    low, high = _NAME_WIDTHS
    name = max(low, min(high, (width - 60) // 2))
    context = max(20, width - 2 - _PADDING - _MARK_WIDTH - _TYPE_WIDTH - 2 * name)
    return name, context


@dataclass
class ReviewRow:
    mention: Mention
    name: str  # the entity's display name, used for its code
    found_label: str  # as recognised (and corrected before)
    label: str  # the label to code under (the researcher may correct it)
    decision: str | None  # None until accepted or rejected (or "corrected")
    left: str  # the sentence before the mention
    right: str  # and after it
    title: str


class ReviewScreen(MarginScreen):
    BINDINGS = [
        Binding("a", "decide('accepted')", "Accept", id="review.accept",
                tooltip="Accept the mention (and move to the next)"),
        Binding("x", "decide('rejected')", "Reject", id="review.reject",
                tooltip="Reject the mention (and move to the next)"),
        Binding("space", "toggle", "Toggle", show=False, id="review.toggle",
                tooltip="Switch the mention between accepted and rejected"),
        Binding("A", "decide_all('accepted')", "Accept all", id="review.accept_all",
                tooltip="Accept every mention not yet decided"),
        Binding("X", "decide_all('rejected')", "Reject all", show=False,
                id="review.reject_all", tooltip="Reject every mention not yet decided"),
        Binding("l", "relabel", "Label", id="review.relabel",
                tooltip="Correct the entity type of the mention"),
        Binding("s", "scope", "Scope", id="review.scope",
                tooltip="Code the mention itself, its sentence or its paragraph"),
        Binding("o", "open", "Open", id="review.open",
                tooltip="Open the mention in the reader"),
        # priority: the table would take Enter for itself.
        Binding("enter", "apply", "Code accepted", id="review.apply", priority=True,
                tooltip="Code the accepted mentions (one undoable action)"),
        Binding("j", "cursor(1)", "Down", show=False, id="review.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="review.up"),
        Binding("g", "cursor_to(0)", "Top", show=False, id="review.top",
                tooltip="Go to the first mention"),
        Binding("G", "cursor_to(-1)", "Bottom", show=False, id="review.bottom",
                tooltip="Go to the last mention"),
        Binding("escape", "back", "Back", id="review.back"),
    ]

    DEFAULT_CSS = """
    ReviewScreen #review-settings { height: 1; padding: 0 1; background: $boost; }
    ReviewScreen #mentions { height: 1fr; }
    """

    def __init__(self, label: str, group: EntityGroup | None, scope: str = "sentence") -> None:
        """Review ``group`` (an entity as grouped in one document: its
        corpus-wide group is found by its mentions) or, if None, every
        mention of type ``label``."""
        super().__init__()
        self.label = label
        self.group = group
        self.scope = scope
        self.rows: list[ReviewRow] = []
        self.subject = group.canonical if group else label
        # True while the mentions are read. (Not ``loading``: that is
        # Textual's own reactive, which covers the screen with a loading
        # indicator; set on a screen it hid every row in a real terminal.)
        self.gathering = True
        self.widths = (0, 0)

    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        yield Static(id="review-settings")
        yield DataTable(id="mentions", cursor_type="row", zebra_stripes=True)
        yield Static(id="status-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self._lay_out(self.app.size.width)
        self.table.focus()
        self.reload()

    def on_resize(self) -> None:
        cursor = self.table.cursor_row  # laying out again clears the table
        if self._lay_out(self.app.size.width):
            self._fill_table(cursor)

    def _lay_out(self, width: int) -> bool:
        """Set the columns for a screen ``width`` cells wide; whether they changed."""
        widths = column_widths(width)
        if widths == self.widths:
            return False
        self.widths = widths
        name_width, self.context_width = widths
        table = self.table
        table.clear(columns=True)
        table.add_column(" ", key="mark", width=_MARK_WIDTH)
        table.add_column("Type", key="label", width=_TYPE_WIDTH)
        table.add_column("Entity", key="name", width=name_width)
        table.add_column("Document", key="document", width=name_width)
        # A concordance: every mention at the same column, its sentence around it.
        table.add_column("In context", key="context", width=self.context_width)
        return True

    # --------------------------------------------------------------- data

    def reload(self) -> None:
        """Read the mentions and their stored decisions again (on opening, and
        after an undo or redo), in a worker: a big corpus takes a while."""
        self.gathering = True
        self.mark_read()
        self.query_one("#title-bar", Static).update(
            Text(f"Gathering the mentions of {display_text(self.subject)}…", Style(dim=True)))
        self._load_worker()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load_worker(self) -> None:
        rows = worker_database(self.app, self._load_rows, on_error=self._failed)
        if rows is not None and not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_rows, rows)

    def _failed(self, error: Exception) -> None:
        self.app.report(error)
        if self.is_current:
            self.app.pop_screen()

    def _show_rows(self, rows: list[ReviewRow]) -> None:
        self.rows = rows
        self._fill_table()
        self.gathering = False
        self._show_header()

    def _fill_table(self, cursor: int | None = None) -> None:
        table = self.table
        if cursor is None:
            cursor = table.cursor_row
        table.clear()
        for index, row in enumerate(self.rows):
            table.add_row(*self._cells(row), key=str(index))
        if self.rows:
            row = max(0, min(cursor, len(self.rows) - 1))
            table.move_cursor(row=row)

    def _load_rows(self, db) -> list[ReviewRow]:
        """The review's rows (runs in the worker, on its own connection)."""
        groups = corpus_groups(db, self.label)
        if self.group is not None:
            wanted = {(m.document_id, m.start) for m in self.group.mentions}
            groups = [g for g in groups
                      if any((m.document_id, m.start) in wanted for m in g.mentions)]
        decisions = {(e.document_id, e.start, e.end): e.decision
                     for e in corpus_entities(db, self.label)}
        titles = document_titles(db)
        texts: dict[int, tuple[str, list[tuple[int, int]]]] = {}
        rows: list[ReviewRow] = []
        for group in groups:
            for mention in sorted(group.mentions, key=lambda m: (m.document_id, m.start)):
                if mention.document_id not in texts:
                    text = document_text(db, mention.document_id)
                    texts[mention.document_id] = (text, sentence_spans(text))
                text, sentences = texts[mention.document_id]
                snippet, start, end = context_of(text, mention.start, mention.end,
                                                 _CONTEXT_CHARS, sentences)
                rows.append(ReviewRow(
                    mention, group.canonical, mention.label, mention.label,
                    _undecided_if_corrected(
                        decisions.get((mention.document_id, mention.start, mention.end))),
                    snippet[:start], snippet[end:],
                    titles.get(mention.document_id, "?"),
                ))
        return rows

    def _cells(self, row: ReviewRow) -> tuple:
        mark, mark_style = _MARKS[row.decision]
        return (
            Text(mark, mark_style),
            Text(row.label, entity_style(row.label)),
            Text(display_text(row.name), no_wrap=True, overflow="ellipsis"),
            Text(display_text(row.title), no_wrap=True, overflow="ellipsis", style="dim"),
            self._concordance(row),
        )

    def _concordance(self, row: ReviewRow) -> Text:
        return concordance_line(row.left, row.mention.text, row.right, self.context_width)

    # ------------------------------------------------------------- header

    def _show_header(self) -> None:
        rows = self.rows
        documents = len({row.mention.document_id for row in rows})
        title = Text.assemble(
            ("Review ", Style(bold=True)),
            (self.label, entity_style(self.label) + Style(bold=True)),
        )
        if self.group is not None:
            # The corpus's name for the entity (the panel's may be shorter).
            names = {row.name for row in rows}
            if len(names) == 1:
                self.subject = names.pop()
            title.append(" › ")
            title.append(display_text(self.subject), Style(bold=True))
        title.append(f"  {plural(len(rows), 'mention')} in {plural(documents, 'document')}",
                     Style(dim=True))
        self.query_one("#title-bar", Static).update(title)
        accepted = sum(row.decision == ACCEPTED for row in rows)
        rejected = sum(row.decision == REJECTED for row in rows)
        settings = Text.assemble(
            ("scope ", Style(dim=True)), (self.scope, Style(bold=True)),
            ("   code ", Style(dim=True)), self._code_preview(),
        )
        self.query_one("#review-settings", Static).update(settings)
        status = Text.assemble(
            (f"✓ {accepted} accepted", Style(color="green")), "  ",
            (f"✗ {rejected} rejected", Style(color="red")), "  ",
            (f"· {len(rows) - accepted - rejected} to decide", Style(dim=True)),
        )
        self.query_one("#status-bar", Static).update(status)

    def _code_preview(self) -> Text:
        template = self.app.entity_code_template
        try:
            paths = sorted({code_path_for(template, row.label, row.name)
                            for row in self.rows if row.decision == ACCEPTED})
            if not paths and self.rows:
                row = self.rows[self._cursor_index()]
                paths = [code_path_for(template, row.label, row.name)]
        except StoreError as error:
            return Text(str(error), Style(color="red"))
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        return Text(display_text(shown))

    # ------------------------------------------------------------ actions

    @property
    def table(self) -> DataTable:
        return self.query_one("#mentions", DataTable)

    def _cursor_index(self) -> int:
        return max(0, min(self.table.cursor_row, len(self.rows) - 1))

    def _redraw(self, index: int) -> None:
        for column, cell in enumerate(self._cells(self.rows[index])):
            self.table.update_cell_at(Coordinate(index, column), cell)

    def action_cursor(self, step: int) -> None:
        self.table.move_cursor(row=self.table.cursor_row + step)

    def action_cursor_to(self, row: int) -> None:
        """To the first row (0) or the last (-1)."""
        if self.rows:
            self.table.move_cursor(row=row % len(self.rows))

    def action_decide(self, decision: str) -> None:
        if not self.rows:
            return
        index = self._cursor_index()
        self.rows[index].decision = decision
        self._redraw(index)
        self.table.move_cursor(row=min(index + 1, len(self.rows) - 1))
        self._show_header()

    def action_toggle(self) -> None:
        if not self.rows:
            return
        index = self._cursor_index()
        row = self.rows[index]
        row.decision = REJECTED if row.decision == ACCEPTED else ACCEPTED
        self._redraw(index)
        self._show_header()

    def action_decide_all(self, decision: str) -> None:
        for index, row in enumerate(self.rows):
            if row.decision is None:
                row.decision = decision
                self._redraw(index)
        self._show_header()

    def action_relabel(self) -> None:
        if not self.rows:
            return
        index = self._cursor_index()
        row = self.rows[index]
        choices = [
            Choice(f"{label} {LABEL_DESCRIPTIONS[label]}",
                   Text.assemble((label, entity_style(label)),
                                 (f"  {LABEL_DESCRIPTIONS[label]}", Style(dim=True))), label)
            for label in ALL_LABELS
        ]

        def relabel(label: str | None) -> None:
            if label:
                row.label = label
                self._redraw(index)
                self._show_header()

        self.app.push_screen(
            FuzzyPicker(f"Type of “{display_text(row.mention.text)}”", choices), relabel
        )

    def action_scope(self) -> None:
        self.scope = SCOPES[(SCOPES.index(self.scope) + 1) % len(SCOPES)]
        self._show_header()

    def action_open(self) -> None:
        if self.rows:
            mention = self.rows[self._cursor_index()].mention
            self.app.open_document(mention.document_id, mention.start)

    def action_apply(self) -> None:
        if self.gathering:
            return
        decisions = []
        for row in self.rows:
            if row.decision is not None:
                decisions.append(MentionDecision(row.mention, row.decision, row.label, row.name))
            elif row.label != row.found_label:
                # A corrected type is worth keeping even if not coded.
                decisions.append(MentionDecision(row.mention, CORRECTED, row.label, row.name))
        accepted = [d for d in decisions if d.decision == ACCEPTED]
        rejected = [d for d in decisions if d.decision == REJECTED]
        if not decisions:
            self.app.notify("Accept (a, A for all) or reject (x) mentions first",
                            severity="warning", timeout=3)
            return

        def apply(confirmed: bool | None) -> None:
            if not confirmed:
                return
            done = self.app.run_store(
                apply_review, decisions, scope=self.scope, coder=self.app.coder,
                template=self.app.entity_code_template,
                success=lambda result: (
                    f"Coded {plural(result.codings, 'passage')} from "
                    f"{plural(result.accepted, 'mention')}"
                    + (f" ({result.already_coded} already coded)" if result.already_coded else "")
                    + " · u undoes"
                ),
            )
            if done:  # else the decisions stay on screen, to try again
                self.app.pop_screen()

        preview = self._code_preview().plain
        question = (f"Code {plural(len(accepted), 'accepted mention')} "
                    f"at {self.scope} scope under {preview}")
        if rejected:
            question += f", and remember {len(rejected)} rejected"
        if len(decisions) > len(accepted) + len(rejected):
            question += f", and {len(decisions) - len(accepted) - len(rejected)} corrected types"
        self.app.push_screen(Confirm(question + "? (one undoable action)"), apply)

    def action_back(self) -> None:
        self.app.pop_screen()


def _undecided_if_corrected(decision: str | None) -> str | None:
    """A mention whose type was only corrected is still to be decided."""
    return None if decision == CORRECTED else decision
