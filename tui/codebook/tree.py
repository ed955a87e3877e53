"""The codebook pane: the tree of codes with colours and counts, and its actions."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from margin.store.codes import Code


def code_label(code: Code, *, with_path: bool = False) -> Text:
    """■ name  count — the swatch in the code's colour; never markup."""
    count = str(code.coding_count)
    if code.children and code.total_count != code.coding_count:
        count += f" ({code.total_count})"  # with the codes beneath it
    return Text.assemble(
        ("■ ", Style(color=code.colour)),
        code.path if with_path else code.name,
        ("  " + count, Style(dim=True)),
    )


class CodebookTree(Tree[Code]):
    """Codes as a tree. The screen that holds it performs the actions."""

    DEFAULT_CSS = """
    CodebookTree { width: 34; border-left: solid $panel-lighten-2; padding: 0 0 0 1; }
    CodebookTree:focus { border-left: solid $accent; }
    """

    BINDINGS = [
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

    @property
    def highlighted_code(self) -> Code | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def show_codes(self, codes: list[Code]) -> None:
        """Rebuild the tree, keeping the highlighted code if it still exists."""
        keep = self.highlighted_code.id if self.highlighted_code else None
        self.clear()
        nodes: dict[int, TreeNode[Code]] = {}
        for code in codes:
            parent = nodes.get(code.parent_id) if code.parent_id else self.root
            parent = parent or self.root
            if code.children:
                node = parent.add(code_label(code), data=code, expand=True)
            else:
                node = parent.add_leaf(code_label(code), data=code)
            nodes[code.id] = node
        if not codes:
            self.root.add_leaf(Text("No codes yet: select, press c", style="dim"))
        # The tree lays out its new lines on the next refresh; moving the cursor
        # before that would land on the first code.
        if keep in nodes:
            self.call_after_refresh(self.move_cursor, nodes[keep])
        elif codes:
            self.cursor_line = 0

    def select_code(self, code_id: int) -> None:
        for node in self._iter(self.root):
            if node.data is not None and node.data.id == code_id:
                self.move_cursor(node)
                return

    def _iter(self, node: TreeNode[Code]):
        for child in node.children:
            yield child
            yield from self._iter(child)

    def action_open_code(self) -> None:
        self.post_message(self.CodeAction("passages", self.highlighted_code))

    def action_codebook(self, action: str) -> None:
        self.post_message(self.CodeAction(action, self.highlighted_code))


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
