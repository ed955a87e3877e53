"""Fuzzy search-as-you-type: SearchIndex against rapidfuzz brute force.

Run: python bench/search_bench.py [--sizes 10000,100000,1000000] [--seed 7]
Figures only; nothing is asserted.

For each size it builds a synthetic project of "coded passages" cut from the
sample articles in seeds/, then reports:

* build time, ``memory_bytes()`` and the growth of the process's RSS;
* the time of one ``add`` (a new passage) and one ``remove``;
* latency per keystroke: every query is typed one character at a time and each
  prefix of two or more characters is searched (``limit=50``), as the UI does;
  p50 / p95 / max over all those calls;
* brute force on the full queries: ``process.extract(q, texts, scorer=WRatio,
  processor=None, limit=10)`` over texts processed once with
  ``utils.default_process`` (single thread; what a keystroke would cost), and
  the top 10 of ``cdist(texts, [q], scorer=WRatio, workers=-1)`` (both cores;
  used for the agreement so that 1M stays within minutes);
* agreement of the index's top 10 (from ``limit=50``, as the UI asks) with brute
  force's top 10, per position and tie-aware: position i agrees when the
  index's passage there is brute force's passage there, or has exactly the same
  WRatio score (WRatio ties massively: any passage that shares a word with the
  query and is 1.5-8x its length scores 85.5). Also the plain overlap of the two
  top-10 sets. Scores for the agreement are plain WRatio, without the index's
  exact-phrase bonus.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import time
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from margin.store.search.index import SearchIndex

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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def brute_top(query: str, processed: list[str], workers: bool) -> list[tuple[int, float]]:
    pq = default_process(query)
    if workers:
        import numpy

        scores = process.cdist(
            processed, [pq], scorer=fuzz.WRatio, workers=-1, dtype=numpy.float64
        )[:, 0]
        top = numpy.argsort(-scores, kind="stable")[:10]
        return [(int(i), float(scores[i])) for i in top]
    return [
        (i, score)
        for _choice, score, i in process.extract(
            pq, processed, scorer=fuzz.WRatio, processor=None, limit=10
        )
    ]


def run_size(size: int, seed: int, brute_single: int) -> None:
    print(f"\n=== {size:,} passages ===")
    started = time.perf_counter()
    passages = make_passages(size, seed)
    distinct = len(set(passages))
    print(
        f"corpus: {time.perf_counter() - started:.1f} s to generate, {distinct:,} distinct, "
        f"mean {statistics.mean(len(p) for p in passages):.0f} chars"
    )
    # The bench's own million strings would slow every full GC collection by ~60 ms
    # and show up as search latency; freeze them (the index's own data stays visible).
    gc.collect()
    gc.freeze()
    rss_before = rss_bytes()
    index = SearchIndex()
    started = time.perf_counter()
    index.add_many(enumerate(passages))
    build = time.perf_counter() - started
    gc.collect()
    rss_after = rss_bytes()
    vocabulary = len(index._postings)
    print(
        f"build: {build:.1f} s; vocabulary {vocabulary:,} words; memory_bytes "
        f"{index.memory_bytes() / 2**20:.0f} MiB; RSS growth {(rss_after - rss_before) / 2**20:.0f} MiB"
    )

    # Warm the vocabulary structures the way the first keystroke would.
    index.search("wa")
    index.search("warm")

    # Update: one new passage, one removal.
    new_text = "A brand-new memo about Zaporizhzhia power plant inspections and IAEA access."
    started = time.perf_counter()
    index.add(size, new_text)
    add_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    found = index.search("zaporizhzhia inspections")
    first_search_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    index.remove(size)
    remove_ms = (time.perf_counter() - started) * 1000
    still = any(hit.key == size for hit in index.search("zaporizhzhia inspections"))
    print(
        f"update: add {add_ms:.2f} ms (found at rank "
        f"{next((i + 1 for i, h in enumerate(found) if h.key == size), None)}, "
        f"that search {first_search_ms:.1f} ms); remove {remove_ms:.3f} ms (still found: {still})"
    )

    # Typing latency.
    latencies: list[float] = []
    worst: dict[str, float] = {}
    for query in QUERIES:
        for end in range(2, len(query) + 1):
            prefix = query[:end]
            started = time.perf_counter()
            index.search(prefix, limit=50)
            elapsed = (time.perf_counter() - started) * 1000
            latencies.append(elapsed)
            worst[query] = max(worst.get(query, 0.0), elapsed)
    print(
        f"keystrokes: {len(latencies)} searches; p50 {percentile(latencies, 0.5):.1f} ms, "
        f"p95 {percentile(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms"
    )
    slowest = sorted(worst.items(), key=lambda item: -item[1])[:5]
    print(
        "  slowest queries (worst prefix): " + ", ".join(f"{q!r} {ms:.0f} ms" for q, ms in slowest)
    )

    # Brute force and agreement.
    processed = [default_process(p) for p in passages]
    single_times = []
    for query in QUERIES[:brute_single]:
        started = time.perf_counter()
        brute_top(query, processed, workers=False)
        single_times.append(time.perf_counter() - started)
    agreements, overlaps, cdist_times, full_times = [], [], [], []
    rows = []
    for query in QUERIES:
        started = time.perf_counter()
        brute = brute_top(query, processed, workers=True)
        cdist_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        hits = index.search(query, limit=50)[:10]
        full_times.append(time.perf_counter() - started)
        pq = default_process(query)
        mine = [(hit.key, fuzz.WRatio(pq, processed[hit.key])) for hit in hits]
        agree = 0
        for position, (b_key, b_score) in enumerate(brute):
            if position < len(mine):
                m_key, m_score = mine[position]
                if m_key == b_key or abs(m_score - b_score) < 1e-6:
                    agree += 1
        agreement = agree / max(1, len(brute))
        overlap = len({k for k, _ in mine} & {k for k, _ in brute}) / max(1, len(brute))
        agreements.append(agreement)
        overlaps.append(overlap)
        rows.append(
            (
                query,
                agreement,
                overlap,
                brute[0][1] if brute else 0,
                brute[-1][1] if brute else 0,
                mine[0][1] if mine else 0,
                mine[-1][1] if mine else 0,
            )
        )
    print(
        f"brute force: process.extract {statistics.mean(single_times):.2f} s per query "
        f"(mean of {len(single_times)}; one core); cdist workers=-1 "
        f"{statistics.mean(cdist_times):.2f} s per query"
    )
    print(
        f"index, full queries: mean {statistics.mean(full_times) * 1000:.1f} ms; speed-up vs "
        f"process.extract {statistics.mean(single_times) / statistics.mean(full_times):.0f}x"
    )
    print(
        f"agreement (tie-aware, top 10 positions): {statistics.mean(agreements) * 100:.1f} %; "
        f"plain top-10 set overlap {statistics.mean(overlaps) * 100:.1f} %"
    )
    gc.unfreeze()
    for query, agreement, overlap, b1, b10, m1, m10 in rows:
        if agreement < 1.0:
            print(
                f"  {query!r}: agreement {agreement:.0%} overlap {overlap:.0%} "
                f"(brute #1 {b1:.1f} #10 {b10:.1f}; index #1 {m1:.1f} #10 {m10:.1f})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--brute-single",
        type=int,
        default=3,
        help="queries timed with single-threaded process.extract (all use cdist for agreement)",
    )
    args = parser.parse_args()
    print(f"{len(QUERIES)} queries, each typed one character at a time (prefixes of >= 2 chars):")
    for query in QUERIES:
        print(f"  {query!r}")
    print(make_passages.__doc__.split("\n\n")[1].strip().replace("\n    ", "\n"))
    for size in [int(s) for s in args.sizes.split(",")]:
        run_size(size, args.seed, args.brute_single)


if __name__ == "__main__":
    main()
