"""Full-text search: the query grammar, exact hit offsets, and coding all hits."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from margin.store.codes import codebook, create_code
from margin.store.codings import apply_coding, codings_for_document
from margin.store.db import open_database
from margin.store.documents import get_document, import_text, rename_document
from margin.store.errors import NotFound, StoreError
from margin.store.history import can_undo, redo, undo
from margin.store.search.fulltext import (
    FtsHit,
    code_hits,
    parse_query,
    preview_code_hits,
    search_documents,
)
from margin.store.sources.textio import DecodedText
from margin.store.textspans import context_of as context

PEACE = (
    "Peace talks began in Istanbul. The talk was short and the talks failed.\n\n"
    "Security guarantees matter. A secure border was discussed; securities fell.\n\n"
    "The White House said nothing about the talks."
)
CLIMATE = (
    "We talked about climate change. Climate. Change is slow.\n\n"
    "Nobody mentioned Istanbul here."
)
# Astral emoji, a ZWJ sequence, CJK and combining marks before the hits.
UNICODE = (
    "\U0001F600\U0001F469\u200d\U0001F469\u200d\U0001F467 東京都 e\u0301cole caf\u00e9\n\n"
    "Then talks resumed in 東京都. Na\u0308ive talk."
)


def _import(db, text: str) -> int:
    result = import_text(db, DecodedText(text, "utf-8", False), source="t", clean=False)
    assert result.document_id is not None, result.message
    return result.document_id


@pytest.fixture
def corpus(db):
    return {
        "peace": _import(db, PEACE),
        "climate": _import(db, CLIMATE),
        "unicode": _import(db, UNICODE),
    }


def _texts(hits: list[FtsHit]) -> list[str]:
    return [hit.text for hit in hits]


def _assert_exact(db, hits: list[FtsHit]) -> None:
    for hit in hits:
        assert get_document(db, hit.document_id).text[hit.start:hit.end] == hit.text


# ------------------------------------------------------------------ finding


def test_a_word_finds_every_occurrence_in_text_order_with_exact_offsets(db, corpus):
    hits = search_documents(db, "Istanbul")
    assert {hit.document_id for hit in hits} == {corpus["peace"], corpus["climate"]}
    _assert_exact(db, hits)
    assert all(hit.text == "Istanbul" for hit in hits)
    peace = get_document(db, corpus["peace"])
    (in_peace,) = [hit for hit in hits if hit.document_id == corpus["peace"]]
    assert in_peace.start == PEACE.index("Istanbul") and in_peace.title == peace.title


def test_stemming_finds_other_forms_of_a_word(db, corpus):
    hits = search_documents(db, "talks")
    found = _texts(hits)
    assert {"talk", "talks", "talked"} <= set(found)
    assert found.count("talks") == 4  # three in PEACE, one in UNICODE
    _assert_exact(db, hits)
    # Within a document, hits come in text order.
    for document_id in corpus.values():
        starts = [hit.start for hit in hits if hit.document_id == document_id]
        assert starts == sorted(starts)


def test_a_quoted_phrase_matches_the_words_in_order(db, corpus):
    hits = search_documents(db, '"climate change"')
    # FTS5 phrases ignore punctuation between the words: "Climate. Change" too.
    assert _texts(hits) == ["climate change", "Climate. Change"]
    assert search_documents(db, '"climate talked"') == []
    _assert_exact(db, hits)


def test_neighbouring_words_of_an_and_query_make_one_hit_within_a_sentence(db, corpus):
    assert _texts(search_documents(db, "White House")) == ["White House"]
    # Not across a sentence end.
    assert _texts(search_documents(db, "climate change")) == [
        "climate change", "Climate", "Change"]


def test_a_prefix_finds_the_words_beginning_with_it(db, corpus):
    hits = search_documents(db, "secur*")
    assert _texts(hits) == ["Security", "secure", "securities"]
    assert _texts(search_documents(db, '"white hou"*')) == ["White House"]
    _assert_exact(db, hits)


def test_a_prefix_matches_words_as_written_not_their_stems(db, corpus):
    """The index of stems holds "secur" for "Security": securit* found nothing."""
    negotiations = _import(db, "The negotiations stalled; negotiating went on. "
                               "Negotiable terms were few.")
    assert _texts(search_documents(db, "securit*")) == ["Security", "securities"]
    assert _texts(search_documents(db, "negotiat*")) == ["negotiations", "negotiating"]
    assert _texts(search_documents(db, "negotiation*")) == ["negotiations"]
    # A phrase whose last word is a prefix: its words as written too.
    assert _texts(search_documents(db, '"security guar"*')) == ["Security guarantees"]
    assert _texts(search_documents(db, '"secure guar"*')) == []
    # Plain words still find their other forms; negotiat* the words as written.
    assert _texts(search_documents(db, "negotiations", document_ids=[negotiations])) == [
        "negotiations", "negotiating", "Negotiable"]


def test_prefixes_and_stemmed_words_combine_in_one_query(db, corpus):
    def documents(query: str) -> list[int]:
        return sorted({hit.document_id for hit in search_documents(db, query)})

    talks = _import(db, "The negotiations and the talk failed.")
    assert documents("negotiat* AND talks") == [talks]
    assert documents("negotiat* talks") == [talks]
    assert documents("talks -negotiat*") == sorted(
        [corpus["peace"], corpus["climate"], corpus["unicode"]])
    assert documents("securit* OR climat*") == sorted([corpus["peace"], corpus["climate"]])
    assert documents("(securit* OR climate) -Istanbul") == []
    assert documents("(securit* OR climate) -border") == [corpus["climate"]]
    # Each index marks its own terms; the stemmed word in any form.
    hits = search_documents(db, "negotiat* AND talks", document_ids=[talks])
    assert _texts(hits) == ["negotiations", "talk"]
    _assert_exact(db, hits)
    # The document with more of what was asked comes first.
    more = _import(db, "negotiations, negotiations and talks, talks, talks")
    assert search_documents(db, "negotiat* talks")[0].document_id == more


def test_and_or_not_and_minus(db, corpus):
    def documents(query: str) -> set[int]:
        return {hit.document_id for hit in search_documents(db, query)}

    assert documents("Istanbul talks") == {corpus["peace"], corpus["climate"]}
    assert documents("Istanbul AND talks") == {corpus["peace"], corpus["climate"]}
    assert documents("Istanbul AND Security") == {corpus["peace"]}
    assert documents("Istanbul OR 東京都") == set(corpus.values())
    assert documents("talk -Istanbul") == {corpus["unicode"]}
    assert documents("talk NOT Istanbul") == {corpus["unicode"]}
    assert documents("(climate OR security) -border") == {corpus["climate"]}
    assert documents("talk -(Istanbul OR resumed)") == set()
    # The left-out word is never a hit; lower-case operators are words.
    assert "Istanbul" not in _texts(search_documents(db, "talk -Istanbul"))
    assert documents("and") == {corpus["peace"]}


def test_only_the_text_is_searched_not_the_title(db, corpus):
    rename_document(db, corpus["peace"], "Zanzibar report")
    assert search_documents(db, "Zanzibar") == []


def test_offsets_are_code_points_after_emoji_cjk_and_combining_marks(db, corpus):
    text = get_document(db, corpus["unicode"]).text
    only = [corpus["unicode"]]
    found = {
        query: _texts(search_documents(db, query, document_ids=only))
        for query in ("talks", "東京都", "ecole", "naive", "cafe", "\U0001F600 talks")
    }
    assert found == {
        "talks": ["talks", "talk"],
        "東京都": ["東京都", "東京都"],
        "ecole": ["e\u0301cole"],  # diacritics are folded: e + U+0301 is "e"
        "naive": ["Na\u0308ive"],
        "cafe": ["caf\u00e9"],
        "\U0001F600 talks": ["talks", "talk"],  # an emoji is not a word: ignored
    }
    (talks, _talk) = search_documents(db, "talks", document_ids=only)
    assert talks.start == text.index("talks") and talks.end == talks.start + 5
    # Neighbouring hits of different words on one line are one passage.
    assert _texts(search_documents(db, "東京都 OR ecole OR cafe", document_ids=only)) == [
        "東京都 e\u0301cole caf\u00e9", "東京都"]
    _assert_exact(db, search_documents(db, "talks OR 東京都 OR ecole OR naive OR cafe"))


def test_offsets_are_into_the_stored_text_after_line_endings_were_normalised(db):
    document_id = _import(db, "\ufeffFirst line\r\nsecond line\r\n\r\nthe talks\r\n")
    stored = get_document(db, document_id).text
    assert "\r" not in stored
    (hit,) = search_documents(db, "talks")
    assert (hit.start, hit.end) == (stored.index("talks"), stored.index("talks") + 5)


def test_control_characters_like_the_highlight_markers_do_not_shift_offsets(db):
    text = "odd \x01 bytes \x02 here, then the talks \x01\x02 end"
    document_id = _import(db, text)
    hits = search_documents(db, "talks OR here")
    assert _texts(hits) == ["here", "talks"]
    assert hits[1].start == get_document(db, document_id).text.index("talks")


def test_limit_and_document_restriction(db, corpus):
    everything = search_documents(db, "talk", limit=None)
    assert len(everything) == 7
    assert search_documents(db, "talk", limit=3) == everything[:3]
    assert search_documents(db, "talk", limit=0) == []
    only = search_documents(db, "talk", document_ids=[corpus["climate"]])
    assert {hit.document_id for hit in only} == {corpus["climate"]}
    assert search_documents(db, "talk", document_ids=[]) == []


def test_best_documents_come_first(db, corpus):
    _import(db, "The talks, the talks, the talks: talks everywhere.")
    hits = search_documents(db, "talks")
    assert hits[0].document_id == 4


def test_context_gives_the_sentence_around_a_hit(db, corpus):
    (hit,) = search_documents(db, "border")
    snippet, start, end = context(get_document(db, hit.document_id).text, hit.start, hit.end)
    assert snippet == "A secure border was discussed; securities fell."
    assert snippet[start:end] == "border"


# ------------------------------------------------------- malformed queries


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unbalanced', "unbalanced quote"),
        ('talk "climate change', "unbalanced quote"),
        ("AND", "AND needs"),
        ("talk AND", "AND needs"),
        ("OR talk", "OR needs"),
        ("talk OR", "OR needs"),
        ("NOT", "NOT needs"),
        ("NEAR(", "NEAR"),
        ("NEAR(talk peace)", "NEAR"),
        ("(", "unbalanced parenthesis"),
        ("(talk", "unbalanced parenthesis"),
        ("talk)", "unbalanced parenthesis"),
        ("()", "empty parentheses"),
        ("title:x", "column filter"),
        ('text:"talks"', "column filter"),
        ("*", "'*' on its own"),
        ("-", "'-' on its own"),
        ("talk - peace", "'-' on its own"),
        ("-talk", "only words to leave out"),
        ("NOT talk", "only words to leave out"),
        ("", "type something"),
        ("   ", "type something"),
        ("!!! ...", "nothing to search for"),
        ('""', "nothing to search for"),
        ("(" * 40 + "talk" + ")" * 40, "nested parentheses"),
        (" ".join(["talk"] * 100), "too many search terms"),
    ],
)
def test_malformed_queries_give_a_one_line_message(db, corpus, query, message):
    with pytest.raises(StoreError, match=message) as caught:
        search_documents(db, query)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "query",
    ["^talk", "talk:", "10:30", "U.S.", "+talk", "se*cur", "a\"b\"c", "NEAR talk",
     "{talk}", "talk's", "über", "\x00talk", "talk\u200b", "-\"talks\" peace"],
)
def test_fts_syntax_characters_are_searched_as_literal_text(db, corpus, query):
    search_documents(db, query)  # no error: quoted as literal words


def test_a_literal_colon_word_is_searched_as_words(db):
    _import(db, "The meeting began at 10:30 sharp.")
    assert _texts(search_documents(db, "10:30")) == ["10:30"]


def test_parse_query_quotes_every_word_and_searches_the_text_column():
    assert parse_query('talks "climate change" secur* -war') == (
        '{text} : (("talks" AND "climate change" AND "secur" *) NOT "war")'
    )
    # Operators in quotes are words; a quote always opens or closes a phrase.
    assert parse_query('say "NOT" OR "a""b"') == (
        '{text} : (("say" AND "NOT") OR ("a" AND "b"))'
    )


# Pieces of query syntax, for the property test below.
_QUERY_PIECES = st.sampled_from(
    ['"', "(", ")", "*", "-", ":", "^", "+", " ", "AND", "OR", "NOT", "NEAR", "NEAR(",
     "title:", "talk", "peace", "東京", "e\u0301", "\U0001F600", "\x00", "\x01", "{", "}",
     ",", ".", "'", "\\", "\n", "\udc80", "\U000F0000", "\u0301", "²"]
)
_QUERIES = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(_QUERY_PIECES, st.text(max_size=3)), max_size=25).map("".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=_QUERIES)
def test_any_text_gives_results_or_a_store_error_and_never_an_sqlite_error(query):
    db = _property_db()
    try:
        expression = parse_query(query)
    except StoreError as error:
        assert str(error) and "\n" not in str(error)
        return
    # What parse_query writes, FTS5 itself accepts (not just our safety net).
    try:
        db.execute(
            "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?", [expression]
        ).fetchall()
    except sqlite3.Error as error:  # pragma: no cover - the property under test
        raise AssertionError(f"{query!r} gave {expression!r}: {error}") from None
    for hit in search_documents(db, query, limit=None):
        assert _PROPERTY_TEXTS[hit.document_id][hit.start:hit.end] == hit.text


_PROPERTY_DB = None
_PROPERTY_TEXTS: dict[int, str] = {}


def _property_db():
    global _PROPERTY_DB
    if _PROPERTY_DB is None:
        _PROPERTY_DB = open_database(None)
        for text in (PEACE, CLIMATE, UNICODE):
            document_id = _import(_PROPERTY_DB, text)
            _PROPERTY_TEXTS[document_id] = get_document(_PROPERTY_DB, document_id).text
    return _PROPERTY_DB


# ------------------------------------------------------------------- coding


def _codings(db, corpus, code_id: int) -> list[tuple[int, str]]:
    return [
        (document_id, coding.quote)
        for document_id in corpus.values()
        for coding in codings_for_document(db, document_id)
        if coding.code_id == code_id
    ]


def test_coding_hits_at_word_scope_codes_each_hit(db, corpus):
    hits = search_documents(db, "secur*")
    result = code_hits(db, hits, "Security", "word", coder="ada")
    assert result.created_code and result.code_path == "Security"
    assert (result.codings, result.already_coded, result.passages) == (3, 0, 3)
    assert _codings(db, corpus, result.code_id) == [
        (corpus["peace"], "Security"), (corpus["peace"], "secure"),
        (corpus["peace"], "securities")]
    coding = codings_for_document(db, corpus["peace"])[0]
    assert coding.coder == "ada"


def test_coding_hits_at_sentence_scope_codes_each_sentence_once(db, corpus):
    hits = search_documents(db, "talk")
    preview = preview_code_hits(db, hits, "sentence")
    result = code_hits(db, hits, "Talk", "sentence", coder="ada")
    quotes = [quote for _document, quote in _codings(db, corpus, result.code_id)]
    # Three hits in the first sentence pair of PEACE give two sentences.
    assert "The talk was short and the talks failed." in quotes
    assert "Peace talks began in Istanbul." in quotes
    assert "Na\u0308ive talk." in quotes
    assert len(quotes) == len(set(quotes)) == result.codings == len(preview) == 6
    assert len(hits) == 7 and result.hits == 7 and result.documents == 3
    assert sorted((d, s, e) for d, s, e, _q in preview) == sorted(result.coded)


def test_coding_hits_at_paragraph_scope(db, corpus):
    hits = search_documents(db, "secur* OR border")
    result = code_hits(db, hits, "Security", "paragraph", coder="ada")
    assert _codings(db, corpus, result.code_id) == [
        (corpus["peace"],
         "Security guarantees matter. A secure border was discussed; securities fell.")]
    assert (result.codings, result.passages) == (1, 1)


def test_passages_already_coded_are_counted_not_coded_twice(db, corpus):
    code_id = create_code(db, "Talk")
    first = search_documents(db, "talks")[0]
    apply_coding(db, first.document_id, code_id, first.start, first.end, "ada")
    hits = search_documents(db, "talks", limit=None)
    preview = preview_code_hits(db, hits, "word", code=code_id)
    assert len(preview) == len(hits) - 1
    result = code_hits(db, hits, code_id, "word", coder="ada")
    assert (result.codings, result.already_coded, result.created_code) == (len(hits) - 1, 1, False)
    label = can_undo(db)
    again = code_hits(db, hits, "Talk", "word", coder="ada")
    assert (again.codings, again.already_coded, again.code_id) == (0, len(hits), code_id)
    assert can_undo(db) == label  # nothing changed, no empty action to undo


def test_undo_removes_every_coding_and_the_code_it_created(db, corpus):
    before = [code.path for code in codebook(db)]
    hits = search_documents(db, "talk", limit=None)
    result = code_hits(db, hits, "Themes > Negotiation", "sentence", coder="ada")
    assert [code.path for code in codebook(db)] == ["Themes", "Themes > Negotiation"]
    label = f"Code {result.passages} search hits as Themes > Negotiation"
    assert can_undo(db) == label
    assert undo(db) == label
    assert [code.path for code in codebook(db)] == before
    assert all(codings_for_document(db, d) == [] for d in corpus.values())
    redo(db)
    assert len(_codings(db, corpus, result.code_id)) == result.codings


def test_an_existing_code_is_used_by_name_and_undo_keeps_it(db, corpus):
    parent = create_code(db, "Themes")
    child = create_code(db, "Peace", parent_id=parent)
    result = code_hits(db, search_documents(db, "peace"), "Peace", "word", coder="ada")
    assert (result.code_id, result.created_code, result.code_path) == (
        child, False, "Themes > Peace")
    undo(db)
    assert [code.path for code in codebook(db)] == ["Themes", "Themes > Peace"]
    assert codings_for_document(db, corpus["peace"]) == []


def test_bad_input_to_code_hits_changes_nothing(db, corpus):
    hits = search_documents(db, "talks")
    with pytest.raises(StoreError, match="unknown scope"):
        code_hits(db, hits, "Talk", "chapter", coder="ada")
    with pytest.raises(StoreError, match="nothing to code"):
        code_hits(db, [], "Talk", "word", coder="ada")
    with pytest.raises(NotFound):
        code_hits(db, hits, 999, "word", coder="ada")
    with pytest.raises(StoreError, match="does not match"):
        stale = FtsHit(hits[0].document_id, "", hits[0].start + 1, hits[0].end, hits[0].text)
        code_hits(db, [stale], "Talk", "word", coder="ada")
    assert codebook(db) == [] and can_undo(db) is None


def test_a_second_coder_codes_the_hits_a_first_coder_coded(db, corpus):
    hits = search_documents(db, "talks", limit=None)
    first = code_hits(db, hits, "Talk", "word", coder="ada")
    assert first.codings == len(hits)
    # For bob nothing is coded yet: every passage is his to code.
    preview = preview_code_hits(db, hits, "word", code="Talk", coder="bob")
    assert len(preview) == len(hits)
    assert preview_code_hits(db, hits, "word", code="Talk", coder="ada") == []
    second = code_hits(db, hits, "Talk", "word", coder="bob")
    assert (second.codings, second.already_coded) == (len(hits), 0)
    coders = sorted(c.coder for d in corpus.values() for c in codings_for_document(db, d))
    assert coders == ["ada"] * len(hits) + ["bob"] * len(hits)
    # bob's second try finds his own codings: counted, not coded twice.
    again = code_hits(db, hits, "Talk", "word", coder="bob")
    assert (again.codings, again.already_coded) == (0, len(hits))
    assert preview_code_hits(db, hits, "word", code="Talk", coder="bob") == []
