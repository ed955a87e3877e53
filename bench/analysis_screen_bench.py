"""The analysis screen and the passages query box on a big project: how long
each view takes to show, and how long the interface thread is held (the
figures are counted in a worker; drawing the table is on the UI thread).

Run from the repository root, on a project made by analysis_bench.py:

    .venv/bin/python bench/analysis_bench.py --keep /tmp/big.db --runs 1
    .venv/bin/python bench/analysis_screen_bench.py /tmp/big.db

Figures only; nothing is asserted. The "UI held" figure is the longest
single stretch the screen's own drawing code ran on the interface thread
(``_fill`` of the analysis table, ``_show_list`` of the passages); the
worker's counting does not hold it.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

from margin.tui.analysis.screen import AnalysisScreen
from margin.tui.app import MarginApp
from margin.tui.codebook.passages import PassagesScreen

QUERIES = ["Conflict AND (Trust OR Risk) NOT Memory", "Conflict NEAR/paragraph Trust"]


def timed(owner: type, name: str, record: list[float], cpu: list[float]) -> None:
    """Wrap ``owner.name`` so each call's wall time is appended to ``record``
    and the interface thread's CPU time to ``cpu`` (on a shared machine the
    wall time counts the waits for a core too)."""
    original = getattr(owner, name)

    def wrapper(self, *args, **kwargs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            record.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - started_cpu)

    setattr(owner, name, wrapper)


async def run(project: Path) -> None:
    # The bench project has no entities: the app would recognise its 1,000
    # documents in the background meanwhile, which is not what is measured.
    MarginApp.recognise_pending = lambda self: None
    fills: list[float] = []
    lists: list[float] = []
    fills_cpu: list[float] = []
    lists_cpu: list[float] = []
    timed(AnalysisScreen, "_fill", fills, fills_cpu)
    timed(PassagesScreen, "_show_list", lists, lists_cpu)
    app = MarginApp(project, "bench")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        for label, keys, wanted in [
            ("frequencies", ["a"], dict(view="frequencies")),
            ("co-occurrence, overlap", ["2"], dict(view="cooccurrence", unit="overlap")),
            ("co-occurrence, sentence", ["o"], dict(unit="sentence")),
            ("co-occurrence, paragraph", ["o"], dict(unit="paragraph")),
            ("co-occurrence, document", ["o"], dict(unit="document")),
            ("matrix, codes x documents", ["3"], dict(view="matrix", cols="documents")),
            ("matrix, codes x coders", ["o"], dict(cols="coders")),
        ]:
            fills.clear()
            fills_cpu.clear()
            started = time.perf_counter()
            for key in keys:
                await pilot.press(key)
            screen = app.screen
            while not (isinstance(screen, AnalysisScreen) and screen.table is not None
                       and screen.table.settings == screen.settings
                       and all(getattr(screen.table.settings, k) == v
                               for k, v in wanted.items()) and fills):
                await pilot.pause(0.01)
                screen = app.screen
            shown = time.perf_counter() - started
            table = screen.table
            print(f"  {label:<28} shown in {shown:6.2f} s   UI held {max(fills):6.3f} s "
                  f"(cpu {max(fills_cpu):5.3f} s)   "
                  f"{len(table.rows)} rows x {len(table.headings)} figures")
        await pilot.press("escape")
        await pilot.pause()
        code_id = app.db.execute("SELECT id FROM codes WHERE name = 'Conflict'").fetchone()[0]
        app.push_screen(PassagesScreen(code_id))
        await pilot.pause()
        screen = app.screen
        print(f"  {'passages of Conflict':<28} {len(screen.passages):,} passages, "
              f"UI held {max(lists):6.3f} s (cpu {max(lists_cpu):5.3f} s)")
        box = screen.query_one("#passage-query")
        for query in QUERIES:
            lists.clear()
            lists_cpu.clear()
            box.value = query
            started = time.perf_counter()
            box.focus()
            await pilot.press("enter")
            while not (screen.query_text == query and not screen._loading and lists):
                await pilot.pause(0.01)
            shown = time.perf_counter() - started
            print(f"  {query!r:<44} shown in {shown:6.2f} s   UI held {max(lists):6.3f} s "
                  f"(cpu {max(lists_cpu):5.3f} s)   {len(screen.passages):,} passages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path, help="a project made by analysis_bench.py --keep")
    options = parser.parse_args()
    if not options.project.exists():
        sys.exit(f"no project at {options.project}: make one with analysis_bench.py --keep")
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "project.db"
        shutil.copy(options.project, copy)
        asyncio.run(run(copy))


if __name__ == "__main__":
    main()
