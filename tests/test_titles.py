"""Title guesses for imported documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from margin.store.sources.cleaning import clean_boilerplate
from margin.store.sources.textio import read_text_file
from margin.store.sources.titles import guess_title

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

BODY = (
    "This paragraph is the body of the document and it is long enough, at well over "
    "twenty-five words, that no line after it can be taken for the title of the piece."
)


def _cleaned_seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return clean_boilerplate(read_text_file(path).text)


@pytest.mark.parametrize(
    ("prefix", "title"),
    [
        ("000", "Diplomacy Watch: Still tap dancing around NATO for Kyiv"),
        # Its first line is an image caption sentence, not the title.
        ("002", "The Great Diplomatic Divide: Reading Between the Lines of the Kremlin Summit"),
    ],
)
def test_seed_with_a_heading_gets_it_as_title(prefix: str, title: str) -> None:
    assert guess_title(_cleaned_seed(prefix)) == title


@pytest.mark.parametrize(
    ("prefix", "start"),
    [
        ("001", "This year, Russia has made slow but significant advances"),
        ("003", "It’s confusing I think"),
        ("004", "Following last week's summit in Alaska"),
    ],
)
def test_seed_without_heading_gets_start_of_first_sentence(prefix: str, start: str) -> None:
    title = guess_title(_cleaned_seed(prefix))
    assert title.startswith(start)
    assert title.endswith("…")
    assert len(title) <= 90
    # Cut at a word boundary: the text before "…" is a prefix ending in a whole word.
    text = _cleaned_seed(prefix)
    stem = title[:-1]
    assert text.startswith(stem)
    assert not text[len(stem)].isalnum()


def test_max_length_is_respected() -> None:
    title = guess_title("Following last week's summit in Alaska, the administration said.", 30)
    assert title == "Following last week's summit…"
    assert len(title) <= 30


def test_short_first_sentence_is_the_whole_title() -> None:
    assert guess_title("Mr. Smith went to Washington. " + BODY) == "Mr. Smith went to Washington."


def test_markdown_heading_is_stripped_of_marks() -> None:
    assert guess_title("# **Field notes, day 3** #\n\n" + BODY) == "Field notes, day 3"
    assert guess_title("## _Interview with A._\n\n" + BODY) == "Interview with A."


def test_question_headline_counts() -> None:
    assert guess_title("What Does Russia Want?\n" + BODY) == "What Does Russia Want?"


@pytest.mark.parametrize(
    "noise",
    [
        "https://example.com/news/2024/story",
        "* * *",
        "Photo: Reuters",
        "A flag waving on a flagpole against a clear blue sky.",
        "Posted by the editors,",
    ],
)
def test_non_headings_before_the_title_are_skipped(noise: str) -> None:
    assert guess_title(f"{noise}\n\nThe Real Headline\n\n{BODY}") == "The Real Headline"


def test_heading_after_the_body_is_not_the_title() -> None:
    title = guess_title(BODY + "\n\nA Section Heading\n")
    assert title.startswith("This paragraph is the body")


def test_long_heading_like_line_is_not_a_heading() -> None:
    long_line = " ".join(["word"] * 20)
    assert guess_title(long_line + "\nShort Title\n" + BODY) == "Short Title"


@pytest.mark.parametrize("text", ["", "   \n\n", "12345\n----", "* * *"])
def test_text_without_letters_is_untitled(text: str) -> None:
    assert guess_title(text) == "Untitled"


def test_title_is_never_empty() -> None:
    assert guess_title("...\n\nx.") == "x."
