"""An in-memory index for fuzzy search-as-you-type over passages, memos and names.

Brute force — ``rapidfuzz.process.extract(query, texts, scorer=fuzz.WRatio)`` —
costs ~10-30 µs per text on this machine, i.e. seconds per keystroke at 100,000
passages. :class:`SearchIndex` finds a few hundred candidates through a word
index and rescores only those with the same ``fuzz.WRatio`` on
``utils.default_process``-ed strings, so its ranking agrees with brute force
(``bench/search_bench.py`` measures how well: >= 90 % of the top-10 positions).

How the candidates are found
----------------------------
* **Words.** Every passage is stored once, processed (``default_process``: lower
  case, non-alphanumerics turned into spaces, ends trimmed — one code point for
  one code point, so an offset into it plus the number of trimmed leading code
  points is an offset into the original). Its distinct words go into posting
  lists (``array('I')`` of internal ids, ascending).
* **Query words → vocabulary.** Each query word is expanded to the words of the
  vocabulary it may mean: itself, its completions (a sorted vocabulary and
  ``bisect``), spellings one edit away (deletion, transposition, substitution,
  insertion — generated and looked up, ~1 ms whatever the vocabulary size),
  for a finished word of 8+ letters also two edits away (``rapidfuzz`` OSA
  distance over the words of similar length), and for the word being typed,
  words whose *beginning* is one edit away ("secru" → "security", "secret").
  Expansions are cached per word, so typing a longer query repeats little work.
* **Length tiers.** ``WRatio`` weighs a passage by how its length compares to
  the query's: a ratio below 1.5 allows up to 100, up to 8 allows 90
  (``partial_ratio`` x 0.9), beyond that 60. Bulk-built ids are ordered by
  passage length, so each tier is a contiguous id range and every posting list
  is cut to a tier with two ``bisect`` calls. Tiers are searched best first and
  the search stops once ``limit`` hits score at least what the next tier could.
* **Candidates within a tier.** The rarest query word (with its variants)
  supplies candidates — shortest passages first, at most a few thousand; each
  gets a cheap proxy score: does it contain the whole processed query (the
  exact phrase, which ``partial_ratio`` scores 100), and which other query words
  (or their variants) it contains, weighted by rarity (IDF). The best by proxy
  are rescored with ``WRatio`` in batches (with a rising ``score_cutoff``). A
  passage that shares no word and no near spelling with the query is never a
  candidate: brute force ranks such passages only when almost nothing matches.
* **Small tiers.** A length tier of at most :data:`FILL_MAX` passages where the
  words found too few good hits is rescored whole, as brute force would: in
  small projects brute force ranks short passages with chance character
  overlaps ("relationship" for "inauguration") above long ones with the word.
* **Updates.** ``add`` appends to a small unsorted "delta" after the
  length-sorted base (filtered by length per passage); ``remove`` forgets the
  id. When the delta or the holes grow past a fraction of the index
  (:attr:`SearchIndex.needs_compaction`), the next search first rebuilds the
  base — seconds at a million passages, so call :meth:`SearchIndex.compact`
  from a worker when ``needs_compaction`` says so. ``add_many`` of a big batch
  rebuilds in one pass.

Threads: searches only read (apart from small caches) and may overlap each
other; ``add``/``remove``/``compact`` must not overlap a search — guard the
index with a lock, or update it from the thread that searches.

Ranking: ``WRatio`` plus :data:`EXACT_PHRASE_BONUS` when the processed query
occurs verbatim in the processed passage (case- and punctuation-insensitive
exact phrase), capped at 100; ties by the proxy (more and rarer query words
first), then by shorter passage, then by insertion order.

Pure Python + rapidfuzz; never imports Textual.
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from array import array
from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from heapq import nlargest
from itertools import repeat

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from rapidfuzz.utils import default_process

__all__ = ["EXACT_PHRASE_BONUS", "SearchHit", "SearchIndex"]

#: Added to ``WRatio`` when the (processed) query occurs verbatim in the passage.
EXACT_PHRASE_BONUS = 2.0
#: Most candidates the rarest query word supplies per tier and generator word.
POOL_CAP = 4000
#: Most passages rescored with ``WRatio`` per search (each costs 5-30 µs).
RESCORE_BUDGET = 1500
#: A tier with at most this many passages is rescored whole when the word index
#: finds too few good hits in it (small projects: brute force ranks short passages
#: with chance character overlaps above long ones that contain the word).
FILL_MAX = 1500
#: Postings a generator word may supply per tier when ``allowed`` filters them
#: (a narrow filter admits few of the first ones; each costs one ``allowed`` call).
FILTERED_SCAN = 200_000
#: Rescoring batch: ``cancelled`` is polled between batches.
BATCH = 256
#: Most vocabulary variants used per query word.
MAX_VARIANTS = 2000
#: Delta (unsorted) passages tolerated before a rebuild: max(this, base / 8).
DELTA_MIN = 5000

_WORD = re.compile(r"\S+")

# Proxy weights of the ways a passage can contain a query word.
_W_EXACT = 1.0
_W_PREFIX = 0.9
_W_FUZZY = 0.7
_W_FUZZY_PREFIX = 0.5
_PHRASE_PROXY = 1000.0


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result: the caller's key, a 0-100 score and the code-point ranges to highlight."""

    key: Hashable
    score: float
    spans: tuple[tuple[int, int], ...]


class _Group:
    """One query word and the vocabulary words it may stand for."""

    __slots__ = ("df", "probes", "token", "variants", "weight")

    def __init__(self, token: str, variants: list[tuple[str, float]], df: int, n: int) -> None:
        self.token = token
        self.variants = variants  # (word, proxy weight), best first
        self.df = df  # sum of the variants' document frequencies
        self.weight = math.log(1.0 + n / (1 + df)) + 0.1
        # Substrings that show a passage contains this word (used for the proxy).
        probes = [token]
        for word, _weight in variants[:6]:
            if token not in word:
                probes.append(word)
        self.probes = tuple(probes[:4])


class SearchIndex:
    """A fuzzy search index over ``(key, text)`` pairs; see the module docstring."""

    def __init__(self) -> None:
        # id -> key and id -> processed text, live ids only. Dicts of atomic objects
        # are invisible to the cyclic GC, unlike a list of a million strings, whose
        # every full collection would touch each string (~60 ms per million).
        self._keys: dict[int, Hashable] = {}
        self._texts: dict[int, str] = {}
        self._lengths = array("I")  # id -> len(processed text)
        self._leads = array("I")  # id -> code points trimmed before the processed text
        # Original texts that contain combining marks, so highlights can cover them.
        self._marked: dict[int, str] = {}
        self._id_of: dict[Hashable, int] = {}
        self._postings: dict[str, array] = {}
        self._base = 0  # ids below this are sorted by length
        self._holes = 0  # removed ids
        self._vocab: list[str] | None = None  # sorted, built lazily
        self._vocab_by_len: dict[int, list[str]] | None = None
        self._chars: str | None = None  # the vocabulary's common characters
        self._expansions: OrderedDict[tuple[str, bool], list[tuple[str, float]]] = OrderedDict()

    # ------------------------------------------------------------------ size

    def __len__(self) -> int:
        return len(self._id_of)

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._id_of
        except TypeError:
            return False

    # --------------------------------------------------------------- updates

    def add(self, key: Hashable, text: str) -> None:
        """Index ``text`` under ``key``, replacing what ``key`` had."""
        self.remove(key)
        processed, lead = _process(text)
        doc = len(self._lengths)
        self._keys[doc] = key
        self._texts[doc] = processed
        self._lengths.append(len(processed))
        self._leads.append(lead)
        self._id_of[key] = doc
        if _has_marks(text):
            self._marked[doc] = text
        postings = self._postings
        for word in set(processed.split()):
            posting = postings.get(word)
            if posting is None:
                postings[word] = array("I", (doc,))
                self._vocabulary_gained(word)
            else:
                posting.append(doc)

    def add_many(self, items: Iterable[tuple[Hashable, str]]) -> None:
        """Index many ``(key, text)`` pairs; a big batch rebuilds the index in one pass."""
        new_keys: list[Hashable] = []
        new_texts: list[str] = []
        for key, text in items:
            new_keys.append(key)
            new_texts.append(text)
        if len(new_keys) <= max(1000, len(self._id_of) // 8):
            for key, text in zip(new_keys, new_texts, strict=True):
                self.add(key, text)
            return
        keys, texts, leads, marked = self._live_columns()
        position = {key: i for i, key in enumerate(keys)}
        for key, raw in zip(new_keys, new_texts, strict=True):
            old = position.get(key)
            if old is not None:  # replaced: the old text is dropped
                texts[old] = None
                marked.pop(old, None)
            position[key] = len(keys)
            processed, lead = _process(raw)
            if _has_marks(raw):
                marked[len(keys)] = raw
            keys.append(key)
            texts.append(processed)
            leads.append(lead)
        del position, new_keys, new_texts
        self._rebuild(keys, texts, leads, marked)

    def remove(self, key: Hashable) -> None:
        """Forget ``key``; an unknown key is ignored."""
        doc = self._id_of.pop(key, None)
        if doc is None:
            return
        del self._keys[doc]
        del self._texts[doc]
        self._marked.pop(doc, None)
        self._holes += 1

    def compact(self) -> None:
        """Rebuild the length-sorted base from every live passage (drops holes and delta)."""
        self._rebuild(*self._live_columns())

    def _live_columns(self) -> tuple[list, list[str | None], array, dict[int, str]]:
        """Keys, processed texts, leads and marked originals of the live passages."""
        docs = list(self._keys)
        marked = {i: self._marked[doc] for i, doc in enumerate(docs) if doc in self._marked}
        return (
            [self._keys[doc] for doc in docs],
            [self._texts[doc] for doc in docs],
            array("I", [self._leads[doc] for doc in docs]),
            marked,
        )

    @property
    def needs_compaction(self) -> bool:
        """True when updates have piled up enough that a rebuild (``compact``) pays."""
        total = len(self._lengths)
        delta = total - self._base
        return delta > max(DELTA_MIN, self._base // 8) or (
            self._holes > 1000 and self._holes > total // 4
        )

    def _rebuild(
        self, keys: list, texts: list[str | None], leads: array, marked: dict[int, str]
    ) -> None:
        """Index ``texts`` (None: skipped) with ids in order of length."""
        order = sorted(
            (i for i, text in enumerate(texts) if text is not None), key=lambda i: len(texts[i])
        )
        sorted_texts: list[str] = [texts[i] for i in order]  # type: ignore[misc]
        ids = list(range(len(order)))  # one int object per id, shared by the maps
        self._keys = dict(zip(ids, [keys[i] for i in order], strict=True))
        self._texts = dict(zip(ids, sorted_texts, strict=True))
        self._id_of = dict(zip(self._keys.values(), ids, strict=True))
        self._lengths = array("I", [len(text) for text in sorted_texts])
        self._leads = array("I", [leads[i] for i in order])
        self._marked = {doc: marked[i] for doc, i in enumerate(order) if i in marked}
        self._base = len(order)
        self._holes = 0
        del keys[:], texts[:], order, ids
        self._postings = {}  # free the old lists before building the new ones
        # Straight into arrays: lists first would cost 2x the time and leave a
        # fragmented heap (RSS) behind.
        postings: dict[str, array] = {}
        get = postings.get
        for doc, text in enumerate(sorted_texts):
            for word in set(text.split()):
                posting = get(word)
                if posting is None:
                    postings[word] = array("I", (doc,))
                else:
                    posting.append(doc)
        self._postings = postings
        self._vocab = None
        self._vocab_by_len = None
        self._chars = None
        self._expansions.clear()

    # ------------------------------------------------------------ vocabulary

    def _vocabulary_gained(self, word: str) -> None:
        if self._vocab is not None:
            insort(self._vocab, word)
        if self._vocab_by_len is not None:
            self._vocab_by_len.setdefault(len(word), []).append(word)
        self._expansions.clear()

    def _sorted_vocab(self) -> list[str]:
        if self._vocab is None:
            self._vocab = sorted(self._postings)
        return self._vocab

    def _words_of_length(self, lo: int, hi: int) -> list[str]:
        if self._vocab_by_len is None:
            by_len: dict[int, list[str]] = {}
            for word in self._postings:
                by_len.setdefault(len(word), []).append(word)
            self._vocab_by_len = by_len
        words: list[str] = []
        for n in range(lo, hi + 1):
            words.extend(self._vocab_by_len.get(n, ()))
        return words

    def _alphabet(self) -> str:
        """The 40 most common characters of the vocabulary (for one-edit neighbours)."""
        if self._chars is None:
            counts: dict[str, int] = {}
            for word in self._postings:
                for char in word:
                    counts[char] = counts.get(char, 0) + 1
            self._chars = "".join(nlargest(40, counts, key=counts.__getitem__))
        return self._chars

    def _completions(self, prefix: str) -> list[str]:
        vocab = self._sorted_vocab()
        start = bisect_left(vocab, prefix)
        end = bisect_left(vocab, prefix + "\U0010ffff", start)
        return vocab[start:end]

    def _expand(self, token: str, typing: bool) -> list[tuple[str, float]]:
        """The vocabulary words ``token`` may stand for, best first (cached)."""
        cache_key = (token, typing)
        cached = self._expansions.get(cache_key)
        if cached is not None:
            # Evicted meanwhile by an overlapping search: nothing to move.
            with suppress(KeyError):
                self._expansions.move_to_end(cache_key)
            return cached
        postings = self._postings
        found: dict[str, float] = {}

        def offer(word: str, weight: float) -> None:
            if weight > found.get(word, 0.0):
                found[word] = weight

        if token in postings:
            offer(token, _W_EXACT)
        completions = self._completions(token)
        if len(completions) > MAX_VARIANTS:
            completions = nlargest(MAX_VARIANTS, completions, key=lambda w: len(postings[w]))
        for word in completions:
            offer(word, _W_PREFIX)
        n = len(token)
        if n >= 4:
            vocab = self._sorted_vocab()
            for near in one_edit(token, self._alphabet()):
                if near in postings:
                    offer(near, _W_FUZZY)
                if typing and len(near) >= 4:
                    # The word being typed: words whose beginning is one edit away
                    # ("secru" -> "security", "secret").
                    start = bisect_left(vocab, near)
                    if start < len(vocab) and vocab[start].startswith(near):
                        for word in self._completions(near)[: MAX_VARIANTS // 8]:
                            offer(word, _W_FUZZY_PREFIX)
            if n >= 8 and not typing:
                # A finished long word: also two edits away (cached, so once per word).
                words = self._words_of_length(n - 2, n + 2)
                for word, _distance, _i in process.extract(
                    token, words, scorer=OSA.distance, score_cutoff=2, limit=None
                ):
                    offer(word, _W_FUZZY)
        if not found and n >= 2:
            # No word starts like this: words that contain it (CJK runs, compounds).
            for word in self._sorted_vocab():
                if token in word:
                    offer(word, _W_FUZZY)
        variants = sorted(
            found.items(), key=lambda item: (-item[1], -len(postings[item[0]]), item[0])
        )
        variants = variants[:MAX_VARIANTS]
        self._expansions[cache_key] = variants
        while len(self._expansions) > 512:
            try:
                self._expansions.popitem(last=False)
            except KeyError:
                break
        return variants

    # ---------------------------------------------------------------- search

    def search(
        self,
        query: str,
        limit: int = 50,
        *,
        allowed: Callable[[Hashable], bool] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[SearchHit]:
        """The ``limit`` best passages for ``query``, best first; [] once ``cancelled()``."""
        is_cancelled = cancelled or _never
        pq = default_process(query)
        if not pq or limit <= 0 or not self._id_of or is_cancelled():
            return []
        if self.needs_compaction:
            self.compact()
        tokens = list(dict.fromkeys(pq.split()))
        typing = not query[-1:].isspace()
        n_docs = max(1, len(self._id_of))
        groups: list[_Group] = []
        for position, token in enumerate(tokens):
            variants = self._expand(token, typing and position == len(tokens) - 1)
            if variants:
                df = sum(len(self._postings[word]) for word, _w in variants)
                groups.append(_Group(token, variants, df, n_docs))
        if not groups or is_cancelled():
            return []
        search = _Search(self, pq, groups, limit, allowed, is_cancelled)
        tiers = self._tiers(len(pq))
        for number, (upper, floor, ranges) in enumerate(tiers):
            if search.done(upper + EXACT_PHRASE_BONUS):
                break
            next_upper = tiers[number + 1][0] if number + 1 < len(tiers) else 0.0
            if not search.run_tier(upper, floor, ranges, next_upper):
                return []
        if is_cancelled():
            return []
        return search.hits()

    def _tiers(self, n: int) -> list[tuple[float, float, list[tuple[int, int]]]]:
        """(best score, shared-word score, length ranges) of WRatio's three length tiers."""
        # WRatio: ratio = max(len)/min(len); < 1.5 -> token/plain ratio (up to 100);
        # <= 8 -> partial x 0.9 (up to 90, 85.5 for a shared word); else x 0.6.
        near = (math.floor(n / 1.5) + 1, math.ceil(n * 1.5) - 1)
        mid_short = (math.ceil(n / 8), math.floor(n / 1.5))
        mid_long = (math.ceil(n * 1.5), math.floor(n * 8))
        far_short = (0, math.ceil(n / 8) - 1)
        far_long = (math.floor(n * 8) + 1, 1 << 31)
        tiers = [
            (100.0, 100.0, [near]),
            (90.0, 85.5, [mid_short, mid_long]),
            (60.0, 57.0, [far_short, far_long]),
        ]
        return [
            (upper, floor, [(lo, hi) for lo, hi in ranges if lo <= hi])
            for upper, floor, ranges in tiers
        ]

    # ---------------------------------------------------------------- memory

    def memory_bytes(self) -> int:
        """Bytes held by the index: texts, posting lists, vocabulary, tables and keys."""
        size = sys.getsizeof
        total = size(self._keys) + size(self._texts) + size(self._id_of)
        total += sum(size(text) for text in self._texts.values())
        total += sum(size(key) for key in self._id_of)  # keys are shared with the caller
        total += size(self._lengths) + size(self._leads) + size(self._marked)
        total += sum(size(text) for text in self._marked.values())
        total += size(self._postings)
        for word, posting in self._postings.items():
            total += size(word) + size(posting)
        # Ids above 255 are int objects in the id map.
        total += 32 * max(0, len(self._id_of) - 256)
        if self._vocab is not None:
            total += size(self._vocab)
        if self._vocab_by_len is not None:
            total += sum(size(words) for words in self._vocab_by_len.values())
        return total


class _Search:
    """State of one search: the groups, the hits so far, the rescoring budget."""

    def __init__(
        self,
        index: SearchIndex,
        pq: str,
        groups: list[_Group],
        limit: int,
        allowed: Callable[[Hashable], bool] | None,
        cancelled: Callable[[], bool],
    ) -> None:
        self.index = index
        self.pq = pq
        self.groups = groups
        self.limit = limit
        self.allowed = allowed
        self.allowed_cache: dict[int, bool] = {}
        self.cancelled = cancelled
        self.budget = RESCORE_BUDGET
        self.cap = max(POOL_CAP, 2 * limit)  # candidates per generator word and tier
        self.seen: set[int] = set()
        self.hits_by_doc: dict[int, tuple[float, float]] = {}  # doc -> (score, proxy)
        self.kth: list[float] = []  # the best `limit` scores, ascending (kept small)

    # ---- bookkeeping

    def kth_score(self) -> float:
        return self.kth[0] if len(self.kth) >= self.limit else -1.0

    def done(self, best_possible: float) -> bool:
        return len(self.kth) >= self.limit and self.kth[0] >= best_possible

    def _record(self, doc: int, score: float, proxy: float) -> None:
        self.hits_by_doc[doc] = (score, proxy)
        kth = self.kth
        if len(kth) < self.limit:
            insort(kth, score)
        elif score > kth[0]:
            kth.pop(0)
            insort(kth, score)

    # ---- one tier

    def run_tier(
        self, upper: float, floor: float, ranges: list[tuple[int, int]], next_upper: float
    ) -> bool:
        """Search one length tier; False when cancelled."""
        index = self.index
        lengths = index._lengths
        base = index._base
        id_ranges = []
        for lo, hi in ranges:
            a = bisect_left(lengths, lo, 0, base)
            b = bisect_right(lengths, hi, 0, base)
            if a < b:
                id_ranges.append((a, b))
        has_delta = len(index._lengths) > base
        if not id_ranges and not has_delta:
            return True
        self.budget = max(RESCORE_BUDGET, 2 * self.limit)
        generators = sorted(self.groups, key=lambda g: g.df)
        for generator in generators:
            if self.cancelled():
                return False
            pool = self._pool(generator, id_ranges, ranges, has_delta)
            if pool and not self._rescore(pool, upper):
                return False
            if self.budget <= 0 or self.done(min(floor, upper)):
                break
        if self.done(next_upper + EXACT_PHRASE_BONUS):
            return True
        size = sum(b - a for a, b in id_ranges) + len(index._lengths) - base
        if size > FILL_MAX:
            return True
        # A small tier without enough good hits: rescore all of it, like brute force.
        lengths = index._lengths
        rest = [doc for a, b in id_ranges for doc in range(a, b)]
        rest.extend(
            doc
            for doc in range(base, len(index._lengths))
            if any(lo <= lengths[doc] <= hi for lo, hi in ranges)
        )
        pool = [(0.0, doc) for doc in self._admit(rest)]
        self.budget = len(pool)
        return not pool or self._rescore(pool, upper)

    def _pool(
        self,
        generator: _Group,
        id_ranges: list[tuple[int, int]],
        ranges: list[tuple[int, int]],
        has_delta: bool,
    ) -> list[tuple[float, int]]:
        """Candidates from ``generator``'s posting lists in this tier, with their proxy scores."""
        index = self.index
        postings = index._postings
        texts = index._texts
        lengths = index._lengths
        base = index._base
        # doc -> weight of the best variant it contains (variants come best first;
        # setdefault through map() keeps the loop in C).
        picked: dict[int, float] = {}
        setdefault = picked.setdefault
        cap = self.cap
        # With a filter, look further: a narrow one admits few of the first postings.
        scan = 2 * cap if self.allowed is None else FILTERED_SCAN
        take = cap if self.allowed is None else FILTERED_SCAN
        for word, weight in generator.variants:
            posting = postings[word]
            for a, b in id_ranges:
                i = bisect_left(posting, a)
                j = bisect_left(posting, b, i)
                if i < j:
                    deque(map(setdefault, posting[i : min(j, i + take)], repeat(weight)), 0)
            if has_delta:
                i = bisect_left(posting, base)
                for doc in posting[i:]:
                    n = lengths[doc]
                    if any(lo <= n <= hi for lo, hi in ranges):
                        setdefault(doc, weight)
            if len(picked) >= scan:
                break
        candidates = self._admit(picked, cap)
        if not candidates:
            return []
        pq = self.pq
        others = [(g.weight, g.probes) for g in self.groups if g is not generator]
        base_weight = generator.weight
        scored: list[tuple[float, int]] = []
        for doc in candidates:
            text = texts[doc]
            proxy = base_weight * picked[doc]
            if pq in text:
                proxy += _PHRASE_PROXY
            for weight, probes in others:
                for probe in probes:
                    if probe in text:
                        proxy += weight
                        break
            scored.append((proxy, doc))
        return scored

    def _admit(self, docs: Iterable[int], cap: int | None = None) -> list[int]:
        """The live, allowed and not yet seen ``docs`` (at most ``cap``); marks them seen."""
        texts = self.index._texts
        keys = self.index._keys
        seen = self.seen
        allowed = self.allowed
        allowed_cache = self.allowed_cache
        admitted: list[int] = []
        for doc in docs:
            if doc in seen or doc not in texts:
                continue
            seen.add(doc)
            if allowed is not None:
                ok = allowed_cache.get(doc)
                if ok is None:
                    ok = allowed_cache[doc] = bool(allowed(keys[doc]))
                if not ok:
                    continue
            admitted.append(doc)
            if cap is not None and len(admitted) >= cap:
                break
        return admitted

    def _rescore(self, pool: list[tuple[float, int]], upper: float) -> bool:
        """Rescore the best of ``pool`` by proxy with WRatio; False when cancelled."""
        texts = self.index._texts
        pq = self.pq
        take = min(len(pool), max(self.budget, self.limit))
        pool = nlargest(take, pool, key=lambda item: (item[0], -item[1]))
        phrase_left = sum(1 for proxy, _doc in pool if proxy >= _PHRASE_PROXY)
        for start in range(0, len(pool), BATCH):
            if self.cancelled():
                return False
            batch = pool[start : start + BATCH]
            cutoff = max(0.0, self.kth_score() - EXACT_PHRASE_BONUS)
            choices = [texts[doc] for _proxy, doc in batch]
            for _choice, score, i in process.extract(
                pq, choices, scorer=fuzz.WRatio, processor=None, limit=None, score_cutoff=cutoff
            ):
                proxy, doc = batch[i]
                if proxy >= _PHRASE_PROXY:
                    score = min(100.0, score + EXACT_PHRASE_BONUS)
                if score > 0:
                    self._record(doc, score, proxy)
            self.budget -= len(batch)
            phrase_left -= sum(1 for proxy, _doc in batch if proxy >= _PHRASE_PROXY)
            best_left = upper + (EXACT_PHRASE_BONUS if phrase_left > 0 else 0.0)
            if self.done(min(100.0, best_left)) or self.budget <= 0:
                break
        return True

    # ---- results

    def hits(self) -> list[SearchHit]:
        index = self.index
        lengths = index._lengths
        best = nlargest(
            self.limit,
            self.hits_by_doc.items(),
            key=lambda item: (item[1][0], item[1][1], -lengths[item[0]], -item[0]),
        )
        # nlargest with -id keeps the earlier id first among equal keys.
        hits = []
        for doc, (score, _proxy) in best:
            hits.append(
                SearchHit(
                    key=index._keys[doc],
                    score=round(score, 2),
                    spans=self._spans(doc),
                )
            )
        return hits

    def _spans(self, doc: int) -> tuple[tuple[int, int], ...]:
        index = self.index
        text = index._texts[doc]
        lead = index._leads[doc]
        pq = self.pq
        spans: list[tuple[int, int]] = []
        at = text.find(pq)
        if at >= 0:
            spans.append((at, at + len(pq)))
        else:
            alignment = fuzz.partial_ratio_alignment(pq, text)
            if alignment.score >= 90:
                start, end = alignment.dest_start, alignment.dest_end
                while start < end and text[start] == " ":
                    start += 1
                while end > start and text[end - 1] == " ":
                    end -= 1
                if start < end:
                    spans.append((start, end))
            words = {word for group in self.groups for word, _w in group.variants[:50]}
            tokens = {group.token for group in self.groups}
            for match in _WORD.finditer(text):
                word = match.group()
                if word in words or any(word.startswith(t) for t in tokens):
                    spans.append(match.span())
        return _merge(spans, lead, index._marked.get(doc))


def _merge(
    spans: list[tuple[int, int]], lead: int, original: str | None
) -> tuple[tuple[int, int], ...]:
    """Sorted, non-overlapping spans shifted into the original text."""
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    result = []
    for start, end in merged:
        start, end = start + lead, end + lead
        if original is not None:
            # A highlight that ends on a base letter covers its combining marks.
            while end < len(original) and _is_mark(original[end]):
                end += 1
        result.append((start, end))
    return tuple(result)


def _process(text: str) -> tuple[str, int]:
    """``default_process(text)`` and how many code points it trimmed at the start."""
    processed = default_process(text)
    if not processed:
        return processed, 0
    lead = 0
    while default_process(text[lead]) == "":
        lead += 1
    return processed, lead


def one_edit(token: str, alphabet: str) -> set[str]:
    """Strings one deletion, transposition, substitution or insertion away from ``token``."""
    n = len(token)
    out = {token[:i] + token[i + 1 :] for i in range(n)}
    out.update(token[:i] + token[i + 1] + token[i] + token[i + 2 :] for i in range(n - 1))
    for i in range(n + 1):
        head, tail = token[:i], token[i:]
        out.update(head + char + tail for char in alphabet)
        if i < n:
            rest = token[i + 1 :]
            out.update(head + char + rest for char in alphabet)
    out.discard(token)
    return out


def _never() -> bool:
    return False


def _has_marks(text: str) -> bool:
    """Whether ``text`` has combining marks (Unicode category M*)."""
    if text.isascii():
        return False
    return any(_is_mark(char) for char in set(text) if char >= "\u0300")


@lru_cache(maxsize=4096)
def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"
