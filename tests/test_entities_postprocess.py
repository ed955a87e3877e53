"""The post-processing rules of the spaCy backend, on hand-made spans.

They are pure functions of spans and text (margin.store.entities.postprocess):
this module must run without spaCy installed, and a test below proves it does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import assert_spans_exact, entity_pairs

import margin.store.entities.postprocess as rules_module
from margin.store.entities import EntitySpan
from margin.store.entities.postprocess import fill_from_rules, postprocess


def spans_of(text: str, *marked: tuple[str, str]) -> list[EntitySpan]:
    """EntitySpans for (surface, label) pairs, found left to right in ``text``."""
    out: list[EntitySpan] = []
    position = 0
    for surface, label in marked:
        start = text.index(surface, position)
        out.append(EntitySpan(start, start + len(surface), label, surface))
        position = start + len(surface)
    return out


def test_leading_the_and_possessives_are_stripped():
    text = "The Kremlin’s view, the Baltic Sea and Reuters' report from the past week."
    spans = spans_of(
        text,
        ("The Kremlin’s", "ORG"),
        ("the Baltic Sea", "LOC"),
        ("Reuters'", "ORG"),
        ("the past week", "DATE"),
    )
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [
        ("Kremlin", "ORG"),
        ("Baltic Sea", "LOC"),
        ("Reuters", "ORG"),
        ("past week", "DATE"),
    ]
    assert_spans_exact(fixed, text)


def test_punctuation_and_whitespace_only_spans_are_dropped_and_edges_trimmed():
    text = "Said: “ — ” then the Kremlin Summit\n\nnext, and 'NATO'."
    spans = [
        EntitySpan(6, 11, "PERSON", text[6:11]),
        *spans_of(text, ("the Kremlin Summit\n\n", "ORG"), ("'NATO'", "ORG")),
    ]
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [("Kremlin Summit", "ORG"), ("NATO", "ORG")]
    assert_spans_exact(fixed, text)


def test_titles_are_stripped_from_people():
    text = "President Trump met Foreign Minister Sergey Lavrov and Dmitry Peskov."
    spans = spans_of(
        text,
        ("President Trump", "PERSON"),
        ("Foreign Minister Sergey Lavrov", "PERSON"),
        ("Dmitry Peskov", "PERSON"),
    )
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [
        ("Trump", "PERSON"),
        ("Sergey Lavrov", "PERSON"),
        ("Dmitry Peskov", "PERSON"),
    ]
    assert_spans_exact(fixed, text)


def test_a_place_tagged_as_a_person_takes_the_gazetteer_label():
    text = "Aid to Kyiv continued while Kyiv waited."
    spans = spans_of(text, ("Kyiv", "PERSON"), ("Kyiv", "ORG"))
    assert entity_pairs(postprocess(spans, text)) == [("Kyiv", "GPE"), ("Kyiv", "GPE")]


def test_a_surname_of_a_person_named_in_full_stays_a_person():
    # "Jordan" is a country in the gazetteer, but here it is Michael Jordan.
    text = "Michael Jordan retired. Later, Jordan said he was happy."
    spans = spans_of(text, ("Michael Jordan", "PERSON"), ("Jordan", "PERSON"))
    assert entity_pairs(postprocess(spans, text)) == [("Michael Jordan", "PERSON"), ("Jordan", "PERSON")]


def test_a_person_tagged_as_an_org_becomes_a_person_when_named_elsewhere():
    text = "Donald Trump spoke. The Trump administration and Trump’s team agreed."
    spans = spans_of(text, ("Donald Trump", "PERSON"), ("The Trump", "ORG"), ("Trump’s", "ORG"))
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [("Donald Trump", "PERSON"), ("Trump", "PERSON"), ("Trump", "PERSON")]
    assert_spans_exact(fixed, text)


def test_an_org_not_named_as_a_person_stays_an_org():
    text = "Kellogg raised prices; Ford said nothing."
    spans = spans_of(text, ("Kellogg", "ORG"), ("Ford", "ORG"))
    assert entity_pairs(postprocess(spans, text)) == [("Kellogg", "ORG"), ("Ford", "ORG")]


def test_approximations_are_trimmed_from_money_and_percent():
    text = "about $175 billion, some $2 million, more than €90bn and nearly 70 percent."
    spans = spans_of(
        text,
        ("about $175 billion", "MONEY"),
        ("some $2 million", "MONEY"),
        ("more than €90bn", "MONEY"),
        ("nearly 70 percent", "PERCENT"),
    )
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [
        ("$175 billion", "MONEY"),
        ("$2 million", "MONEY"),
        ("€90bn", "MONEY"),
        ("70 percent", "PERCENT"),
    ]
    assert_spans_exact(fixed, text)


def test_lowercase_names_are_dropped_but_not_lowercase_dates():
    text = "totalitarian surveillance, et al, every summer, an iPhone"
    spans = spans_of(
        text, ("totalitarian", "NORP"), ("al", "ORG"), ("summer", "DATE"), ("iPhone", "PRODUCT")
    )
    assert entity_pairs(postprocess(spans, text)) == [("summer", "DATE"), ("iPhone", "PRODUCT")]


def test_a_possessor_run_into_a_person_is_cut():
    text = "Vladimir Putin’s Assertion of European Interference"
    spans = spans_of(text, ("Vladimir Putin’s Assertion", "PERSON"))
    assert entity_pairs(postprocess(spans, text)) == [("Vladimir Putin", "PERSON")]


def test_postprocess_keeps_offsets_exact_on_hand_made_mess():
    text = "  The  Trump’s ’ “Kyiv” (R-Mich.) — about $5 "
    spans = [EntitySpan(0, len(text), "PERSON", text)]
    for span in postprocess(spans, text):
        assert text[span.start : span.end] == span.text


def test_two_names_run_together_are_split():
    text = "The U.S.-Russia talks, as seen from the Kremlin Kyiv front."
    spans = spans_of(text, ("U.S.-Russia", "PERSON"), ("Kremlin Kyiv", "ORG"))
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [("U.S.", "GPE"), ("Russia", "GPE"), ("Kremlin", "ORG"), ("Kyiv", "GPE")]
    assert_spans_exact(fixed, text)


def test_one_name_made_of_known_words_stays_whole():
    text = "Eastern European leaders met Jordan Bardella near San Francisco Bay."
    spans = spans_of(
        text,
        ("Eastern European", "NORP"),
        ("Jordan Bardella", "PERSON"),
        ("San Francisco Bay", "LOC"),
    )
    assert entity_pairs(postprocess(spans, text)) == entity_pairs(spans)


def test_lists_and_photo_credits_are_split():
    text = "the towns of Illinka, Petrivka, and Novodoarivka. Photo by Bonnie Cash/Pool/REUTERS"
    spans = spans_of(
        text, ("Illinka, Petrivka, and Novodoarivka", "GPE"), ("Bonnie Cash/Pool/REUTERS", "PERSON")
    )
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [
        ("Illinka", "GPE"),
        ("Petrivka", "GPE"),
        ("Novodoarivka", "GPE"),
        ("Bonnie Cash", "PERSON"),
        ("REUTERS", "ORG"),
    ]
    assert_spans_exact(fixed, text)


def test_headline_phrases_are_cut_down_to_the_names_in_them():
    text = (
        "The Immutable Stance of Kyiv Regarding Occupied Lands\n\n"
        "What Does Russia Want?\n\n"
        "The Russian Defence Ministry said on Monday that talks would go on."
    )
    spans = spans_of(
        text,
        ("Immutable Stance of Kyiv Regarding Occupied Lands", "ORG"),
        ("Russia Want", "PERSON"),
        ("Russian Defence Ministry", "ORG"),
        ("Monday", "DATE"),
    )
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [
        ("Kyiv", "GPE"),
        ("Russia", "GPE"),
        ("Russian Defence Ministry", "ORG"),  # not a headline line: kept
        ("Monday", "DATE"),
    ]


def test_missed_mentions_of_a_name_found_elsewhere_are_added():
    text = "Kyiv said no. Aid for Kyiv grew. Kyiv Post reported it. Equatorial Kyiv is not a place."
    spans = spans_of(text, ("Kyiv", "GPE"), ("Kyiv Post", "ORG"))
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [("Kyiv", "GPE"), ("Kyiv", "GPE"), ("Kyiv Post", "ORG")]
    assert [span.start for span in fixed][:2] == [0, text.index("Kyiv", 5)]


def test_a_name_tagged_once_is_not_spread():
    # One PERSON tag may be the model's error: it is not copied to other mentions.
    text = "Brexit was near. After Brexit, trade fell."
    spans = spans_of(text, ("Brexit", "PERSON"))
    assert entity_pairs(postprocess(spans, text)) == [("Brexit", "PERSON")]


def test_acronyms_after_a_name_take_its_label():
    text = "the Independent National Electoral Commission (INEC) said INEC would count."
    spans = spans_of(text, ("Independent National Electoral Commission", "ORG"))
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [
        ("Independent National Electoral Commission", "ORG"),
        ("INEC", "ORG"),
        ("INEC", "ORG"),
    ]


def test_dates_money_and_years():
    text = (
        "Later in the week, the weekly round-up said the failed 2022 talks cost "
        "$7.05 a share and $200 million CAD; 2,000 troops left."
    )
    spans = spans_of(
        text, ("the week", "DATE"), ("weekly", "DATE"), ("7.05", "MONEY"), ("$200 million", "MONEY")
    )
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed) == [
        ("Later in the week", "DATE"),
        ("2022", "DATE"),
        ("$7.05", "MONEY"),
        ("$200 million CAD", "MONEY"),
    ]
    assert_spans_exact(fixed, text)


def test_title_fragments_tagged_as_organisations_are_dropped():
    text = "National Security Advisor Mike Walz met the Secretary of State and House Speaker Mike Johnson."
    spans = spans_of(
        text,
        ("National Security", "ORG"),
        ("Mike Walz", "PERSON"),
        ("State", "ORG"),
        ("House", "ORG"),
        ("Mike Johnson", "PERSON"),
    )
    assert entity_pairs(postprocess(spans, text)) == [
        ("Mike Walz", "PERSON"),
        ("House", "ORG"),
        ("Mike Johnson", "PERSON"),
    ]


def test_postprocess_runs_without_gazetteers(monkeypatch):
    monkeypatch.setattr(rules_module, "_gazetteer", lambda surface: None)
    monkeypatch.setattr(rules_module, "_is_title", lambda: None)
    monkeypatch.setattr(rules_module, "_tables", lambda: None)
    text = "The Kremlin’s envoy met President Trump and Trump’s team in Kyiv."
    spans = spans_of(
        text,
        ("The Kremlin’s", "ORG"),
        ("President Trump", "PERSON"),
        ("Trump’s", "ORG"),
        ("Kyiv", "PERSON"),
    )
    fixed = postprocess(spans, text)
    assert entity_pairs(fixed)[0] == ("Kremlin", "ORG")
    assert_spans_exact(fixed, text)


def test_places_the_model_missed_entirely_are_filled_in_from_the_rules():
    text = "Kyiv and Moscow both hinted at talks, Ukrainian officials said in Kyiv."
    moscow = text.index("Moscow")
    model_spans = [EntitySpan(moscow, moscow + 6, "GPE", "Moscow")]
    filled = fill_from_rules(model_spans, text)
    assert [(s.text, s.label, s.start) for s in filled] == [
        ("Kyiv", "GPE", 0), ("Moscow", "GPE", moscow),
        ("Ukrainian", "NORP", text.index("Ukrainian")), ("Kyiv", "GPE", text.rindex("Kyiv")),
    ]
    # Where the model has any span, even a different one, the model wins.
    overlapping = [EntitySpan(0, 15, "ORG", "Kyiv and Moscow")]
    assert fill_from_rules(overlapping, text)[0] == overlapping[0]
    assert all(s.start >= 15 for s in fill_from_rules(overlapping, text)[1:])


def test_postprocess_and_these_tests_need_no_spacy():
    # spaCy blocked: "import spacy" raises ImportError, as on a machine without it.
    code = (
        "import sys\n"
        "sys.modules['spacy'] = None\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import test_entities_postprocess as tests\n"
        "from margin.store.entities import EntitySpan\n"
        "from margin.store.entities.postprocess import fill_from_rules, postprocess\n"
        "text = 'President Trump flew to Kyiv.'\n"
        "spans = [EntitySpan(0, 15, 'PERSON', 'President Trump')]\n"
        "found = [(s.text, s.label) for s in fill_from_rules(postprocess(spans, text), text)]\n"
        "assert found == [('Trump', 'PERSON'), ('Kyiv', 'GPE')], found\n"
        "tests.test_titles_are_stripped_from_people()\n"
        "assert sys.modules['spacy'] is None\n"
        "assert not [m for m in sys.modules if m.startswith(('spacy.', 'thinc'))]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
