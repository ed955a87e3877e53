"""The persistent word index of coded passages and memos: *find the passage I
half-remember*, from the command line and as you type, at a million passages.

Why words, kept in the database file
------------------------------------
A half-remembered fragment ("by th edelays in U.S.", "51 people i nYen Bai",
"its soveerignty. For the full") carries one slip: two characters swapped
(also across a space), a letter dropped, doubled, stray or wrong, two words in
the wrong order, a word left out, the last word not finished. Every slip but a
swap across a space leaves all words but one intact, and the damaged word is
one edit from the word it stands for; a swap across a space moves one
character from one word to its neighbour ("threa tas" is "threat as"). So the
candidates come from a *word* index whose lookups survive each slip:

* each query word stands for the vocabulary words one edit away (deletion,
  transposition, substitution, insertion: generated and looked up), its
  completions when it is the word being typed (or the query's last word), and
  two words stuck together or split ("move s" -> "moves");
* each pair of neighbouring query words also stands for the pair with one
  character moved across the space between them ("th edelays" -> "the delays");
* a passage's *proxy* is the sum of the query words it contains (each weighted
  by its rarity, IDF, and by how good a variant matched): a passage missing one
  word, or with two words in another order, loses one word's weight at most;
* two neighbouring query words (each through its best variants, in the
  query's order or reversed) may be a *rare pair* of the project's words:
  the passages that hold those two words side by side.

Words alone stop telling passages apart at a million passages cut from the
same few articles: every word of a five-word fragment is then in thousands
of passages, and only the order of two of them ("week. This", where one
sentence ends and another begins) picks out the few that hold the fragment.
The pairs kept (``search_pairs``, see ``margin.store.word_postings``) are
those of two words each too common to bring its passages by itself, with
their items when at most ``PAIR_RARE`` hold them, marked too common
otherwise: on the bench's million passages 46,385 pairs (7,307 marked) and a
few MB, where all the pairs of all the words would be 263,000 holding 35
million ids (and, on more varied text, many times that).

Character trigrams (FTS5's ``trigram`` tokenizer) were measured and dropped:
on a project whose passages share their vocabulary (100,000 passages cut from
news articles) a trigram posting list is most of the project, so the work per
keystroke grows with the project (20-100 ms per word at 100k), and a trigram
phrase needs the passage's punctuation typed as it is.

Candidates and ranking
----------------------
Candidates are the items that hold two of the three rarest query words (with
their variants; one of the three may be the word with the slip), filled up
with the items of the rarest words themselves, at most :data:`GENERATOR_CAP`;
then every item of a *rare* word the query may mean (in at most :data:`RARE`
items, as typed or moved across a space; the rarest first, :data:`RARE_BUDGET` in
all), which the cap would otherwise cut at a million passages when a common
neighbour makes its group common ("guarajtees", where "guarantees" is in
100,000 items); then the holders of the query's rare pairs (the rarest pair
first, :data:`PAIR_BUDGET` items in all).
Each candidate's *proxy* adds the other words it holds, by set intersection or
binary search in their posting lists (words in more than :data:`COMMON` of a
big project's items count for nothing). The :data:`READ` best by proxy
(:data:`READ_TIED` when more than that tie for the best) are read from the
database, and with them the best :data:`PAIR_READ` holders of a rare pair
whatever their proxy (a rare pair says nothing of how well the rest of the
passage matches: its text does; counted in the proxy, the project's typos
of common pairs would push the passage out); ``partial_ratio`` keeps the
:data:`RESCORE` that hold the query's
words in its order, ranked by :func:`score`: ``partial_ratio`` (the query as
a near-substring), ``token_set_ratio`` (the words in any order), the share
of the query's words found in its order in a stretch of the passage one word
longer than the query (:func:`ordered`: a word the researcher left out of
the fragment costs ``partial_ratio`` a gap, while another passage with the
same words in another order may hold a longer exact run), and the share of
the query's letters in words the passage contains (each allowing a slip; the
last word may be unfinished). Nothing depends on how many results
are asked for below :data:`RESCORE`, so a smaller limit is the beginning of a
larger one.

A query word that is a rare spelling of a word one edit away at least
:data:`RARE_RATIO` times as common ("esaily" beside "easily": a slip, or the
project's own typo) is read both ways: its edits are among its variants even
when it is short, and the first :data:`READINGS_WITHIN` results hold both
readings (the best of the missing one moves up to place :data:`READING_AT`),
since only the researcher knows which was meant. "Rare" grows with the
project (:data:`RARE_SPELLING_SHARE`): at a million passages "tht" is in
1,171 of them and "that" in 422,943. A passage holds the common reading when
it matches the query better with the common word in its place (a passage
holding "which" somewhere does not); the passages that match each common
reading best are scored too, as those with the spelling as typed can fill
every place scored.

Between keystrokes the reader keeps the texts it read (:data:`TEXT_CACHE`
items, least recently used dropped; an item the log names is dropped at once,
all of them on a rebuild), the posting lists (:data:`CACHE_BYTES`) and the
variants of each query word: the next keystroke mostly reads the same
candidates.

Persistent and in step
----------------------
The index lives in the database file (migration ``0010_search_word_index``):

* ``search_postings``: one row per vocabulary word (rowid = its position in
  the sorted vocabulary + 1), the ascending ids of the items that contain it
  (``array('I')``, little-endian);
* ``search_meta``: the vocabulary (one text, words in order), their document
  frequencies (one blob), the log position the postings include, and a
  generation number that changes with each rebuild;
* ``search_pairs`` (migration ``0012_search_word_pairs``): the rare pairs
  ("a b"), each with the ascending ids of the items that hold it;
* ``search_log``: one row per changed item, written by SQLite triggers on
  ``codings`` and ``memos`` — so every write is logged in its own
  transaction, whoever makes it: an action, its undo and redo, another margin,
  sqlite-utils or Datasette.

An *item* is a coded passage's quote (``coding id x 4``), a coding's memo
(``x 4 + 1``) or a memo on a document or code (``memo id x 4 + 2``). A reader
(:class:`WordIndex`) takes the postings as they are on disk and the items
logged since as a small in-memory delta (their current text read from their
tables, their words and pairs; a deleted item is a tombstone). :func:`rebuild` folds everything into
the postings (one snapshot read, one short write) and empties the log; the
app does it in the background, ``margin search`` before it searches, once the
log has grown past ``rebuild_due()`` (all in ``margin.store.word_postings``).
A missing index (tables dropped, an older file) is rebuilt the same way.

Pure Python + rapidfuzz; the database is read through ``margin.store.db``.
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from operator import itemgetter

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq
from rapidfuzz.utils import default_process

from margin.store import word_postings
from margin.store.db import Database
from margin.store.search.index import one_edit
from margin.store.word_postings import from_bytes, item_texts, pairs_of

#: Most candidates one generator word supplies.
GENERATOR_CAP = 4_000
#: Candidates read (the best by proxy) and ranked by partial_ratio.
READ = 200
#: Read when at least READ items tie for the best proxy.
READ_TIED = 600
#: Of those, the best scored in full (:func:`score`).
RESCORE = 100
#: Most vocabulary variants per query word.
MAX_VARIANTS = 40
#: Variants of a query word (the best first) that count in the proxy.
PROXY_VARIANTS = 12
#: Completions of the word being typed.
MAX_COMPLETIONS = 40
#: A word in more than this share of the items weighs (almost) nothing and
#: does not generate candidates.
COMMON = 0.25
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
#: A variant in at most this many items supplies them all as candidates (the
#: rarest first, at most RARE_BUDGET items in all).
RARE = 1_000
RARE_BUDGET = 2_000
#: A query word in at most RARE items (or RARE_SPELLING_SHARE of them, in a
#: big project, where the project's own typos of a common word repeat) with a
#: word one edit away RARE_RATIO times as common is read both ways: the first
#: READINGS_WITHIN results hold both (one of them moved up to place
#: READING_AT, if its score is within READING_GAP of the first result's).
RARE_RATIO = 20
RARE_SPELLING_SHARE = 0.005
READINGS_WITHIN = 10
#: Common readings looked at, and the passages best for each scored too.
READINGS = 6
READING_EXTRA = 3
READING_AT = 2
READING_GAP = 15.0
#: The pairs of neighbouring words looked up (the best variants of each word
#: of a pair, in the query's order and reversed), and the most items their
#: holders add as candidates (the rarest pair first).
PAIR_VARIANTS = 6
PAIR_BUDGET = 3_000
PAIR_READ = 30
#: Pairs looked up whose ids (or absence) are kept between searches.
PAIR_CACHE = 20_000
_W_REVERSED = 0.8
#: Words in at most this many items are paired to find candidates.
HOLDERS_MAX = 40_000
#: Below this many items, no word is too common to count.
SMALL = 2000
#: Posting lists kept in memory between searches (bytes).
CACHE_BYTES = 32 << 20
#: Items whose text (as stored and processed) is kept between searches: the
#: next keystroke reads mostly the candidates of the last one.
TEXT_CACHE = 12_000

_W_EXACT, _W_PREFIX, _W_EDIT, _W_BOUNDARY = 1.0, 0.85, 0.75, 0.8


# ------------------------------------------------------------------ reading


@dataclass(frozen=True, slots=True)
class WordHit:
    item: int
    score: float
    text: str  # the item's text as stored (spans_of() finds what to highlight)


class _Group:
    __slots__ = ("df", "token", "variants", "weight")
    # (variants: best first; see WordIndex._groups)

    def __init__(self, token: str) -> None:
        self.token = token
        self.variants: dict[str, float] = {}  # word -> weight
        self.df = 0
        self.weight = 0.0


class WordIndex:
    """A reader of the persistent word index (one per process; not thread-safe:
    one search or :meth:`sync` at a time)."""

    def __init__(self) -> None:
        self.generation = None
        self.words: list[str] = []
        self.position: dict[str, int] = {}
        self.frequencies = array("I")
        self.items = 0
        self.built_seq = 0
        self.seen_seq = 0
        # Items logged since the postings were built: their processed text
        # (None: removed), and the words of those that exist.
        self.dirty: dict[int, str | None] = {}
        self.delta: dict[str, set[int]] = {}
        self.pair_delta: dict[str, set[int]] = {}  # the same for pairs of words
        self._sorted_delta: list[str] | None = None
        self._chars = _ALPHABET
        # pair -> its base ids (empty: not kept), None: too common to be kept
        self._pairs: OrderedDict[str, array | None] = OrderedDict()
        self._pairs_above: int | None = None  # the rebuild's PAIR_WORDS_ABOVE
        self._cache: OrderedDict[str, array] = OrderedDict()
        self._cached_bytes = 0
        self._expansions: OrderedDict[tuple, dict[str, float]] = OrderedDict()
        # item -> (text as stored, processed text); an item the log names is
        # dropped from it in sync(), everything on a rebuild.
        self._texts: OrderedDict[int, tuple[str, str]] = OrderedDict()
        self._spellings: dict[str, set[str]] = {}  # see _rare_spellings()

    @property
    def size(self) -> int:
        """Items searched (the log's changes counted roughly: an updated memo
        counts as added)."""
        present = sum(1 for text in self.dirty.values() if text is not None)
        return max(0, self.items + present - (len(self.dirty) - present))

    # ---- keeping up

    def sync(self, db: Database) -> bool:
        """Follow the database: the postings after a rebuild, the log since.
        True if anything changed."""
        row = db.execute("SELECT value FROM search_meta WHERE key = 'generation'").fetchone()
        generation = row[0] if row else None
        changed = False
        if generation != self.generation:
            self._load(db, generation)
            changed = True
        logged = db.execute("SELECT seq, item FROM search_log WHERE seq > ? ORDER BY seq",
                            [self.seen_seq]).fetchall()
        if logged:
            items = {item for _seq, item in logged}
            self.seen_seq = logged[-1][0]
            for item in items:
                self._forget(item)
                self._texts.pop(item, None)
            found = dict(item_texts(db, items))
            for item in items:
                text = found.get(item)
                processed = default_process(text) if text else None
                self.dirty[item] = processed or None
                if processed:
                    words = processed.split()
                    for word in set(words):
                        if word not in self.delta:
                            self._sorted_delta = None
                        self.delta.setdefault(word, set()).add(item)
                    if self._pairs_above is not None:
                        for pair in pairs_of(words, self._common):
                            self.pair_delta.setdefault(pair, set()).add(item)
            self._expansions.clear()
            self._spellings.clear()
            changed = True
        return changed

    def _forget(self, item: int) -> None:
        old = self.dirty.get(item)
        if old:
            words = old.split()
            for word in set(words):
                holders = self.delta.get(word)
                if holders is not None:
                    holders.discard(item)
            for pair in pairs_of(words, _any_word):
                holders = self.pair_delta.get(pair)
                if holders is not None:
                    holders.discard(item)

    def _load(self, db: Database, generation) -> None:
        meta = dict(db.execute("SELECT key, value FROM search_meta").fetchall())
        vocabulary = meta.get("vocabulary") or ""
        self.words = vocabulary.split("\n") if vocabulary else []
        self.position = {word: number for number, word in enumerate(self.words, start=1)}
        self.frequencies = from_bytes(meta.get("frequencies") or b"")
        self.items = int(meta.get("items") or 0)
        self.built_seq = int(meta.get("built_seq") or 0)
        self.seen_seq = self.built_seq
        self.generation = generation
        self.dirty = {}
        self.delta = {}
        self.pair_delta = {}
        self._pairs.clear()
        # (None: a file from before the pairs, searched without them)
        above = meta.get("pairs_above")
        self._pairs_above = int(above) if above is not None else None
        self._sorted_delta = None
        self._cache.clear()
        self._cached_bytes = 0
        self._expansions.clear()
        self._spellings.clear()
        self._texts.clear()
        counts: dict[str, int] = {}
        for word in self.words[:: max(1, len(self.words) // 2000)]:
            for char in word:
                counts[char] = counts.get(char, 0) + 1
        common = [c for c in sorted(counts, key=lambda c: -counts[c]) if c not in _ALPHABET]
        self._chars = _ALPHABET + "".join(common[:10])

    # ---- vocabulary

    def _common(self, word: str) -> bool:
        """Whether pairs of ``word`` are kept (as the rebuild keeps them)."""
        return self.df(word) > self._pairs_above

    def df(self, word: str) -> int:
        number = self.position.get(word)
        base = self.frequencies[number - 1] if number else 0
        return base + len(self.delta.get(word, ()))

    def known(self, word: str) -> bool:
        return word in self.position or bool(self.delta.get(word))

    def postings(self, db: Database, word: str) -> array:
        """The base posting list of ``word`` (cached)."""
        cached = self._cache.get(word)
        if cached is not None:
            self._cache.move_to_end(word)
            return cached
        number = self.position.get(word)
        ids = array("I")
        if number:
            row = db.execute("SELECT ids FROM search_postings WHERE id = ?", [number]).fetchone()
            if row:
                ids = from_bytes(row[0])
        self._cache[word] = ids
        self._cached_bytes += len(ids) * ids.itemsize
        while self._cached_bytes > CACHE_BYTES and len(self._cache) > 1:
            _word, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= len(dropped) * dropped.itemsize
        return ids

    def pair_postings(self, db: Database, pairs: list[str]) -> dict[str, array]:
        """The base ids of those ``pairs`` of words that are kept and rare (a
        pair too common to be kept is left out, whatever the log adds to it;
        cached, looked up in one query)."""
        if self._pairs_above is None:
            return {}
        cache = self._pairs
        missing = [pair for pair in dict.fromkeys(pairs) if pair not in cache]
        for start in range(0, len(missing), 900):
            chunk = missing[start : start + 900]
            found = dict(db.execute(
                f"SELECT pair, ids FROM search_pairs WHERE pair IN ({','.join('?' * len(chunk))})",
                chunk).fetchall())
            for pair in chunk:
                ids = found.get(pair)
                cache[pair] = array("I") if ids is None else (from_bytes(ids) if ids else None)
        out = {}
        for pair in pairs:
            ids = cache[pair]
            cache.move_to_end(pair)
            if ids is not None and (ids or self.pair_delta.get(pair)):
                out[pair] = ids
        while len(cache) > PAIR_CACHE:
            cache.popitem(last=False)
        return out

    def _pair_holders(self, db: Database, tokens: list[str], groups: list[_Group],
                      n: int) -> list[tuple[float, list[int]]]:
        """The rare pairs of the project's words that two neighbouring query
        words may stand for (their variants, in the query's order or
        reversed), the rarest first: for each, its weight (its rarity, IDF,
        times how good its variants are) and the items that hold it."""
        by_token = {group.token: group for group in groups}
        combos: dict[str, float] = {}
        for a, b in pairwise(tokens):
            left_group, right_group = by_token.get(a), by_token.get(b)
            if left_group is None or right_group is None:
                continue
            lefts = list(left_group.variants.items())[:PAIR_VARIANTS]
            rights = list(right_group.variants.items())[:PAIR_VARIANTS]
            for left, left_weight in lefts:
                for right, right_weight in rights:
                    weight = min(left_weight, right_weight)
                    for pair, value in ((f"{left} {right}", weight),
                                        (f"{right} {left}", weight * _W_REVERSED)):
                        if combos.get(pair, 0.0) < value:
                            combos[pair] = value
        if not combos:
            return []
        dirty = self.dirty
        out = []
        for pair, ids in self.pair_postings(db, list(combos)).items():
            holders = [item for item in ids if item not in dirty] if dirty else list(ids)
            holders.extend(self.pair_delta.get(pair, ()))
            if len(holders) > word_postings.PAIR_RARE:
                continue  # (common now, with what the log adds)
            weight = combos[pair] * (math.log(1.0 + n / (1 + len(holders))) + 0.05)
            out.append((weight, holders))
        out.sort(key=lambda entry: (len(entry[1]), -entry[0]))
        return out

    def texts(self, db: Database, items: list[int]) -> dict[int, tuple[str, str]]:
        """(text as stored, processed text) of those ``items`` that exist (cached)."""
        cache = self._texts
        out: dict[int, tuple[str, str]] = {}
        missing = []
        for item in items:
            found = cache.get(item)
            if found is None:
                missing.append(item)
            else:
                cache.move_to_end(item)
                out[item] = found
        for item, text in item_texts(db, missing):
            if text:
                out[item] = cache[item] = (text, default_process(text))
        while len(cache) > TEXT_CACHE:
            cache.popitem(last=False)
        return out

    def _completions(self, prefix: str, limit: int) -> list[str]:
        words = self.words
        out = []
        i = bisect_left(words, prefix)
        while i < len(words) and words[i].startswith(prefix) and len(out) < 4 * limit:
            if words[i] != prefix:
                out.append(words[i])
            i += 1
        if self._sorted_delta is None:
            self._sorted_delta = sorted(w for w, s in self.delta.items() if s)
        j = bisect_left(self._sorted_delta, prefix)
        while j < len(self._sorted_delta) and self._sorted_delta[j].startswith(prefix):
            if self._sorted_delta[j] != prefix:
                out.append(self._sorted_delta[j])
            j += 1
        out.sort(key=lambda w: -self.df(w))
        return out[:limit]

    def _edits(self, token: str) -> list[str]:
        return [word for word in one_edit(token, self._chars) if self.known(word)]

    # ---- search

    def _variants(self, token: str, last: bool, typing: bool) -> dict[str, float]:
        """The vocabulary words ``token`` may stand for, with their weights (cached)."""
        key = (token, last, typing)
        cached = self._expansions.get(key)
        if cached is not None:
            return cached
        variants: dict[str, float] = {}
        self._expand(token, last, typing, variants)
        self._expansions[key] = variants
        if len(self._expansions) > 4096:
            self._expansions.popitem(last=False)
        return variants

    def _expand(self, token: str, last: bool, typing: bool, variants: dict[str, float]) -> None:
        if self.known(token):
            variants[token] = _W_EXACT
        if last or len(token) >= 3:
            # The last word may be unfinished; any word may be cut short.
            limit = MAX_COMPLETIONS if (last and typing) else 8
            if last or len(token) >= 4:
                for word in self._completions(token, limit):
                    variants.setdefault(word, _W_PREFIX)
        # A known short word is most likely what was meant; an unknown one, a
        # longer one (a slip can make another word: "form", "from") or a rare
        # spelling of a common word ("weer", "were") may stand for the words
        # one edit away.
        if len(token) >= 5 or (len(token) >= 3 and (
                last or not self.known(token) or self._rare_spellings([token]))):
            for word in self._edits(token):
                variants.setdefault(word, _W_EDIT)
            if last and typing and len(token) >= 4:
                # The word being typed, with a slip in what is typed so far.
                for edited in one_edit(token, self._chars):
                    for word in self._completions(edited, 3):
                        variants.setdefault(word, _W_EDIT * _W_PREFIX)
                    if len(variants) > MAX_VARIANTS:
                        break

    def _groups(self, words: list[str], typing: bool) -> list[_Group]:
        groups = [_Group(word) for word in words]
        last = len(words) - 1
        for i, group in enumerate(groups):
            group.variants = dict(self._variants(group.token, i == last, typing))
        # Slips at a word boundary: a character moved across the space, two
        # words stuck together or one split in two.
        for i in range(len(words) - 1):
            a, b = words[i], words[i + 1]
            pairs = [(a + b[0], b[1:]), (a[:-1], a[-1] + b)]
            for left, right in pairs:
                if left and right and self.known(left) and self.known(right):
                    groups[i].variants.setdefault(left, _W_BOUNDARY)
                    groups[i + 1].variants.setdefault(right, _W_BOUNDARY)
            if self.known(a + b):
                groups[i].variants.setdefault(a + b, _W_BOUNDARY)
                groups[i + 1].variants.setdefault(a + b, _W_BOUNDARY)
        n = max(1, self.items + len(self.dirty))
        kept = []
        for group in groups:
            if not group.variants:
                continue
            best = sorted(group.variants.items(), key=lambda kv: (-kv[1], -self.df(kv[0])))
            group.variants = dict(best[:MAX_VARIANTS])
            group.df = sum(self.df(word) for word in group.variants)
            group.weight = math.log(1.0 + n / (1 + group.df)) + 0.05
            kept.append(group)
        return kept

    def _holders(self, db: Database, group: _Group) -> set[int]:
        """Every item that holds one of ``group``'s words."""
        found: set[int] = set()
        for word in group.variants:
            found.update(self.postings(db, word))
            found.update(self.delta.get(word, ()))
        return found

    def search(
        self,
        db: Database,
        query: str,
        limit: int = 50,
        cancelled: Callable[[], bool] | None = None,
        allowed: Callable[[list[int]], list[int]] | None = None,
    ) -> list[WordHit]:
        """The best items for ``query``, best first. ``allowed`` takes candidate
        items and returns those the filters let through."""
        pq = default_process(query)
        tokens = pq.split()
        words = list(dict.fromkeys(tokens))
        if not words or limit <= 0:
            return []
        typing = not query[-1:].isspace()
        groups = self._groups(words, typing)
        if not groups:
            return []
        n = max(1, self.items + len(self.dirty))
        by_rarity = sorted(groups, key=lambda g: g.df)
        # In a small project no word is too common to count.
        common = COMMON * n if n > SMALL else n + 1
        usable = [g for g in by_rarity if g.df <= common] or by_rarity[:1]
        generators = usable[:3]
        paired = [g for g in generators if g.df <= HOLDERS_MAX]
        dirty = self.dirty
        cap = GENERATOR_CAP if allowed is None else 8 * GENERATOR_CAP
        # Candidates: the items that hold two of the three rarest words (one
        # of them may be the one with the slip), then, to fill up, the
        # items of the rarest words themselves.
        holders = [self._holders(db, group) for group in paired] if len(paired) > 1 else []
        candidates: set[int] = set()
        for i in range(len(holders)):
            for j in range(i + 1, len(holders)):
                candidates |= holders[i] & holders[j]
        if len(candidates) > cap:
            candidates = set(sorted(candidates)[:cap])
        for group in generators[:2]:
            if len(candidates) >= cap:
                break
            room = cap - len(candidates)
            for word, _weight in sorted(group.variants.items(), key=lambda kv: -kv[1]):
                ids = self.postings(db, word)
                candidates.update(ids if len(ids) <= room else ids[:room])
                candidates.update(self.delta.get(word, ()))
                room = cap - len(candidates)
                if room <= 0:
                    break
        # A rare word the query may mean (as typed, or one edit away) is the
        # surest sign of its passage: its items are candidates whatever the
        # other words hold ("security guarajtees": the five items of the rare
        # spelling, where its neighbour "guarantees" makes that word common).
        # (The words as typed, or moved across a space; not their edits, which
        # at a million passages are the project's own typos of common words,
        # nor the completions of the word being typed, which the next
        # keystroke narrows.)
        budget = RARE_BUDGET
        for df, word in sorted({(self.df(word), word) for group in groups
                                for word, weight in group.variants.items()
                                if weight >= _W_BOUNDARY and weight != _W_PREFIX}):
            if df > min(RARE, budget):
                break
            candidates.update(self.postings(db, word))
            candidates.update(self.delta.get(word, ()))
            budget -= df
        # Two neighbouring words that are a rare pair in the project bring
        # their passages too: at a million passages each word of a
        # half-remembered fragment may be in thousands, and only the order of
        # two ("week. This", where one sentence ends and the next begins)
        # tells its passage from the others.
        pairs = self._pair_holders(db, tokens, groups, n)
        budget = PAIR_BUDGET
        for _weight, holders in pairs:
            if len(holders) <= budget:
                candidates.update(holders)
                budget -= len(holders)
        if cancelled is not None and cancelled():
            return []
        if dirty:
            candidates = {item for item in candidates
                          if item not in dirty or dirty[item] is not None}
        if allowed is not None:
            candidates = set(allowed(sorted(candidates)))
        if not candidates:
            return []
        # Proxy: the words of the query each candidate contains, by rarity; a
        # word matched only through a spelling one edit away counts 0.7.
        proxy = dict.fromkeys(candidates, 0.0)
        ordered: list[int] | None = None
        for group in groups:
            if group.df > common and group not in generators:
                continue
            strong: set[int] = set()
            weak: set[int] = set()
            for word, weight in list(group.variants.items())[:PROXY_VARIANTS]:
                if self.df(word) > common:
                    continue
                ids = self.postings(db, word)
                if len(ids) <= 16 * len(candidates):
                    hits = candidates.intersection(ids)
                else:
                    if ordered is None:
                        ordered = sorted(candidates)
                    hits = set()
                    for item in ordered:
                        i = bisect_left(ids, item)
                        if i < len(ids) and ids[i] == item:
                            hits.add(item)
                if dirty:
                    hits.difference_update(dirty)
                more = self.delta.get(word)
                if more:
                    hits.update(candidates.intersection(more))
                (strong if weight >= _W_BOUNDARY else weak).update(hits)
            weak -= strong
            weight = group.weight
            for item in strong:
                proxy[item] += weight
            weight *= 0.7
            for item in weak:
                proxy[item] += weight
            if cancelled is not None and cancelled():
                return []
        # The best by proxy (ties: the lower item first), read and scored.
        # A stable sort keeps the earlier of equal proxies: the order does not
        # depend on ``limit``.
        keep = max(READ_TIED, limit)
        if len(proxy) > keep:  # (the sort below only on those that may be kept)
            floor = sorted(proxy.values(), reverse=True)[keep - 1]
            ranked = [entry for entry in proxy.items() if entry[1] >= floor]
        else:
            ranked = list(proxy.items())
        ranked.sort(key=itemgetter(1), reverse=True)
        del ranked[keep:]
        depth = max(READ, limit)
        if len(ranked) > depth and ranked[depth - 1][1] >= ranked[0][1]:
            # More items hold all of the query's words than are read: which of
            # them hold them in the query's order only their text tells.
            depth = len(ranked)
        best = [item for item, _proxy in ranked[:depth]]
        # The holders of the query's rare pairs are read too, whatever their
        # proxy (the best pairs first): a rare pair is a typo or where one
        # sentence meets another, so it says nothing of how well the rest
        # matches; their text does.
        if pairs:
            chosen = set(best)
            weights: dict[int, float] = {}
            for weight, holders in pairs:
                for item in holders:
                    if item in proxy and item not in chosen and weights.get(item, 0.0) < weight:
                        weights[item] = weight
            best += sorted(weights, key=lambda item: (-weights[item], item))[:PAIR_READ]
        texts = self.texts(db, best)
        # Many passages share the query's words (the proxy ties): partial_ratio,
        # cheap, picks the ones that hold them in the query's order.
        processed = {item: texts[item][1] for item in best if item in texts}
        # (extract keeps the earlier of equal scores, as a stable sort does.)
        partial = {item: value for _text, value, item in process.extract(
            pq, processed, scorer=fuzz.partial_ratio, limit=max(RESCORE, limit))}
        rare = self._rare_spellings(words)
        readings = _common_readings(pq, rare, self.df)
        for reading in readings:
            # Where the project holds a rare spelling many times over, the
            # passages with it as typed may fill every place: the best few
            # with the common word in its place are scored too.
            closest = process.extract(reading, processed, scorer=fuzz.partial_ratio,
                                      limit=len(partial) + READING_EXTRA)
            for _text, _value, item in [entry for entry in closest
                                        if entry[2] not in partial][:READING_EXTRA]:
                partial[item] = fuzz.partial_ratio(pq, processed[item])
        scored = []
        for item, value in partial.items():
            scored.append((-score(pq, processed[item], typing, value), item, texts[item][0]))
        scored.sort()
        if readings:
            _both_readings(scored, partial, rare, readings, processed)
        return [WordHit(item, round(-negative, 2), text)
                for negative, item, text in scored[:limit]]

    def _rare_spellings(self, words: list[str]) -> dict[str, set[str]]:
        """Query words that are a rare spelling of words one edit away at least
        RARE_RATIO times as common (a slip, or the project's own typo:
        "esaily", "thsee", "guarajtees"), with those words (cached)."""
        out = {}
        for word in words:
            common = self._spellings.get(word)
            if common is None:
                common = set()
                df = self.df(word)
                rare = max(RARE, RARE_SPELLING_SHARE * (self.items + len(self.dirty)))
                if 0 < df <= rare and len(word) >= 3:
                    common = {other for other in self._edits(word)
                              if self.df(other) >= RARE_RATIO * df}
                self._spellings[word] = common
                if len(self._spellings) > 4096:
                    self._spellings.clear()
            if common:
                out[word] = common
        return out


def _any_word(_word: str) -> bool:
    return True


def _common_readings(pq: str, rare: dict[str, set[str]],
                     df: Callable[[str], int]) -> list[str]:
    """The processed query with one of its rare spellings replaced by a
    common word (the commonest first; its spaces kept, as partial_ratio
    counts them), at most :data:`READINGS` of them."""
    parts = re.split(r"(\s+)", pq)
    readings = []
    for i, part in enumerate(parts):
        for common in sorted(rare.get(part, ()), key=lambda word: -df(word)):
            readings.append("".join([*parts[:i], common, *parts[i + 1:]]))
    return readings[:READINGS]


def _both_readings(scored: list[tuple], partial: dict[int, float], rare: dict[str, set[str]],
                   readings: list[str], processed: dict[int, str]) -> None:
    """Where a query word is a rare spelling of a common word, the first
    results show both readings. If none of the first READINGS_WITHIN reads
    better with a common word in its place, the one after them that reads
    best so moves up to place READING_AT (with the score of the one it joins)
    when its own score is within READING_GAP of the first; if none holds the
    word as typed, the best that does."""

    fit_of: dict[int, float] = {}

    def common_fit(entry: tuple) -> float:
        """How well the passage holds a common reading (0: no better than as
        typed, its ``partial``)."""
        item = entry[1]
        fit = fit_of.get(item)
        if fit is None:
            text = processed[item]
            fit = fit_of[item] = max(
                fuzz.partial_ratio(other, text, score_cutoff=partial[item] + 0.01)
                for other in readings)
        return fit

    def typed(entry: tuple) -> bool:
        return not set(processed[entry[1]].split()).isdisjoint(rare) and not common_fit(entry)

    if len(scored) <= READINGS_WITHIN:
        return
    floor = -scored[0][0] - READING_GAP
    for wanted in (common_fit, typed):
        if any(wanted(entry) for entry in scored[:READINGS_WITHIN]):
            continue
        fits = [(wanted(entry), -k) for k, entry in enumerate(scored)
                if k >= READINGS_WITHIN and -entry[0] >= floor]
        best = max(fits, default=(0, 0))
        if best[0]:
            entry = scored.pop(-best[1])
            scored.insert(READING_AT, (scored[READING_AT][0], *entry[1:]))


def score(pq: str, processed: str, typing: bool = True, partial: float | None = None) -> float:
    """0-100: how well the processed passage matches the processed query
    (``partial``: its ``partial_ratio`` when already known)."""
    if partial is None:
        partial = fuzz.partial_ratio(pq, processed)
    unordered = fuzz.token_set_ratio(pq, processed) if len(pq) < len(processed) else 0.0
    return (0.45 * partial + 0.10 * unordered + 15 * ordered(pq, processed)
            + 40 * coverage(pq, processed, typing)) / 1.10


def ordered(pq: str, processed: str) -> float:
    """The share of the query's words found, in the query's order, in some
    stretch of the passage one word longer than the query (a word left out of
    the query still leaves the others in order; as words, so a slip in one
    costs that word alone)."""
    words = pq.split()
    if len(words) < 2:
        return 1.0
    numbers: dict[str, int] = {}
    query = [numbers.setdefault(word, len(numbers)) for word in words]
    text = [numbers.get(word, -1) for word in processed.split()]
    span = len(query) + 1
    best = 0
    for start, number in enumerate(text):
        if number >= 0:  # (a stretch starts at one of the query's words)
            found = LCSseq.similarity(query, text[start : start + span])
            if found > best:
                best = found
                if best == len(query):
                    break
    return best / len(query)


def coverage(pq: str, processed: str, typing: bool = True) -> float:
    """The share of the query's letters in words the passage contains (each
    allowing a slip; the last word may be unfinished)."""
    words = pq.split()
    if not words:
        return 0.0
    text_words = set(processed.split())
    total = covered = 0
    joined = " " + processed + " "
    for i, word in enumerate(words):
        total += len(word)
        if word in text_words or (i == len(words) - 1 and f" {word}" in joined):
            covered += len(word)
            continue
        if len(word) < 3:
            continue
        best = process.extractOne(word, text_words, scorer=fuzz.ratio, score_cutoff=70)
        if best is not None:
            covered += len(word) * best[1] / 100
    return covered / total


def spans_of(query: str, text: str) -> tuple[tuple[int, int], ...]:
    """The parts of the original ``text`` to highlight for ``query``."""
    pq = default_process(query)
    processed = default_process(text)
    lead = 0
    while lead < len(text) and default_process(text[lead]) == "":
        lead += 1
    spans = []
    at = processed.find(pq)
    if at >= 0:
        spans.append((at, at + len(pq)))
    else:
        alignment = fuzz.partial_ratio_alignment(pq, processed)
        if alignment is not None and alignment.score >= 80:
            start, end = alignment.dest_start, alignment.dest_end
            while start < end and processed[start] == " ":
                start += 1
            while end > start and processed[end - 1] == " ":
                end -= 1
            if start < end:
                spans.append((start, end))
    return tuple((start + lead, end + lead) for start, end in spans)


