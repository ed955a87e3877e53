"""Entities in the database: stored per document, reviewed, coded, undone."""

from __future__ import annotations

import re
from typing import ClassVar

import pytest

from margin.store.codes import codebook
from margin.store.codings import codings_for_document
from margin.store.documents import import_text
from margin.store.entities import EntitySpan
from margin.store.entities.grouping import Mention
from margin.store.entities.storage import (
    ACCEPTED,
    REJECTED,
    MentionDecision,
    apply_review,
    code_path_for,
    corpus_groups,
    documents_needing_entities,
    entities_for_document,
    entity_runs,
    recognise_documents,
    store_entities,
)
from margin.store.errors import StoreError
from margin.store.history import undo
from margin.store.sources.textio import DecodedText
from margin.store.textspans import context_of

TEXT = (
    "Vladimir Putin met Olaf Scholz in Berlin. Putin spoke first.\n\n"
    "Later, Scholz flew to Paris. Nobody met Putin there."
)


class NameFinder:
    """A stand-in backend that knows a few names."""

    name = "test"
    version = "test-1"
    known: ClassVar[dict[str, str]] = {"Vladimir Putin": "PERSON", "Olaf Scholz": "PERSON", "Putin": "PERSON",
             "Scholz": "PERSON", "Berlin": "GPE", "Paris": "GPE"}
    pattern = re.compile(r"\b(?:" + "|".join(sorted(known, key=len, reverse=True)) + r")\b")

    def recognise(self, text: str) -> list[EntitySpan]:
        return [EntitySpan(m.start(), m.end(), self.known[m.group()], m.group())
                for m in self.pattern.finditer(text)]

    def recognise_many(self, texts, cancelled=None):
        for text in texts:
            yield self.recognise(text)


@pytest.fixture
def document(db):
    result = import_text(db, DecodedText(TEXT, "utf-8", False), source="t", clean=False)
    return result.document_id


def test_imported_documents_wait_for_recognition_then_have_entities(db, document):
    assert documents_needing_entities(db) == [document]
    summary = recognise_documents(db, [document], NameFinder())
    assert documents_needing_entities(db) == []
    found = [(e.text, e.label) for e in entities_for_document(db, document)]
    assert ("Olaf Scholz", "PERSON") in found and ("Berlin", "GPE") in found
    assert summary.entities == len(found)
    assert entity_runs(db) == {("test", "test-1"): 1}


def test_a_backend_with_shifted_offsets_is_refused_and_keeps_what_was_stored(db, document):
    recognise_documents(db, [document], NameFinder())
    before = entities_for_document(db, document)
    with pytest.raises(StoreError, match="does not match"):
        store_entities(db, document, [EntitySpan(1, 9, "PERSON", "Vladimir")], "bad", "1")
    assert entities_for_document(db, document) == before


def _decisions(db, document, names, decision=ACCEPTED, label=None):
    chosen = [e for e in entities_for_document(db, document) if e.text in names]
    return [MentionDecision(e.as_mention(), decision, label or e.label, e.text) for e in chosen]


def test_accepted_mentions_become_codings_at_sentence_scope_in_one_undoable_action(db, document):
    recognise_documents(db, [document], NameFinder())
    decisions = _decisions(db, document, {"Putin"})
    result = apply_review(db, decisions, scope="sentence", coder="ada")
    codings = codings_for_document(db, document)
    assert sorted(c.quote for c in codings) == [
        "Nobody met Putin there.", "Putin spoke first."]
    assert {codebook_path(db, c.code_id) for c in codings} == {"PERSON > Putin"}
    assert result.codings == 2 and result.accepted == 2
    undo(db)
    assert codings_for_document(db, document) == []
    assert codebook(db) == []  # the codes the batch created went too
    assert all(e.decision is None for e in entities_for_document(db, document))


def codebook_path(db, code_id):
    return next(code.path for code in codebook(db) if code.id == code_id)


def test_two_mentions_in_one_sentence_give_one_coding_and_existing_codings_are_kept(db, document):
    recognise_documents(db, [document], NameFinder())
    decisions = _decisions(db, document, {"Vladimir Putin", "Olaf Scholz"}, label="PERSON")
    decisions = [MentionDecision(d.mention, d.decision, d.label, "Summit") for d in decisions]
    first = apply_review(db, decisions, scope="sentence", coder="ada")
    assert first.codings == 1
    again = apply_review(db, decisions, scope="sentence", coder="ada")
    assert again.codings == 0 and again.already_coded == 1
    assert len(codings_for_document(db, document)) == 1


def test_a_review_run_again_adds_no_empty_undo_step(db, document):
    """Reviewing the same mentions again with the same decisions changes
    nothing: a `u` after it must undo the real coding, not an empty step."""
    from margin.store.history import can_undo, undo

    recognise_documents(db, [document], NameFinder())
    decisions = _decisions(db, document, {"Vladimir Putin"}, label="PERSON")
    apply_review(db, decisions, scope="sentence", coder="ada")
    label = can_undo(db)
    apply_review(db, decisions, scope="sentence", coder="ada")
    assert can_undo(db) == label
    undo(db)
    assert codings_for_document(db, document) == []


def test_word_and_paragraph_scopes(db, document):
    recognise_documents(db, [document], NameFinder())
    apply_review(db, _decisions(db, document, {"Berlin"}), scope="word", coder="ada")
    apply_review(db, _decisions(db, document, {"Paris"}), scope="paragraph", coder="ada")
    quotes = sorted(c.quote for c in codings_for_document(db, document))
    assert quotes == ["Berlin", "Later, Scholz flew to Paris. Nobody met Putin there."]


def test_rejections_and_corrected_labels_are_remembered_across_a_rebuild(db, document):
    recognise_documents(db, [document], NameFinder())
    rejected = _decisions(db, document, {"Berlin"}, decision=REJECTED)
    relabelled = _decisions(db, document, {"Paris"}, label="LOC")
    apply_review(db, rejected + relabelled, scope="word", coder="ada")
    recognise_documents(db, [document], NameFinder())  # a rebuild
    by_text = {e.text: e for e in entities_for_document(db, document)}
    assert by_text["Berlin"].decision == REJECTED
    assert (by_text["Paris"].label, by_text["Paris"].decision) == ("LOC", ACCEPTED)
    assert [c.quote for c in codings_for_document(db, document)] == ["Paris"]


def test_corpus_groups_count_mentions_of_one_person_together(db, document):
    recognise_documents(db, [document], NameFinder())
    groups = {g.canonical: g.count for g in corpus_groups(db, "PERSON")}
    assert groups["Vladimir Putin"] == 3  # "Vladimir Putin", then "Putin" twice
    assert groups["Olaf Scholz"] == 2


def test_a_mention_that_no_longer_matches_the_text_is_refused(db, document):
    recognise_documents(db, [document], NameFinder())
    stale = MentionDecision(Mention(document, 0, 5, "PERSON", "Wrong"), ACCEPTED, "PERSON", "X")
    with pytest.raises(StoreError, match="no longer matches"):
        apply_review(db, [stale], scope="word", coder="ada")
    assert codings_for_document(db, document) == []


def test_code_template():
    assert code_path_for("{label} > {name}", "PERSON", "Vladimir Putin") == (
        "PERSON > Vladimir Putin")
    assert code_path_for("Entities > {name}", "ORG", "A > B") == "Entities > A › B"
    with pytest.raises(StoreError, match="template"):
        code_path_for("{nme}", "ORG", "NATO")


def test_context_is_the_sentence_with_the_mention_located():
    snippet, start, end = context_of(TEXT, TEXT.index("Scholz flew"), TEXT.index(" flew"))
    assert snippet == "Later, Scholz flew to Paris."
    assert snippet[start:end] == "Scholz"
    long_text = "word " * 200 + "Target" + " word" * 200 + "."
    snippet, start, end = context_of(long_text, 1000, 1006, width=60)
    assert snippet[start:end] == "Target" and len(snippet) <= 60


def test_a_second_coder_codes_mentions_a_first_coder_coded(db, document):
    recognise_documents(db, [document], NameFinder())
    decisions = _decisions(db, document, {"Putin"})
    assert apply_review(db, decisions, scope="sentence", coder="ada").codings == 2
    bobs = apply_review(db, decisions, scope="sentence", coder="bob")
    assert (bobs.codings, bobs.already_coded) == (2, 0)
    assert sorted((c.quote, c.coder) for c in codings_for_document(db, document)) == [
        ("Nobody met Putin there.", "ada"), ("Nobody met Putin there.", "bob"),
        ("Putin spoke first.", "ada"), ("Putin spoke first.", "bob")]
    again = apply_review(db, decisions, scope="sentence", coder="bob")
    assert (again.codings, again.already_coded) == (0, 2)
    undo(db)  # bob's review: running it again changed nothing, so left no step
    assert [c.coder for c in codings_for_document(db, document)] == ["ada", "ada"]
