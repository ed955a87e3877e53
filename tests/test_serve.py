"""`margin serve`: the app in a browser, on this machine only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from margin.store.db import open_database

pytest.importorskip("textual_serve")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if int(hex_port, 16) == port and state == "0A":  # LISTEN
                found.add(address)
    return found


def test_serve_answers_with_the_app_page_on_localhost_only(tmp_path):
    path = tmp_path / "p.db"
    open_database(path).close()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "margin.tui.cli", "--db", str(path), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    page = response.read().decode()
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert "<div>margin</div>" in page  # the start screen names the app
        assert "textual.js" in page  # the browser terminal that runs the app
        if Path("/proc/net/tcp").exists():
            assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_refuses_a_database_that_cannot_be_opened(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "margin.tui.cli", "--db", str(tmp_path / "no" / "x.db"), "serve"],
        capture_output=True, timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.decode().startswith("Error: folder")


def test_a_copy_in_the_browser_goes_to_the_browsers_clipboard(monkeypatch):
    """Served, the app's system clipboard is the server's: the copy goes
    through the app to the browser terminal (OSC 52, which it honours)."""
    import pyperclip

    from margin.tui.clipboard import copy_text

    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    system: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", system.append)

    class ServedApp:
        is_web = True

        def __init__(self) -> None:
            self.copied: list[str] = []

        def copy_to_clipboard(self, text: str) -> None:
            self.copied.append(text)

    app = ServedApp()
    assert copy_text(app, "a passage") == "browser clipboard"
    assert app.copied == ["a passage"] and system == []
