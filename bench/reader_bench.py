"""The reader on a ~1 MB document with 5,000 codings and its entities, beside a minimal Textual app.

Run from the repository root:

    .venv/bin/python bench/reader_bench.py [--runs N] [--pages N]

Figures only; nothing is asserted. Each measurement runs in its own child
interpreter (cold imports, RSS per process), headless at 120x36.

- first paint: launch of the child interpreter -> end of the first frame in
  which the ReaderView drew its rows (see bench/_paint.py for the exact
  definition, shared with the minimal app and with startup_bench.py). margin is
  opened straight onto the document: a subclass of MarginApp whose first
  screen is Textual's blank default screen, not the library, and whose on_mount
  calls the app's own ``open_document(id)``.
- page-down: ``pilot.press("pagedown")`` N times; per page, from just before
  the key is sent to the end of the frame that drew the new rows, as CPU time
  of the process (the work until the page shows; the target is judged on this)
  and as wall time (may include waiting for Textual's 60 fps repaint timer;
  measured, it seldom does). Also the CPU of every frame the key causes (the
  status bars repaint after the page), less the pilot's own cost measured with
  an unbound key. Then, widget only: ``ReaderView.action_page(1)`` +
  ``render_line`` for every visible row, further down the document (uncached).
  GC pauses during the key paging are summed with ``gc.callbacks``.
- RSS: peak resident set (VmHWM) of the margin process after
  opening the document and paging, and of the minimal app after its first
  frame.
"""

from __future__ import annotations

import sys
import time

if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--child":
    _CHILD_MAIN_NS = time.clock_gettime_ns(time.CLOCK_MONOTONIC)

import argparse
import itertools
import random
import statistics
import tempfile
from pathlib import Path

import _paint
from _paint import SIZE, clock_ns, emit, ms, p95, rss_kb

TARGET_CHARS = 1_000_000
CODINGS = 5_000
CODE_NAMES = ["Trust", "Risk", "Labour", "Care", "Conflict", "Technology", "Place", "Memory"]


# ---------------------------------------------------------------- the database


def build_database(path: Path) -> dict:
    from margin.store.codes import create_code
    from margin.store.codings import codings_for_document, ensure_coder
    from margin.store.db import open_database
    from margin.store.documents import import_text
    from margin.store.importing import sample_sources
    from margin.store.sources.textio import DecodedText
    from margin.store.util import new_uuid, now

    db = open_database(path)
    articles = [data.decode("utf-8") for _name, data in sample_sources()]
    pieces: list[str] = []
    size = 0
    while size < TARGET_CHARS:
        for article in articles:
            pieces.append(article.strip("\n"))
            size += len(pieces[-1]) + 2
    result = import_text(db, DecodedText("\n\n".join(pieces), "utf-8", False),
                         source="bench", clean=False)
    if result.document_id is None:
        raise SystemExit(f"import failed: {result.message}")
    document_id = result.document_id
    text = db.execute("SELECT text FROM documents WHERE id = ?", [document_id]).fetchone()[0]

    code_ids = [create_code(db, name) for name in CODE_NAMES]
    code_ids.append(create_code(db, "Institutional", parent_id=code_ids[0]))
    coder_id = ensure_coder(db, "bench")

    rng = random.Random(20240601)
    step = len(text) // CODINGS
    rows = []
    timestamp = now()
    for number in range(CODINGS):
        start = number * step + rng.randrange(0, step // 2)
        # Mostly short passages; one in five long, so that codings overlap.
        length = rng.randint(300, 1500) if rng.random() < 0.2 else rng.randint(20, 150)
        end = min(len(text), start + length)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            continue
        rows.append((new_uuid(), document_id, rng.choice(code_ids), start, end, text[start:end],
                     "", coder_id, timestamp, timestamp))
    # Its entities too, as an import stores them (rules: fast and deterministic).
    from margin.store.entities.rules import RuleRecogniser
    from margin.store.entities.storage import recognise_documents

    recognise_documents(db, [document_id], RuleRecogniser())
    with db.conn:
        db.conn.executemany(
            'INSERT INTO codings (uuid, document_id, code_id, start, "end", quote, memo, '
            "coder_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    codings = codings_for_document(db, document_id)  # verifies every quote
    events = sorted([(c.start, 1) for c in codings] + [(c.end, -1) for c in codings])
    depth = deepest = 0
    for _offset, change in events:
        depth += change
        deepest = max(deepest, depth)
    overlapping = sum(
        1 for a, b in itertools.pairwise(codings) if b.start < a.end
    )
    db.conn.close()
    return {
        "document_id": document_id,
        "chars": len(text),
        "bytes": len(text.encode("utf-8")),
        "codings": len(codings),
        "overlapping_pairs": overlapping,
        "deepest": deepest,
    }


# ------------------------------------------------------------------- children


def margin_child(db_path: str, document_id: int, pages: int) -> None:
    import asyncio
    import gc

    gc.disable()  # as margin.tui.cli.main does; the app re-enables it after its first frame
    _paint.start_gc_meter()
    before_import_ns = clock_ns()
    from textual.app import App

    import margin.tui.reader.screen as reader_module
    import margin.tui.reader.view as reader_view_module
    from margin.tui.app import MarginApp
    from margin.tui.reader.view import ReaderView

    imported_ns = clock_ns()
    phases: dict[str, float] = {}

    def timed(module, name: str, label: str) -> None:
        function = getattr(module, name, None)
        if function is None:  # renamed or removed by later changes: skip the timer
            return

        def wrapper(*args, **kwargs):
            started = clock_ns()
            try:
                return function(*args, **kwargs)
            finally:
                phases[label] = phases.get(label, 0.0) + ms(clock_ns() - started)

        setattr(module, name, wrapper)

    # Phase timers (wrappers around module-level names; negligible overhead).
    timed(reader_module, "get_document", "get_document")
    timed(reader_module, "codings_for_document", "codings_for_document (+ quote checks)")
    timed(reader_view_module, "wrap_text", "wrap_text (first width)")
    for name in ("word_spans", "sentence_spans", "paragraph_spans"):
        timed(reader_view_module, name, f"{name}")
    timed(reader_view_module, "CodingIndex", "CodingIndex")
    # margin.tui.reader.screen is imported above, not lazily by open_document as in the app, so
    # that its names can be wrapped; its import time is in "imports" instead.

    rows_drawn = [0]
    original_render_line = ReaderView.render_line

    def render_line(self, y):
        rows_drawn[0] += 1
        return original_render_line(self, y)

    ReaderView.render_line = render_line

    class ReaderFirstApp(MarginApp):
        # CSS_PATH is resolved beside the defining class's file: keep margin's.
        CSS_PATH = str(Path(sys.modules[MarginApp.__module__].__file__).parent / MarginApp.CSS_PATH)

        def get_default_screen(self):
            return App.get_default_screen(self)  # Textual's blank screen, not the library

        def on_mount(self, event) -> None:
            event.prevent_default()  # not MarginApp.on_mount
            started = clock_ns()
            self.open_document(document_id)
            phases["ReaderScreen() + push"] = ms(clock_ns() - started)

        def bench_frame_note(self):
            return rows_drawn[0]

    def reader_ready(app, screen) -> bool:
        if type(screen).__name__ != "ReaderScreen":
            return False
        view = screen.query_one(ReaderView)
        return view.size.height > 0 and rows_drawn[0] >= view.size.height

    painted = asyncio.Event()
    info: dict = {}

    def first_paint(app) -> None:
        # What the first frame showed: the highlights of its visible rows.
        view = app.screen.query_one(ReaderView)
        shown = {"entities_loaded": len(view.entities), "codings_loaded": len(view.index.codings)}
        drawing = getattr(view, "_drawing_wrap", None)
        if drawing is not None:
            lines = drawing().lines[view.scroll_offset.y:view.scroll_offset.y + view.size.height]
            if lines:
                start, end = lines[0].start, lines[-1].end
                shown["entities_visible"] = len(view.entities.in_range(start, end))
                shown["codings_visible"] = len(view.index.in_range(start, end))
        info["first_frame"] = shown
        painted.set()

    _paint.display_hook(ReaderFirstApp, reader_ready, first_paint)

    keys_wall: list[float] = []
    keys_total_cpu: list[float] = []
    frames_per_key: list[int] = []
    noop_cpu: list[float] = []
    keys_cpu: list[float] = []
    widget_only: list[float] = []

    async def drive(pilot) -> None:
        app = pilot.app
        await painted.wait()
        await pilot.pause()
        view = app.screen.query_one(ReaderView)
        info["rows"] = len(view.wrapped.lines)
        info["text_width"] = view.text_width
        info["visible_rows"] = view.scrollable_content_region.height
        gc_before = _paint.gc_snapshot()
        for _ in range(pages):
            frames_before = len(app.bench_frames)
            drawn_before = rows_drawn[0]
            wall0, cpu0 = clock_ns(), time.process_time_ns()
            await pilot.press("pagedown")
            for _wait in range(5000):
                frame = next(
                    (f for f in app.bench_frames[frames_before:] if f[2] > drawn_before), None
                )
                if frame is not None:
                    break
                await asyncio.sleep(0.001)
            else:
                raise RuntimeError("no frame drew the next page")
            keys_wall.append(ms(frame[0] - wall0))
            keys_cpu.append(ms(frame[1] - cpu0))
            # Every frame the key causes (the status bars repaint after the page).
            await pilot.pause()
            keys_total_cpu.append(ms(time.process_time_ns() - cpu0))
            frames_per_key.append(len(app.bench_frames) - frames_before)
        gc_after = _paint.gc_snapshot()
        info["gc_paging"] = {k: gc_after[k] - gc_before[k] for k in gc_after}
        # The pilot's own cost: the same press + pause with a key bound to nothing.
        for _ in range(20):
            cpu0 = time.process_time_ns()
            await pilot.press("f12")
            await pilot.pause()
            noop_cpu.append(ms(time.process_time_ns() - cpu0))
        await pilot.pause()
        info["top_after_keys"] = view.scroll_offset.y
        height = view.scrollable_content_region.height
        for _ in range(pages):
            started = time.perf_counter_ns()
            view.action_page(1)
            for y in range(height):
                view.render_line(y)
            widget_only.append(ms(time.perf_counter_ns() - started))
        await pilot.pause()
        app.exit()

    started = clock_ns()
    app = ReaderFirstApp(Path(db_path), "bench")
    run_ns = clock_ns()
    phases["MarginApp() (opens the database)"] = ms(run_ns - started)
    app.run(headless=True, size=SIZE, auto_pilot=drive)
    phases["App.run -> first frame"] = ms(
        app.bench_first_paint_ns - run_ns)
    peak, current = rss_kb()
    emit({
        "launch_ns": _paint.launch_ns(),
        "main_ns": _CHILD_MAIN_NS,
        "before_import_ns": before_import_ns,
        "imported_ns": imported_ns,
        "first_paint_ns": app.bench_first_paint_ns,
        "first_paint_cpu_ns": app.bench_first_paint_cpu_ns,
        "phases_ms": phases,
        "frames_to_first_paint": app.bench_frames_to_first_paint,
        "gc_at_first_paint": app.bench_gc_at_first_paint,
        "keys_wall_ms": keys_wall,
        "keys_cpu_ms": keys_cpu,
        "widget_only_ms": widget_only,
        "keys_total_cpu_ms": keys_total_cpu,
        "frames_per_key": frames_per_key,
        "noop_cpu_ms": noop_cpu,
        "info": info,
        "rss_peak_kb": peak,
        "rss_now_kb": current,
    })


# --------------------------------------------------------------------- parent


def log_child(db_path: str, document_id: int) -> None:
    """A second floor: a minimal Textual app that reads the same document
    from the database and shows it in Textual's own Line-API widget, Log
    (which neither wraps nor styles anything)."""
    import sqlite3

    main_ns = clock_ns()
    _paint.start_gc_meter()
    before_import_ns = clock_ns()
    from textual.app import App, ComposeResult
    from textual.widgets import Log

    imported_ns = clock_ns()
    drawn = {"rows": 0}

    class CountingLog(Log):
        def render_line(self, y):
            drawn["rows"] += 1
            return super().render_line(y)

    class LogApp(App):
        def compose(self) -> ComposeResult:
            yield CountingLog()

        def on_mount(self) -> None:
            connection = sqlite3.connect(db_path)
            text = connection.execute(
                "SELECT text FROM documents WHERE id = ?", [document_id]).fetchone()[0]
            connection.close()
            self.query_one(CountingLog).write(text)

    _paint.display_hook(
        LogApp,
        is_ready=lambda app, screen: drawn["rows"] >= 30,
        on_first_paint=lambda app: app.exit(),
    )
    app = LogApp()
    app.run(headless=True, size=_paint.SIZE)
    peak, current = _paint.rss_kb()
    _paint.emit({
        "launch_ns": _paint.launch_ns(), "main_ns": main_ns,
        "before_import_ns": before_import_ns, "imported_ns": imported_ns,
        "first_paint_ns": app.bench_first_paint_ns,
        "first_paint_cpu_ns": app.bench_first_paint_cpu_ns,
        "gc_at_first_paint": app.bench_gc_at_first_paint,
        "frames_to_first_paint": app.bench_frames_to_first_paint,
        "rss_peak_kb": peak, "rss_now_kb": current,
    })


def first_paint_ms(result: dict) -> tuple[float, float]:
    return (ms(result["first_paint_ns"] - result["launch_ns"]),
            ms(result["first_paint_ns"] - result["before_import_ns"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="child processes per app")
    parser.add_argument("--pages", type=int, default=60, help="page-downs per margin run")
    options = parser.parse_args()
    script = str(Path(__file__).resolve())

    with tempfile.TemporaryDirectory(prefix="margin-reader-bench-") as folder:
        db_path = Path(folder) / "bench.db"
        started = time.perf_counter()
        built = build_database(db_path)
        build_s = time.perf_counter() - started
        print(
            f"document: {built['chars']:,} characters ({built['bytes'] / 1e6:.2f} MB UTF-8), "
            f"{built['codings']:,} codings ({built['overlapping_pairs']:,} overlap the next one, "
            f"up to {built['deepest']} deep); database built in {build_s:.1f} s"
        )
        env = _paint.child_env()
        margin_args = ["--child", "margin", str(db_path), str(built["document_id"]),
                       str(options.pages)]
        minimal_args = ["--child", "minimal"]
        log_args = ["--child", "log", str(db_path), str(built["document_id"])]
        # One discarded run of each: bytecode and the OS file cache are warm
        # for every measured run ("cold" = a fresh interpreter, not a cold disk).
        _paint.spawn(script, [*margin_args[:-1], "2"], env)
        _paint.spawn(script, minimal_args, env)
        _paint.spawn(script, log_args, env)
        margin_runs, minimal_runs, log_runs = [], [], []
        for _ in range(options.runs):
            margin_runs.append(_paint.spawn(script, margin_args, env))
            minimal_runs.append(_paint.spawn(script, minimal_args, env))
            log_runs.append(_paint.spawn(script, log_args, env))

    report(built, margin_runs, minimal_runs, options)
    med = statistics.median
    log_launch = [first_paint_ms(r)[0] for r in log_runs]
    margin_launch = [first_paint_ms(r)[0] for r in margin_runs]
    log_cpu = [ms(r["first_paint_cpu_ns"]) for r in log_runs]
    margin_cpu = [ms(r["first_paint_cpu_ns"]) for r in margin_runs]
    log_rss = med(r["rss_peak_kb"] / 1024 for r in log_runs)
    print()
    print(f"second floor: the same document in Textual's Log widget, from launch "
          f"{med(log_launch):.0f} ms (median; {min(log_launch):.0f}-{max(log_launch):.0f}); "
          f"margin / Log {med(margin_launch) / med(log_launch):.2f}x")
    print(f"  CPU time to first paint: Log {med(log_cpu):.0f} ms "
          f"({min(log_cpu):.0f}-{max(log_cpu):.0f}), margin {med(margin_cpu):.0f} ms "
          f"({min(margin_cpu):.0f}-{max(margin_cpu):.0f}); margin / Log "
          f"{med(margin_cpu) / med(log_cpu):.2f}x (CPU); Log's peak RSS {log_rss:.0f} MB")


def report(built: dict, margin_runs: list[dict], minimal_runs: list[dict], options) -> None:
    def med(values):
        return statistics.median(values)

    m_launch = [first_paint_ms(r)[0] for r in margin_runs]
    m_import = [first_paint_ms(r)[1] for r in margin_runs]
    f_launch = [first_paint_ms(r)[0] for r in minimal_runs]
    f_import = [first_paint_ms(r)[1] for r in minimal_runs]
    m_imports = [ms(r["imported_ns"] - r["before_import_ns"]) for r in margin_runs]
    f_imports = [ms(r["imported_ns"] - r["before_import_ns"]) for r in minimal_runs]
    keys_cpu = [v for r in margin_runs for v in r["keys_cpu_ms"]]
    keys_wall = [v for r in margin_runs for v in r["keys_wall_ms"]]
    widget = [v for r in margin_runs for v in r["widget_only_ms"]]
    noop = med([v for r in margin_runs for v in r["noop_cpu_ms"]])
    keys_total = [v - noop for r in margin_runs for v in r["keys_total_cpu_ms"]]
    frames_per_key = med([v for r in margin_runs for v in r["frames_per_key"]])
    m_rss = [r["rss_peak_kb"] / 1024 for r in margin_runs]
    f_rss = [r["rss_peak_kb"] / 1024 for r in minimal_runs]
    info = margin_runs[0]["info"]
    ratio = med(m_launch) / med(f_launch)

    print(f"runs: {len(margin_runs)} per app, terminal {SIZE[0]}x{SIZE[1]}, headless; reader "
          f"{info['text_width']} columns of text, {info['rows']:,} wrapped rows, "
          f"{info['visible_rows']} visible")
    print()
    print(f"{'first paint (ms)':<44}{'median':>9}{'min':>9}{'max':>9}")
    for label, values in (
        ("margin reader, from launch", m_launch),
        ("minimal app, from launch", f_launch),
        ("margin reader, from before import textual", m_import),
        ("minimal app, from before import textual", f_import),
        ("  of which imports: margin (margin.tui.app, reader)", m_imports),
        ("  of which imports: minimal (textual)", f_imports),
    ):
        print(f"{label:<44}{med(values):9.0f}{min(values):9.0f}{max(values):9.0f}")
    print(f"{'ratio margin / minimal (from launch)':<44}{ratio:9.2f}")
    m_cpu = [ms(r["first_paint_cpu_ns"]) for r in margin_runs]
    f_cpu = [ms(r["first_paint_cpu_ns"]) for r in minimal_runs]
    for label, values in (("margin reader, CPU time to first paint", m_cpu),
                          ("minimal app, CPU time to first paint", f_cpu)):
        print(f"{label:<44}{med(values):9.0f}{min(values):9.0f}{max(values):9.0f}")
    print(f"{'ratio margin / minimal (CPU)':<44}{med(m_cpu) / med(f_cpu):9.2f}")
    print(f"{'frames before first paint, margin; minimal':<44}"
          f"{med([r['frames_to_first_paint'] for r in margin_runs]):9.0f}"
          f"{med([r['frames_to_first_paint'] for r in minimal_runs]):9.0f}")
    for label, runs in (("margin", margin_runs), ("minimal", minimal_runs)):
        pauses = [r["gc_at_first_paint"]["ms"] for r in runs]
        full = [r["gc_at_first_paint"]["full_ms"] for r in runs]
        count = med([r["gc_at_first_paint"]["full"] for r in runs])
        print(f"{'  GC pauses before first paint, ' + label:<44}{med(pauses):9.0f}"
              f"{min(pauses):9.0f}{max(pauses):9.0f}   (full collections: {count:.0f}, "
              f"{med(full):.0f} ms)")
    shown = info.get("first_frame", {})
    if "entities_visible" in shown:
        print(f"first frame drew {shown['entities_visible']} entity mentions and "
              f"{shown['codings_visible']} codings in its visible rows "
              f"({shown['entities_loaded']:,} entities, {shown['codings_loaded']:,} codings "
              f"loaded by then)")
    print()
    phase_names = list(dict.fromkeys(name for r in margin_runs for name in r["phases_ms"]))
    print("margin reader phases (median ms over the whole run, first paint and after; "
          "nested in App.run except MarginApp(); a phase not run is 0):")
    for name in phase_names:
        print(f"  {name:<48}{med([r['phases_ms'].get(name, 0.0) for r in margin_runs]):7.1f}")
    print()
    print(f"{'page-down, ms per page (n=' + str(len(keys_cpu)) + ')':<44}"
          f"{'median':>9}{'p95':>9}{'max':>9}")
    for label, values in (
        ("key -> frame, CPU time", keys_cpu),
        ("key -> frame, wall", keys_wall),
        (f"key -> all {frames_per_key:.0f} frames it causes, CPU", keys_total),
        ("widget only: action_page + render_line", widget),
    ):
        print(f"{label:<44}{med(values):9.1f}{p95(values):9.1f}{max(values):9.1f}")
    print(f"(the 'all frames' row subtracts the pilot's own CPU per press + pause, "
          f"{noop:.1f} ms, measured with an unbound key)")
    gc_ms = [r["info"]["gc_paging"]["ms"] for r in margin_runs]
    gc_full = [r["info"]["gc_paging"]["full"] for r in margin_runs]
    gc_full_ms = [r["info"]["gc_paging"]["full_ms"] for r in margin_runs]
    print(f"GC pauses while paging with keys, per run: median {med(gc_ms):.0f} ms, of which "
          f"{med(gc_full):.0f} full collection(s) taking {med(gc_full_ms):.0f} ms")
    print()
    print(f"{'peak RSS (MB)':<44}{'median':>9}{'min':>9}{'max':>9}")
    for label, values in (("margin, after opening + paging", m_rss),
                          ("minimal app, after first frame", f_rss)):
        print(f"{label:<44}{med(values):9.1f}{min(values):9.1f}{max(values):9.1f}")
    print()
    targets = [
        ("reader first paint <= 1.2x minimal", ratio <= 1.2, f"{ratio:.2f}x"),
        ("page-down median <= 16 ms (CPU per page)", med(keys_cpu) <= 16,
         f"{med(keys_cpu):.1f} ms"),
        ("RSS <= 80 MB", med(m_rss) <= 80, f"{med(m_rss):.0f} MB"),
    ]
    for label, met, value in targets:
        print(f"target {label:<42} {value:>9}  {'met' if met else 'MISSED'}")
    print()
    print(
        f"Summary: a {built['bytes'] / 1e6:.1f} MB document with {built['codings']:,} codings "
        f"paints in {med(m_launch):.0f} ms from launch (a minimal Textual app: "
        f"{med(f_launch):.0f} ms, {ratio:.2f}x); a page-down shows after {med(keys_cpu):.1f} ms "
        f"of CPU median ({p95(keys_cpu):.1f} ms p95), {med(keys_total):.0f} ms for all "
        f"{frames_per_key:.0f} frames it causes; peak RSS {med(m_rss):.0f} MB "
        f"(minimal app {med(f_rss):.0f} MB)."
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        if sys.argv[2] == "margin":
            margin_child(sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        elif sys.argv[2] == "log":
            log_child(sys.argv[3], int(sys.argv[4]))
        else:
            _paint.run_minimal_child()
    else:
        main()
