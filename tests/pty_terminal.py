"""The installed `margin` in a real pseudo-terminal, read through a terminal
emulator (pyte): what a person sees, which Pilot cannot show (Pilot does not
go through Textual's terminal driver, so a screen can pass every Pilot test
and stay blank in a terminal).

Use the ``terminal`` fixture (conftest.py): ``screen = terminal(80, 24)``
starts `margin` with a fresh data folder; ``screen.keys(...)`` types;
``screen.wait_for(...)`` returns the screen once it shows every string given.
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyte
import pytest
from ptyprocess import PtyProcess

#: The installed `margin` beside this Python (None: not installed).
MARGIN = shutil.which("margin", path=str(Path(sys.executable).parent))


class Terminal:
    """`margin` running in a pseudo-terminal of a given size, and its screen."""

    def __init__(self, args: list[str], env: dict[str, str], columns: int, rows: int,
                 program: list[str] | None = None):
        """Runs ``margin *args`` (or ``program *args``: another way in)."""
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        command = [*(program or [MARGIN]), *args]
        self.process = PtyProcess.spawn(command, env=env, dimensions=(rows, columns))

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def read(self) -> None:
        """Feed the emulator whatever the program has written meanwhile."""
        while select.select([self.process.fd], [], [], 0.05)[0]:
            try:
                self.stream.feed(self.process.read(65536))
            except EOFError:
                return

    def wait_for(self, *wanted: str, timeout: float = 30) -> str:
        """The screen once it shows every one of ``wanted``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read()
            if all(text in self.text() for text in wanted):
                return self.text()
            time.sleep(0.05)
        raise AssertionError(f"never showed {wanted!r}; the screen:\n{self.text()}")

    def wait_without(self, *unwanted: str, timeout: float = 30) -> str:
        """The screen once it shows none of ``unwanted`` (a dialog closed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read()
            if not any(text in self.text() for text in unwanted):
                return self.text()
            time.sleep(0.05)
        raise AssertionError(f"still shows {unwanted!r}; the screen:\n{self.text()}")

    def wait_until(self, condition, what: str, timeout: float = 30) -> str:
        """The screen once ``condition(screen_text)`` holds (``what`` names it
        in the failure): for checks of where something is, not only that it is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read()
            if condition(self.text()):
                return self.text()
            time.sleep(0.05)
        raise AssertionError(f"never showed {what}; the screen:\n{self.text()}")

    def keys(self, data: str) -> None:
        self.process.write(data.encode())

    def resize(self, columns: int, rows: int) -> None:
        self.screen.resize(rows, columns)
        self.process.setwinsize(rows, columns)

    def close(self) -> None:
        if self.process.isalive():
            self.process.terminate(force=True)

    def exit_status(self, timeout: float = 10) -> int | None:
        """The exit status once the program has ended (None if it has not)."""
        deadline = time.monotonic() + timeout
        while self.process.isalive() and time.monotonic() < deadline:
            self.read()
            time.sleep(0.05)
        if self.process.isalive():
            return None
        self.read()  # what it wrote on its way out (a traceback, say)
        return self.process.exitstatus


def settle(seconds: float = 0.4) -> None:
    """Let a dialog's text field take the focus once the dialog shows: keys
    typed before that are lost."""
    time.sleep(seconds)


def margin_environment(folder: Path) -> dict[str, str]:
    """The environment of a fresh user whose data and config are in ``folder``."""
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "MARGIN_ENTITY_BACKEND": "rules",
    }
    env.pop("MARGIN_DB", None)
    env.pop("MARGIN_CONFIG", None)
    return env


def start_margin(folder: Path, columns: int, rows: int, *args: str) -> Terminal:
    """`margin` for a user whose data and config are in ``folder`` (a
    module-scoped session: ``tmp_path_factory.mktemp(...)``; close() it)."""
    return Terminal(list(args), margin_environment(folder), columns, rows)


def library_session(folder: Path, columns: int, rows: int) -> Iterator[Terminal]:
    """A module's shared session: `margin` started on a new data folder,
    yielded once the library shows the sample corpus, closed after."""
    terminal = start_margin(folder, columns, rows)
    terminal.wait_for("margin — library", "5 documents", timeout=60)
    yield terminal
    terminal.close()


def terminal_fixture(tmp_path):
    env = margin_environment(tmp_path)
    started: list[Terminal] = []

    def start(columns: int, rows: int, *args: str, env_extra: dict | None = None) -> Terminal:
        """``env_extra``: more environment (``{"TERM": "linux"}``)."""
        started.append(Terminal(list(args), {**env, **(env_extra or {})}, columns, rows))
        return started[-1]

    yield start
    for each in started:
        each.close()



needs_margin = pytest.mark.skipif(MARGIN is None, reason="the margin command is not installed")
