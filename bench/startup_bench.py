"""Cold start of `margin` on the sample corpus, beside a minimal Textual app.

Run from the repository root:

    .venv/bin/python bench/startup_bench.py [--runs N] [--first-runs N]

Figures only; nothing is asserted. Each run is a fresh interpreter
(``sys.executable``), headless at 120x36, timed from the parent's clock just
before launch to the end of the first frame in which the library's document
table has drawn its rows (for the minimal app: its Static). The definition is
shared with reader_bench.py; see bench/_paint.py.

margin runs the real command-line path: ``margin.tui.cli.main([])`` -> ``run_app``
(tui/launch.py: config, ``open_store``, lazy ``import margin.tui.app``, ``MarginApp(...).run()``).
The only changes are made by an import hook when ``margin.tui.launch`` and
``margin.tui.app`` are first imported: ``open_store`` is timed, ``MarginApp.run``
runs headless at 120x36 and frames are timed; the app exits right after its
first frame. XDG_DATA_HOME and XDG_CONFIG_HOME point into a
temporary folder, so the default database is used and no user config is read.

- first ever start: a fresh XDG_DATA_HOME each run; margin creates the database
  and imports the sample corpus (a one-time cost).
- normal start: the database made by a first start already exists.
"""

from __future__ import annotations

import sys
import time

if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--child":
    _CHILD_MAIN_NS = time.clock_gettime_ns(time.CLOCK_MONOTONIC)

import argparse
import importlib.abc
import importlib.machinery
import statistics
import tempfile
from pathlib import Path

import _paint
from _paint import SIZE, clock_ns, emit, ms, rss_kb

# ------------------------------------------------------------------- children


def margin_child() -> None:
    _paint.start_gc_meter()
    marks: dict[str, int] = {}
    phases: dict[str, float] = {}

    def patch(module) -> None:
        from textual.app import App
        from textual.widgets import DataTable

        app_class = module.MarginApp
        drawn = [0]
        original_render_line = DataTable.render_line

        def render_line(self, y):
            drawn[0] += 1
            return original_render_line(self, y)

        DataTable.render_line = render_line

        def ready(app, screen) -> bool:
            if type(screen).__name__ != "LibraryScreen":
                return False
            table = screen.query_one(DataTable)
            return table.row_count > 0 and drawn[0] > 0

        _paint.display_hook(app_class, ready, lambda app: app.exit())

        def run(self, *args, **kwargs):
            marks["run"] = clock_ns()
            module.bench_app = self
            return App.run(self, headless=True, size=SIZE)

        app_class.run = run
        original_init = app_class.__init__

        def __init__(self, *args, **kwargs):
            started = clock_ns()
            original_init(self, *args, **kwargs)
            phases["MarginApp() (opens the database)"] = ms(clock_ns() - started)

        app_class.__init__ = __init__

    def patch_launch(module) -> None:
        open_store = module.open_store

        def timed_open_store(settings):
            started = clock_ns()
            try:
                return open_store(settings)
            finally:
                phases["open_store (+ sample import on first start)"] = ms(clock_ns() - started)

        module.open_store = timed_open_store

    # margin.tui.launch (run_app, open_store) is imported by margin.tui.cli.main
    # and margin.tui.app by run_app: each is patched as it is imported, so the
    # imports happen where and when margin makes them.
    patches = {"margin.tui.app": patch, "margin.tui.launch": patch_launch}

    class PatchTuiModules(importlib.abc.MetaPathFinder):
        """After margin.tui.app or .launch is executed, patch it (see the docstring)."""

        def find_spec(self, name, path, target=None):
            if name not in patches:
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is None:
                return None
            exec_module = spec.loader.exec_module

            def exec_and_patch(module):
                marks[f"{name} import start"] = clock_ns()
                exec_module(module)
                marks[f"{name} imported"] = clock_ns()
                patches[name](module)

            spec.loader.exec_module = exec_and_patch
            return spec

    sys.meta_path.insert(0, PatchTuiModules())
    before_import_ns = clock_ns()
    import margin.tui.cli

    marks["margin.tui.cli imported"] = clock_ns()
    margin.tui.cli.main([])
    app = sys.modules["margin.tui.app"].bench_app
    phases["import margin.tui.cli"] = ms(marks["margin.tui.cli imported"] - before_import_ns)
    phases["import margin.tui.launch (config, platformdirs)"] = ms(
        marks["margin.tui.launch imported"] - marks["margin.tui.launch import start"])
    phases["import margin.tui.app (textual, widgets, store)"] = ms(
        marks["margin.tui.app imported"] - marks["margin.tui.app import start"])
    phases["App.run -> first frame"] = ms(app.bench_first_paint_ns - marks["run"])
    peak, current = rss_kb()
    emit({
        "launch_ns": _paint.launch_ns(),
        "main_ns": _CHILD_MAIN_NS,
        "before_import_ns": before_import_ns,
        "imported_ns": marks["margin.tui.app imported"],
        "first_paint_ns": app.bench_first_paint_ns,
        "first_paint_cpu_ns": app.bench_first_paint_cpu_ns,
        "phases_ms": phases,
        "frames_to_first_paint": app.bench_frames_to_first_paint,
        "gc_at_first_paint": app.bench_gc_at_first_paint,
        "rss_peak_kb": peak,
        "rss_now_kb": current,
    })


# --------------------------------------------------------------------- parent


def from_launch(result: dict) -> float:
    return ms(result["first_paint_ns"] - result["launch_ns"])


def from_import(result: dict) -> float:
    return ms(result["first_paint_ns"] - result["before_import_ns"])


def cpu(result: dict) -> float:
    """CPU time of the process (interpreter start-up included) at its first frame."""
    return ms(result["first_paint_cpu_ns"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="normal starts and minimal runs")
    parser.add_argument("--first-runs", type=int, default=5, help="first-ever starts")
    options = parser.parse_args()
    script = str(Path(__file__).resolve())

    with tempfile.TemporaryDirectory(prefix="margin-startup-bench-") as folder:
        root = Path(folder)

        def env_for(name: str) -> dict[str, str]:
            return _paint.child_env(XDG_DATA_HOME=str(root / name / "data"),
                                    XDG_CONFIG_HOME=str(root / name / "config"))

        # Discarded warm-up runs: bytecode and the OS file cache are warm for
        # every measured run ("cold" = a fresh interpreter, not a cold disk).
        _paint.spawn(script, ["--child", "margin"], env_for("warm"))
        _paint.spawn(script, ["--child", "minimal"], env_for("warm"))

        first = [_paint.spawn(script, ["--child", "margin"], env_for(f"first{n}"))
                 for n in range(options.first_runs)]
        normal_env = env_for("first0")  # its database exists now
        database = root / "first0" / "data" / "margin" / "margin.db"
        normal, minimal = [], []
        for _ in range(options.runs):
            normal.append(_paint.spawn(script, ["--child", "margin"], normal_env))
            minimal.append(_paint.spawn(script, ["--child", "minimal"], env_for("minimal")))
        database_kb = database.stat().st_size / 1024

    report(first, normal, minimal, database_kb)


def report(first: list[dict], normal: list[dict], minimal: list[dict], database_kb) -> None:
    med = statistics.median
    print(f"runs: {len(first)} first-ever starts, {len(normal)} normal starts, {len(minimal)} "
          f"minimal app; terminal {SIZE[0]}x{SIZE[1]}, headless; sample database "
          f"{database_kb:,.0f} KiB")
    print()
    print(f"{'to first frame (ms)':<46}{'median':>9}{'min':>9}{'max':>9}")
    rows = [
        ("margin, first ever start (creates database)", [from_launch(r) for r in first]),
        ("margin, normal start", [from_launch(r) for r in normal]),
        ("minimal Textual app", [from_launch(r) for r in minimal]),
        ("margin, normal start, from before imports", [from_import(r) for r in normal]),
        ("minimal app, from before import textual", [from_import(r) for r in minimal]),
    ]
    for label, values in rows:
        print(f"{label:<46}{med(values):9.0f}{min(values):9.0f}{max(values):9.0f}")
    normal_ms = med(rows[1][1])
    minimal_ms = med(rows[2][1])
    first_ms = med(rows[0][1])
    ratio = normal_ms / minimal_ms
    ratio_min = min(rows[1][1]) / min(rows[2][1])
    print(f"{'ratio normal start / minimal (median; min)':<46}{ratio:9.2f}{ratio_min:9.2f}")
    print(f"{'ratio first ever start / minimal (median)':<46}{first_ms / minimal_ms:9.2f}")
    print()
    print(f"{'CPU time to first frame (ms)':<46}{'median':>9}{'min':>9}{'max':>9}")
    cpu_rows = [
        ("margin, normal start", [cpu(r) for r in normal]),
        ("minimal Textual app", [cpu(r) for r in minimal]),
    ]
    for label, values in cpu_rows:
        print(f"{label:<46}{med(values):9.0f}{min(values):9.0f}{max(values):9.0f}")
    cpu_ratio = med(cpu_rows[0][1]) / med(cpu_rows[1][1])
    cpu_ratio_min = min(cpu_rows[0][1]) / min(cpu_rows[1][1])
    print(f"{'ratio normal start / minimal, CPU (median; min)':<46}{cpu_ratio:9.2f}"
          f"{cpu_ratio_min:9.2f}")
    for label, runs in (("margin normal", normal), ("minimal", minimal)):
        pauses = [r["gc_at_first_paint"]["ms"] for r in runs]
        full = [r["gc_at_first_paint"]["full_ms"] for r in runs]
        count = med([r["gc_at_first_paint"]["full"] for r in runs])
        print(f"{'  GC pauses before first frame, ' + label:<46}{med(pauses):9.0f}"
              f"{min(pauses):9.0f}{max(pauses):9.0f}   (full collections: {count:.0f}, "
              f"{med(full):.0f} ms)")
    print()
    print("phases of a margin start (median ms)   first ever   normal")
    for name in normal[0]["phases_ms"]:
        print(f"  {name:<44}{med([r['phases_ms'][name] for r in first]):9.1f}"
              f"{med([r['phases_ms'][name] for r in normal]):9.1f}")
    print()
    rss_normal = med([r["rss_peak_kb"] / 1024 for r in normal])
    rss_minimal = med([r["rss_peak_kb"] / 1024 for r in minimal])
    print(f"peak RSS at first frame: margin {rss_normal:.1f} MB, minimal {rss_minimal:.1f} MB")
    print()
    met = ratio <= 1.3
    print(f"target normal start <= 1.3x minimal Textual app: {ratio:.2f}x  "
          f"{'met' if met else 'MISSED'} (wall, median); {cpu_ratio:.2f}x "
          f"{'met' if cpu_ratio <= 1.3 else 'MISSED'} (CPU, median)")
    print()
    print(
        f"Summary: margin shows its library {normal_ms:.0f} ms after launch "
        f"({ratio:.2f}x a minimal Textual app's {minimal_ms:.0f} ms); the first ever start, "
        f"which creates the database with the sample articles, takes {first_ms:.0f} ms."
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        if sys.argv[2] == "margin":
            margin_child()
        else:
            _paint.run_minimal_child()
    else:
        main()
