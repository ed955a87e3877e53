"""Entity grouping: what the entity panel and the review screen count as one entity."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterable

import pytest

from margin.store.entities import ALL_LABELS
from margin.store.entities.grouping import (
    EntityGroup,
    Mention,
    alias_conflicts,
    canonical_key,
    entity_counts_by_label,
    group_for_document,
    group_mentions,
    mention_counts_by_label,
    mention_role,
    restrict_to_document,
    spelling_variants,
)
from margin.store.entities.scoring import grouping_pair_scores, parse_markup, read_grouping_gold


def mentions(*items: tuple[int, str, str]) -> list[Mention]:
    """(document_id, label, text) → mentions with increasing offsets per document."""
    offsets: dict[int, int] = {}
    result = []
    for document_id, label, text in items:
        start = offsets.get(document_id, 0)
        result.append(Mention(document_id, start, start + len(text), label, text))
        offsets[document_id] = start + len(text) + 10
    return result


def group_of(groups: Iterable[EntityGroup], label: str, surface: str) -> EntityGroup:
    found = [g for g in groups if g.label == label and surface in g.variants]
    assert len(found) == 1, f"{surface!r} ({label}) is in {len(found)} groups"
    return found[0]


def names(groups: Iterable[EntityGroup], label: str) -> list[str]:
    return [g.canonical for g in groups if g.label == label]


# --- variants that are one entity ------------------------------------------


def test_zelensky_spellings_are_one_person_counted_once_per_mention():
    groups = group_mentions(
        mentions(
            (1, "PERSON", "Volodymyr Zelensky"),
            (1, "PERSON", "Zelensky"),
            (1, "PERSON", "Zelensky"),
            (2, "PERSON", "Zelenskyy"),
            (2, "PERSON", "Volodymyr Zelensky"),
            (3, "PERSON", "Zelenskiy"),
            (3, "PERSON", "Zelensky’s"),
            (3, "PERSON", "V. Zelensky"),
        )
    )
    assert len(groups) == 1
    person = groups[0]
    assert person.canonical == "Volodymyr Zelensky"
    assert person.key == "PERSON:Volodymyr Zelensky"
    assert person.count == 8
    assert sum(person.variants.values()) == person.count
    assert person.variants["Zelensky"] == 2


def test_united_states_forms_are_one_country_named_by_the_alias_list():
    groups = group_mentions(
        mentions(
            (1, "GPE", "U.S."),
            (1, "GPE", "US"),
            (2, "GPE", "United States"),
            (2, "GPE", "the United States of America"),
            (3, "GPE", "America"),
            (3, "GPE", "USA"),
        )
    )
    assert [(g.canonical, g.count) for g in groups] == [("United States", 6)]


@pytest.mark.parametrize(
    ("label", "forms", "canonical"),
    [
        ("GPE", ["UK", "U.K.", "Britain", "Great Britain", "United Kingdom"], "United Kingdom"),
        ("ORG", ["EU", "European Union", "the EU"], "European Union"),
        ("ORG", ["UN", "U.N.", "United Nations"], "United Nations"),
        ("GPE", ["Kiev", "Kyiv", "Kyiv's"], "Kyiv"),
        ("ORG", ["NATO", "Nato", "North Atlantic Treaty Organization"], "NATO"),
        ("ORG", ["IMF", "International Monetary Fund"], "International Monetary Fund"),
    ],
)
def test_aliases_group_short_forms_and_transliterations(label, forms, canonical):
    groups = group_mentions(mentions(*[(1, label, form) for form in forms]))
    assert [(g.canonical, g.count) for g in groups] == [(canonical, len(forms))]


def test_normalisation_ignores_case_dots_apostrophes_the_and_possessives():
    key = canonical_key("GPE", "United States")
    for surface in ["U.S.", "u.s.", "the U.S.", "U.S.'s", "U.S.’s", "UNITED STATES"]:
        assert canonical_key("GPE", surface) == key
    assert canonical_key("PERSON", "O’Brien") == canonical_key("PERSON", "O'Brien")
    assert canonical_key("PERSON", "Recep Tayyip Erdoğan") == "recep tayyip erdogan"
    assert canonical_key("PERSON", "President  Joe   Biden") == "joe biden"


# --- near neighbours that are different entities ---------------------------


@pytest.mark.parametrize(
    ("label", "a", "b"),
    [
        ("GPE", "Austria", "Australia"),
        ("GPE", "Iran", "Iraq"),
        ("GPE", "Niger", "Nigeria"),
        ("GPE", "Sudan", "South Sudan"),
        ("GPE", "Slovakia", "Slovenia"),
        ("PERSON", "John Smith", "Jane Smith"),
        ("PERSON", "John Thompson", "John Thomson"),
        ("PERSON", "Maria Schmidt", "Marie Schmidt"),
        ("PERSON", "Christian Meyer", "Christine Meyer"),
        ("ORG", "Labour Party", "Labor Party"),
    ],
)
def test_similar_names_of_different_entities_stay_apart(label, a, b):
    groups = group_mentions(mentions((1, label, a), (2, label, b), (3, label, a)))
    assert sorted((g.canonical, g.count) for g in groups) == sorted([(a, 2), (b, 1)])


def test_spelling_variants_of_name_tokens():
    assert spelling_variants("zelensky", "zelenskyy")
    assert spelling_variants("dmitriy", "dmitri")
    assert spelling_variants("mohammed", "mohamed")
    assert spelling_variants("zelenksy", "zelensky")  # a typo in a long name
    assert spelling_variants("scholtz", "schlotz")
    assert not spelling_variants("carol", "carlo")  # the same swap in a short one
    assert not spelling_variants("jon", "john")
    assert not spelling_variants("andersen", "anderson")


def test_same_surface_with_two_labels_is_two_entities():
    groups = group_mentions(
        mentions(
            (1, "GPE", "Washington"),
            (1, "PERSON", "Washington"),
            (2, "GPE", "Washington"),
        )
    )
    assert [(g.key, g.count) for g in groups] == [("PERSON:Washington", 1), ("GPE:Washington", 2)]


# --- surnames carried forward ------------------------------------------------


def test_surname_joins_the_full_name_in_the_same_document():
    groups = group_mentions(
        mentions(
            (1, "PERSON", "Vladimir Putin"),
            (1, "PERSON", "Putin"),
            (1, "PERSON", "Mr Putin"),
            (1, "PERSON", "President Putin"),
        )
    )
    assert [(g.canonical, g.count) for g in groups] == [("Vladimir Putin", 4)]


def test_first_name_joins_the_full_name_in_the_same_document():
    groups = group_mentions(mentions((1, "PERSON", "Boris Johnson"), (1, "PERSON", "Boris")))
    assert [(g.canonical, g.count) for g in groups] == [("Boris Johnson", 2)]


def test_surname_follows_the_full_name_of_its_own_document():
    groups = group_mentions(
        mentions(
            (1, "PERSON", "John Smith"),
            (1, "PERSON", "Smith"),
            (1, "PERSON", "Smith"),
            (2, "PERSON", "Jane Smith"),
            (2, "PERSON", "Smith"),
        )
    )
    assert group_of(groups, "PERSON", "John Smith").count == 3
    assert group_of(groups, "PERSON", "Jane Smith").count == 2
    assert len(groups) == 2


def test_surname_alone_in_its_document_does_not_join_a_full_name_from_another():
    # Another document's full name says nothing of who a lone "Scholz" is
    # here (the sample corpus's "Trump" became "Melania Trump" this way);
    # lone "Scholz"es of several documents are the one entity "Scholz".
    groups = group_mentions(
        mentions(
            (1, "PERSON", "Olaf Scholz"),
            (2, "PERSON", "Scholz"),
            (3, "PERSON", "Scholz"),
        )
    )
    assert sorted((g.canonical, g.count) for g in groups) == [("Olaf Scholz", 1), ("Scholz", 2)]


def test_ambiguous_surname_across_documents_stays_separate():
    groups = group_mentions(
        mentions(
            (1, "PERSON", "John Smith"),
            (2, "PERSON", "Jane Smith"),
            (3, "PERSON", "Smith"),
            (4, "PERSON", "Smith"),
        )
    )
    assert sorted((g.canonical, g.count) for g in groups) == [
        ("Jane Smith", 1),
        ("John Smith", 1),
        ("Smith", 2),
    ]


def test_surname_in_a_document_naming_two_such_people_stays_separate():
    groups = group_mentions(
        mentions(
            (1, "PERSON", "John Smith"),
            (1, "PERSON", "Jane Smith"),
            (1, "PERSON", "Smith"),
            (2, "PERSON", "John Smith"),
        )
    )
    assert group_of(groups, "PERSON", "Smith").count == 1
    assert group_of(groups, "PERSON", "John Smith").count == 2


def test_spelling_variant_of_a_surname_joins_the_full_name():
    groups = group_mentions(
        mentions(
            (1, "PERSON", "Volodymyr Zelenskyy"),
            (1, "PERSON", "Zelensky"),
            (2, "PERSON", "Volodymyr Zelensky"),
            (2, "PERSON", "Zelenskiy"),
        )
    )
    assert [(g.canonical, g.count) for g in groups] == [("Volodymyr Zelenskyy", 4)]


def test_name_without_middle_initial_joins_the_one_name_with_it():
    groups = group_mentions(
        mentions(
            (1, "PERSON", "Joseph R. Biden"),
            (2, "PERSON", "Joseph Biden"),
            (2, "PERSON", "Biden"),
        )
    )
    assert [(g.canonical, g.count) for g in groups] == [("Joseph R. Biden", 3)]


def test_name_without_middle_initial_stays_apart_when_two_names_fit():
    groups = group_mentions(
        mentions(
            (1, "PERSON", "George W. Bush"),
            (2, "PERSON", "George H. W. Bush"),
            (3, "PERSON", "George Bush"),
        )
    )
    assert len(groups) == 3


# --- names, order, counts ---------------------------------------------------


def test_canonical_is_the_fullest_form_not_a_title_or_possessive():
    groups = group_mentions(
        mentions(
            (1, "PERSON", "Zelensky"),
            (1, "PERSON", "President Volodymyr Zelensky"),
            (2, "PERSON", "ZELENSKY"),
            (2, "PERSON", "Volodymyr Zelensky's"),
        )
    )
    assert [g.canonical for g in groups] == ["Volodymyr Zelensky"]


def test_canonical_without_alias_drops_a_lowercase_the():
    groups = group_mentions(
        mentions((1, "ORG", "the Kremlin"), (2, "ORG", "Kremlin"), (3, "ORG", "the Kremlin"))
    )
    assert [(g.canonical, g.count) for g in groups] == [("Kremlin", 3)]


def test_nationality_plural_joins_its_singular():
    groups = group_mentions(
        mentions(
            (1, "NORP", "Ukrainian"),
            (1, "NORP", "Ukrainians"),
            (2, "NORP", "Ukrainian"),
            (2, "NORP", "Swiss"),
        )
    )
    # The commoner form names the group.
    assert sorted((g.canonical, g.count) for g in groups) == [("Swiss", 1), ("Ukrainian", 3)]


def corpus() -> list[Mention]:
    return mentions(
        (1, "GPE", "Kyiv"),
        (1, "PERSON", "Volodymyr Zelensky"),
        (1, "ORG", "NATO"),
        (1, "PERSON", "Zelensky"),
        (1, "GPE", "Russia"),
        (1, "GPE", "Kiev"),
        (2, "PERSON", "Vladimir Putin"),
        (2, "GPE", "Russia"),
        (2, "PERSON", "Putin"),
        (2, "DATE", "Monday"),
        (2, "PERSON", "V. Zelenskyy"),
        (2, "GPE", "U.S."),
        (3, "GPE", "Moscow"),
        (3, "NORP", "Russian"),
        (3, "PERSON", "Putin"),
        (3, "GPE", "Russia"),
    )


def test_order_is_label_then_count_then_name():
    groups = group_mentions(corpus())
    assert [(g.label, g.canonical, g.count) for g in groups] == [
        ("PERSON", "Volodymyr Zelensky", 3),
        ("PERSON", "Vladimir Putin", 2),
        ("PERSON", "Putin", 1),
        ("NORP", "Russian", 1),
        ("ORG", "NATO", 1),
        ("GPE", "Russia", 3),
        ("GPE", "Kyiv", 2),
        ("GPE", "Moscow", 1),
        ("GPE", "United States", 1),
        ("DATE", "Monday", 1),
    ]
    labels = [ALL_LABELS.index(g.label) for g in groups]
    assert labels == sorted(labels)


def test_result_does_not_depend_on_input_order():
    def seen(groups):
        return [(g.key, g.canonical, list(g.variants.items()), g.mentions) for g in groups]

    expected = seen(group_mentions(corpus()))
    for seed in range(5):
        shuffled = corpus()
        random.Random(seed).shuffle(shuffled)
        assert seen(group_mentions(shuffled)) == expected


def test_mentions_are_sorted_and_keys_unique():
    groups = group_mentions(reversed(corpus()))
    for group in groups:
        positions = [(m.document_id, m.start) for m in group.mentions]
        assert positions == sorted(positions)
    assert len({g.key for g in groups}) == len(groups)


def test_counts_by_label():
    groups = group_mentions(corpus())
    assert mention_counts_by_label(groups) == {
        "PERSON": 6,
        "NORP": 1,
        "ORG": 1,
        "GPE": 7,
        "DATE": 1,
    }
    assert entity_counts_by_label(groups)["GPE"] == 4
    assert sum(mention_counts_by_label(groups).values()) == len(corpus())


def test_document_view_keeps_corpus_names_with_document_counts():
    groups = group_mentions(corpus())
    document = restrict_to_document(groups, 2)
    putin = group_of(document, "PERSON", "Putin")
    assert (putin.key, putin.count) == ("PERSON:Vladimir Putin", 2)
    zelensky = group_of(document, "PERSON", "V. Zelenskyy")
    assert (zelensky.canonical, zelensky.count) == ("Volodymyr Zelensky", 1)
    assert all(m.document_id == 2 for g in document for m in g.mentions)


def test_grouping_one_document_alone():
    one = [m for m in corpus() if m.document_id == 1]
    groups = group_for_document(one)
    assert group_of(groups, "PERSON", "Zelensky").count == 2
    assert group_of(groups, "GPE", "Kiev").canonical == "Kyiv"


def test_empty_input():
    assert group_mentions([]) == []
    assert mention_counts_by_label([]) == {}


def test_alias_file_lists_each_alias_under_one_name():
    assert alias_conflicts() == []


def test_grouping_does_not_import_textual():
    import subprocess

    code = "import sys, margin.store.entities.grouping; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"


def test_many_mentions_group_without_error():
    # A size check, not a timing one (bench/entity_grouping_bench.py prints times).
    surnames = [f"Name{chr(97 + i % 26)}{i}" for i in range(500)]
    many = mentions(
        *[(i % 200, "PERSON", f"First {surnames[i % 500]}") for i in range(5000)],
        *[(i % 200, "PERSON", surnames[i % 500]) for i in range(5000)],
    )
    groups = group_mentions(many)
    assert sum(g.count for g in groups) == len(many)
    assert len(groups) == 500


# --- people who share a surname ---------------------------------------------
#
# Documents written as ⟦surface|person⟧ markup (the grouping gold set's
# format): the titles before a name are in the text, where grouping reads them.


def people_corpus(*markups: str):
    """(mentions, texts, people) of documents 1, 2, … written as markup."""
    texts, found, people = {}, [], {}
    for document_id, markup in enumerate(markups, 1):
        text, spans = parse_markup(markup, labels=None)
        texts[document_id] = text
        for span in spans:
            found.append(Mention(document_id, span.start, span.end, "PERSON", span.text))
            people[(document_id, span.start, span.end)] = span.label
    return found, texts, people


def who(groups: Iterable[EntityGroup], people) -> list[tuple[str, list[str]]]:
    """Each group's name and the people its mentions are, in order."""
    return sorted((g.canonical, sorted(people[(m.document_id, m.start, m.end)]
                                       for m in g.mentions)) for g in groups)


def test_a_lone_trump_does_not_become_melania_trump_of_another_document():
    # The sample corpus: "Trump" in four articles, "Melania Trump" in one.
    found, texts, people = people_corpus(
        "Ahead of President-elect ⟦Trump|donald⟧’s inauguration. Allies wait on ⟦Trump|donald⟧.",
        "The talks between ⟦Trump|donald⟧ and the Kremlin ended without a deal.",
        "A focus for US First Lady ⟦Melania Trump|melania⟧, who called ⟦Putin|putin⟧.",
    )
    groups = group_mentions(found, texts.get)
    assert who(groups, people) == [("Melania Trump", ["melania"]), ("Putin", ["putin"]),
                                   ("Trump", ["donald"] * 3)]


def test_president_trump_is_not_first_lady_melania_trump_in_her_own_document():
    found, texts, people = people_corpus(
        "Under President ⟦Trump|donald⟧, Washington leads. President ⟦Trump|donald⟧ offered "
        "talks. The ⟦Trump|donald⟧ administration pushed. US First Lady ⟦Melania Trump|melania⟧ "
        "secured a line to Moscow.",
    )
    groups = group_mentions(found, texts.get)
    melania = group_of(groups, "PERSON", "Melania Trump")
    assert [people[(m.document_id, m.start, m.end)] for m in melania.mentions] == ["melania"]
    # The titled ones are one other Trump; the untitled one could be either.
    assert who(groups, people) == [("Melania Trump", ["melania"]), ("Trump", ["donald"]),
                                   ("Trump", ["donald", "donald"])]


def test_a_surname_joins_the_one_person_of_that_name_in_its_document():
    found, texts, people = people_corpus(
        "⟦Melania Trump|melania⟧ opened an exhibition. ⟦Mrs Trump|melania⟧ spoke about the "
        "children. ⟦Trump|melania⟧ said it would travel.",
    )
    assert who(group_mentions(found, texts.get), people) == [
        ("Melania Trump", ["melania"] * 3)]


def test_a_surname_two_people_of_a_document_share_joins_the_one_its_title_fits():
    found, texts, people = people_corpus(
        "President ⟦Donald Trump|donald⟧ and First Lady ⟦Melania Trump|melania⟧ arrived. "
        "President ⟦Trump|donald⟧ met the prince; ⟦Trump|donald⟧ spoke later.",
    )
    assert who(group_mentions(found, texts.get), people) == [
        ("Donald Trump", ["donald", "donald"]), ("Melania Trump", ["melania"]),
        ("Trump", ["donald"]),  # untitled: either of them, so neither
    ]


def test_the_clintons():
    found, texts, people = people_corpus(
        "Former President ⟦Bill Clinton|bill⟧ and former Secretary of State ⟦Hillary "
        "Clinton|hillary⟧ attended. ⟦Mrs Clinton|hillary⟧ spoke; ⟦Mr Clinton|bill⟧ listened.",
        "⟦Bill Clinton|bill⟧ signed the treaty. President ⟦Clinton|bill⟧ called it historic.",
        "Secretary of State ⟦Hillary Clinton|hillary⟧ flew to Beijing. ⟦Clinton|hillary⟧ met "
        "the minister.",
        "Secretary of State ⟦Hillary Clinton|hillary⟧ defended what President ⟦Clinton|bill⟧ "
        "had signed.",
    )
    groups = group_mentions(found, texts.get)
    assert who(groups, people) == [
        ("Bill Clinton", ["bill"] * 3), ("Clinton", ["bill"]), ("Clinton", ["bill"]),
        ("Clinton", ["hillary"]), ("Hillary Clinton", ["hillary"] * 4),
    ]


def test_the_kims_of_north_korea():
    found, texts, people = people_corpus(
        "Leader ⟦Kim Jong Un|un⟧ watched with his sister ⟦Kim Yo Jong|yo⟧. ⟦Kim|un⟧ was pleased.",
        "⟦Kim Yo Jong|yo⟧ issued a statement. ⟦Kim|yo⟧ warned Seoul.",
        "⟦Kim Jong-un|un⟧ inspected a missile. ⟦Kim|un⟧ called it a deterrent.",
    )
    assert who(group_mentions(found, texts.get), people) == [
        ("Kim", ["un"]), ("Kim Jong Un", ["un"] * 3), ("Kim Yo Jong", ["yo"] * 3)]


def test_a_junior_is_not_his_father():
    found, texts, people = people_corpus(
        "⟦Donald Trump Jr.|junior⟧ spoke before his father, President ⟦Donald Trump|donald⟧. "
        "⟦Trump|donald⟧ thanked the crowd.",
        "⟦Donald Trump|donald⟧ flew home.",
    )
    assert who(group_mentions(found, texts.get), people) == [
        ("Donald Trump", ["donald", "donald"]), ("Donald Trump Jr.", ["junior"]),
        ("Trump", ["donald"])]


def test_lone_names_of_several_documents_are_one_entity_unless_their_titles_conflict():
    found, texts, people = people_corpus(
        "President ⟦Trump|donald⟧ signed the order. ⟦Trump|donald⟧ said prices would fall.",
        "The talks between ⟦Trump|donald⟧ and the Kremlin ended.",
        "First Lady ⟦Trump|melania⟧ hosted the spouses. ⟦Mrs Trump|melania⟧ left early.",
    )
    assert who(group_mentions(found, texts.get), people) == [
        ("Trump", ["donald"]),  # untitled, among Trumps of other titles: unknown
        ("Trump", ["donald", "donald"]), ("Trump", ["melania", "melania"])]
    found, texts, people = people_corpus(*(
        "President ⟦Trump|donald⟧ signed the order. ⟦Trump|donald⟧ said prices would fall.",
        "The talks between ⟦Trump|donald⟧ and the Kremlin ended.",
    ))
    assert who(group_mentions(found, texts.get), people) == [("Trump", ["donald"] * 3)]


def test_titles_read_before_a_name_in_the_text():
    text = "Ukraine’s former president Joe Biden met US First Lady Melania Trump and Mr. Smith"
    role = {surface: mention_role(Mention(1, text.index(surface),
                                          text.index(surface) + len(surface), "PERSON", surface),
                                  text)
            for surface in ("Joe Biden", "Melania Trump", "Smith")}
    assert role == {"Joe Biden": (None, "president"), "Melania Trump": ("f", "first lady"),
                    "Smith": ("m", None)}
    # Lower-case words are titles only if they usually are.
    text = "In general Trump agreed"
    start = text.index("Trump")
    assert mention_role(Mention(1, start, start + 5, "PERSON", "Trump"), text) == (None, None)


# --- the gold set, and the panel agreeing with the review ---------------------


def test_grouping_puts_no_two_people_together_on_the_gold_set():
    gold = read_grouping_gold()
    assert len(gold.names) >= 25
    scores = grouping_pair_scores(group_mentions(gold.mentions, gold.texts.get), gold.people)
    assert scores.wrong == 0, scores.wrong_pairs  # precision: 1.0
    # What that costs (bench/entity_grouping_bench.py prints it): lone names
    # stay apart from the full names of other documents.
    assert scores.recall >= 0.45


@pytest.mark.parametrize("seed", range(12))
def test_each_document_of_the_corpus_is_grouped_as_that_document_alone(seed):
    # The entity panel groups one document; the review, the corpus. Each
    # document's part of the corpus's grouping is that document's grouping.
    gold = read_grouping_gold()
    rng = random.Random(seed)
    chosen = rng.sample(sorted(gold.names), rng.randint(2, len(gold.names)))
    found = [m for m in gold.mentions if m.document_id in chosen]
    rng.shuffle(found)
    corpus_groups = group_mentions(found, gold.texts.get)

    def partition(groups):
        return sorted(sorted((m.start, m.end) for m in g.mentions) for g in groups)

    for document_id in chosen:
        alone = group_for_document([m for m in found if m.document_id == document_id],
                                   gold.texts[document_id])
        assert partition(restrict_to_document(corpus_groups, document_id)) == partition(alone)
