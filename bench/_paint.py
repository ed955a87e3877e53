"""Helpers shared by reader_bench.py and startup_bench.py (figures only).

"First paint" has one definition for every app measured here:

    the moment ``App._display`` returns for the first frame in which the
    widget that matters (margin's ReaderView, margin's library DataTable, or
    the minimal app's Static) has drawn its lines, measured from the parent's
    clock reading taken just before it launched the child interpreter.

``CLOCK_MONOTONIC`` is system-wide on Linux, so the parent's launch time and
the child's paint time are on one clock. "From launch" therefore includes the
interpreter's own start-up (~20 ms); each child also reports the time from just
before its first ``import textual`` (or of a module that imports it), and the
CPU time its process had used by then (``time.process_time``, interpreter
start-up included). On a busy machine CPU time varies much less than wall
time: the other processes' load delays a child but adds little to its CPU.

Headless Textual skips turning a frame into terminal escape sequences
(``App._display`` returns early when headless), which a real terminal pays
for. The hook below does that work anyway (``CompositorUpdate.render_segments``
with the app's console, output discarded), for every app alike, so a headless
frame costs what a real one does bar the write to the terminal.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

LAUNCH_ENV = "MARGIN_BENCH_LAUNCH_NS"
RESULT_PREFIX = "BENCH-RESULT "
SIZE = (120, 36)


def clock_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def launch_ns() -> int:
    return int(os.environ[LAUNCH_ENV])


def rss_kb() -> tuple[int, int]:
    """(peak resident set, current resident set) of this process, in KiB.

    VmHWM/VmRSS from /proc/self/status, not getrusage's ru_maxrss: Linux
    carries ru_maxrss over an exec, so a child started by a big parent would
    report the parent's peak.
    """
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmHWM:", "VmRSS:")):
                values[line.split(":")[0]] = int(line.split()[1])
    return values["VmHWM"], values["VmRSS"]


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a measured child: fixed colours, no user overrides."""
    env = dict(os.environ)
    for name in ("MARGIN_DB", "MARGIN_CONFIG", "TEXTUAL", "TEXTUAL_FPS", "TEXTUAL_DEBUG"):
        env.pop(name, None)
    env.update(TERM="xterm-256color", COLORTERM="truecolor", PYTHONDONTWRITEBYTECODE="")
    env.update(extra)
    return env


def spawn(script: str, args: list[str], env: dict[str, str], timeout: float = 300) -> dict:
    """Run `python script args` and return the JSON result it printed."""
    env = dict(env)
    env[LAUNCH_ENV] = str(clock_ns())
    proc = subprocess.run(
        [sys.executable, script, *args], env=env, capture_output=True, text=True,
        timeout=timeout,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    raise RuntimeError(
        f"child {args} exited {proc.returncode} without a result\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )


def emit(result: dict) -> None:
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def ms(ns: int) -> float:
    return ns / 1e6


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


GC_METER: dict | None = None


def start_gc_meter() -> dict:
    """Sum the garbage collector's pauses from now on (``gc.callbacks``)."""
    import gc

    global GC_METER
    meter = GC_METER = {"ms": 0.0, "collections": 0, "full": 0, "full_ms": 0.0, "_start": 0}

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            meter["_start"] = time.perf_counter_ns()
            return
        pause = (time.perf_counter_ns() - meter["_start"]) / 1e6
        meter["ms"] += pause
        meter["collections"] += 1
        if info["generation"] == 2:
            meter["full"] += 1
            meter["full_ms"] += pause

    gc.callbacks.append(callback)
    return meter


def gc_snapshot() -> dict:
    if GC_METER is None:
        return {}
    return {k: v for k, v in GC_METER.items() if not k.startswith("_")}


def display_hook(app_class: type, is_ready, on_first_paint=None):
    """Wrap ``app_class._display`` in place to time frames.

    Every frame (non-empty update) is appended to ``app.bench_frames`` as
    (monotonic ns, process CPU ns, result of ``app.bench_frame_note()``).
    The first frame for which ``is_ready(app, screen)`` is true sets
    ``app.bench_first_paint_ns`` and calls ``on_first_paint(app)``.
    """
    from textual._compositor import CompositorUpdate

    original = app_class._display

    def _display(self, screen, renderable):
        if (
            renderable is not None
            and not self._batch_count
            and self.is_headless
            and isinstance(renderable, CompositorUpdate)
        ):
            # What a terminal driver would be sent (discarded here).
            renderable.render_segments(self.console)
        original(self, screen, renderable)
        if renderable is None or self._batch_count:
            return
        frames = self.__dict__.setdefault("bench_frames", [])
        note = getattr(self, "bench_frame_note", lambda: None)()
        frames.append((clock_ns(), time.process_time_ns(), note))
        if self.__dict__.get("bench_first_paint_ns") is None and is_ready(self, screen):
            self.bench_first_paint_ns = frames[-1][0]
            self.bench_first_paint_cpu_ns = frames[-1][1]
            self.bench_frames_to_first_paint = len(frames)
            self.bench_gc_at_first_paint = gc_snapshot()
            if on_first_paint is not None:
                on_first_paint(self)

    app_class._display = _display
    return app_class


# ------------------------------------------------------------------ minimal app


def run_minimal_child(paint_only: bool = True) -> None:
    """The floor: a Textual app showing Static("hello"), timed like margin."""
    main_ns = clock_ns()
    start_gc_meter()
    before_import_ns = clock_ns()
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    imported_ns = clock_ns()
    rendered = {"static": False}

    class Hello(Static):
        def render(self):
            rendered["static"] = True
            return super().render()

    class MinimalApp(App):
        def compose(self) -> ComposeResult:
            yield Hello("hello")

    display_hook(
        MinimalApp,
        is_ready=lambda app, screen: rendered["static"],
        on_first_paint=lambda app: app.exit() if paint_only else None,
    )
    app = MinimalApp()
    app.run(headless=True, size=SIZE)
    peak, current = rss_kb()
    emit({
        "launch_ns": launch_ns(),
        "main_ns": main_ns,
        "before_import_ns": before_import_ns,
        "imported_ns": imported_ns,
        "first_paint_ns": app.bench_first_paint_ns,
        "first_paint_cpu_ns": app.bench_first_paint_cpu_ns,
        "gc_at_first_paint": app.bench_gc_at_first_paint,
        "frames_to_first_paint": app.bench_frames_to_first_paint,
        "rss_peak_kb": peak,
        "rss_now_kb": current,
    })
