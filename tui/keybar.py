"""The bottom line of keys: the shown bindings of the focused widget, its
screen and the app, as one line of text.

It replaces Textual's Footer, which mounts a widget per key and recomposes
them all whenever the focus moves: a tenth of margin's start-up, and a stutter
on every tab. One Static updated with a Text costs next to nothing.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

KEY_STYLE = Style(bold=True)


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
        self._show(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self._show(screen)

    def _show(self, screen: Screen) -> None:
        key_colour = Style(color=self.app.theme_variables.get("footer-key-foreground", "#ffa62b"))
        line = Text(no_wrap=True, overflow="ellipsis")
        seen: set[str] = set()
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            if line:
                line.append("  ")
            style = KEY_STYLE + key_colour if enabled else Style(dim=True)
            line.append(self.app.get_key_display(binding), style)
            line.append(" " + binding.description, Style(dim=not enabled))
        self.update(line, layout=False)
