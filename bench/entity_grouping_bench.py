"""Group 100,000 synthetic entity mentions (~5,000 distinct surfaces) and print the times;
then score the grouping of people on the gold set (tests/data/entities/grouping_gold.txt).

Run: python bench/entity_grouping_bench.py   (figures only; nothing is asserted)

The corpus imitates news text: people written in full, by surname, with
titles, possessives and transliteration variants; places and organisations
in their alias forms; dates and numbers. Mention frequencies follow a Zipf
curve, as entity mentions do. "cold" clears the normalisation caches first,
as the first grouping after start-up would; "warm" reuses them. "in order"
passes the mentions sorted by (document, offset), as a database query would.

Grouping precision counts the pairs of person mentions grouped together that
are different people (it must be 1.0: no such pair); recall, the pairs of one
person that are grouped together (what precision costs: a lone surname never
joins a full name of another document). The same figures for each document
alone show what the corpus adds.
"""

from __future__ import annotations

import random
import statistics
import string
import time

from margin.store.entities import grouping
from margin.store.entities.grouping import Mention, group_mentions
from margin.store.entities.scoring import grouping_pair_scores, read_grouping_gold

MENTIONS = 100_000
DOCUMENTS = 2_000
SEED = 20240601


def word(rng: random.Random, low: int = 4, high: int = 9) -> str:
    letters = rng.choices(string.ascii_lowercase, k=rng.randint(low, high))
    return "".join(letters).capitalize()


def surfaces(rng: random.Random) -> list[tuple[str, str]]:
    """(label, surface) pairs, most frequent kinds first."""
    firsts = [word(rng, 3, 8) for _ in range(300)]
    people: list[tuple[str, str]] = []
    for _ in range(1_400):
        first, last = rng.choice(firsts), word(rng, 5, 10)
        people.append(("PERSON", f"{first} {last}"))
        people.append(("PERSON", last))
        roll = rng.random()
        if roll < 0.15:  # transliteration variants
            people.append(("PERSON", last + "y" if last.endswith("y") else last + "i"))
        elif roll < 0.30:
            people.append(("PERSON", f"President {last}"))
        elif roll < 0.40:
            people.append(("PERSON", f"{last}’s"))
    places = [("GPE", name) for name in ("U.S.", "United States", "America", "UK", "Britain")]
    places += [("GPE", name) for name in ("Kiev", "Kyiv", "Russia", "Iran", "Iraq", "Niger")]
    places += [("GPE", word(rng)) for _ in range(600)]
    places += [
        ("LOC", f"{word(rng)} {rng.choice(['Sea', 'River', 'Mountains'])}") for _ in range(150)
    ]
    organisations = [("ORG", name) for name in ("EU", "European Union", "UN", "NATO", "IMF")]
    organisations += [
        ("ORG", f"{word(rng)} {rng.choice(['Bank', 'Group', 'Party'])}") for _ in range(700)
    ]
    organisations += [("ORG", f"the {word(rng)} Institute") for _ in range(100)]
    groups = [("NORP", word(rng) + suffix) for _ in range(60) for suffix in ("an", "ans")]
    other = [("DATE", f"{rng.randint(1, 28)} {rng.choice(['May', 'June'])}") for _ in range(150)]
    other += [("MONEY", f"${rng.randint(1, 999)}.{rng.randint(0, 9)} million") for _ in range(150)]
    other += [("CARDINAL", f"{rng.randint(1, 99_999):,}") for _ in range(150)]
    pairs = people + places + organisations + groups + other
    rng.shuffle(pairs)
    return list(dict.fromkeys(pairs))


def corpus() -> list[Mention]:
    rng = random.Random(SEED)
    pairs = surfaces(rng)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(pairs))]
    chosen = rng.choices(pairs, weights=weights, k=MENTIONS)
    offsets = [0] * DOCUMENTS
    result = []
    for label, text in chosen:
        document_id = rng.randrange(DOCUMENTS)
        start = offsets[document_id]
        result.append(Mention(document_id, start, start + len(text), label, text))
        offsets[document_id] = start + len(text) + rng.randint(20, 400)
    return result


def clear_caches() -> None:
    grouping.canonical_key.cache_clear()
    grouping._display.cache_clear()


def timed(function, repeat: int, before=None) -> list[float]:
    times = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    mentions = corpus()
    distinct = len({(m.label, m.text) for m in mentions})
    grouping._aliases()  # the alias file is read once per process; time that apart
    started = time.perf_counter()
    grouping._aliases.cache_clear()
    grouping._aliases()
    alias_ms = (time.perf_counter() - started) * 1000

    groups = group_mentions(mentions)
    cold = timed(lambda: group_mentions(mentions), 5, clear_caches)
    warm = timed(lambda: group_mentions(mentions), 7)
    # Fresh objects, allocated in order, as rows fetched from the database are.
    in_order = [
        Mention(m.document_id, m.start, m.end, m.label, m.text)
        for m in sorted(mentions, key=lambda m: (m.document_id, m.start))
    ]
    ordered = timed(lambda: group_mentions(in_order), 7)

    print(f"{len(mentions):,} mentions, {distinct:,} distinct surfaces, {DOCUMENTS:,} documents")
    print(f"  -> {len(groups):,} entities")
    print(f"alias file load:        {alias_ms:7.1f} ms (once per process)")
    for name, times in (
        ("cold, shuffled input", cold),
        ("warm, shuffled input", warm),
        ("warm, input in order", ordered),
    ):
        print(f"{name}:  {min(times):7.1f} ms best, {statistics.median(times):7.1f} median")
    people = [g for g in groups if g.label == "PERSON"]
    multi = sum(1 for g in people if len(g.variants) > 1)
    print(f"PERSON entities: {len(people):,}, of which {multi:,} join several surface forms")
    gold_scores()


def gold_scores() -> None:
    gold = read_grouping_gold()
    people = len(set(gold.people.values()))
    print(f"grouping gold set: {len(gold.names)} documents, {len(gold.mentions)} person mentions, "
          f"{people} people")
    scores = grouping_pair_scores(group_mentions(gold.mentions, gold.texts.get), gold.people)
    print(f"  corpus:    precision {scores.precision:.3f} ({scores.wrong} pairs of two people "
          f"grouped), recall {scores.recall:.3f} ({scores.right} of {scores.gold} pairs)")
    for pair in scores.wrong_pairs:
        print("    wrong:", pair)
    alone = [
        group
        for document_id in gold.names
        for group in group_mentions([m for m in gold.mentions if m.document_id == document_id],
                                    gold.texts.get)
    ]
    scores = grouping_pair_scores(alone, gold.people)
    print(f"  per document alone: precision {scores.precision:.3f}, recall {scores.recall:.3f}")


if __name__ == "__main__":
    main()
