"""The base of margin's screens that show data from the database.

The app reaches a screen's data only through this class: ``reload()`` after
an action, an undo or a redo; ``entities_updated()`` when background
recognition stored entities. A screen shown again after another one (a
second reader, the passages list, a dialog) re-reads its data if it is
stale: by default, if the history has changed since it last read it.
"""

from __future__ import annotations

import gc

from textual.screen import Screen

from margin.store.errors import NotFound
from margin.store.history import history_stamp


def settle_memory() -> None:
    """Once a screen is drawn: keep what exists out of future garbage
    collections (it lives as long as the screen) and collect again."""
    gc.freeze()
    gc.enable()


class MarginScreen(Screen):
    """A screen of margin's data; the methods the app calls do nothing here."""

    _stamp: tuple = ()  # history_stamp() when the data was last read

    def reload(self) -> None:
        """Re-read everything an action (or undo) may have changed."""

    def entities_updated(self, document_ids: list[int]) -> None:
        """Background recognition stored entities for these documents."""

    def mark_read(self) -> None:
        """Call when reading the data: what ``is_stale()`` compares with."""
        self._stamp = history_stamp(self.app.db)

    def is_stale(self) -> bool:
        """Whether an action, undo or redo happened since ``mark_read()``.
        Screens showing what is not an action (imported documents) say True."""
        return history_stamp(self.app.db) != self._stamp

    def reload_or_leave(self) -> None:
        """``reload()``; if what this screen shows is gone (a document
        deleted by a redo, or by `margin remove` in another window), say so
        and go back to the screen below rather than fail."""
        try:
            self.reload()
        except NotFound as error:
            self.app.notify(f"Closed: {error} any more", severity="warning", timeout=5)
            if self.app.screen is self and len(self.app.screen_stack) > 1:
                self.app.pop_screen()

    def on_screen_resume(self) -> None:
        # Another screen may have changed the data meanwhile: never act on
        # what this one cached.
        if self.is_stale():
            self.reload_or_leave()
