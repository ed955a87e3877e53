"""A small project for the analysis tests: three documents with sentences
and paragraphs, a codebook with nesting, two coders, and random codings put
straight into the table (a hypothesis example replaces them all), with the
straightforward references the figures are checked against: sets of code
points."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from hypothesis import strategies as st

from margin.store.analysis.units import unit_spans
from margin.store.codes import ensure_code_path
from margin.store.db import open_database
from margin.store.documents import import_text
from margin.store.sources.textio import DecodedText
from margin.store.textspans import word_spans

TEXTS = [
    "Alpha beta gamma. Delta epsilon zeta!\n\nEta theta iota. Kappa don't mu.\n\n"
    "Nu xi omicron pi rho.",
    "Sigma tau. Upsilon phi chi psi omega.\nAnother line here. And more words.",
    "One paragraph only, with a comma — and a dash. Then a second sentence here.",
]
#: Paths; "A > A1 > A1x" is two levels beneath A.
CODES = ["A", "A > A1", "A > A1 > A1x", "A > A2", "B", "C"]
CODERS = ["ana", "ben"]


class Corpus:
    """The project's database and what the references need."""

    def __init__(self, folder: Path):
        self.db = open_database(folder / "analysis.db")
        self.documents = [
            import_text(self.db, DecodedText(text, "utf-8", False), source="test",
                        clean=False).document_id
            for text in TEXTS
        ]
        self.texts = dict(zip(self.documents, TEXTS, strict=True))
        self.code_ids = {path: ensure_code_path(self.db, path) for path in CODES}
        self.paths = {code_id: path for path, code_id in self.code_ids.items()}
        with self.db.atomic():
            for index, name in enumerate(CODERS, start=1):
                self.db.execute(
                    "INSERT INTO coders (id, uuid, name, created) VALUES (?, ?, ?, '')",
                    [index, f"coder-{index}", name])
        self.codings: list[tuple[int, int, int, str, int, int]] = []

    def code(self, codings: list[tuple[int, int, int, int, int]]) -> list[tuple]:
        """Replace every coding with ``codings``: (document index, code
        index, coder index, start, length), clipped to the text; duplicates
        (one coder, one code, one passage) dropped, as the store would.
        Returns them as (id, document id, code id, coder, start, end)."""
        rows, seen = [], set()
        for document, code, coder, start, length in codings:
            document_id = self.documents[document % len(self.documents)]
            text = self.texts[document_id]
            start = min(start, len(text) - 1)
            end = min(len(text), start + max(1, length))
            key = (document_id, code % len(CODES), coder % len(CODERS), start, end)
            if key in seen:
                continue
            seen.add(key)
            rows.append(key)
        with self.db.atomic():
            self.db.execute("DELETE FROM codings")
            self.codings = []
            for number, (document_id, code, coder, start, end) in enumerate(rows, start=1):
                code_id = self.code_ids[CODES[code]]
                self.db.execute(
                    'INSERT INTO codings (id, uuid, document_id, code_id, start, "end", quote, '
                    "memo, coder_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, '')",
                    [number, f"coding-{number}", document_id, code_id, start, end,
                     self.texts[document_id][start:end], coder + 1])
                self.codings.append((number, document_id, code_id, CODERS[coder], start, end))
        return self.codings

    # The references ---------------------------------------------------------

    def beneath(self, code_id: int) -> set[int]:
        """The code and every code beneath it, by their paths."""
        path = self.paths[code_id]
        return {other for other, p in self.paths.items()
                if p == path or p.startswith(path + " > ")}

    def points(self, codings) -> dict[int, set[int]]:
        """The code points each document has covered by ``codings``."""
        found: dict[int, set[int]] = {}
        for _, document_id, _, _, start, end in codings:
            found.setdefault(document_id, set()).update(range(start, end))
        return found

    def words(self, document_id: int) -> list[tuple[int, int]]:
        text = self.texts[document_id]
        return [(s, e) for s, e in word_spans(text)
                if re.match(r"\w", text[s]) or unicodedata.category(text[s])[0] == "M"]

    def units(self, document_id: int, unit: str) -> list[set[int]]:
        return [set(range(s, e)) for s, e in unit_spans(self.texts[document_id], unit)]


#: Random codings: (document, code, coder, start, length); some long, so
#: that they overlap and nest.
codings_strategy = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, len(CODES) - 1), st.integers(0, 1),
              st.integers(0, 90), st.one_of(st.integers(1, 12), st.integers(10, 60))),
    max_size=25,
)
