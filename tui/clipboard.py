"""Copying passages with their citation.

pyperclip reaches the system clipboard where there is one. Over SSH, in a web
browser (`margin serve`), or where there is none (a bare console), the text
goes to the terminal as an OSC 52 sequence (``App.copy_to_clipboard``), which
most terminals and textual-serve's browser terminal honour: over SSH or from a
browser the "system" clipboard would be the server's, not the researcher's.
"""

from __future__ import annotations

import os

from textual.app import App


def over_ssh() -> bool:
    return bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))


def copy_text(app: App, text: str) -> str:
    """Copy text; returns where it went, for the notification."""
    # Imported on the first copy: it loads ctypes, a few ms of the reader's start.
    import pyperclip

    if not over_ssh() and not app.is_web:
        try:
            pyperclip.copy(text)
            return "system clipboard"
        except pyperclip.PyperclipException:
            pass
    app.copy_to_clipboard(text)
    return "browser clipboard" if app.is_web else "terminal clipboard (OSC 52)"
