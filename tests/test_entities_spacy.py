"""The spaCy entity backend: loading, offsets, long texts, fallbacks.

The post-processing rules need no model and are tested on hand-made spans in
test_entities_postprocess.py, which runs without spaCy."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

pytest.importorskip("spacy")

from helpers import assert_spans_exact, entity_pairs

from margin.store.entities import (
    BackendUnavailable,
    get_recogniser,
    spacy_backend,
)
from margin.store.entities.spacy_backend import (
    SpacyRecogniser,
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
    assert_spans_exact(spans, NEWS)
    got = entity_pairs(spans)
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
    assert_spans_exact(spans, text)
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
