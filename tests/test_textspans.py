"""Paragraphs, sentences and words as offset spans, and the motions over them."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin.store.textspans import (
    is_hard_wrapped,
    next_start,
    paragraph_number,
    paragraph_spans,
    previous_start,
    sentence_spans,
    span_at,
    word_spans,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# Excerpts of the seed articles (one paragraph per line, no blank lines).
ARTICLE = (
    "This year, Russia has made slow but significant advances, which Ukraine struggled to "
    "fend off because of manpower and equipment struggles, exacerbated by the delays in U.S. "
    "assistance. Ukraine still controls a piece of Russian territory in Kursk, which Ukrainian "
    "troops captured in a summer offensive. Russia clawed back a lot of the area.\n"
    "But the geopolitics around the conflict have shifted dramatically, starting with a "
    "90-minute chat earlier this month between Trump and Russian President Vladimir Putin, "
    "where they agreed to start talks “immediately.” The Trump administration then spent a "
    "week making Europe anxious.\n"
    "The U.S. said these Riyadh sessions were just preliminary talks, although Russia sold "
    "this as a “restoring” of the complex U.S.-Russia relationship. The meeting yielded some "
    "U.S.-Russia rapprochement.\n"
    "National security adviser Jake Sullivan reiterated this goal as part of a Dec. 2 White "
    "House announcement of $725 million in additional security assistance for Ukraine, which "
    "will be delivered “rapidly” to Ukraine’s front lines. The Kremlin said on Tuesday that "
    "the new package shows that the Biden administration aims to “throw oil on the fire” of "
    "the war before exiting office.\n"
)

GUTENBERG_PARAGRAPHS = [
    "It is a truth universally acknowledged, that a single man in possession of a good "
    "fortune, must be in want of a wife. However little known the feelings or views of such "
    "a man may be on his first entering a neighbourhood, this truth is so well fixed in the "
    "minds of the surrounding families, that he is considered the rightful property of some "
    "one or other of their daughters.",
    "“My dear Mr. Bennet,” said his lady to him one day, “have you heard that Netherfield "
    "Park is let at last?” Mr. Bennet replied that he had not.",
    "“But it is,” returned she; “for Mrs. Long has just been here, and she told me all about "
    "it.” Mr. Bennet made no answer. “Do you not want to know who has taken it?” cried his "
    "wife impatiently.",
]
HARD_WRAPPED = "\n\n".join(textwrap.fill(p, 70) for p in GUTENBERG_PARAGRAPHS) + "\n"


def texts(spans, text):
    return [text[start:end] for start, end in spans]


# --- paragraphs --------------------------------------------------------------


def test_one_paragraph_per_line_article():
    assert not is_hard_wrapped(ARTICLE)
    paragraphs = texts(paragraph_spans(ARTICLE), ARTICLE)
    assert paragraphs == ARTICLE.rstrip("\n").split("\n")


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda path: path.name[:3])
def test_seed_articles_are_one_paragraph_per_non_blank_line(path):
    text = path.read_text(encoding="utf-8")
    assert not is_hard_wrapped(text)
    expected = [line.strip() for line in text.split("\n") if line.strip()]
    assert texts(paragraph_spans(text), text) == expected


def test_hard_wrapped_text_paragraphs_are_blocks():
    assert is_hard_wrapped(HARD_WRAPPED)
    spans = paragraph_spans(HARD_WRAPPED)
    assert [HARD_WRAPPED[a:b].replace("\n", " ") for a, b in spans] == GUTENBERG_PARAGRAPHS
    assert "\n" in HARD_WRAPPED[spans[0][0] : spans[0][1]]


def test_hard_wrapped_email_with_indented_blocks_and_whitespace_only_separators():
    body = textwrap.fill(GUTENBERG_PARAGRAPHS[0], 72, initial_indent="  ", subsequent_indent="  ")
    email = "Hi all,\n   \n" + body + "\n \t\n" + textwrap.fill(GUTENBERG_PARAGRAPHS[1], 72)
    spans = paragraph_spans(email)
    assert texts(spans, email)[0] == "Hi all,"
    assert texts(spans, email)[1] == body.strip()
    assert len(spans) == 3


def test_short_transcript_turns_with_sections_are_not_glued_together():
    transcript = (
        "Interviewer: How long have you lived here?\n"
        "Respondent: Ten years.\n"
        "Interviewer: And before?\n"
        "Respondent: Kharkiv.\n"
        "\n"
        "Interviewer: Why did you leave?\n"
        "Respondent: The war.\n"
    )
    assert not is_hard_wrapped(transcript)
    assert len(paragraph_spans(transcript)) == 6


def test_paragraphs_exclude_surrounding_whitespace():
    text = "  first line  \n\n\t second\t\n   \n"
    assert texts(paragraph_spans(text), text) == ["first line", "second"]
    assert paragraph_spans("") == []
    assert paragraph_spans(" \n\n  ") == []


# --- sentences ---------------------------------------------------------------


def test_sentences_in_seed_excerpt():
    sentences = texts(sentence_spans(ARTICLE), ARTICLE)
    # "U.S." followed by a lowercase word does not end a sentence; "assistance." does.
    assert sentences[0].endswith("exacerbated by the delays in U.S. assistance.")
    assert sentences[1].startswith("Ukraine still controls")
    # Closing quotes stay with their sentence.
    assert any(s.endswith("agreed to start talks “immediately.”") for s in sentences)
    assert "The Trump administration then spent a week making Europe anxious." in sentences
    assert any(s.startswith("The U.S. said these Riyadh sessions") for s in sentences)
    # "Dec." is an abbreviation even before a digit.
    dec = next(s for s in sentences if s.startswith("National security adviser"))
    assert "Dec. 2 White House announcement" in dec
    assert dec.endswith("to Ukraine’s front lines.")


def test_sentences_in_seed_article_00():
    text = (SEEDS / "000_e1c48ff365c070fe.txt").read_text(encoding="utf-8")
    sentences = texts(sentence_spans(text), text)
    assert any(s.startswith("National security adviser Jake Sullivan") and "Dec. 2 White" in s
               for s in sentences)
    assert not any(s.endswith("Dec.") for s in sentences)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("J. R. R. Tolkien wrote it. It sold.", ["J. R. R. Tolkien wrote it.", "It sold."]),
        ("It was No. 5 on Jan. 3 in St. Louis.", ["It was No. 5 on Jan. 3 in St. Louis."]),
        ("See e.g. The Times. Or not.", ["See e.g. The Times.", "Or not."]),
        ("Apples, pears, etc. are fine.", ["Apples, pears, etc. are fine."]),
        ("Apple Inc. The company grew.", ["Apple Inc.", "The company grew."]),
        ("the U.S. Special Envoy spoke.", ["the U.S. Special Envoy spoke."]),
        ("closer to the U.S. What’s more, it.", ["closer to the U.S.", "What’s more, it."]),
        ("It cost 3.5 million. 20 people came.", ["It cost 3.5 million.", "20 people came."]),
        ("Really?! Yes… (Quite.) “Sure.” [Fine.]",
         ["Really?!", "Yes…", "(Quite.)", "“Sure.”", "[Fine.]"]),
        ("he said no. then left", ["he said no. then left"]),
        ("The answer was No. Then he left.", ["The answer was No. Then he left."]),
        ("Он пришёл. Она ушла.", ["Он пришёл.", "Она ушла."]),
        ("مرحبا بكم. شكرا لكم.", ["مرحبا بكم.", "شكرا لكم."]),
        ("今日は晴れ。明日は雨！", ["今日は晴れ。", "明日は雨！"]),
        ("Wait...   What?\tNo.", ["Wait...", "What?", "No."]),
    ],
)
def test_sentence_rules(text, expected):
    assert texts(sentence_spans(text), text) == expected


def test_sentences_never_cross_paragraphs_and_may_span_wrapped_lines():
    spans = sentence_spans(HARD_WRAPPED)
    sentences = [HARD_WRAPPED[a:b].replace("\n", " ") for a, b in spans]
    assert sentences[:2] == [
        "It is a truth universally acknowledged, that a single man in possession of a good "
        "fortune, must be in want of a wife.",
        "However little known the feelings or views of such a man may be on his first entering "
        "a neighbourhood, this truth is so well fixed in the minds of the surrounding families, "
        "that he is considered the rightful property of some one or other of their daughters.",
    ]
    assert "“My dear Mr. Bennet,” said his lady" in sentences[2]
    paragraphs = paragraph_spans(HARD_WRAPPED)
    for start, end in spans:
        assert any(p_start <= start and end <= p_end for p_start, p_end in paragraphs)
    # One paragraph without any sentence break inside is one sentence.
    text = "no capital letters here. or here\nnext line is a paragraph"
    assert texts(sentence_spans(text), text) == [
        "no capital letters here. or here",
        "next line is a paragraph",
    ]


# --- words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zelensky’s home-grown drones", ["Zelensky’s", "home", "-", "grown", "drones"]),
        ("don't stop—now!", ["don't", "stop", "—", "now", "!"]),
        ("“immediately.” The", ["“", "immediately", ".”", "The"]),
        ("$725 million, U.S.-Russia", ["$", "725", "million", ",", "U", ".", "S", ".-", "Russia"]),
        ("cafe\u0301 नमस्ते world", ["cafe\u0301", "नमस्ते", "world"]),
        ("under_score x2 'quoted'", ["under_score", "x2", "'", "quoted", "'"]),
        ("中文 👍🏽 👨\u200d👩\u200d👧!", ["中文", "👍🏽", "👨\u200d👩\u200d👧!"]),
        ("   ", []),
    ],
)
def test_words(text, expected):
    assert texts(word_spans(text), text) == expected


# --- motions -------------------------------------------------------------------


def test_word_motions_like_vim():
    text = "one two, three\nfour"
    words = word_spans(text)
    assert texts(words, text) == ["one", "two", ",", "three", "four"]
    assert next_start(words, 0) == 4  # w from the start of "one"
    assert next_start(words, 5) == 7  # w from inside "two" → ","
    assert next_start(words, 12) == 15  # w from inside "three" → "four" on the next line
    assert next_start(words, 15) is None  # w on the last word
    assert previous_start(words, 5) == 4  # b from inside "two" → its start
    assert previous_start(words, 4) == 0  # b from the start of "two" → "one"
    assert previous_start(words, 0) is None
    assert previous_start(words, len(text)) == 15


def test_sentence_and_paragraph_motions():
    sentences = sentence_spans(ARTICLE)
    paragraphs = paragraph_spans(ARTICLE)
    second = ARTICLE.index("Ukraine still controls")
    assert next_start(sentences, 0) == second  # ")"
    assert previous_start(sentences, second + 5) == second  # "(" inside a sentence
    assert previous_start(sentences, second) == 0
    assert next_start(paragraphs, 3) == ARTICLE.index("But the geopolitics")  # "}"
    assert previous_start(paragraphs, ARTICLE.index("But the geopolitics")) == 0  # "{"


def test_span_at():
    text = "alpha  beta\n\ngamma"
    words = word_spans(text)
    assert span_at(words, 0) == (0, 5)
    assert span_at(words, 4) == (0, 5)
    assert span_at(words, 5, text) == (7, 11)  # between words: the next one on the line
    assert span_at(words, 11, text) is None  # the newline: next word is on another line
    assert span_at(words, 11) == (13, 18)  # without text the line is not checked
    assert span_at(words, len(text)) is None
    assert span_at([], 0) is None


def test_paragraph_number():
    text = "First.\n\nSecond.\nThird."
    assert paragraph_number(text, 0) == 1
    assert paragraph_number(text, 6) == 1  # the newline after paragraph 1
    assert paragraph_number(text, text.index("Third")) == 3
    assert paragraph_number(text, len(text)) == 3
    assert paragraph_number("  \n  x", 0) == 1  # before the first paragraph
    assert paragraph_number("", 0) == 0
    spans = paragraph_spans(ARTICLE)
    assert paragraph_number(spans, ARTICLE.index("The U.S. said")) == 3
    assert paragraph_number(HARD_WRAPPED, HARD_WRAPPED.index("Mrs. Long")) == 3


# --- properties ------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    [*"abcXYZ019 ..  ,!?’'\"()-\n\n\t",
     "Mr.", "U.S.", "Dec.", "e\u0301", "中", "👍", "\u200d", "ש", "م", "…", "“", "”", "\u3000"]
)
_TEXT = st.lists(_ALPHABET, max_size=200).map("".join)


def _is_sorted_disjoint(spans):
    return all(a[1] <= b[0] for a, b in itertools.pairwise(spans)) and all(s < e for s, e in spans)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_units_are_sorted_stripped_and_nested(text):
    paragraphs = paragraph_spans(text)
    sentences = sentence_spans(text)
    words = word_spans(text)
    for spans in (paragraphs, sentences, words):
        assert _is_sorted_disjoint(spans)
        for start, end in spans:
            assert not text[start].isspace() and not text[end - 1].isspace()
    # Sentences tile each paragraph, leaving out only whitespace.
    for p_start, p_end in paragraphs:
        inside = [s for s in sentences if p_start <= s[0] < p_end]
        assert inside and inside[0][0] == p_start and inside[-1][1] == p_end
        for (_, end), (start, _) in itertools.pairwise(inside):
            assert text[end:start].isspace()
    for start, end in sentences:
        assert any(p_start <= start and end <= p_end for p_start, p_end in paragraphs)
    # Words cover exactly the non-whitespace characters.
    covered = set()
    for start, end in words:
        assert not any(ch.isspace() for ch in text[start:end])
        covered.update(range(start, end))
    assert covered == {i for i, ch in enumerate(text) if not ch.isspace()}


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.integers(-2, 205))
def test_motions_match_a_linear_scan(text, offset):
    for spans in (word_spans(text), sentence_spans(text), paragraph_spans(text)):
        starts = [start for start, _ in spans]
        after = [s for s in starts if s > offset]
        before = [s for s in starts if s < offset]
        assert next_start(spans, offset) == (after[0] if after else None)
        assert previous_start(spans, offset) == (before[-1] if before else None)
        containing = [s for s in spans if s[0] <= offset < s[1]]
        found = span_at(spans, offset, text)
        if containing:
            assert found == containing[0]
        elif found is not None:
            assert found[0] == after[0] and "\n" not in text[max(offset, 0) : found[0]]
        else:
            assert not after or "\n" in text[max(offset, 0) : after[0]]


def test_next_end_and_trim_span():
    from margin.store.textspans import next_end, trim_span

    text = "One two. Three four.\n\nFive."
    spans = sentence_spans(text)
    assert next_end(spans, 0) == text.index(".")
    assert next_end(spans, text.index(".")) == text.index("four.") + 4  # from the last char
    assert next_end(spans, text.index("Five")) == len(text) - 1
    assert next_end(spans, len(text) - 1) is None
    assert trim_span(text, 8, 22) == (9, 20)
    assert trim_span(text, 20, 22) is None
