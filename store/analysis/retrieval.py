"""Retrieval by code combinations: ``Escalation AND NATO``, and the codings
behind a figure of the analysis tables.

The query language (:func:`parse_query`)::

    query   := or
    or      := and ("OR" and)*
    and     := near (("AND" | "NOT" | "AND NOT") near)*
    near    := primary (("NEAR" | "NEAR/sentence" | "NEAR/paragraph"
                         | "NEAR/document") primary)*
    primary := code | "(" or ")"
    code    := "Parent > Child" (quoted) | bare words (joined by one space)

* A code is named by its full path or, when no other code has that name, by
  its name; quote it when it contains characters the language uses (a
  parenthesis, a quote) or an operator word. Unquoted words next to each
  other are one name (``Use of force``), and ``Parent>Child`` is
  ``Parent > Child``. Operators are upper case only (``and`` is a word).
* A code stands for the passages coded with it **or any of its sub-codes**:
  each coding is one passage.

What each operator gives (every result is a list of passages of a
document; the same stretch of text found twice is listed once, with the
codes of both):

* ``A AND B``: for every passage of A and passage of B in the same document
  that share at least one character, the passage where they **overlap**
  (the default, ``combine="overlap"``), or with ``combine="union"`` the
  stretch from the first one's start to the last one's end.
* ``A OR B``: every passage of A and every passage of B.
* ``A NOT B`` (also ``A AND NOT B``): the passages of A that share no
  character with any passage of B. ``NOT`` needs a left side: "everything
  but B" is not a passage.
* ``A NEAR B``: like AND, but always the **union**: the stretch from the
  start of the first of the two passages to the end of the last.
  ``A NEAR/paragraph B`` (``/sentence``, ``/document``): a passage of A and
  a passage of B that touch a common paragraph (sentence, document), given
  as the stretch from the first one's start to the last one's end.

Precedence: parentheses, then NEAR, then AND and NOT, then OR; operators
of one level group from the left.

Errors in a query are :class:`QueryError`: one line, with the ``position``
(a code-point offset into the query) a caret can point at.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from margin.store.analysis.cooccurrence import check_unit
from margin.store.analysis.units import (
    UNITS,
    CodedSpan,
    coded_rows,
    coded_spans,
    indexed_units,
    overlap,
    union,
    units_touched,
)
from margin.store.codes import Code, codebook, descendant_ids, find_code
from margin.store.codings import coder_name
from margin.store.db import Database
from margin.store.documents import document_text, document_texts, document_titles
from margin.store.errors import StoreError
from margin.store.export import Passage
from margin.store.textspans import paragraph_number, paragraph_spans
from margin.store.util import join_memos

COMBINE = ("overlap", "union")

#: Nobody types deeper parentheses or more codes; the parser stops there
#: rather than at Python's recursion limit.
MAX_NESTING = 32
MAX_TERMS = 64

_OPERATORS = ("AND", "OR", "NOT", "NEAR")


class QueryError(StoreError):
    """A query that cannot be read; ``position``: where in it (code points)."""

    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.position = position


# ---------------------------------------------------------------------------
# The query, parsed
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A code, as typed (``name``), at ``position`` in the query."""

    name: str
    position: int


@dataclass(frozen=True)
class Operation:
    """``left operator right``; ``unit`` for NEAR: None (overlapping) or a
    unit ("sentence", "paragraph", "document")."""

    operator: str
    left: Term | Operation
    right: Term | Operation
    position: int
    unit: str | None = None


@dataclass(frozen=True)
class Query:
    """A parsed query: its ``text`` and the tree of its operations."""

    text: str
    root: Term | Operation

    def terms(self) -> list[Term]:
        found: list[Term] = []
        stack: list[Term | Operation] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, Term):
                found.append(node)
            else:
                stack += [node.right, node.left]
        return found


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "(", ")", "op", "end"
    value: str
    position: int
    unit: str | None = None


_BARE = re.compile(r'[^\s()"]+')
_AROUND_SEPARATOR = re.compile(r"\s*>\s*")


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char.isspace():
            at += 1
        elif char in "()":
            tokens.append(_Token(char, char, at))
            at += 1
        elif char == '"':
            end = text.find('"', at + 1)
            if end < 0:
                raise QueryError("a quote is not closed", at)
            name = text[at + 1:end]
            if not name.strip():
                raise QueryError("empty quotes: name a code between them", at)
            tokens.append(_Token("name", name, at))
            at = end + 1
        else:
            word = _BARE.match(text, at).group()
            operator, _, unit = word.partition("/")
            if operator in _OPERATORS and (not unit or operator == "NEAR"):
                if unit and unit not in UNITS:
                    raise QueryError(
                        f"NEAR/{unit}: the unit is one of {', '.join(UNITS)}", at)
                tokens.append(_Token("op", operator, at, unit or None))
            elif tokens and tokens[-1].kind == "bare":
                last = tokens[-1]
                tokens[-1] = _Token("bare", f"{last.value} {word}", last.position)
            else:
                tokens.append(_Token("bare", word, at))
            at += len(word)
    tokens = [_Token("name", t.value, t.position) if t.kind == "bare" else t for t in tokens]
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0
        self.terms = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Query:
        if self.token.kind == "end":
            raise QueryError("the query is empty: name a code, e.g. 'Escalation AND NATO'", 0)
        root = self.or_()
        token = self.token
        if token.kind == ")":
            raise QueryError("this ) closes no (", token.position)
        if token.kind != "end":
            raise QueryError("expected AND, OR, NOT or NEAR here", token.position)
        return Query(self.text, root)

    def or_(self):
        left = self.and_()
        while self.token.kind == "op" and self.token.value == "OR":
            operator = self.take()
            left = Operation("OR", left, self.and_(), operator.position)
        return left

    def and_(self):
        left = self.near()
        while self.token.kind == "op" and self.token.value in ("AND", "NOT"):
            operator = self.take()
            name = operator.value
            if name == "AND" and self.token.kind == "op" and self.token.value == "NOT":
                self.take()
                name = "NOT"
            left = Operation(name, left, self.near(), operator.position)
        return left

    def near(self):
        left = self.primary()
        while self.token.kind == "op" and self.token.value == "NEAR":
            operator = self.take()
            left = Operation("NEAR", left, self.primary(), operator.position, operator.unit)
        return left

    def primary(self):
        token = self.take()
        if token.kind == "name":
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QueryError(f"more than {MAX_TERMS} codes in one query", token.position)
            return Term(_AROUND_SEPARATOR.sub(" > ", token.value.strip()), token.position)
        if token.kind == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise QueryError(f"more than {MAX_NESTING} nested parentheses", token.position)
            inner = self.or_()
            closing = self.take()
            if closing.kind != ")":
                if closing.kind == "end":
                    raise QueryError("this ( is not closed", token.position)
                raise QueryError("expected AND, OR, NOT, NEAR or )", closing.position)
            self.depth -= 1
            return inner
        if token.kind == "op" and token.value == "NOT":
            raise QueryError("NOT needs a code on its left: A NOT B (NOT alone is not a passage)",
                             token.position)
        if token.kind == "op":
            raise QueryError(f"{token.value} needs a code on each side", token.position)
        if token.kind == ")":
            raise QueryError("expected a code before )", token.position)
        previous = self.tokens[self.at - 2]  # the end, after an operator or a "("
        if previous.kind == "op":
            unit = f"/{previous.unit}" if previous.unit else ""
            raise QueryError(f"{previous.value}{unit} needs a code after it", previous.position)
        raise QueryError("expected a code after (", previous.position)


def parse_query(text: str) -> Query:
    """The query ``text`` parsed (see the module's docstring); a
    :class:`QueryError` with the position of the problem if it cannot be."""
    return _Parser(text).parse()


# ---------------------------------------------------------------------------
# Evaluating a query
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Retrieved:
    """One passage a query found: ``codes`` (paths, codebook order) and
    ``coders`` of the codings that make it, ``coding_ids`` those codings."""

    document_id: int
    title: str
    start: int
    end: int
    quote: str
    codes: tuple[str, ...]
    coders: tuple[str, ...] = ()
    coding_ids: tuple[int, ...] = field(default=(), compare=False)

    def record(self) -> dict:
        """The passage as the command line's ``--json`` object."""
        return {"document_id": self.document_id, "title": self.title, "start": self.start,
                "end": self.end, "codes": list(self.codes), "coders": list(self.coders),
                "quote": self.quote}


def as_passages(db: Database, results: Sequence[Retrieved]) -> list[Passage]:
    """Retrieved passages as the exports' records, so that every export
    format writes them (store/export.py): ``code`` and ``coder`` are the
    codes and coders of the codings that make the passage, joined by "; ";
    ``memo`` their memos; ``uuid`` and ``created`` those of the coding when
    the passage is one coding, else empty."""
    ids = sorted({i for result in results for i in result.coding_ids})
    codings: dict[int, tuple] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        for row in db.execute(
                f"SELECT id, uuid, memo, created FROM codings WHERE id IN "
                f"({','.join('?' * len(part))})", part):
            codings[row[0]] = row
    documents = {row[0]: row[1] for row in db.execute("SELECT id, uuid FROM documents")}
    paragraphs: dict[int, Sequence] = {}
    passages = []
    for result in results:
        if result.document_id not in paragraphs:
            paragraphs[result.document_id] = paragraph_spans(
                document_text(db, result.document_id))
        own = [codings[i] for i in result.coding_ids if i in codings]
        single = own[0] if len(own) == 1 else None
        passages.append(Passage(
            document_id=result.document_id, document_uuid=documents.get(result.document_id, ""),
            document_title=result.title, code="; ".join(result.codes), start=result.start,
            end=result.end, quote=result.quote, memo=join_memos(*(row[2] for row in own)),
            coder="; ".join(result.coders), created=single[3] if single else "",
            uuid=single[1] if single else "",
            paragraph=paragraph_number(paragraphs[result.document_id], result.start),
        ))
    return passages


# A passage while a query is evaluated: (start, end, ids of the codings in it).
_Passage = tuple[int, int, frozenset]
_Found = dict[int, list[_Passage]]  # by document id


#: How alike a code's path must be to a name typed to be suggested (rapidfuzz's
#: WRatio, 0-100), and how far behind the best a second or third may be.
SUGGEST_CUTOFF = 70
SUGGEST_WINDOW = 15


def did_you_mean(name: str, book: Sequence[Code]) -> str:
    """`` (did you mean 'A' or 'B'?)``: the one to three code paths most like
    ``name`` (a typo, a missing parent), or nothing when none is close."""
    from rapidfuzz import fuzz, process
    from rapidfuzz.utils import default_process

    found = process.extract(name, [code.path for code in book], scorer=fuzz.WRatio,
                            processor=default_process, limit=3, score_cutoff=SUGGEST_CUTOFF)
    near = [repr(path) for path, score, _ in found if score >= found[0][1] - SUGGEST_WINDOW]
    if not near:
        return ""
    listed = near[0] if len(near) == 1 else f"{', '.join(near[:-1])} or {near[-1]}"
    return f" (did you mean {listed}?)"


def resolve_codes(db: Database, query: Query) -> dict[Term, list[int]]:
    """Each term's code and sub-codes (ids); an unknown or ambiguous name
    is a :class:`QueryError` at the term's position."""
    resolved: dict[Term, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    book = codebook(db)
    for term in query.terms():
        if term.name not in by_name:
            try:
                code: Code | None = find_code(db, term.name, codes=book)
            except StoreError as error:
                raise QueryError(str(error), term.position) from None
            if code is None:
                raise QueryError(f"no code named {term.name!r}{did_you_mean(term.name, book)}",
                                 term.position)
            by_name[term.name] = descendant_ids(db, code.id)
        resolved[term] = by_name[term.name]
    return resolved


def retrieve(
    db: Database,
    query: str | Query,
    *,
    coders: Sequence[str] = (),
    documents: Sequence[int] = (),
    combine: str = "overlap",
) -> list[Retrieved]:
    """The passages ``query`` finds (see the module's docstring), by
    document and position. ``coders`` (names) and ``documents`` (ids) filter
    the codings the query sees; ``combine``: what AND gives, "overlap" or
    "union"."""
    if combine not in COMBINE:
        raise StoreError(f"unknown combine {combine!r}: use {' or '.join(COMBINE)}")
    if isinstance(query, str):
        query = parse_query(query)
    with db.snapshot():
        terms = resolve_codes(db, query)
        wanted = sorted({code_id for ids in terms.values() for code_id in ids})
        rows = coded_rows(db, coders=coders, documents=documents, codes=wanted)
        texts = _Texts(db)
        found = _Evaluation(rows, terms, texts, combine).run(query.root)
        texts.update(document_texts(db, [i for i in sorted(found) if i not in texts]))
        book = codebook(db)
        titles = document_titles(db)
    return _retrieved(found, rows, book, titles, texts)


class _Texts(dict):
    """Documents' texts by id, read when first needed, and their units."""

    def __init__(self, db: Database):
        super().__init__()
        self.db = db
        self.units: dict[tuple[int, str], Sequence] = {}

    def __missing__(self, document_id: int) -> str:
        text = self[document_id] = document_text(self.db, document_id)
        return text

    def units_of(self, document_id: int, unit: str):
        key = (document_id, unit)
        if key not in self.units:
            self.units[key] = indexed_units(self[document_id], unit)
        return self.units[key]


class _Evaluation:
    def __init__(self, rows: list[tuple], terms: dict[Term, list[int]], texts: _Texts,
                 combine: str):
        self.by_code: dict[int, list[tuple]] = defaultdict(list)
        for row in rows:
            self.by_code[row[2]].append(row)
        self.terms = terms
        self.texts = texts
        self.combine = combine

    def run(self, root) -> _Found:
        # Post-order with an explicit stack: nesting is bounded by the parser,
        # but a long chain "A OR B OR C …" is a deep left-leaning tree.
        results: dict[int, _Found] = {}
        stack: list[tuple[object, bool]] = [(root, False)]
        while stack:
            node, visited = stack.pop()
            if isinstance(node, Term):
                results[id(node)] = self.term(node)
            elif not visited:
                stack += [(node, True), (node.right, False), (node.left, False)]
            else:
                left, right = results.pop(id(node.left)), results.pop(id(node.right))
                results[id(node)] = self.operation(node, left, right)
        return results[id(root)]

    def term(self, term: Term) -> _Found:
        found: _Found = defaultdict(list)
        for code_id in self.terms[term]:
            for coding_id, document_id, _, _, start, end in self.by_code.get(code_id, ()):
                found[document_id].append((start, end, frozenset((coding_id,))))
        return {document_id: _distinct(passages) for document_id, passages in found.items()}

    def operation(self, node: Operation, left: _Found, right: _Found) -> _Found:
        out: _Found = {}
        if node.operator == "OR":
            for document_id in left.keys() | right.keys():
                out[document_id] = _distinct(left.get(document_id, []) + right.get(document_id, []))
            return out
        if node.operator == "NOT":
            for document_id, passages in left.items():
                against = right.get(document_id)
                if not against:
                    out[document_id] = passages
                    continue
                merged = union((start, end) for start, end, _ in against)
                ends = [end for _, end in merged]
                kept = [p for p in passages if not _meets(merged, ends, p[0], p[1])]
                if kept:
                    out[document_id] = kept
            return out
        as_union = node.operator == "NEAR" or self.combine == "union"
        for document_id in left.keys() & right.keys():
            if node.operator == "NEAR" and node.unit:
                pairs = self._same_unit(document_id, node.unit, left[document_id],
                                        right[document_id])
            else:
                pairs = _overlapping(left[document_id], right[document_id])
            passages = [
                (min(a[0], b[0]), max(a[1], b[1]), a[2] | b[2]) if as_union
                else (max(a[0], b[0]), min(a[1], b[1]), a[2] | b[2])
                for a, b in pairs
            ]
            if passages:
                out[document_id] = _distinct(passages)
        return out

    def _same_unit(self, document_id: int, unit: str, left: list[_Passage],
                   right: list[_Passage]) -> Iterable[tuple[_Passage, _Passage]]:
        units = self.texts.units_of(document_id, unit)
        in_unit: dict[int, list[_Passage]] = defaultdict(list)
        for passage in right:
            for index in units_touched(units, (passage[0], passage[1])):
                in_unit[index].append(passage)
        seen = set()
        for a in left:
            for index in units_touched(units, (a[0], a[1])):
                for b in in_unit.get(index, ()):
                    key = (a[0], a[1], a[2], b[0], b[1], b[2])
                    if key not in seen:
                        seen.add(key)
                        yield a, b


def _meets(merged: list[tuple[int, int]], ends: list[int], start: int, end: int) -> bool:
    """Whether ``[start, end)`` shares a character with one of ``merged``
    (sorted, disjoint; ``ends`` their ends): the first that ends after
    ``start`` must begin before ``end``."""
    index = bisect_right(ends, start)
    return index < len(merged) and merged[index][0] < end


def _overlapping(left: list[_Passage], right: list[_Passage]) -> list[tuple[_Passage, _Passage]]:
    """Every pair (a from left, b from right) sharing a character: each
    passage of ``right`` sorted by start, and for each of ``left`` those that
    start before it ends, by bisection."""
    ordered = sorted(right)
    starts = [p[0] for p in ordered]
    pairs = []
    for a in left:
        for b in ordered[:bisect_left(starts, a[1])]:
            if overlap((a[0], a[1]), (b[0], b[1])):
                pairs.append((a, b))
    return pairs


def _distinct(passages: Iterable[_Passage]) -> list[_Passage]:
    """Passages by start, the same stretch once (with all its codings)."""
    out: list[_Passage] = []
    for passage in sorted(passages, key=_STRETCH):
        if passage[1] <= passage[0]:
            continue
        if out and out[-1][0] == passage[0] and out[-1][1] == passage[1]:
            out[-1] = (passage[0], passage[1], out[-1][2] | passage[2])
        else:
            out.append(passage)
    return out


_STRETCH = itemgetter(0, 1)


def _retrieved(found: _Found, rows: list[tuple], book: list[Code],
               titles: dict[int, str], texts: dict[int, str]) -> list[Retrieved]:
    order = {code.id: index for index, code in enumerate(book)}
    paths = {code.id: code.path for code in book}
    by_id = {row[0]: row for row in rows}
    results = []
    for document_id in sorted(found):
        text = texts[document_id]
        for start, end, coding_ids in found[document_id]:
            codings = [by_id[i] for i in coding_ids]
            code_ids = sorted({c[2] for c in codings}, key=order.__getitem__)
            results.append(Retrieved(
                document_id=document_id, title=titles.get(document_id, ""),
                start=start, end=end, quote=text[start:end],
                codes=tuple(paths[c] for c in code_ids),
                coders=tuple(sorted({c[3] for c in codings}, key=str.casefold)),
                coding_ids=tuple(sorted(coding_ids)),
            ))
    return results


# ---------------------------------------------------------------------------
# The codings behind a figure
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CodedPassage:
    """A coding with what a list of passages shows."""

    coding_id: int
    document_id: int
    title: str
    code_id: int
    code: str
    coder: str
    start: int
    end: int
    quote: str


def passages_behind(
    db: Database,
    *,
    code_id: int,
    document_id: int | None = None,
    coder: str | None = None,
    with_code_id: int | None = None,
    unit: str = "overlap",
    coders: Sequence[str] = (),
    documents: Sequence[int] = (),
    with_subcodes: bool = False,
) -> list[CodedPassage]:
    """The codings behind a figure of the analysis tables, by document and
    position: the codings of ``code_id`` (and its sub-codes with
    ``with_subcodes``), in ``document_id`` or by ``coder`` when given
    (a frequency bar, a matrix cell); with ``with_code_id``, the codings of
    either code that co-occur with one of the other in ``unit`` (a cell of
    the co-occurrence table: see :mod:`.cooccurrence`). ``coders`` and
    ``documents`` are the table's filters."""
    check_unit(unit)
    with db.snapshot():
        own = descendant_ids(db, code_id) if with_subcodes else [code_id]
        codes = own + ([with_code_id] if with_code_id is not None else [])
        names = list(coders)
        if coder is not None:
            if names and coder_name(coder) not in {coder_name(n) for n in names}:
                return []
            names = [coder]
        in_documents = list(documents)
        if document_id is not None:
            if in_documents and document_id not in in_documents:
                return []
            in_documents = [document_id]
        spans = coded_spans(db, coders=names, documents=in_documents, codes=codes)
        book = codebook(db)
        titles = document_titles(db)
        ids = sorted({span.document_id for span in spans})
        texts = document_texts(db, ids) if ids else {}
    if with_code_id is not None:
        spans = _cooccurring(spans, set(own), with_code_id, unit, texts)
    paths = {code.id: code.path for code in book}
    spans = sorted(spans, key=lambda s: (s.document_id, s.start, s.end, s.coding_id))
    return [
        CodedPassage(
            coding_id=span.coding_id, document_id=span.document_id,
            title=titles.get(span.document_id, ""), code_id=span.code_id,
            code=paths.get(span.code_id, ""), coder=span.coder, start=span.start,
            end=span.end, quote=texts[span.document_id][span.start:span.end],
        )
        for span in spans
    ]


def _cooccurring(spans: list[CodedSpan], a: set[int], b: int, unit: str,
                 texts: dict[int, str]) -> list[CodedSpan]:
    """The codings of ``a`` (code ids) that co-occur with one of ``b`` in
    ``unit``, and those of ``b`` that co-occur with one of ``a``."""
    kept: list[CodedSpan] = []
    by_document: dict[int, list[CodedSpan]] = defaultdict(list)
    for span in spans:
        by_document[span.document_id].append(span)
    for document_id, group in by_document.items():
        of_a = [s for s in group if s.code_id in a]
        of_b = [s for s in group if s.code_id == b]
        if not of_a or not of_b:
            continue
        if unit == "document":
            kept += of_a + of_b
            continue
        if unit == "overlap":
            keys_a = [(s.start, s.end) for s in of_a]
            keys_b = [(s.start, s.end) for s in of_b]
        else:
            units = indexed_units(texts[document_id], unit)
            keys_a = [units_touched(units, (s.start, s.end)) for s in of_a]
            keys_b = [units_touched(units, (s.start, s.end)) for s in of_b]
        hit_a, hit_b = set(), set()
        for i, x in enumerate(keys_a):
            for j, y in enumerate(keys_b):
                if (overlap(x, y) if unit == "overlap"
                        else x.start < y.stop and y.start < x.stop):
                    hit_a.add(i)
                    hit_b.add(j)
        kept += [of_a[i] for i in sorted(hit_a)] + [of_b[j] for j in sorted(hit_b)]
    return kept
