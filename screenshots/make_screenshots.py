"""Make the README's screenshots: `.venv/bin/python screenshots/make_screenshots.py`.

Drives the real app headless at 120x36 on the demo project the snapshot tests
use, and saves one SVG per screen into this folder.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The demo project comes from the tests' helpers (tests/ is not a package).
sys.path.insert(0, str(HERE.parent / "tests"))

from helpers import make_demo_project  # noqa: E402

from margin.store.config import Config  # noqa: E402
from margin.tui.app import MarginApp  # noqa: E402

SHOTS = {
    "library": [],
    "reader": ["enter", "}", "}", "}", "w", "w", "w"],
    "selection": ["enter", "}", "}", "v", "w", "w", "w", "w", "w", "w"],
    "code-picker": ["enter", "}", "}", "s", "c", "a", "i", "d"],
    "codebook-passages": ["tab", "down", "down", "down", "enter"],
    "help": ["enter", "question_mark"],
    "entities": ["enter", "}", "}", "E"],
    "entity-review": ["ctrl+p", *"review entities", "enter", *"NATO", "enter",
                      "a", "a", "x", "a"],
    "search": ["slash", *"throw oil on teh fire"],
    "full-text": ["ctrl+f", *'"security guarantees" OR ceasefire', "tab"],
    "reader-light": ["enter", "}", "}", "}", "w", "w", "w"],
    "analysis": ["a"],
    "cooccurrence": ["a", "2", "o", "o", "down", "right"],
    "matrix": ["a", "3", "down", "down", "right", "right"],
    "memos": ["m"],
}
# Screens shown in another theme than the default.
THEMES = {"reader-light": "textual-light"}


async def shoot(name: str, keys: list[str], project: Path) -> None:
    app = MarginApp(project, "ada", config=Config(theme=THEMES.get(name)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()  # searches and the review load in workers
        await pilot.pause(0.3)
        app.save_screenshot(filename=f"{name}.svg", path=str(HERE))
    print(f"screenshots/{name}.svg")


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, keys in SHOTS.items():
            project = make_demo_project(Path(folder) / f"{name}.db")
            await shoot(name, keys, project)


if __name__ == "__main__":
    asyncio.run(main())
