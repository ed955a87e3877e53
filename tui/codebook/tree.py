"""The codebook pane: the tree of codes with colours and counts, and its actions."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from margin.store.codes import Code
from margin.store.errors import StoreError
from margin.tui.cells import fit

# Levels of the codebook drawn as nested levels of the tree. Codes deeper
# than that are drawn at the last level, under their ancestor there, with
# their level number: a 34-cell pane has no room for more indentation, and
# Textual's Tree walks its nodes recursively (a 1,000-deep codebook would
# exceed Python's recursion limit).
DRAWN_LEVELS = 6


def code_label(code: Code, *, with_path: bool = False, width: int | None = None,
               prefix: str = "") -> Text:
    """■ name  count — the swatch in the code's colour; never markup. Within
    ``width`` cells the name is cut with "…" and the count stays whole."""
    count = str(code.coding_count)
    if code.children and code.total_count != code.coding_count:
        count += f" ({code.total_count})"  # with the codes beneath it
    name = code.path if with_path else code.name
    if width is not None:
        room = width - cell_len("■ " + prefix + "  " + count)
        name = fit(name, max(room, 1), pad=False)
    return Text.assemble(
        ("■ ", Style(color=code.colour)),
        (prefix, Style(dim=True)),
        name,
        ("  " + count, Style(dim=True)),
    )


# What Tree.render_label gives the expand icon: a click on it toggles.
_TOGGLE = Style.from_meta({"toggle": True})


def _deep_prefix(code: Code) -> str:
    """The level of a code drawn at the last level though deeper."""
    return f"↳{code.depth + 1} " if code.depth >= DRAWN_LEVELS else ""


class CodebookTree(Tree[Code]):
    """Codes as a tree. The screen that holds it performs the actions."""

    DEFAULT_CSS = """
    CodebookTree {
        width: 34; border-left: solid $panel-lighten-2; padding: 0 0 0 1;
        overflow-x: hidden;
    }
    CodebookTree:focus { border-left: solid $accent; }
    """

    BINDINGS = [
        # j/k as the arrows (the reader's and lists' keys); like the arrows,
        # not listed in the help (no description).
        Binding("j", "cursor_down", "", show=False, id="codebook.down"),
        Binding("k", "cursor_up", "", show=False, id="codebook.up"),
        Binding("enter", "open_code", "Passages", id="codebook.passages",
                tooltip="List the passages coded with this code in all documents"),
        Binding("n", "codebook('new')", "New", id="codebook.new", tooltip="Create a code"),
        Binding("N", "codebook('new_child')", "New sub-code", show=False,
                id="codebook.new_child", tooltip="Create a code beneath this one"),
        Binding("r", "codebook('rename')", "Rename", id="codebook.rename"),
        Binding("C", "codebook('recolour')", "Colour", id="codebook.recolour"),
        Binding("d", "codebook('describe')", "Describe", id="codebook.describe"),
        Binding("m", "codebook('memo')", "Memo", show=False, id="codebook.memo",
                tooltip="Write the code's memo"),
        Binding("M", "codebook('move')", "Move", id="codebook.move",
                tooltip="Put this code under another code"),
        Binding("J", "codebook('merge')", "Merge", id="codebook.merge",
                tooltip="Merge this code into another code"),
        Binding("delete,D", "codebook('delete')", "Delete", id="codebook.delete"),
    ]

    class CodeAction(Message):
        def __init__(self, action: str, code: Code | None) -> None:
            super().__init__()
            self.action = action
            self.code = code

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Codebook", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._height = 0  # the rows the tree had at its last resize

    # The note beneath the tree (CodebookColumn) comes and goes with it: every
    # screen that hides the codebook (a narrow terminal, the entity panel)
    # sets the tree's display, and the note follows without being told.
    @property
    def display(self) -> bool:
        return Tree.display.fget(self)

    @display.setter
    def display(self, shown: bool | str) -> None:
        Tree.display.fset(self, shown)
        note = self._note()
        if note is not None:
            note.display = Tree.display.fget(self)

    def _note(self) -> CodeNote | None:
        parent = self.parent
        if parent is None:
            return None
        return next(iter(parent.query_children(CodeNote)), None)

    def on_tree_node_highlighted(self) -> None:
        self._update_note()

    def _update_note(self) -> None:
        note = self._note()
        if note is not None:
            note.show_code(self.highlighted_code)

    def on_resize(self, event: events.Resize) -> None:
        """Keep the highlighted code in view when the pane changes height.

        The pane shrinks when a line appears above or below it (the reader's
        entity legend shows once entity recognition has stored its first
        entities, which can be just after a key moved the cursor). Textual
        keeps the scroll offset, so a highlighted last line scrolled into a
        32-row view would sit one row below a 31-row one."""
        before, self._height = self._height, event.size.height
        line = self.cursor_line
        top = self.scroll_target_y  # where the view is, or is scrolling to
        if before and line >= 0 and top <= line < top + before:
            self.call_after_refresh(self._keep_cursor_in_view)

    def _keep_cursor_in_view(self) -> None:
        if self.cursor_line >= 0:
            self.scroll_to_line(self.cursor_line, animate=False)

    @property
    def highlighted_code(self) -> Code | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def show_codes(self, codes: list[Code]) -> None:
        """Rebuild the tree, keeping the highlighted code if it still exists.

        ``codes`` are in tree order (``codes.codebook``); no recursion here,
        and no more than ``DRAWN_LEVELS`` levels for Textual's Tree."""
        keep = self.highlighted_code.id if self.highlighted_code else None
        self.clear()
        nodes: dict[int, TreeNode[Code]] = {}
        # Where a code's children go: its own node, or past the drawn levels
        # the node its own deep parent went under.
        anchors: dict[int, TreeNode[Code]] = {}
        for code in codes:
            parent = anchors.get(code.parent_id, self.root) if code.parent_id else self.root
            if code.children and code.depth < DRAWN_LEVELS:
                node = parent.add(code_label(code), data=code, expand=True)
            else:
                node = parent.add_leaf(code_label(code, prefix=_deep_prefix(code)), data=code)
            nodes[code.id] = node
            anchors[code.id] = node if code.depth < DRAWN_LEVELS else parent
        if not codes:
            self.root.add_leaf(Text("No codes yet: select, press c", style="dim"))
        # Lay the new lines out now, so the cursor is on the same code at
        # once (a key pressed right after an action acts on that code).
        self._tree_lines  # noqa: B018 - the property builds the lines
        if keep in nodes:
            self.move_cursor(nodes[keep], animate=False)
        elif codes:
            self.cursor_line = 0
        self._update_note()  # a description may have changed, not the cursor

    def render_label(self, node: TreeNode[Code], base_style: Style, style: Style) -> Text:
        """A code's label fitted to the pane: the name cut with "…", the
        count kept, so the tree never scrolls sideways."""
        code = node.data
        width = self.scrollable_content_region.width
        if code is None or width <= 0:
            return super().render_label(node, base_style, style)
        levels = 0
        parent = node.parent
        while parent is not None and parent is not self.root:
            levels += 1
            parent = parent.parent
        room = width - levels * self.guide_depth
        icon = ""
        if node.allow_expand:
            icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
            room -= cell_len(icon)
        label = code_label(code, width=room, prefix=_deep_prefix(code))
        label.stylize(style)
        return Text.assemble((icon, base_style + _TOGGLE), label)

    def select_code(self, code_id: int) -> None:
        for node in self._iter():
            if node.data is not None and node.data.id == code_id:
                self.move_cursor(node)
                return

    def _iter(self):
        """Every node, depth first, without recursion."""
        stack = list(reversed(self.root.children))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def action_open_code(self) -> None:
        self.post_message(self.CodeAction("passages", self.highlighted_code))

    def action_codebook(self, action: str) -> None:
        self.post_message(self.CodeAction(action, self.highlighted_code))


# Lines of a code's description and of its memo in the note under the tree.
NOTE_LINES = 4


class CodeNote(Static):
    """Beneath the codebook tree: the highlighted code's description and
    memo, a few lines of each (the whole text is a key away: d, m)."""

    DEFAULT_CSS = """
    CodeNote {
        width: 34; height: auto; max-height: 10;
        border-left: solid $panel-lighten-2; border-top: solid $panel-lighten-2;
        padding: 0 0 0 1; color: $foreground-muted;
    }
    """

    def show_code(self, code: Code | None) -> None:
        from margin.store.codings import memo_text
        from margin.tui.reader.wrapping import display_text

        if code is None:
            self.update(Text("No code highlighted", style="dim"))
            return
        try:
            memo = memo_text(self.app.db, code_id=code.id)
        except StoreError:
            memo = ""
        width = max(1, (self.content_region.width or self.styles.width.cells or 34) - 3)
        note = Text()
        description = " ".join(code.description.split())
        if description:
            note.append(fit(display_text(description), width * NOTE_LINES, pad=False))
        else:
            note.append("No description (d writes one)", Style(dim=True, italic=True))
        memo = " ".join(memo.split())
        if memo:
            note.append("\nmemo: ", Style(bold=True))
            note.append(fit(display_text(memo), width * NOTE_LINES - 6, pad=False))
        self.update(note)


class CodebookColumn(Vertical):
    """The codebook tree with the highlighted code's note beneath it."""

    DEFAULT_CSS = """
    CodebookColumn { width: auto; height: 1fr; }
    CodebookColumn > CodebookTree { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield CodebookTree(id="codebook")
        yield CodeNote(id="code-note")


# From this terminal width on, the codebook pane stays beside the main widget.
WIDE = 90


class CodebookPane:
    """For screens with a main widget and the codebook beside it: tab moves
    between them, and on a narrow terminal the codebook shows only while it
    has the focus, so the text keeps the room."""

    MAIN_WIDGET = ""

    def action_toggle_focus(self) -> None:
        codebook_tree = self.query_one("#codebook", CodebookTree)
        if codebook_tree.has_focus:
            self.query_one(self.MAIN_WIDGET).focus()
            codebook_tree.display = self.size.width >= WIDE
        else:
            codebook_tree.display = True
            codebook_tree.focus()

    def on_resize(self) -> None:
        codebook_tree = self.query_one("#codebook", CodebookTree)
        codebook_tree.display = self.size.width >= WIDE or codebook_tree.has_focus

    def show_code(self, code_id: int) -> None:
        """Focus the codebook (shown, on a narrow terminal too) on a code."""
        codebook_tree = self.query_one("#codebook", CodebookTree)
        if not codebook_tree.has_focus:
            self.action_toggle_focus()
        codebook_tree.select_code(code_id)
