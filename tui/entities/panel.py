"""The entity panel: a document's named entities, grouped by type, with counts.

Mentions of one real-world entity ("Zelensky", "Zelenskyy", "Volodymyr
Zelensky") are one row (store/entities/grouping.py). Enter on a row moves the
reader to that entity's next mention, cycling; ``r`` reviews the entity (or the
whole type) across the corpus, to code the mentions.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree

from margin.store.entities import ALL_LABELS
from margin.store.entities.grouping import EntityGroup
from margin.store.util import plural
from margin.tui.cells import fit
from margin.tui.entities.styles import entity_style
from margin.tui.reader.wrapping import display_text

# Names longer than this are cut with "…": the count must stay in the pane.
NAME_WIDTH = 24


@dataclass(frozen=True)
class PanelEntry:
    label: str
    group: EntityGroup | None  # None: the row of the type itself


class EntityPanel(Tree[PanelEntry]):
    DEFAULT_CSS = """
    EntityPanel { width: 34; border-left: solid $panel-lighten-2; padding: 0 0 0 1; }
    EntityPanel:focus { border-left: solid $accent; }
    """

    BINDINGS = [
        Binding("enter", "next_mention", "Next mention", id="entities.next_mention",
                tooltip="Move the reader to this entity's next mention (again: the one after)"),
        Binding("r", "review", "Review", id="entities.review",
                tooltip="Review this entity's (or type's) mentions in all documents and code them"),
        Binding("escape,E", "close", "Close", id="entities.close",
                tooltip="Close the entity panel"),
        # Vim keys as in the reader and the review (the tree has arrows only).
        Binding("j", "cursor_down", "Down", show=False, id="entities.down",
                tooltip="Move to the next row"),
        Binding("k", "cursor_up", "Up", show=False, id="entities.up",
                tooltip="Move to the previous row"),
    ]

    class MentionRequested(Message):
        def __init__(self, group: EntityGroup) -> None:
            super().__init__()
            self.group = group

    class ReviewRequested(Message):
        def __init__(self, label: str, group: EntityGroup | None) -> None:
            super().__init__()
            self.label = label
            self.group = group

    class Closed(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Entities", id=id)
        self.show_root = False
        self.guide_depth = 2

    def show_groups(self, groups: list[EntityGroup]) -> None:
        """Rebuild the tree: one branch per type, one row per entity."""
        keep = self.highlighted_entry
        self.clear()
        by_label: dict[str, list[EntityGroup]] = {}
        for group in groups:
            by_label.setdefault(group.label, []).append(group)
        cursor_node = None
        for label in sorted(by_label, key=_order):
            members = by_label[label]
            mentions = sum(group.count for group in members)
            branch = self.root.add(
                Text.assemble(
                    (label, entity_style(label) + Style(bold=True)),
                    (f"  {len(members)} · {plural(mentions, 'mention')}", Style(dim=True)),
                ),
                data=PanelEntry(label, None),
                expand=True,
            )
            if keep and keep.group is None and keep.label == label:
                cursor_node = branch
            for group in members:
                node = branch.add_leaf(
                    Text.assemble(fit(display_text(group.canonical), NAME_WIDTH, pad=False),
                                  (f"  {group.count}", Style(dim=True))),
                    data=PanelEntry(label, group),
                )
                if keep and keep.group is not None and keep.group.key == group.key:
                    cursor_node = node
        if not groups:
            self.root.add_leaf(Text("No entities in this document", style="dim"))
        if cursor_node is not None:
            self.call_after_refresh(self.move_cursor, cursor_node)
        elif groups:
            self.cursor_line = 0

    @property
    def highlighted_entry(self) -> PanelEntry | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def action_next_mention(self) -> None:
        entry = self.highlighted_entry
        if entry is None:
            return
        if entry.group is None:
            node = self.cursor_node
            if node is not None:
                node.toggle()
            return
        self.post_message(self.MentionRequested(entry.group))

    def action_review(self) -> None:
        entry = self.highlighted_entry
        if entry is not None:
            self.post_message(self.ReviewRequested(entry.label, entry.group))

    def action_close(self) -> None:
        self.post_message(self.Closed())



def _order(label: str) -> int:
    return ALL_LABELS.index(label) if label in ALL_LABELS else len(ALL_LABELS)
