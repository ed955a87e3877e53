"""The bottom line of keys: the shown bindings of the focused widget, its
screen and the app, as one line of text.

It replaces Textual's Footer, which mounts a widget per key and recomposes
them all whenever the focus moves: a tenth of margin's start-up, and a stutter
on every tab. One Static updated with a Text costs next to nothing.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.keys import key_to_character
from textual.screen import Screen
from textual.widgets import Static

# Always on the right, whatever else has to give way: how to find every key.
PINNED_ACTIONS = ("help", "command_palette")

# Printable keys whose character Textual 8.2.8 does not find (it looks up the
# Unicode name "SLASH"; the character is "SOLIDUS"), so it leaves their
# bindings active while a text field is focused.
CHARACTERS_TEXTUAL_MISSES = {"slash": "/"}


def typed_by(widget, key: str) -> bool:
    """Whether ``widget`` (the focused one) takes ``key`` as typing: then the
    key types a character there and its binding does nothing."""
    character = key_to_character(key) or CHARACTERS_TEXTUAL_MISSES.get(key)
    return widget is not None and widget.check_consume_key(key, character)


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        padding: 0 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._show()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self._show()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted:
            self.call_later(self._show)  # the theme's key colour

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self._show()

    def _items(self) -> tuple[list[Text], list[Text]]:
        key_colour = self.app.theme_variables.get("footer-key-foreground", "#ffa62b")
        items: list[Text] = []
        pinned: list[Text] = []
        seen: set[str] = set()
        focused = self.screen.focused
        # The screen's own order of importance (KEY_BAR_FIRST), after the
        # focused widget's keys: what stays when the line is short.
        first = getattr(self.screen, "KEY_BAR_FIRST", ())
        ranked: list[tuple[tuple[int, int, int], Text]] = []
        for index, (key, (node, binding, enabled, _tooltip)) in enumerate(
                self.screen.active_bindings.items()):
            if not binding.show or binding.action in seen or typed_by(focused, key):
                continue  # "/ Search" while typing in a search box typed a "/"
            seen.add(binding.action)
            key_style = Style(bold=True, color=key_colour) if enabled else Style(dim=True)
            item = Text.assemble(
                (self.app.get_key_display(binding), key_style),
                (" " + binding.description, Style(dim=not enabled)),
            )
            if binding.action in PINNED_ACTIONS:
                pinned.append(item)
                continue
            of_widget = node is not self.screen and node is not self.app
            rank = first.index(binding.action) if binding.action in first else len(first)
            ranked.append(((0 if of_widget else 1, rank, index), item))
        items = [item for _rank, item in sorted(ranked, key=lambda pair: pair[0])]
        return items, pinned

    def _show(self) -> None:
        items, pinned = self._items()
        # Before the first layout: the app's width less this bar's padding.
        width = self.content_region.width or self.app.size.width - self.styles.gutter.width
        right = Text("  ").join(pinned)
        room = width - cell_len(right.plain) - 2
        line = Text()
        for item in items:  # in order of importance; drop whole items that don't fit
            needed = cell_len(item.plain) + (2 if line else 0)
            if cell_len(line.plain) + needed > room:
                break
            if line:
                line.append("  ")
            line.append_text(item)
        gap = max(1, width - cell_len(line.plain) - cell_len(right.plain))
        line.append(" " * gap)
        line.append_text(right)
        self.update(line, layout=False)
