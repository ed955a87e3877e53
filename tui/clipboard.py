"""Copying passages with their citation.

pyperclip reaches the system clipboard where there is one; where there is
none (a server over SSH, a bare console) the text goes to the terminal as an
OSC 52 sequence (``App.copy_to_clipboard``), which most terminals honour.
"""

from __future__ import annotations

import pyperclip
from textual.app import App

from store.textspans import paragraph_number


def citation(quote: str, title: str, paragraphs: list[tuple[int, int]], start: int) -> str:
    """“passage” — Title, para. N"""
    return f"“{quote.strip()}” — {title}, para. {paragraph_number(paragraphs, start)}"


def copy_text(app: App, text: str) -> str:
    """Copy text; returns where it went, for the notification."""
    try:
        pyperclip.copy(text)
        return "system clipboard"
    except pyperclip.PyperclipException:
        app.copy_to_clipboard(text)
        return "terminal clipboard (OSC 52)"
