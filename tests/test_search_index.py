"""SearchIndex: fuzzy search-as-you-type over coded passages, memos and names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from margin.store.search.index import SearchHit, SearchIndex

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

TARGET = "Allies discussed security guarantees for Ukraine at the summit."


def seed_passages() -> list[str]:
    """Passages of 50-400 characters: runs of 1-3 consecutive sentences of the seeds."""
    passages = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = " ".join(path.read_text(encoding="utf-8").split())
        sentences = [s for s in re.split(r"(?<=[.!?”])\s+", text) if s]
        for run in (1, 2, 3):
            for i in range(len(sentences) - run + 1):
                passage = " ".join(sentences[i : i + run])
                if 50 <= len(passage) <= 400:
                    passages.append(passage)
    return passages


@pytest.fixture(scope="module")
def passages() -> list[str]:
    return seed_passages()


@pytest.fixture
def index(passages) -> SearchIndex:
    index = SearchIndex()
    index.add_many((f"p{i}", text) for i, text in enumerate(passages))
    index.add("target", TARGET)
    return index


def keys(hits: list[SearchHit]) -> list:
    return [hit.key for hit in hits]


def test_the_sample_corpus_is_big_enough_to_mean_something(passages):
    assert len(passages) > 1000


def test_an_exact_phrase_outranks_a_fuzzy_one():
    index = SearchIndex()
    index.add("fuzzy", "The talks on security guarantess for Kyiv went on all night.")
    index.add("exact", "The talks on security guarantees for Kyiv went on all night.")
    hits = index.search("security guarantees")
    assert keys(hits)[:2] == ["exact", "fuzzy"]
    assert hits[0].score > hits[1].score


def test_typos_still_find_the_passage(index):
    assert "target" in keys(index.search("secruity guarantees ukrane"))[:3]
    assert "target" in keys(index.search("Allies discused"))[:3]


def test_word_order_does_not_matter(index):
    assert "target" in keys(index.search("ukraine guarantees allies"))[:3]


def test_typing_one_character_at_a_time_finds_the_passage_early(index):
    query = "allies discussed security"
    ranks = []
    for end in range(2, len(query) + 1):
        found = keys(index.search(query[:end], limit=10))
        ranks.append(found.index("target") if "target" in found else None)
    assert ranks[-1] is not None and ranks[-1] < 3


def test_allowed_filters_results_even_when_narrow(index, passages):
    memo_keys = {"p3", "p10", "target"}
    hits = index.search("security guarantees", allowed=lambda key: key in memo_keys)
    assert keys(hits) and set(keys(hits)) <= memo_keys
    assert keys(hits)[0] == "target"
    assert index.search("security", allowed=lambda key: False) == []


def test_a_narrow_filter_finds_passages_beyond_the_first_candidates():
    index = SearchIndex()
    index.add_many((i, f"ukraine report number {i:05d} of the field team") for i in range(30000))
    wanted = set(range(29990, 30000))  # equally long: the last in the index's order
    hits = index.search("ukraine report", allowed=wanted.__contains__)
    assert {hit.key for hit in hits} == wanted


def test_a_removed_passage_never_appears(index):
    assert "target" in keys(index.search("allies discussed security guarantees"))
    index.remove("target")
    index.remove("never-added")  # no error
    assert "target" not in index
    for query in ("allies discussed security guarantees", "allies", "al"):
        assert "target" not in keys(index.search(query, limit=200))


def test_a_replaced_text_is_found_by_its_new_words_not_its_old(index):
    index.add("target", "Zaporizhzhia reactor inspections resumed after the blackout.")
    assert (
        len([k for k in keys(index.search("zaporizhzhia reactor", limit=5)) if k == "target"]) == 1
    )
    assert "target" not in keys(index.search("allies discussed security guarantees", limit=200))
    assert index.search("zaporizhzhia reactor")[0].key == "target"


def test_many_single_adds_and_removes_stay_in_step():
    index = SearchIndex()
    index.add_many((i, f"passage number {i} about apples and pears") for i in range(3000))
    for i in range(3000, 9000):  # enough to trigger a rebuild of the sorted base
        index.add(i, f"late passage {i} mentions zebra crossings")
    for i in range(0, 9000, 2):
        index.remove(i)
    assert len(index) == 4500
    hits = index.search("zebra crossings", limit=100)
    assert hits and all(hit.key % 2 == 1 and hit.key >= 3000 for hit in hits)
    index.add_many((i, "bulk replaced text about walruses") for i in range(1, 9000, 2))
    assert len(index) == 4500
    assert index.search("zebra crossings") == []
    assert {hit.key for hit in index.search("walruses", limit=5000)} == set(range(1, 9000, 2))


def test_cancelled_returns_nothing(index):
    assert index.search("security guarantees", cancelled=lambda: True) == []
    calls = []

    def cancelled_after_first_poll() -> bool:
        calls.append(1)
        return len(calls) > 1

    assert index.search("security guarantees", cancelled=cancelled_after_first_poll) == []


def test_empty_and_punctuation_only_queries_find_nothing(index):
    assert index.search("") == []
    assert index.search("  ?! ") == []
    assert SearchIndex().search("anything") == []


def test_spans_point_at_the_matching_text_in_the_original():
    index = SearchIndex()
    text = "«Notes» — the Security Guarantees, again."
    index.add("a", text)
    (hit,) = index.search("security guarantees")
    assert [text[s:e] for s, e in hit.spans] == ["Security Guarantees"]


def test_spans_are_offsets_into_the_original_with_emoji_cjk_and_combining_marks():
    index = SearchIndex()
    emoji = "👍🏽👍 Meeting notes: the café\u0301 owner met officials in 東京 yesterday."
    index.add("emoji", emoji)
    (hit,) = index.search("meeting notes")
    assert [emoji[s:e] for s, e in hit.spans] == ["Meeting notes"]

    (hit,) = index.search("東京")
    assert [emoji[s:e] for s, e in hit.spans] == ["東京"]

    (hit,) = index.search("cafe owner")
    # The highlight covers the combining accent that belongs to the last letter.
    assert [emoji[s:e] for s, e in hit.spans] == ["café\u0301", "owner"]


def test_spans_for_a_word_order_swap_mark_each_word(index):
    hits = index.search("guarantees security allies", limit=5)
    hit = next(hit for hit in hits if hit.key == "target")
    marked = [TARGET[s:e].lower() for s, e in hit.spans]
    assert "allies" in marked and any("security" in m for m in marked)


def test_len_and_contains():
    index = SearchIndex()
    index.add_many([(1, "one passage here"), (2, "another passage here")])
    index.add(1, "one passage replaced")
    assert len(index) == 2 and 1 in index and 3 not in index and [] not in index
    assert index.memory_bytes() > 0


BRUTE_QUERIES = [
    "security guarantees",
    "secruity guarantees ukrane",
    "tap dancing around nato",
    "nato tap dancing",
    "kremlin summit",
    "jared kushner",
    "kushnr witkof",
    "north korean troops",
    "strongest posible positon",
    "peace talks going well",
    "sociopatic",
    "inauguration",
    "putin",
    "ukraine",
    "the war in ukraine",
    "of the",
    "se",
    "nat",
    "kush",
]


def test_top_ten_agrees_with_brute_force_wratio(passages):
    """Tie-aware: position i agrees if the items are the same or score the same WRatio."""
    index = SearchIndex()
    index.add_many(enumerate(passages))
    processed = [default_process(text) for text in passages]
    agreements = []
    for query in BRUTE_QUERIES:
        pq = default_process(query)
        brute = process.extract(pq, processed, scorer=fuzz.WRatio, processor=None, limit=10)
        mine = index.search(query, limit=50)[:10]
        agree = 0
        for position, (_choice, score, key) in enumerate(brute):
            if position < len(mine):
                hit = mine[position]
                if hit.key == key or abs(fuzz.WRatio(pq, processed[hit.key]) - score) < 1e-6:
                    agree += 1
        agreements.append(agree / len(brute))
    assert sum(agreements) / len(agreements) >= 0.9
