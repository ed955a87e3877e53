"""Fuzzy search: the persistent word index (what `margin search` and the app's
`/` use) at 10k, 100k and 1M coded passages, beside main's in-memory index.

Run: python bench/search_bench.py [--sizes 10000,100000,1000000] [--seed 7]
     [--cli-runs 15] [--today] [--rebuild] [--cold]
Figures only; nothing is asserted. Recall per slip kind is bench/search_slips.py.

For each size, a margin database of that many coded passages
(bench/search_db.py, cached under /tmp/margin-search-bench), then:

* the index on disk: its pages (``dbstat``) and, with ``--rebuild``, the time
  of a full rebuild (``word_postings.rebuild``);
* the first search of a fresh ``SearchCorpus`` (what the app's first `/` does
  in its worker: open the index, read the vocabulary, search), wall and CPU
  time, and the growth of the process's RSS through it and the keystrokes
  below; with ``--cold`` first once with the database file evicted from the
  page cache (``posix_fadvise``; as after a reboot), then once with it cached;
* latency per keystroke: every query of :data:`QUERIES` typed one character at
  a time, each prefix of two or more characters searched as the app does
  (``corpus.refresh`` then ``corpus.search(db, prefix, 50)``); p50 / p95 / max,
  and the CPU time of each (p50 / p95: less sensitive to a busy machine);
* the whole `margin search QUERY --limit 10` process, start-up included, run
  ``--cli-runs`` times (median, p95, and its CPU time), beside `margin --version`
  in the same run (Python and click start-up alone);
* with ``--today``: main's in-memory ``SearchIndex`` on the same passages, typed
  the same way (its build time and memory, the keystroke latency), for a
  same-run ratio on this shared machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import resource
import statistics
import time
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

QUERIES = [
    # exact and partial phrases
    "security guarantees",
    "tap dancing around nato",
    "jared kushner",
    "north korean troops",
    "strongest possible position",
    "manpower and equipment",
    "peace talks going well",
    "$725 million security assistance",
    "lavrov press conference moscow",
    "veto future defense",
    # typos
    "secruity guarantees ukrane",
    "kushnr witkof",
    "aerial drons",
    "strongest posible positon",
    "sociopatic",
    "confrence",
    "bidne administration",
    # word order swapped
    "nato tap dancing",
    "summit kremlin",
    "korean north troops",
    "going well talks peace",
    # single words: rare and common
    "sybiha",
    "inauguration",
    "putin",
    "ukraine",
    "the",
    # common words only
    "the war in ukraine",
    "of the",
    # 2-3 letter prefixes (and a short prefix of a rare word)
    "uk",
    "se",
    "nat",
    "kush",
    "inaug",
]

_SENTENCE_END = re.compile(r"(?<=[.!?…”\"])\s+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def seed_sentences() -> list[list[str]]:
    """Per article, its sentences in order (paragraph breaks end a sentence too)."""
    articles = []
    for path in sorted(SEEDS.glob("*.txt")):
        sentences = []
        for paragraph in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            paragraph = " ".join(paragraph.split())
            sentences.extend(s for s in _SENTENCE_END.split(paragraph) if s)
        articles.append(sentences)
    return articles


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # swap two letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # drop a letter
        return word[:i] + word[i + 1 :]
    if kind == 2:  # double a letter
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(_LETTERS) + word[i + 1 :]  # wrong letter


def make_passages(count: int, seed: int) -> list[str]:
    """``count`` passages of 50-400 characters cut from the seed articles.

    Each passage starts at a random sentence of a random article (half the time
    mid-sentence, at a word boundary), runs on through following sentences
    until a random target length of 50-400 characters (cut at a word boundary),
    and with probability 0.3 jumps to a random sentence of another article
    half-way. One word in 60 gets a typo (swap, drop, double or wrong letter),
    as in transcripts and notes, so the vocabulary grows with the corpus.
    """
    rng = random.Random(seed)
    articles = seed_sentences()
    passages = []
    while len(passages) < count:
        target = rng.randint(50, 400)
        article = rng.choice(articles)
        i = rng.randrange(len(article))
        words = article[i].split()
        if rng.random() < 0.5 and len(words) > 4:
            words = words[rng.randrange(len(words) // 2) :]
        jumped = rng.random() >= 0.3
        length = sum(len(w) + 1 for w in words)
        while length < target:
            if not jumped and length > target / 2:
                article = rng.choice(articles)
                i = rng.randrange(len(article)) - 1
                jumped = True
            i += 1
            if i >= len(article):
                article, i = rng.choice(articles), 0
            more = article[i].split()
            words.extend(more)
            length += sum(len(w) + 1 for w in more)
        out = []
        size = 0
        for word in words:
            if size + len(word) > target and size >= 50:
                break
            out.append(typo(word, rng) if rng.random() < 1 / 60 else word)
            size += len(word) + 1
        text = " ".join(out)[:400]
        if len(text) >= 50:
            passages.append(text)
    return passages


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def anonymous_bytes() -> int:
    """The process's memory that is not a mapped file (RssAnon)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def keystrokes(search, cpu: list[float] | None = None) -> list[float]:
    """Milliseconds of ``search(prefix)`` for every prefix (2+ characters) of
    QUERIES (and the CPU milliseconds of each, in ``cpu``)."""
    latencies = []
    for query in QUERIES:
        for end in range(2, len(query) + 1):
            started, cpu_started = time.perf_counter(), time.thread_time()
            search(query[:end])
            latencies.append((time.perf_counter() - started) * 1000)
            if cpu is not None:
                cpu.append((time.thread_time() - cpu_started) * 1000)
    return latencies


def describe(latencies: list[float]) -> str:
    return (f"p50 {percentile(latencies, 0.5):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
            f"max {max(latencies):.1f} ms ({len(latencies)} searches)")


def cli_latency(path: Path, runs: int) -> tuple[list[float], list[float]]:
    import subprocess
    import sys

    margin = str(Path(sys.executable).with_name("margin"))
    queries = ["security guarantees for ukrane", "Witkof fel for this", "by th edelays in"]
    searches, versions = [], []
    cli_latency.cpu = []
    for run in range(runs):
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([margin, "--db", str(path), "search", queries[run % len(queries)],
                        "--limit", "10"], check=True, capture_output=True)
        searches.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cli_latency.cpu.append((after.ru_utime + after.ru_stime - before.ru_utime
                                - before.ru_stime) * 1000)
        started = time.perf_counter()
        subprocess.run([margin, "--version"], check=True, capture_output=True)
        versions.append((time.perf_counter() - started) * 1000)
    return searches, versions


def evict_from_page_cache(path: Path) -> None:
    """Drop the file's pages from the page cache (``posix_fadvise`` DONTNEED:
    no privileges needed; other files, Python's own, stay cached)."""
    for name in (path, Path(f"{path}-wal")):
        if name.exists():
            fd = os.open(name, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def session(path: Path, name: str, evict: bool) -> None:
    """A fresh corpus (the app's first `/`), then every keystroke of QUERIES."""
    from margin.store.db import open_database
    from margin.store.search.corpus import SearchCorpus

    gc.collect()
    if evict:
        evict_from_page_cache(path)
    rss_before = rss_bytes()
    anon_before = anonymous_bytes()
    started, cpu_started = time.perf_counter(), time.process_time()
    db = open_database(path, read_only=True)
    corpus = SearchCorpus()
    with corpus.lock:
        corpus.refresh(db)
        first = corpus.search(db, "security guarantees", 50)
    first_ms = (time.perf_counter() - started) * 1000
    first_cpu = (time.process_time() - cpu_started) * 1000
    rss_first = rss_bytes()
    cache = "the file evicted from the page cache" if evict else "the file in the page cache"
    print(f"[{name}: {cache}]")
    print(f"first search of a fresh corpus (the app's first /): {first_ms:.0f} ms "
          f"(CPU {first_cpu:.0f} ms), {len(first)} results; "
          f"RSS +{(rss_first - rss_before) / 2**20:.0f} MiB")

    def search(prefix: str) -> None:
        corpus.refresh(db)
        corpus.search(db, prefix, 50)

    cpu: list[float] = []
    latencies = keystrokes(search, cpu)
    print(f"keystrokes (word index): {describe(latencies)}; CPU p50 "
          f"{percentile(cpu, 0.5):.1f} ms, p95 {percentile(cpu, 0.95):.1f} ms; RSS after them "
          f"+{(rss_bytes() - rss_before) / 2**20:.0f} MiB (anonymous "
          f"+{(anonymous_bytes() - anon_before) / 2**20:.0f} MiB)")
    db.conn.close()


def run_size(size: int, seed: int, cli_runs: int, today: bool, rebuild_index: bool,
             cold: bool = False) -> None:
    from search_db import build_database, index_bytes

    from margin.store.db import open_database

    print(f"\n=== {size:,} passages ===")
    started = time.perf_counter()
    path, made = build_database(size, seed)
    if made:
        print(f"database made in {time.perf_counter() - started:.0f} s: codings inserted in "
              f"{made['insert_s']:.1f} s, index built in {made['index_build_s']:.1f} s")
    print(f"database {path.stat().st_size / 2**20:,.0f} MiB; search index "
          f"{index_bytes(path) / 2**20:,.1f} MiB of it")
    if rebuild_index:
        from margin.store.word_postings import rebuild

        db = open_database(path)
        started = time.perf_counter()
        rebuild(db)
        print(f"rebuild: {time.perf_counter() - started:.1f} s")
        db.conn.close()

    sessions = [("cold", True), ("warm", False)] if cold else [("warm", False)]
    for name, evict in sessions:
        session(path, name, evict)

    if cli_runs:
        searches, versions = cli_latency(path, cli_runs)
        print(f"margin search, whole process: median {statistics.median(searches):.0f} ms, "
              f"p95 {percentile(searches, 0.95):.0f} ms (CPU median "
              f"{statistics.median(cli_latency.cpu):.0f} ms); margin --version in the same run: "
              f"median {statistics.median(versions):.0f} ms")

    if today:
        from margin.store.search.index import SearchIndex

        passages = make_passages(size, seed)
        gc.collect()
        gc.freeze()
        rss_before = rss_bytes()
        index = SearchIndex()
        started = time.perf_counter()
        index.add_many(enumerate(passages))
        build = time.perf_counter() - started
        rss_after = rss_bytes()
        index.search("wa")
        old = keystrokes(lambda prefix: index.search(prefix, limit=50))
        print(f"main's in-memory index: build {build:.1f} s, RSS +"
              f"{(rss_after - rss_before) / 2**20:.0f} MiB; keystrokes: {describe(old)}")
        gc.unfreeze()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cli-runs", type=int, default=15)
    parser.add_argument("--today", action="store_true",
                        help="also main's in-memory index, for same-run ratios")
    parser.add_argument("--rebuild", action="store_true", help="time a full index rebuild")
    parser.add_argument("--cold", action="store_true",
                        help="first a session with the database file evicted from the page "
                             "cache (as after a reboot), then one with it cached")
    args = parser.parse_args()
    print(f"{len(QUERIES)} queries, each typed one character at a time (prefixes of >= 2 chars); "
          f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    for size in [int(s) for s in args.sizes.split(",")]:
        run_size(size, args.seed, args.cli_runs, args.today, args.rebuild, args.cold)


if __name__ == "__main__":
    main()
