"""Wrap ~1 MB of seed text at widths 80 and 120 and print the times.

Run: python bench/wrap_bench.py   (figures only; nothing is asserted)
"""

from __future__ import annotations

import statistics
import textwrap
import time
from pathlib import Path

from margin.store.textspans import paragraph_spans, sentence_spans, word_spans
from margin.tui.reader.wrapping import wrap_text

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TARGET_CHARS = 1_000_000


def corpus() -> str:
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    pieces: list[str] = []
    size = 0
    while size < TARGET_CHARS:
        for text in texts:
            pieces.append(text)
            size += len(text) + 2
    return "\n\n".join(pieces)


def best_of(function, repeat: int = 7) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times) * 1000, statistics.median(times) * 1000


def main() -> None:
    text = corpus()
    non_ascii_lines = sum(1 for line in text.split("\n") if not line.isascii())
    print(
        f"text: {len(text):,} code points, {text.count(chr(10)) + 1:,} hard lines "
        f"({non_ascii_lines:,} with non-ASCII), {len(text.split()):,} words"
    )
    wrap_text(text, 100)  # warm imports and caches
    for width in (80, 100, 120):
        wrapped = wrap_text(text, width)
        best, median = best_of(lambda width=width: wrap_text(text, width))
        print(
            f"wrap_text width {width:>3}: {len(wrapped.lines):>6,} rows  "
            f"best {best:6.1f} ms  median {median:6.1f} ms"
        )
    hard_wrapped = "\n\n".join(
        textwrap.fill(paragraph, 72) for paragraph in text.split("\n") if paragraph.strip()
    )
    best, median = best_of(lambda: wrap_text(hard_wrapped, 80))
    print(
        f"wrap_text hard-wrapped at 72 ({hard_wrapped.count(chr(10)) + 1:,} lines), width 80: "
        f"best {best:.1f} ms  median {median:.1f} ms"
    )
    best, median = best_of(lambda: paragraph_spans(hard_wrapped), repeat=3)
    count = len(paragraph_spans(hard_wrapped))
    print(f"paragraph_spans on it: {count:,} paragraphs  best {best:.1f} ms")
    cjk = ("日本語の文章です。" * 40 + "\n") * 2000  # ~720k code points, all 2 cells
    best, median = best_of(lambda: wrap_text(cjk, 80), repeat=3)
    print(
        f"wrap_text CJK {len(cjk):,} code points, width 80: "
        f"best {best:.1f} ms  median {median:.1f} ms"
    )

    wrapped = wrap_text(text, 100)
    offsets = range(0, len(text), max(1, len(text) // 10_000))
    started = time.perf_counter()
    for offset in offsets:
        line = wrapped.line_of_offset(offset)
        wrapped.offset_at(line, wrapped.cell_of_offset(offset))
    per_call = (time.perf_counter() - started) / len(offsets) * 1e6
    print(f"line_of_offset + cell_of_offset + offset_at: {per_call:.1f} µs per offset")

    for name, function in (
        ("paragraph_spans", paragraph_spans),
        ("sentence_spans", sentence_spans),
        ("word_spans", word_spans),
    ):
        function(text)
        best, median = best_of(lambda function=function: function(text), repeat=3)
        print(
            f"{name:>16}: {len(function(text)):>7,} spans  "
            f"best {best:6.1f} ms  median {median:6.1f} ms"
        )


if __name__ == "__main__":
    main()
