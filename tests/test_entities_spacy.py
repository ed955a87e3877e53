"""The spaCy entity backend: loading, offsets, long texts, fallbacks, and the
post-processing rules (which need no model and are tested on hand-made spans)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

pytest.importorskip("spacy")

from margin.store.entities import (  # noqa: E402
    BackendUnavailable,
    EntitySpan,
    get_recogniser,
    spacy_backend,
)
from margin.store.entities.spacy_backend import (  # noqa: E402
    SpacyRecogniser,
    fill_from_rules,
    postprocess,
    split_long_text,
)

NEWS = (
    "Ukrainian President Volodymyr Zelensky met Keir Starmer in London on Monday, "
    "the White House said, after Congress approved $24 billion in aid for Ukraine."
)
EXPECTED = [
    ("Ukrainian", "NORP"),
    ("Volodymyr Zelensky", "PERSON"),
    ("Keir Starmer", "PERSON"),
    ("London", "GPE"),
    ("Monday", "DATE"),
    ("White House", "ORG"),
    ("Congress", "ORG"),
    ("$24 billion", "MONEY"),
    ("Ukraine", "GPE"),
]


def spans_of(text: str, *marked: tuple[str, str]) -> list[EntitySpan]:
    """EntitySpans for (surface, label) pairs, found left to right in ``text``."""
    out: list[EntitySpan] = []
    position = 0
    for surface, label in marked:
        start = text.index(surface, position)
        out.append(EntitySpan(start, start + len(surface), label, surface))
        position = start + len(surface)
    return out


def pairs(spans: list[EntitySpan]) -> list[tuple[str, str]]:
    return [(span.text, span.label) for span in spans]


def assert_exact(spans: list[EntitySpan], text: str) -> None:
    for span in spans:
        assert text[span.start : span.end] == span.text
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:])), "sorted, non-overlapping"


# ------------------------------------------------------------ with the model


@pytest.fixture(scope="module")
def recogniser() -> Iterator[SpacyRecogniser]:
    try:
        loaded = SpacyRecogniser.load()
    except BackendUnavailable as missing:
        pytest.skip(str(missing))
    yield loaded


def test_get_recogniser_finds_news_entities_with_exact_offsets(recogniser):
    found, notice = get_recogniser("spacy")
    assert notice is None
    assert found is recogniser, "the model is loaded once per process"
    assert found.name == "spacy"
    assert found.version.startswith("spacy-3.")
    assert "/en_core_web_sm-" in found.version
    spans = found.recognise(NEWS)
    assert_exact(spans, NEWS)
    got = pairs(spans)
    for expected in EXPECTED:
        assert expected in got
    white_house = next(span for span in spans if span.text == "White House")
    assert white_house.start == NEWS.index("White House")  # "the" left outside


def test_load_is_cached_and_thread_safe(recogniser):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = list(pool.map(lambda _: SpacyRecogniser.load(), range(8)))
    assert all(each is recogniser for each in loaded)


def test_pipeline_is_ner_only(recogniser):
    assert recogniser.nlp.pipe_names == ["ner"]


def test_recognise_many_matches_recognise_and_keeps_order(recogniser):
    texts = [NEWS, "", "Nothing to see here.", "Putin spoke in Moscow on Tuesday."]
    many = list(recogniser.recognise_many(texts))
    assert len(many) == len(texts)
    assert many == [recogniser.recognise(text) for text in texts]
    assert many[1] == []


def test_text_longer_than_max_length_is_chunked_with_exact_offsets(recogniser, monkeypatch):
    # Shrink max_length rather than build a megabyte of text: the same code path.
    monkeypatch.setattr(recogniser.nlp, "max_length", 2_000)
    small = SpacyRecogniser(recogniser.nlp, recogniser.version)
    paragraphs = [f"Paragraph {n}. {NEWS}" for n in range(40)]
    text = "\n\n".join(paragraphs)
    assert len(text) > recogniser.nlp.max_length
    spans = small.recognise(text)
    assert_exact(spans, text)
    # Every paragraph's entities are found, at the paragraph's own offsets.
    assert sum(1 for span in spans if span.text == "Keir Starmer") == len(paragraphs)
    offset = text.index(paragraphs[5])
    fifth = [span for span in spans if offset <= span.start < offset + len(paragraphs[5])]
    alone = recogniser.recognise(paragraphs[5])
    assert [(s.start - offset, s.end - offset, s.label) for s in fifth] == [
        (s.start, s.end, s.label) for s in alone
    ]


# --------------------------------------------------------- no model needed


def test_import_does_not_import_spacy():
    code = (
        "import sys, margin.store.entities, margin.store.entities.spacy_backend as b\n"
        "b.available(); b.unavailable_reason()\n"
        "assert 'spacy' not in sys.modules, 'spacy imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def fresh_cache(monkeypatch):
    """Forget the loaded model for one test (restored afterwards)."""
    monkeypatch.setattr(SpacyRecogniser, "_cached", None)


def test_missing_model_is_backend_unavailable(fresh_cache, monkeypatch):
    monkeypatch.setattr(spacy_backend, "MODEL_PACKAGES", ("margin_no_such_model",))
    assert not spacy_backend.available()
    assert spacy_backend.unavailable_reason() == spacy_backend.NO_MODEL
    with pytest.raises(BackendUnavailable) as missing:
        SpacyRecogniser.load()
    assert str(missing.value) == ("no spaCy English model: python -m spacy download en_core_web_sm")


def test_missing_spacy_is_backend_unavailable(fresh_cache, monkeypatch):
    real = spacy_backend.importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "spacy" else real(name, *args)

    monkeypatch.setattr(spacy_backend.importlib.util, "find_spec", find_spec)
    assert spacy_backend.unavailable_reason() == (
        "spaCy is not installed: pip install 'margin[spacy]'"
    )
    with pytest.raises(BackendUnavailable, match=r"pip install 'margin\[spacy\]'"):
        SpacyRecogniser.load()


def test_get_recogniser_falls_back_to_rules_with_a_notice(fresh_cache, monkeypatch):
    monkeypatch.setattr(spacy_backend, "MODEL_PACKAGES", ("margin_no_such_model",))
    found, notice = get_recogniser("spacy")
    assert found.name == "rules"
    assert notice is not None and notice.startswith("no spaCy English model")
    assert "rules" in notice
    found, notice = get_recogniser("auto")
    assert found.name == "rules" and notice is None


def test_split_long_text_cuts_at_paragraphs_and_rejoins():
    paragraph = "A sentence about Kyiv. " * 20
    text = "\n\n".join([paragraph] * 30)
    pieces = split_long_text(text, 2_000)
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= 2_000 for _, piece in pieces)
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in pieces)
    assert all(piece.endswith("\n\n") for _, piece in pieces[:-1])
    # No whitespace at all: hard cuts, still lossless.
    solid = "x" * 5_000
    assert [len(piece) for _, piece in split_long_text(solid, 2_000)] == [2_000, 2_000, 1_000]
    assert split_long_text("short", 2_000) == [(0, "short")]


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
    assert pairs(fixed) == [
        ("Kremlin", "ORG"),
        ("Baltic Sea", "LOC"),
        ("Reuters", "ORG"),
        ("past week", "DATE"),
    ]
    assert_exact(fixed, text)


def test_punctuation_and_whitespace_only_spans_are_dropped_and_edges_trimmed():
    text = "Said: “ — ” then the Kremlin Summit\n\nnext, and 'NATO'."
    spans = [
        EntitySpan(6, 11, "PERSON", text[6:11]),
        *spans_of(text, ("the Kremlin Summit\n\n", "ORG"), ("'NATO'", "ORG")),
    ]
    fixed = postprocess(spans, text)
    assert pairs(fixed) == [("Kremlin Summit", "ORG"), ("NATO", "ORG")]
    assert_exact(fixed, text)


def test_titles_are_stripped_from_people():
    text = "President Trump met Foreign Minister Sergey Lavrov and Dmitry Peskov."
    spans = spans_of(
        text,
        ("President Trump", "PERSON"),
        ("Foreign Minister Sergey Lavrov", "PERSON"),
        ("Dmitry Peskov", "PERSON"),
    )
    fixed = postprocess(spans, text)
    assert pairs(fixed) == [
        ("Trump", "PERSON"),
        ("Sergey Lavrov", "PERSON"),
        ("Dmitry Peskov", "PERSON"),
    ]
    assert_exact(fixed, text)


def test_a_place_tagged_as_a_person_takes_the_gazetteer_label():
    text = "Aid to Kyiv continued while Kyiv waited."
    spans = spans_of(text, ("Kyiv", "PERSON"), ("Kyiv", "ORG"))
    assert pairs(postprocess(spans, text)) == [("Kyiv", "GPE"), ("Kyiv", "GPE")]


def test_a_surname_of_a_person_named_in_full_stays_a_person():
    # "Jordan" is a country in the gazetteer, but here it is Michael Jordan.
    text = "Michael Jordan retired. Later, Jordan said he was happy."
    spans = spans_of(text, ("Michael Jordan", "PERSON"), ("Jordan", "PERSON"))
    assert pairs(postprocess(spans, text)) == [("Michael Jordan", "PERSON"), ("Jordan", "PERSON")]


def test_a_person_tagged_as_an_org_becomes_a_person_when_named_elsewhere():
    text = "Donald Trump spoke. The Trump administration and Trump’s team agreed."
    spans = spans_of(text, ("Donald Trump", "PERSON"), ("The Trump", "ORG"), ("Trump’s", "ORG"))
    fixed = postprocess(spans, text)
    assert pairs(fixed) == [("Donald Trump", "PERSON"), ("Trump", "PERSON"), ("Trump", "PERSON")]
    assert_exact(fixed, text)


def test_an_org_not_named_as_a_person_stays_an_org():
    text = "Kellogg raised prices; Ford said nothing."
    spans = spans_of(text, ("Kellogg", "ORG"), ("Ford", "ORG"))
    assert pairs(postprocess(spans, text)) == [("Kellogg", "ORG"), ("Ford", "ORG")]


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
    assert pairs(fixed) == [
        ("$175 billion", "MONEY"),
        ("$2 million", "MONEY"),
        ("€90bn", "MONEY"),
        ("70 percent", "PERCENT"),
    ]
    assert_exact(fixed, text)


def test_lowercase_names_are_dropped_but_not_lowercase_dates():
    text = "totalitarian surveillance, et al, every summer, an iPhone"
    spans = spans_of(
        text, ("totalitarian", "NORP"), ("al", "ORG"), ("summer", "DATE"), ("iPhone", "PRODUCT")
    )
    assert pairs(postprocess(spans, text)) == [("summer", "DATE"), ("iPhone", "PRODUCT")]


def test_a_possessor_run_into_a_person_is_cut():
    text = "Vladimir Putin’s Assertion of European Interference"
    spans = spans_of(text, ("Vladimir Putin’s Assertion", "PERSON"))
    assert pairs(postprocess(spans, text)) == [("Vladimir Putin", "PERSON")]


def test_postprocess_keeps_offsets_exact_on_hand_made_mess():
    text = "  The  Trump’s ’ “Kyiv” (R-Mich.) — about $5 "
    spans = [EntitySpan(0, len(text), "PERSON", text)]
    for span in postprocess(spans, text):
        assert text[span.start : span.end] == span.text


def test_two_names_run_together_are_split():
    text = "The U.S.-Russia talks, as seen from the Kremlin Kyiv front."
    spans = spans_of(text, ("U.S.-Russia", "PERSON"), ("Kremlin Kyiv", "ORG"))
    fixed = postprocess(spans, text)
    assert pairs(fixed) == [("U.S.", "GPE"), ("Russia", "GPE"), ("Kremlin", "ORG"), ("Kyiv", "GPE")]
    assert_exact(fixed, text)


def test_one_name_made_of_known_words_stays_whole():
    text = "Eastern European leaders met Jordan Bardella near San Francisco Bay."
    spans = spans_of(
        text,
        ("Eastern European", "NORP"),
        ("Jordan Bardella", "PERSON"),
        ("San Francisco Bay", "LOC"),
    )
    assert pairs(postprocess(spans, text)) == pairs(spans)


def test_lists_and_photo_credits_are_split():
    text = "the towns of Illinka, Petrivka, and Novodoarivka. Photo by Bonnie Cash/Pool/REUTERS"
    spans = spans_of(
        text, ("Illinka, Petrivka, and Novodoarivka", "GPE"), ("Bonnie Cash/Pool/REUTERS", "PERSON")
    )
    fixed = postprocess(spans, text)
    assert pairs(fixed) == [
        ("Illinka", "GPE"),
        ("Petrivka", "GPE"),
        ("Novodoarivka", "GPE"),
        ("Bonnie Cash", "PERSON"),
        ("REUTERS", "ORG"),
    ]
    assert_exact(fixed, text)


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
    assert pairs(fixed) == [
        ("Kyiv", "GPE"),
        ("Russia", "GPE"),
        ("Russian Defence Ministry", "ORG"),  # not a headline line: kept
        ("Monday", "DATE"),
    ]


def test_missed_mentions_of_a_name_found_elsewhere_are_added():
    text = "Kyiv said no. Aid for Kyiv grew. Kyiv Post reported it. Equatorial Kyiv is not a place."
    spans = spans_of(text, ("Kyiv", "GPE"), ("Kyiv Post", "ORG"))
    fixed = postprocess(spans, text)
    assert pairs(fixed) == [("Kyiv", "GPE"), ("Kyiv", "GPE"), ("Kyiv Post", "ORG")]
    assert [span.start for span in fixed][:2] == [0, text.index("Kyiv", 5)]


def test_a_name_tagged_once_is_not_spread():
    # One PERSON tag may be the model's error: it is not copied to other mentions.
    text = "Brexit was near. After Brexit, trade fell."
    spans = spans_of(text, ("Brexit", "PERSON"))
    assert pairs(postprocess(spans, text)) == [("Brexit", "PERSON")]


def test_acronyms_after_a_name_take_its_label():
    text = "the Independent National Electoral Commission (INEC) said INEC would count."
    spans = spans_of(text, ("Independent National Electoral Commission", "ORG"))
    fixed = postprocess(spans, text)
    assert pairs(fixed) == [
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
    assert pairs(fixed) == [
        ("Later in the week", "DATE"),
        ("2022", "DATE"),
        ("$7.05", "MONEY"),
        ("$200 million CAD", "MONEY"),
    ]
    assert_exact(fixed, text)


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
    assert pairs(postprocess(spans, text)) == [
        ("Mike Walz", "PERSON"),
        ("House", "ORG"),
        ("Mike Johnson", "PERSON"),
    ]


def test_postprocess_runs_without_gazetteers(monkeypatch):
    monkeypatch.setattr(spacy_backend, "_gazetteer", lambda surface: None)
    monkeypatch.setattr(spacy_backend, "_is_title", lambda: None)
    monkeypatch.setattr(spacy_backend, "_tables", lambda: None)
    text = "The Kremlin’s envoy met President Trump and Trump’s team in Kyiv."
    spans = spans_of(
        text,
        ("The Kremlin’s", "ORG"),
        ("President Trump", "PERSON"),
        ("Trump’s", "ORG"),
        ("Kyiv", "PERSON"),
    )
    fixed = postprocess(spans, text)
    assert pairs(fixed)[0] == ("Kremlin", "ORG")
    assert_exact(fixed, text)


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
