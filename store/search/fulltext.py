"""Full-text search of the documents, and coding every hit at once.

The search runs on two FTS5 indexes of ``documents.text`` (store/schema.py),
both external-content tables (``content="documents"``): FTS5 reads the
column values back from ``documents`` itself, so ``highlight()`` marks up
exactly the stored ``documents.text``.

- ``documents_fts`` (sqlite-utils made it, over title and text) holds porter
  stems: a word or a phrase finds every form with the same stem ("talks"
  finds "talk" and "talked"). Only its ``text`` column is searched: a hit
  must be a place in the text that can be read and coded, and a title has
  none.
- ``documents_unstemmed_fts`` (migration 0009) holds the words as written
  (unicode61, the tokenizer porter wraps, so both count words alike). A
  prefix (``securit*``, ``"white hou"*``) is looked up here: against stems it
  would find nothing ("security" is indexed as "secur").

A query whose terms all go to one index is one MATCH on it, ranked by its
bm25. A query mixing the two (``negotiat* AND talks``) is evaluated per
document: each group of terms of one index is a MATCH, the groups are joined
with the query's AND / OR / NOT, and documents are ranked by the sum of
their bm25 in each index; each index highlights its own terms.

What a user types is never handed to FTS5 as it is. :func:`parse_query`
parses it with a small grammar of its own and writes a new MATCH expression in
which every word is a quoted string; input FTS5 could not parse gives a
one-line :class:`StoreError`, never an ``sqlite3`` error.

Query grammar (:func:`parse_query`)::

    query   := or_expr
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= item (["AND"] item)*          words side by side mean AND
    item    := ["NOT" | "-"] primary         NOT/- leaves out what follows
    primary := word | word* | "phrase" | "phrase"* | "(" or_expr ")"

* ``AND``, ``OR`` and ``NOT`` are operators only in upper case; ``and`` is a
  word. ``NOT x`` and ``-x`` leave out documents containing ``x``; a group
  with nothing but left-out terms is refused (there would be nothing to find).
* ``word*`` matches words beginning with ``word``, as written in the text:
  ``negotiat*`` finds "negotiations" and "negotiating", ``securit*`` finds
  "security" and "securities" (not "secure"). ``"phrase"*`` is a phrase
  whose last word is a prefix.
* Anything else is literal text: punctuation, ``^``, ``+``, ``:`` (``10:30``),
  ``*`` inside a word, unicode. A word is split into words the way FTS5 splits
  the documents (``U.S.`` is the phrase "u s"); a word with no letters or
  digits at all (``!!!``, an emoji) is ignored.
* Refused with a message: unbalanced quotes or parentheses, an operator
  without a term on each side, ``-`` or ``*`` on their own, ``NEAR(…)``,
  column filters (``title:x``, ``text:x``), more than
  :data:`MAX_TERMS` terms or :data:`MAX_NESTING` nested parentheses, and a
  query with nothing to search for.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from margin.store.codes import ensure_code_path, find_code, get_code
from margin.store.codings import (
    NewCoding,
    coded_keys,
    ensure_coder,
    find_coder,
    split_new_codings,
    write_codings,
)
from margin.store.db import Database
from margin.store.documents import document_text
from margin.store.errors import NotFound, StoreError
from margin.store.history import action
from margin.store.textspans import SCOPES, scope_span, scope_spans
from margin.store.util import CONTROL_CHARACTERS

#: Refuse queries with more terms or deeper parentheses than this: FTS5
#: itself refuses expression trees deeper than 256, and nobody types these.
MAX_TERMS = 64
MAX_NESTING = 16

#: Consecutive highlighted words separated by at most this many characters of
#: spaces or punctuation (no newline, no sentence end) form one hit.
_MERGE_GAP = 3
_SENTENCE_END = frozenset(".!?;:…。！？")

_OPERATORS = ("AND", "OR", "NOT")
_SURROGATES = re.compile("[\ud800-\udfff]")
_COLUMN_FILTER = re.compile(r"^(?:title|text)\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FtsHit:
    """One place a query matched: ``text == document.text[start:end]``."""

    document_id: int
    title: str
    start: int
    end: int
    text: str


@dataclass
class CodeHitsResult:
    code_id: int
    code_path: str
    created_code: bool
    codings: int  # passages coded now
    already_coded: int  # passages this coder had already coded with this code (left alone)
    passages: int  # distinct passages the hits gave at this scope
    hits: int
    documents: int
    coded: list[tuple[int, int, int]] = field(default_factory=list)  # (document, start, end)


# ------------------------------------------------------------------ parsing


@dataclass(frozen=True)
class _Term:
    text: str  # the words, as typed (quoted when written out)
    prefix: bool


@dataclass(frozen=True)
class _And:
    positives: tuple
    negatives: tuple


@dataclass(frozen=True)
class _Or:
    children: tuple


def _shown(text: str, limit: int = 40) -> str:
    """The query as a message quotes it: one line, not too long."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def _has_token(text: str) -> bool:
    """Whether FTS5's unicode61 tokenizer finds a word in ``text``: its token
    characters are letters, numbers and private-use characters ("L* N* Co")."""
    for char in text:
        category = unicodedata.category(char)
        if category[0] in "LN" or category == "Co":
            return True
    return False


# Tokens of the user's query: (kind, value). Kinds: "word", "phrase", "(", ")",
# "AND", "OR", "NOT", "-" (a leading minus: NOT for the item that follows).
def _lex(query: str) -> list[tuple[str, object]]:
    tokens: list[tuple[str, object]] = []
    index, length = 0, len(query)
    at_term_start = True
    while index < length:
        char = query[index]
        if char.isspace():
            index += 1
            at_term_start = True
            continue
        if char == '"':
            close = query.find('"', index + 1)
            if close < 0:
                raise StoreError(
                    f"unbalanced quote in {_shown(query)}: close the phrase with another \""
                )
            phrase = query[index + 1 : close]
            index = close + 1
            prefix = False
            while index < length and query[index] == "*":
                prefix = True
                index += 1
            tokens.append(("phrase", _Term(phrase, prefix)))
            at_term_start = False
            continue
        if char in "()":
            tokens.append((char, None))
            index += 1
            at_term_start = True
            continue
        if char == "-" and at_term_start:
            following = query[index + 1 : index + 2]
            if not following or following.isspace() or following == ")":
                raise StoreError(
                    f"'-' on its own in {_shown(query)}: put it right before a word "
                    "to leave out, as in -war"
                )
            tokens.append(("-", None))
            index += 1
            continue
        # A word: everything up to whitespace, a quote or a parenthesis.
        end = index
        while end < length and not query[end].isspace() and query[end] not in '"()':
            end += 1
        word = query[index:end]
        index = end
        at_term_start = False
        if word in _OPERATORS and (not tokens or tokens[-1][0] != "-"):
            tokens.append((word, None))
            at_term_start = True
            continue
        if word == "NEAR" and query[index : index + 1] == "(":
            raise StoreError(
                f"NEAR(…) in {_shown(query)} is not supported: use a \"quoted phrase\" or AND"
            )
        if _COLUMN_FILTER.match(word):
            raise StoreError(
                f"column filter {word.split(':')[0]}: in {_shown(query)} is not supported: "
                "the search looks in the documents' text; put it in quotes to search "
                "for the words"
            )
        stripped = word.rstrip("*")
        if not stripped:
            raise StoreError(
                f"'*' on its own in {_shown(query)}: put it at the end of a word, as in secur*"
            )
        tokens.append(("word", _Term(stripped, prefix=stripped != word)))
    return tokens


class _Parser:
    def __init__(self, query: str, tokens: list[tuple[str, object]]):
        self.query = query
        self.tokens = tokens
        self.position = 0
        self.depth = 0
        self.terms = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def fail(self, message: str, hint: str = "") -> StoreError:
        return StoreError(f"{message} in {_shown(self.query)}" + (f": {hint}" if hint else ""))

    def parse(self):
        node = self.or_expr()
        if self.peek() == ")":
            raise self.fail("unbalanced parenthesis: ')' without '('")
        if self.peek() is not None:  # pragma: no cover - or_expr stops only at ) or the end
            raise self.fail("unexpected text")
        return node

    def or_expr(self):
        children = [self.and_expr(after=None)]
        while self.peek() == "OR":
            self.position += 1
            children.append(self.and_expr(after="OR"))
        kept = tuple(child for child in children if child is not None)
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else _Or(kept)

    def and_expr(self, after: str | None):
        positives: list = []
        negatives: list = []
        seen_item = False
        while True:
            kind = self.peek()
            if kind in (None, ")", "OR"):
                if not seen_item:
                    if after is not None:
                        raise self.fail(f"{after} needs a search term after it")
                    if kind == "OR":
                        raise self.fail("OR needs a search term before it")
                    if kind == ")" and self.depth > 0:
                        raise self.fail("empty parentheses")
                break
            if kind == "AND":
                if not seen_item:
                    raise self.fail(
                        "AND needs a search term before it"
                        if after is None else f"AND cannot follow {after}"
                    )
                self.position += 1
                if self.peek() in (None, ")", "OR", "AND"):
                    raise self.fail("AND needs a search term after it")
                continue
            negated = False
            if kind in ("NOT", "-"):
                self.position += 1
                negated = True
                if self.peek() in (None, ")", "OR", "AND", "NOT", "-"):
                    raise self.fail(
                        "NOT needs a search term after it" if kind == "NOT"
                        else "'-' without a word after it"
                    )
            node = self.primary()
            seen_item = True
            if node is not None:
                (negatives if negated else positives).append(node)
        if negatives and not positives:
            raise self.fail("only words to leave out", "add a word to find, as in talk -war")
        if not positives:
            return None
        flat: list = []
        for node in positives:  # (a AND b) AND c is a AND b AND c
            if isinstance(node, _And) and not node.negatives:
                flat.extend(node.positives)
            else:
                flat.append(node)
        if len(flat) == 1 and not negatives:
            return flat[0]
        return _And(tuple(flat), tuple(negatives))

    def primary(self):
        kind, value = self.tokens[self.position]
        self.position += 1
        if kind in ("word", "phrase"):
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise self.fail(f"too many search terms (at most {MAX_TERMS})")
            assert isinstance(value, _Term)
            return value if _has_token(value.text) else None
        if kind == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise self.fail(f"too many nested parentheses (at most {MAX_NESTING})")
            node = self.or_expr()
            if self.peek() != ")":
                raise self.fail("unbalanced parenthesis: '(' without ')'")
            self.position += 1
            self.depth -= 1
            return node
        # ")" is handled by and_expr; operators are consumed before primary().
        raise self.fail(f"unexpected {kind}")  # pragma: no cover


def _write(node) -> str:
    """The node as an FTS5 expression; composite parts in parentheses."""
    if isinstance(node, _Term):
        quoted = '"' + node.text.replace('"', '""') + '"'
        return quoted + " *" if node.prefix else quoted

    def part(child) -> str:
        return _write(child) if isinstance(child, _Term) else f"({_write(child)})"

    if isinstance(node, _Or):
        return " OR ".join(part(child) for child in node.children)
    positive = " AND ".join(part(child) for child in node.positives)
    if not node.negatives:
        return positive
    if len(node.positives) > 1:
        positive = f"({positive})"
    negative = " OR ".join(part(child) for child in node.negatives)
    if len(node.negatives) > 1:
        negative = f"({negative})"
    return f"{positive} NOT {negative}"


def parse_query(text: str) -> str:
    """The FTS5 MATCH expression for what a user typed (see the module's
    grammar), searching the ``text`` column only, all of it in one index (the
    search itself sends prefixes to the unstemmed index: :func:`search_documents`).
    Raises StoreError with a one-line message for a query that cannot be searched."""
    return _match(_parse_tree(text))


def _match(node) -> str:
    return "{text} : (" + _write(node) + ")"


def _parse_tree(text: str):
    if not isinstance(text, str):
        raise StoreError("a search query must be text")
    # Control characters separate words for FTS5 anyway, and a NUL would end
    # the expression early (FTS5 reads it as a C string). Lone surrogates
    # (undecodable bytes of a command line) cannot be encoded for SQLite.
    text = _SURROGATES.sub("\ufffd", CONTROL_CHARACTERS.sub(" ", text))
    if not text.strip():
        raise StoreError("type something to search for")
    parser = _Parser(text, _lex(text))
    node = parser.parse()
    if node is None:
        raise StoreError(
            f"nothing to search for in {_shown(text)}: type words with letters or digits"
        )
    return node


# ---------------------------------------------------------------- searching

#: The two indexes of the documents' text (see the module docstring).
STEMMED, UNSTEMMED = "documents_fts", "documents_unstemmed_fts"


def _index_of(term: _Term) -> str:
    return UNSTEMMED if term.prefix else STEMMED


#: A very long document (store/documents.py, PIECES_ABOVE) is not in the
#: two indexes above but in pieces, each a row of these (migration 0011).
#: A query is evaluated on it term by term, the document as the unit: a
#: word in its first piece AND a word in its last is a match, as it is in a
#: document indexed whole. (A phrase cut by a piece boundary, which falls on
#: a blank line where there is one, is not found.)
_PIECE_INDEXES = {STEMMED: "document_pieces_fts", UNSTEMMED: "document_pieces_unstemmed_fts"}


def _has_pieces(db: Database) -> bool:
    """Whether any document is indexed in pieces (an old schema has none)."""
    try:
        return db.execute("SELECT 1 FROM document_pieces WHERE indexed LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError:  # before migration 0011 (read as it is)
        return False


def _piece_condition(node, params: list[object]) -> str:
    """An SQL condition on ``documents.id`` true for the documents indexed in
    pieces that ``node`` matches, each term looked up in all their pieces."""
    if isinstance(node, _Term):
        index = _PIECE_INDEXES[_index_of(node)]
        params.append(_match(node))
        return (f"id IN (SELECT document_id FROM document_pieces WHERE id IN "
                f"(SELECT rowid FROM {index} WHERE {index} MATCH ?))")
    return _combined(node, params, _piece_condition)


def _combined(node, params: list[object], condition) -> str:
    """The SQL of an OR, or of an AND with its NOTs, each part made by
    ``condition`` (the whole-text indexes' or the pieces')."""
    if isinstance(node, _Or):
        return " OR ".join(f"({condition(child, params)})" for child in node.children)
    combined = " AND ".join(f"({condition(child, params)})" for child in node.positives)
    if node.negatives:
        left_out = " OR ".join(f"({condition(child, params)})" for child in node.negatives)
        combined += f" AND NOT ({left_out})"
    return combined


def _piece_highlights(node) -> dict[str, str]:
    """For the pieces: each index's terms to find, any of them (a piece need
    not hold every term of an AND: the document does)."""
    by_index: dict[str, list[_Term]] = {}
    for term in _terms(node, positive_only=True):
        by_index.setdefault(_PIECE_INDEXES[_index_of(term)], []).append(term)
    return {index: _match(_Or(tuple(terms)) if len(terms) > 1 else terms[0])
            for index, terms in by_index.items()}


def _terms(node, positive_only: bool = False) -> list[_Term]:
    """The terms of ``node``, left to right (without those left out, if
    ``positive_only``)."""
    if isinstance(node, _Term):
        return [node]
    if isinstance(node, _Or):
        children = node.children
    else:
        children = node.positives if positive_only else node.positives + node.negatives
    return [term for child in children for term in _terms(child, positive_only)]


def _indexes(node) -> set[str]:
    return {_index_of(term) for term in _terms(node)}


def _condition(node, params: list[object]) -> str:
    """An SQL condition on ``documents.id`` true for the documents ``node``
    matches: each part whose terms are all of one index is one MATCH on it."""
    indexes = _indexes(node)
    if len(indexes) == 1:
        (index,) = indexes
        params.append(_match(node))
        return f"id IN (SELECT rowid FROM {index} WHERE {index} MATCH ?)"
    return _combined(node, params, _condition)


def _highlights(node) -> dict[str, str]:
    """The MATCH expression each index highlights its hits with: the whole
    query where one index answers it, else the terms to find of each index."""
    indexes = _indexes(node)
    if len(indexes) == 1:
        return {indexes.pop(): _match(node)}
    by_index: dict[str, list[_Term]] = {}
    for term in _terms(node, positive_only=True):
        by_index.setdefault(_index_of(term), []).append(term)
    return {index: _match(_Or(tuple(terms)) if len(terms) > 1 else terms[0])
            for index, terms in by_index.items()}


# Ranking first, highlighting after: ORDER BY rank over a SELECT that also
# calls highlight() would highlight (and copy the text of) every matching
# document before sorting; a bm25 ranking of 1,000 documents takes ~3 ms and
# one document's highlight ~0.4 ms, so only the documents shown are marked up.
_RANK_SQL = """
    SELECT rowid FROM {index} WHERE {index} MATCH ? {restriction}
    ORDER BY rank, rowid
"""
# Every matching document's rank, filtered in Python: FTS5 evaluates
# "MATCH ? AND rowid IN (…)" once per listed rowid (150 ms for 200
# documents, against 1 ms for the whole MATCH).
_RANKS_SQL = "SELECT rowid, rank FROM {index} WHERE {index} MATCH ?"
_HIGHLIGHT_SQL = """
    SELECT highlight({index}, {column}, ?, ?) FROM {index}
    WHERE {index} MATCH ? AND rowid = ?
"""
_OPEN, _CLOSE = "\x01", "\x02"


def _ranked_documents(db: Database, node, ids: list[int] | None,
                      pieces: bool = False) -> list[int]:
    """The ids of the documents ``node`` matches, best first (bm25); with
    ``pieces``, the documents indexed in pieces too."""
    indexes = _indexes(node)
    if len(indexes) == 1 and not pieces:
        (index,) = indexes
        params: list[object] = [_match(node)]
        restriction = ""
        if ids is not None:
            restriction = "AND rowid IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(ids))
        return [row[0] for row in db.execute(
            _RANK_SQL.format(index=index, restriction=restriction), params)]
    params = []
    condition = _condition(node, params)
    if pieces:
        condition = f"({condition}) OR ({_piece_condition(node, params)})"
    if ids is not None:
        condition = f"({condition}) AND id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(ids))
    found = [row[0] for row in db.execute(f"SELECT id FROM documents WHERE {condition}", params)]
    if not found:
        return []
    # bm25 is lower for better matches; a document gets the sum of its
    # ranks in each index for the terms to find there.
    scores = dict.fromkeys(found, 0.0)
    for index, expression in _highlights(node).items():
        for document_id, rank in db.execute(_RANKS_SQL.format(index=index), [expression]):
            if document_id in scores:
                scores[document_id] += rank
    if pieces:  # a document indexed in pieces: its best piece's rank
        for index, expression in _piece_highlights(node).items():
            best: dict[int, float] = {}
            for document_id, rank in db.execute(
                    f"SELECT p.document_id, f.rank FROM {index} f "
                    f"JOIN document_pieces p ON p.id = f.rowid WHERE {index} MATCH ?",
                    [expression]):
                best[document_id] = min(rank, best.get(document_id, rank))
            for document_id, rank in best.items():
                if document_id in scores:
                    scores[document_id] += rank
    return sorted(found, key=lambda document_id: (scores[document_id], document_id))


def search_documents(
    db: Database,
    query: str,
    limit: int | None = 200,
    document_ids: Iterable[int] | None = None,
) -> list[FtsHit]:
    """Every place ``query`` matches the documents' text, best documents first
    (bm25), then by position; at most ``limit`` hits (None: all of them).

    A hit is what FTS5 matched: a word in any form the stemmer maps to the
    same stem ("talked" for ``talks``), a word beginning with a prefix as
    written ("negotiations" for ``negotiat*``), or a whole phrase. Hits on one
    line separated by at most three characters of spaces or punctuation, and
    no sentence end, are one hit ("White House" for ``White House``, also for
    ``White OR House``).

    ``document_ids`` restricts the search to those documents. Raises
    StoreError for a query that cannot be searched.
    """
    node = _parse_tree(query)
    if limit is not None and limit <= 0:
        return []
    ids: list[int] | None = None
    if document_ids is not None:
        ids = [int(document_id) for document_id in document_ids]
        if not ids:
            return []
    highlights = _highlights(node)
    hits: list[FtsHit] = []
    try:
        with db.snapshot():  # the ranking and the highlights see one state
            pieces = _has_pieces(db)
            for document_id in _ranked_documents(db, node, ids, pieces):
                row = db.execute("SELECT title FROM documents WHERE id = ?",
                                 [document_id]).fetchone()
                if row is None:  # pragma: no cover - deleted meanwhile (other connection)
                    continue
                title = row[0]
                text = document_text(db, document_id)
                if pieces and _in_pieces(db, document_id):
                    for start, end in _piece_spans(db, node, document_id, text):
                        hits.append(FtsHit(document_id, title, start, end, text[start:end]))
                        if limit is not None and len(hits) >= limit:
                            return hits
                    continue
                spans: list[tuple[int, int]] = []
                for index, expression in highlights.items():
                    spans += _highlighted_spans(db, index, expression, document_id, text)
                for start, end in _merge_adjacent(text, _union(spans)):
                    hits.append(FtsHit(document_id, title, start, end, text[start:end]))
                    if limit is not None and len(hits) >= limit:
                        return hits
    except sqlite3.OperationalError as error:
        # parse_query writes only expressions FTS5 accepts; this is for what
        # the database itself refuses (a missing or corrupt index, a lock).
        raise StoreError(f"could not search for {_shown(query)}: {error}") from None
    return hits


def _in_pieces(db: Database, document_id: int) -> bool:
    return bool(db.execute("SELECT indexed_in_pieces FROM documents WHERE id = ?",
                           [document_id]).fetchone()[0])


def _piece_spans(db: Database, node, document_id: int, text: str):
    """The hits in a document indexed in pieces, in text order, a piece at a
    time (a search that wants 200 hits highlights only the pieces it needs)."""
    highlights = _piece_highlights(node)
    matching = {index: {row[0] for row in db.execute(
        f"SELECT f.rowid FROM {index} f JOIN document_pieces p ON p.id = f.rowid "
        f"WHERE {index} MATCH ? AND p.document_id = ?", [expression, document_id])}
        for index, expression in highlights.items()}
    for piece_id, start, end in db.execute(
            'SELECT id, start, "end" FROM document_pieces WHERE document_id = ? AND indexed '
            "ORDER BY start", [document_id]).fetchall():
        piece = text[start:end]
        spans: list[tuple[int, int]] = []
        for index, expression in highlights.items():
            if piece_id in matching[index]:
                spans += _highlighted_spans(db, index, expression, piece_id, piece)
        for first, last in _merge_adjacent(piece, _union(spans)):
            yield start + first, start + last


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans in text order, overlapping ones (a word both indexes marked) as one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _highlighted_spans(
    db: Database, index: str, expression: str, document_id: int, text: str
) -> list[tuple[int, int]]:
    """Where ``index`` matches ``expression`` in the document's text."""
    column = 1 if index == STEMMED else 0  # documents_fts is (title, text); others (text)
    sql = _HIGHLIGHT_SQL.format(index=index, column=column)
    row = db.execute(sql, [_OPEN, _CLOSE, expression, document_id]).fetchone()
    if row is None:  # no term of this index in this document (an OR)
        return []
    spans = _marked_spans(text, row[0], _OPEN, _CLOSE)
    if spans is not None:
        return spans
    # The text itself holds a marker character: markers it does not hold.
    present = set(text)
    free = (chr(code) for code in range(0xF0000, 0xFFFFE) if chr(code) not in present)
    open_marker, close_marker = next(free), next(free)
    row = db.execute(sql, [open_marker, close_marker, expression, document_id]).fetchone()
    spans = _marked_spans(text, row[0] if row else None, open_marker, close_marker)
    if spans is None:
        raise StoreError(
            f"the search index does not match document {document_id}'s text; "
            "rebuild it with: margin check --repair"
        )
    return spans


def _marked_spans(
    text: str, marked: str | None, open_marker: str, close_marker: str
) -> list[tuple[int, int]] | None:
    """Offsets in ``text`` of the runs highlight() wrapped in the markers, or
    None if removing the markers does not give back ``text`` exactly."""
    if marked is None or open_marker in text or close_marker in text:
        return None
    spans: list[tuple[int, int]] = []
    pieces: list[str] = []
    position = 0  # in text
    index = 0  # in marked
    while True:
        opening = marked.find(open_marker, index)
        if opening < 0:
            pieces.append(marked[index:])
            break
        closing = marked.find(close_marker, opening + 1)
        if closing < 0 or marked.find(open_marker, opening + 1, closing) >= 0:
            return None
        pieces.append(marked[index:opening])
        position += opening - index
        inner = marked[opening + 1 : closing]
        pieces.append(inner)
        spans.append((position, position + len(inner)))
        position += len(inner)
        index = closing + 1
    if close_marker in pieces[-1] or "".join(pieces) != text:
        return None
    return [(start, end) for start, end in spans if end > start]


def _merge_adjacent(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join highlighted words separated only by a little space or punctuation
    on one line ("New York" for the query `new york`); not across a sentence
    end or a newline."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged:
            gap = text[merged[-1][1] : start]
            if len(gap) <= _MERGE_GAP and all(
                char != "\n"
                and char not in _SENTENCE_END
                and (char.isspace() or unicodedata.category(char)[0] == "P")
                for char in gap
            ):
                merged[-1] = (merged[-1][0], end)
                continue
        merged.append((start, end))
    return merged


# ------------------------------------------------------------------- coding


@dataclass(frozen=True, slots=True)
class _Passages:
    passages: list[tuple[int, int, int, str]]  # (document, start, end, quote), first-hit order
    texts: dict[int, str]


def _passages_for(db: Database, hits: Sequence[FtsHit], scope: str) -> _Passages:
    if scope not in SCOPES:
        raise StoreError(f"unknown scope {scope!r}: use word, sentence or paragraph")
    texts: dict[int, str] = {}
    units: dict[int, list[tuple[int, int]] | None] = {}
    passages: list[tuple[int, int, int, str]] = []
    seen: set[tuple[int, int, int]] = set()
    for hit in hits:
        text = texts.get(hit.document_id)
        if text is None:
            try:
                text = texts[hit.document_id] = document_text(db, hit.document_id)
            except NotFound:
                raise NotFound(
                    f"document {hit.document_id} does not exist (any more)") from None
        if not 0 <= hit.start < hit.end <= len(text) or text[hit.start : hit.end] != hit.text:
            raise StoreError(
                f"search hit {hit.text!r} at {hit.start}-{hit.end} does not match "
                f"document {hit.document_id}'s text; search again"
            )
        if hit.document_id not in units:
            units[hit.document_id] = scope_spans(text, scope)
        start, end = scope_span(text, hit.start, hit.end, scope, units[hit.document_id])
        key = (hit.document_id, start, end)
        if key not in seen:
            seen.add(key)
            passages.append((hit.document_id, start, end, text[start:end]))
    return _Passages(passages, texts)


def _existing_code(db: Database, code_path_or_id: int | str) -> tuple[int | None, str]:
    """(the code's id or None if the path is new, its path as given or stored)."""
    if isinstance(code_path_or_id, bool) or not isinstance(code_path_or_id, (int, str)):
        raise StoreError(f"{code_path_or_id!r} is not a code id or path")
    if isinstance(code_path_or_id, int):
        code = get_code(db, code_path_or_id)
        return code.id, code.path
    path = code_path_or_id.strip()
    if not path.replace(">", "").strip():
        raise StoreError("a code needs a name")
    code = find_code(db, path)
    return (code.id, code.path) if code else (None, path)


def preview_code_hits(
    db: Database,
    hits: Sequence[FtsHit],
    scope: str,
    *,
    code: int | str | None = None,
    coder: str | None = None,
) -> list[tuple[int, int, int, str]]:
    """The passages :func:`code_hits` would code, as (document id, start, end,
    quote), in the order of the hits they come from: one per distinct passage,
    and, when ``code`` is given, without those that ``coder`` has already
    coded with it (without a coder: those anyone has coded with it)."""
    passages = _passages_for(db, hits, scope).passages
    if code is None:
        return passages
    code_id, _path = _existing_code(db, code)
    if code_id is None:
        return passages
    if coder is None:
        coded = {(document_id, start, end)
                 for document_id in {p[0] for p in passages}
                 for document_id, _code, _coder, start, end in coded_keys(
                     db, document_id, [code_id])}
        return [p for p in passages if (p[0], p[1], p[2]) not in coded]
    coder_id = find_coder(db, coder)
    if coder_id is None:  # has never coded anything
        return passages
    added = split_new_codings(
        db, (NewCoding(p[0], code_id, p[1], p[2], coder_id) for p in passages)).added
    new = {(c.document_id, c.start, c.end) for c in added}
    return [p for p in passages if (p[0], p[1], p[2]) in new]


def code_hits(
    db: Database,
    hits: Sequence[FtsHit],
    code_path_or_id: int | str,
    scope: str,
    coder: str,
) -> CodeHitsResult:
    """Code every hit (the hit itself, its sentence or its paragraph) with one
    code, as ONE undoable action: undo removes every coding it made, and the
    code too if the action created it.

    ``code_path_or_id`` is a code id, or a path ("Themes > Security") or
    unique name of an existing code; a path that does not exist yet is created
    within the action. Hits falling in the same passage give one coding;
    passages ``coder`` has already coded with the code are counted and left
    alone (another coder's coding of a passage does not count).
    """
    found = _passages_for(db, hits, scope)
    if not found.passages:
        raise StoreError("nothing to code: there are no search hits")
    code_id, path = _existing_code(db, code_path_or_id)
    coder_id = ensure_coder(db, coder)
    count = len(found.passages)
    label = f"Code {count} search hit{'s' if count != 1 else ''} as {path}"
    created = code_id is None
    with action(db, label) as log:
        if code_id is None:
            code_id = ensure_code_path(db, path)
        written = write_codings(
            db,
            [NewCoding(document_id, code_id, start, end, coder_id)
             for document_id, start, end, _quote in found.passages],
            log=log, texts=found.texts)
        code_path = get_code(db, code_id).path
    coded = [(c.document_id, c.start, c.end) for c in written.added]
    already = len(written.already_coded)
    return CodeHitsResult(
        code_id=code_id,
        code_path=code_path,
        created_code=created,
        codings=len(coded),
        already_coded=already,
        passages=count,
        hits=len(hits),
        documents=len(found.texts),
        coded=coded,
    )
