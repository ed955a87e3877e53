"""Boilerplate cleaning on the real scraped seed articles and on small cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from margin.store.sources.cleaning import clean_boilerplate, cleaning_report
from margin.store.sources.textio import read_text_file

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

BOILERPLATE = [
    "Follow us on social",
    "google cta",
    "Analysis | QiOSK",
    "keep reading",
    "Show less",
    "Want more of our stories on Google?",
    "Click here to make us a Preferred Source.",
    "\nLATEST",
    "\nQIOSK",
    "\nNewsletter",
    "Subscribe now",
    "GET SPLINTER RIGHT IN YOUR INBOX",
    "The Truth Hurts",
    "Leave a Reply",
    "Your email address will not be published",
    "Required fields are marked",
    "Top image credit",
    "Find out more about",
    # The lead image's description, the comment prompt, the syndication note.
    "Ukrainian flag waving on a flagpole",
    "What is your perspective?",
    "Share your analysis in the comments below",
    "Reprinted from the author",
    "See the original here",
]

# Per seed: sentences from the first and the last real paragraphs, and
# headings, that must survive cleaning.
KEPT = {
    "000": [
        "Diplomacy Watch: Still tap dancing around NATO for Kyiv",
        "Two steps forward, one step back on negotiations, while Biden plows more weapons",
        "Kyiv and Moscow both hinted this week at their shifting expectations",
        "\nOther Ukraine News This Week\n",
        "\nFrom State Department Press Briefing on Dec. 2\n",
        "it’s an important step along that road towards NATO membership,” Miller said.",
    ],
    "001": [
        "This year, Russia has made slow but significant advances",
        "\nWhat Does Russia Want?\n",
        "\nWhat Does Ukraine Want?\n",
        "“Trump is predictable in his unpredictability,” said Honcharenko",
        "“Maybe the wind will change completely.”",
    ],
    "002": [
        "The Great Diplomatic Divide: Reading Between the Lines of the Kremlin Summit",
        "The five-hour summit that concluded past midnight on Tuesday, December 2",
        "\nThe Unyielding Barrier: Territorial Sovereignty and Moscow’s Demands\n",
        "\nThe United Nations’ Formal Action on Child Relocations\n",
        "the broader NATO alliance.\n",
        "The successful achievement of a lasting and dignified peace hinges on",
    ],
    "003": [
        "It’s confusing I think for many listening to the various spins",
        "I cannot wait to read the autobiographies",
        "of Trump.\nThe views expressed are the author’s",  # the note between them is gone
        "The views expressed are the author’s and not necessarily of Kyiv Post.",
    ],
    "004": [
        "Following last week's summit in Alaska",
        "Currently, Witkoff seems to hold more influence in these discussions.",
    ],
}

LAST_WORDS = {
    "000": "road towards NATO membership,” Miller said.",
    "001": "“Maybe the wind will change completely.”",
    "003": "The views expressed are the author’s and not necessarily of Kyiv Post.",
    "004": "Currently, Witkoff seems to hold more influence in these discussions.",
}


def _seed_text(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return read_text_file(path).text


@pytest.fixture(scope="module", params=sorted(KEPT))
def seed(request) -> tuple[str, str, str]:
    original = _seed_text(request.param)
    return request.param, original, clean_boilerplate(original)


def test_seed_has_no_boilerplate_left(seed) -> None:
    name, _original, cleaned = seed
    left = [phrase for phrase in BOILERPLATE if phrase.casefold() in cleaned.casefold()]
    assert left == [], f"seed {name} still contains {left}"


def test_seed_keeps_first_last_and_headings(seed) -> None:
    name, _original, cleaned = seed
    missing = [sentence for sentence in KEPT[name] if sentence not in cleaned]
    assert missing == [], f"seed {name} lost {missing}"


def test_seed_ends_with_its_last_real_paragraph(seed) -> None:
    name, _original, cleaned = seed
    if name in LAST_WORDS:
        assert cleaned.endswith(LAST_WORDS[name])


def test_seed_has_no_runs_of_blank_lines_or_blank_ends(seed) -> None:
    _name, _original, cleaned = seed
    assert "\n\n\n" not in cleaned
    assert cleaned == cleaned.strip()


def test_teasers_of_other_stories_are_gone_from_000() -> None:
    cleaned = clean_boilerplate(_seed_text("000"))
    for teaser in [
        "\nUnited Nations\n",
        "Monitors at the United Nations General Assembly hall",
        "We're burying the rules based order",
        "In a Davos speech widely praised",
        "Trump vs. his China hawks",
        "china trump",
        "Is America still considered part of the 'Americas'?",
        "withdraw from 66 international bodies",
    ]:
        assert teaser not in cleaned


def test_title_printed_twice_appears_once() -> None:
    cleaned = clean_boilerplate(_seed_text("000"))
    assert cleaned.count("Diplomacy Watch: Still tap dancing around NATO for Kyiv") == 1
    assert cleaned.startswith("Diplomacy Watch: Still tap dancing around NATO for Kyiv\n")


def test_repeated_pull_quote_paragraph_is_kept() -> None:
    original = _seed_text("003")
    repeated = (
        "So, in the end it boils down to giving Ukraine the tools to defend itself – which is "
        "why the debate over the size of Ukraine’s armed forces is so important."
    )
    assert original.count(repeated) == 2
    assert clean_boilerplate(original).count(repeated) == 2


def test_seo_sentences_leave_headings_and_paragraphs_intact() -> None:
    cleaned = clean_boilerplate(_seed_text("002"))
    assert "alliance.." not in cleaned
    assert "\nThe Shifting Geopolitical Focus and Transatlantic Mediation Efforts\n" in cleaned
    assert "aimed at dividing the Western coalition.\n" in cleaned


def test_clean_article_is_unchanged() -> None:
    original = _seed_text("004")
    assert clean_boilerplate(original) == original
    assert cleaning_report(original, clean_boilerplate(original)) == 0


def test_report_counts_removed_lines() -> None:
    original = _seed_text("001")
    cleaned = clean_boilerplate(original)
    # "GET SPLINTER RIGHT IN YOUR INBOX" and "The Truth Hurts".
    assert cleaning_report(original, cleaned) == 2
    many = cleaning_report(_seed_text("000"), clean_boilerplate(_seed_text("000")))
    assert many > 25


# --- small cases: the rules are general, and careful with content ------------

PARAGRAPH = (
    "This is a long paragraph of real reporting, with more than enough words in it to be "
    "recognised as the body of the article rather than as a heading or caption line. "
)


def test_footer_after_inline_advert_keeps_article_between() -> None:
    text = "\n\n".join(
        [
            "Headline",
            PARAGRAPH + "First.",
            "Advertisement",
            PARAGRAPH + "Second.",
            "A short closing line.",
            "Leave a Reply",
            "Your email address will not be published.",
        ]
    )
    cleaned = clean_boilerplate(text)
    assert cleaned == "\n\n".join(
        ["Headline", PARAGRAPH + "First.", PARAGRAPH + "Second.", "A short closing line."]
    )


def test_footer_words_before_the_body_do_not_cut_the_article() -> None:
    text = "Newsletter\n\nComments\n\n" + PARAGRAPH
    assert clean_boilerplate(text) == text


def test_text_without_prose_paragraph_is_not_cut() -> None:
    text = "Shopping list\nMilk\nComments\nEggs"
    assert clean_boilerplate(text) == text


def test_repeated_short_lines_far_apart_are_content() -> None:
    lines = ["R: [laughter]", "I: Why?", "R: It was hard.", "I: Okay.", "R: Yes.", "R: [laughter]"]
    text = "\n".join(lines)
    assert clean_boilerplate(text) == text


def test_repeated_short_sentence_with_full_stop_is_kept() -> None:
    text = "Yes.\nYes.\nNo?"
    assert clean_boilerplate(text) == text


def test_breadcrumbs_go_but_look_alikes_stay() -> None:
    text = "News › Europe\nOpinion | Ukraine\nBefore / After\n| a | b |\n2024 | 2025"
    assert clean_boilerplate(text) == "Before / After\n| a | b |\n2024 | 2025"


def test_teaser_block_after_article_goes_with_its_caption() -> None:
    text = "\n".join(
        [
            "Headline",
            "",
            PARAGRAPH + "Last real sentence.",
            "",
            "google cta",
            "World | Europe",
            "Caption of another story's photo.",
            "Another story's title",
            "Excerpt of the other story.",
            "keep readingShow less",
            "Second teaser title",
            "keep readingShow less",
        ]
    )
    assert clean_boilerplate(text) == "Headline\n\n" + PARAGRAPH + "Last real sentence."


def test_blank_line_runs_collapse_and_ends_are_trimmed() -> None:
    text = "\n\n  \nTitle\n\n\n\n\t\nBody line\n\n\n"
    assert clean_boilerplate(text) == "Title\n\nBody line"


# --- captions, comment prompts, syndication notes: rules, not seed strings ----

LAST = PARAGRAPH + "The last real sentence."


@pytest.mark.parametrize("caption", [
    "A protester holds a placard outside parliament in Tbilisi on Monday.",
    "Soldiers unload crates of ammunition near the front line at dawn.",
])
def test_the_lead_image_description_above_the_title_goes(caption) -> None:
    text = f"{caption}\n\nThe Title of the Article\n\n{LAST}"
    assert clean_boilerplate(text) == f"The Title of the Article\n\n{LAST}"


@pytest.mark.parametrize("text", [
    # A first sentence that is the article's (no title follows it).
    f"The talks ended without agreement on Tuesday.\n\n{LAST}",
    # A quotation or a question above the title is not a description.
    f"“We will not give up,” she said.\n\nThe Title\n\n{LAST}",
    f"Is peace possible this year?\n\nThe Title\n\n{LAST}",
    # Two sentences: a standfirst, not a caption.
    f"Talks resumed. Nobody expects much.\n\nThe Title\n\n{LAST}",
])
def test_first_lines_that_are_not_captions_stay(text) -> None:
    assert clean_boilerplate(text) == text


@pytest.mark.parametrize("caption", [
    "Photo: Demonstrators in Independence Square, Kyiv, in February 2014.",
    "Pictured: the negotiating table in Istanbul.",
    "File photo | The Kremlin seen from the river",
    "Residents queue for water in Kherson. (Photo by Jane Doe/Getty Images)",
    "Residents queue for water in Kherson (AFP)",
    "Residents queue for water in Kherson. Photo: Reuters",
    "An aid convoy on the road to Mariupol [Image courtesy of the UN]",
])
def test_captions_that_name_their_picture_go_anywhere(caption) -> None:
    text = f"Title\n\n{PARAGRAPH}First.\n\n{caption}\n\n{LAST}"
    assert clean_boilerplate(text) == f"Title\n\n{PARAGRAPH}First.\n\n{LAST}"


@pytest.mark.parametrize("line", [
    "He showed me the picture: a dog asleep in the snow.",
    "The exhibition (photography by local artists) runs until May.",
    "Reuters reported the figure first.",
])
def test_lines_mentioning_pictures_or_agencies_stay(line) -> None:
    text = f"Title\n\n{PARAGRAPH}First.\n\n{line}\n\n{LAST}"
    assert clean_boilerplate(text) == text


@pytest.mark.parametrize("prompt", [
    "Share your thoughts in the comments below.",
    "What do you think? Let us know in the comments!",
    "Do you agree with the author? Tell us in the comment section, and subscribe for more.",
    "Join the conversation in the comments.",
    "We’d love to hear your view in the comments below.",
])
def test_comment_prompts_at_the_end_go(prompt) -> None:
    text = f"Title\n\n{LAST}\n\n{prompt}"
    assert clean_boilerplate(text) == f"Title\n\n{LAST}"
    # On the last paragraph's own line, only the prompt goes.
    assert clean_boilerplate(f"Title\n\n{LAST} {prompt}") == f"Title\n\n{LAST}"


@pytest.mark.parametrize("note", [
    "Reprinted from the author’s Substack. See the original here.",
    "This article was originally published on The Conversation. Read the original article.",
    "Originally published in Foreign Affairs.",
    "Republished with permission from Responsible Statecraft.",
    "A version of this story first appeared in the Kyiv Independent.",
])
def test_syndication_notes_at_the_end_go_and_a_disclaimer_after_stays(note) -> None:
    disclaimer = "The views expressed are the author’s own."
    text = f"Title\n\n{LAST}\n{note}\n{disclaimer}"
    assert clean_boilerplate(text) == f"Title\n\n{LAST}\n{disclaimer}"


@pytest.mark.parametrize("sentence", [
    # Sentences that mention comments or reprints: reporting, not prompts.
    "Readers left hundreds of comments below the video, many of them angry.",
    "“Please leave the comments to the lawyers,” the minister said.",
    "The ministry declined to comment on the report.",
    "The 1920 pamphlet was reprinted from the original plates in 1952.",
    "Reprinted in 1952, the book sold millions of copies.",
    "Few of the comments on this story were about the war itself.",
])
def test_ordinary_sentences_about_comments_or_reprints_stay(sentence) -> None:
    at_the_end = f"Title\n\n{LAST}\n\n{sentence}"
    assert clean_boilerplate(at_the_end) == at_the_end
    in_the_body = f"Title\n\n{PARAGRAPH}{sentence}\n\n{LAST}"
    assert clean_boilerplate(in_the_body) == in_the_body


def test_a_prompt_before_the_last_paragraph_is_article_text() -> None:
    # Not at the end: the article goes on after it, so it is the article's.
    text = f"Title\n\n{PARAGRAPH}\n\nShare your thoughts in the comments below.\n\n{LAST}"
    assert clean_boilerplate(text) == text


def test_the_original_text_is_kept_in_the_database(db) -> None:
    from margin.store.documents import import_text
    from margin.store.sources.textio import DecodedText

    text = (f"A tank crosses a river at dusk.\n\nThe Title\n\n{LAST}\n\n"
            "Share your thoughts in the comments below.\n"
            "Originally published in Foreign Affairs.")
    document = import_text(db, DecodedText(text, "utf-8", False), source="x.html",
                           clean=True).document_id
    stored, original = db.execute(
        "SELECT text, original FROM documents WHERE id = ?", [document]).fetchone()
    assert stored == f"The Title\n\n{LAST}"
    assert original == text
