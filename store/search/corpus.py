"""Search across everything coded or written, as the researcher types.

What is searched (the *kinds*): coded passages (their quotes; one result per
passage, with all the codes on it), memos (on codings, documents and codes),
codes (name, path and description), document titles, and entity names.

A query is fuzzy text plus optional filters::

    security guarantees code:"US aid" doc:diplomacy coder:ada kind:passage

Filter values are matched fuzzily against the names that exist (``code:secur``
finds the code "Security"; a code includes the codes beneath it); several
``kind:`` filters add up. :func:`complete_filter` proposes names for the
filter being typed.

:class:`SearchCorpus` keeps an in-memory :class:`~margin.store.search.index.SearchIndex`
of every item and keeps it in step with the database cheaply: actions (coding,
uncoding, renaming, memos) and their undo/redo by the rows
:func:`margin.store.history.changes_since` says they changed, new documents by
their ids, entities by their recognition runs. It is not thread-safe: one
search or refresh at a time (the app runs them in one exclusive worker, and
holds :attr:`SearchCorpus.lock` around each use).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from margin.store.codes import codebook
from margin.store.db import Database
from margin.store.errors import StoreError
from margin.store.history import HistoryState, Touched, changes_since
from margin.store.search.index import SearchIndex

KINDS = ("passage", "memo", "code", "document", "entity")
# Below this (0-100) a result shares too little with the query to be shown:
# half its WRatio plus up to 45 for the query's words it contains.
MIN_SCORE = 40
FILTERS = ("code", "doc", "coder", "kind")

# Entity labels worth searching by name (not bare numbers).
_ENTITY_LABELS_SKIPPED = ("CARDINAL", "ORDINAL", "QUANTITY")


@dataclass(frozen=True, slots=True)
class SearchItem:
    """One searchable thing and what the results list shows about it."""

    kind: str
    text: str
    document_id: int | None = None
    start: int | None = None
    end: int | None = None
    code_ids: tuple[int, ...] = ()
    coders: tuple[str, ...] = ()
    label: str = ""  # memo: "coding", "document" or "code"; entity: its type


@dataclass(frozen=True, slots=True)
class SearchResult:
    key: Hashable
    kind: str
    score: float
    text: str
    spans: tuple[tuple[int, int], ...]  # the matching parts of ``text``
    document_id: int | None
    document_title: str | None
    start: int | None
    end: int | None
    codes: tuple[str, ...]  # code paths
    coders: tuple[str, ...]
    label: str

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "score": round(self.score, 1),
            "document_id": self.document_id,
            "document_title": self.document_title,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "codes": list(self.codes),
            "label": self.label or None,
        }


@dataclass
class Query:
    text: str
    kinds: set[str] = field(default_factory=set)
    codes: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    coders: list[str] = field(default_factory=list)


_FILTER = re.compile(r'(?<!\S)(code|doc|coder|kind):("(?:[^"]*)"?|\S*)', re.IGNORECASE)


def parse_query(text: str) -> Query:
    """Split the typed query into fuzzy text and ``name:value`` filters."""
    query = Query("")
    for match in _FILTER.finditer(text):
        name, value = match.group(1).lower(), match.group(2)
        if value.startswith('"'):
            value = value.strip('"')
        value = value.strip()
        if not value:
            continue
        if name == "kind":
            kind = _kind(value)
            query.kinds.add(kind)
        elif name == "code":
            query.codes.append(value)
        elif name == "doc":
            query.documents.append(value)
        else:
            query.coders.append(value)
    query.text = " ".join(_FILTER.sub(" ", text).split())
    return query


def _kind(value: str) -> str:
    value = value.lower().rstrip("s")  # "passages", "memos"
    for kind in KINDS:
        if kind.startswith(value):
            return kind
    raise StoreError(f"unknown kind {value!r}: use {', '.join(KINDS)}")


def _best_name(value: str, names: list[str], what: str) -> list[str]:
    """The names a filter value means: exact (case-insensitive) or containing
    it, else the closest fuzzy matches."""
    folded = value.casefold()
    exact = [name for name in names if name.casefold() == folded]
    if exact:
        return exact
    containing = [name for name in names if folded in name.casefold()]
    if containing:
        return containing
    from rapidfuzz import fuzz, process, utils

    close = process.extract(value, names, scorer=fuzz.WRatio, processor=utils.default_process,
                            limit=3, score_cutoff=70)
    if not close:
        raise StoreError(f"no {what} matching {value!r}")
    best = close[0][1]
    return [name for name, score, _ in close if score >= best - 1]


def complete_filter(db: Database, name: str, value: str, limit: int = 8) -> list[str]:
    """Names for the filter being typed (``code:sec`` → "Security", …)."""
    names = _filter_names(db, name)
    if not value:
        return names[:limit]
    from rapidfuzz import fuzz, process, utils

    folded = value.casefold()
    prefix = [n for n in names if n.casefold().startswith(folded)]
    rest = [n for n, _s, _i in process.extract(value, names, scorer=fuzz.WRatio,
                                               processor=utils.default_process, limit=limit)
            if n not in prefix]
    return (prefix + rest)[:limit]


def _filter_names(db: Database, name: str) -> list[str]:
    if name == "code":
        return [code.path for code in codebook(db)]
    if name == "doc":
        return [row["title"] for row in db.query("SELECT title FROM documents ORDER BY title")]
    if name == "coder":
        return [row["name"] for row in db.query("SELECT name FROM coders ORDER BY name")]
    if name == "kind":
        return list(KINDS)
    return []


class SearchCorpus:
    """Every searchable item of one database, indexed, kept in step."""

    def __init__(self) -> None:
        self.index = SearchIndex()
        self.items: dict[Hashable, SearchItem] = {}
        self._history: HistoryState | None = None  # as far as the index follows it
        self._documents_seen = (0, 0)
        self._entities_seen: tuple = ()
        self.loaded = False
        # Held by whoever refreshes or searches: a search cancelled by a newer
        # keystroke may still be running when the next one starts.
        self.lock = threading.Lock()

    # ------------------------------------------------------------- loading

    def load(self, db: Database) -> None:
        """Read every item (once; then :meth:`refresh` keeps it in step)."""
        with db.snapshot():
            items: dict[Hashable, SearchItem] = {}
            items.update(self._passages(db))
            items.update(self._memos(db))
            items.update(self._codes(db))
            items.update(self._documents(db))
            items.update(self._entities(db))
            self._history, _ = changes_since(db)
            self._documents_seen = self._document_state(db)
            self._entities_seen = self._entity_state(db)
        self.items = items
        self.index = SearchIndex()
        self.index.add_many((key, item.text) for key, item in items.items())
        self.loaded = True

    def refresh(self, db: Database) -> bool:
        """Bring the index in step with the database; True if anything changed."""
        if not self.loaded:
            self.load(db)
            return True
        changed = False
        with db.snapshot():
            self._history, touched = changes_since(db, self._history)
            if touched.rows:
                self._reload_rows(db, touched)
                changed = True
            documents = self._document_state(db)
            if documents != self._documents_seen:
                self._replace_kind(db, "document", self._documents(db))
                self._documents_seen = documents
                changed = True
            entities = self._entity_state(db)
            if entities != self._entities_seen:
                self._replace_kind(db, "entity", self._entities(db))
                self._entities_seen = entities
                changed = True
        return changed

    def _document_state(self, db: Database) -> tuple:
        return tuple(db.execute("SELECT COUNT(*), MAX(id) FROM documents").fetchone())

    def _entity_state(self, db: Database) -> tuple:
        return tuple(db.execute(
            "SELECT COUNT(*), MAX(created) FROM entity_runs").fetchone())

    def _reload_rows(self, db: Database, touched: Touched) -> None:
        tables = {table for table, _ in touched.rows}
        if "codes" in tables:
            # Names and descriptions: the codebook is small, read it whole.
            self._replace_kind(db, "code", self._codes(db))
        if "memos" in tables or "codes" in tables:
            self._replace_kind(db, "memo", self._other_memos(db), label_not="coding")
        if "codings" in tables:
            # A passage item groups the codings of one span: re-read the
            # passages of the documents whose codings changed.
            for document_id in touched.coding_documents:
                self._replace_where(
                    lambda item, d=document_id: item.kind == "passage" and item.document_id == d,
                    self._passages(db, document_id))
                self._replace_where(
                    lambda item, d=document_id: item.kind == "memo" and item.label == "coding"
                    and item.document_id == d,
                    self._coding_memos(db, document_id))
        if "documents" in tables:  # a renamed title
            self._replace_kind(db, "document", self._documents(db))

    def _replace_kind(self, db, kind: str, fresh: dict, label_not: str | None = None) -> None:
        self._replace_where(
            lambda item: item.kind == kind and (label_not is None or item.label != label_not),
            fresh)

    def _replace_where(self, predicate: Callable[[SearchItem], bool], fresh: dict) -> None:
        for key in [key for key, item in self.items.items() if predicate(item)]:
            if key not in fresh:
                del self.items[key]
                self.index.remove(key)
        for key, item in fresh.items():
            if self.items.get(key) != item:
                self.items[key] = item
                self.index.add(key, item.text)

    # -------------------------------------------------------------- items

    def _passages(self, db: Database, document_id: int | None = None) -> dict:
        where, params = ("WHERE c.document_id = ?", [document_id]) if document_id else ("", [])
        grouped: dict[tuple, tuple[str, list[int], list[str]]] = {}
        rows = db.query(
            f"""SELECT c.document_id, c.start, c."end", c.quote, c.code_id, coders.name AS coder
                FROM codings c LEFT JOIN coders ON coders.id = c.coder_id {where}
                ORDER BY c.document_id, c.start, c."end", c.id""", params)
        for row in rows:
            key = ("passage", row["document_id"], row["start"], row["end"])
            _quote, codes, coders = grouped.setdefault(key, (row["quote"], [], []))
            codes.append(row["code_id"])
            if row["coder"] and row["coder"] not in coders:
                coders.append(row["coder"])
        return {
            key: SearchItem("passage", quote, key[1], key[2], key[3], tuple(codes), tuple(coders))
            for key, (quote, codes, coders) in grouped.items()
        }

    def _coding_memos(self, db: Database, document_id: int | None = None) -> dict:
        where, params = ("AND c.document_id = ?", [document_id]) if document_id else ("", [])
        rows = db.query(
            f"""SELECT c.id, c.document_id, c.start, c."end", c.memo, c.code_id,
                       coders.name AS coder
                FROM codings c LEFT JOIN coders ON coders.id = c.coder_id
                WHERE c.memo != '' {where}""", params)
        return {
            ("memo", "coding", row["id"]): SearchItem(
                "memo", row["memo"], row["document_id"], row["start"], row["end"],
                (row["code_id"],), (row["coder"],) if row["coder"] else (), "coding")
            for row in rows
        }

    def _memos(self, db: Database) -> dict:
        return {**self._coding_memos(db), **self._other_memos(db)}

    def _other_memos(self, db: Database) -> dict:
        """Memos on documents and on codes."""
        items = {}
        rows = db.query(
            """SELECT m.id, m.document_id, m.code_id, m.text, coders.name AS coder
               FROM memos m LEFT JOIN coders ON coders.id = m.coder_id WHERE m.text != ''""")
        for row in rows:
            coders = (row["coder"],) if row["coder"] else ()
            if row["document_id"] is not None:
                items[("memo", "document", row["id"])] = SearchItem(
                    "memo", row["text"], row["document_id"], coders=coders, label="document")
            else:
                items[("memo", "code", row["id"])] = SearchItem(
                    "memo", row["text"], code_ids=(row["code_id"],), coders=coders, label="code")
        return items

    def _codes(self, db: Database) -> dict:
        return {
            ("code", code.id): SearchItem(
                "code", f"{code.path} {code.description}".strip(), code_ids=(code.id,))
            for code in codebook(db)
        }

    def _documents(self, db: Database) -> dict:
        return {
            ("document", row["id"]): SearchItem("document", row["title"], row["id"], 0, 0)
            for row in db.query("SELECT id, title FROM documents")
        }

    def _entities(self, db: Database) -> dict:
        """One item per entity name and type, opening at its first mention."""
        skipped = ",".join("?" * len(_ENTITY_LABELS_SKIPPED))
        rows = db.query(
            f"""SELECT label, text, MIN(document_id) AS document_id, COUNT(*) AS mentions
                FROM entities WHERE label NOT IN ({skipped})
                GROUP BY label, text""", list(_ENTITY_LABELS_SKIPPED))
        items = {}
        for row in rows:
            first = db.execute(
                'SELECT start, "end" FROM entities WHERE document_id = ? AND label = ? AND text = ? '
                "ORDER BY start LIMIT 1", [row["document_id"], row["label"], row["text"]]).fetchone()
            items[("entity", row["label"], row["text"])] = SearchItem(
                "entity", row["text"], row["document_id"], first[0], first[1], label=row["label"])
        return items

    # ------------------------------------------------------------- search

    def search(
        self,
        db: Database,
        text: str,
        limit: int = 50,
        cancelled: Callable[[], bool] | None = None,
        kinds: set[str] | None = None,
    ) -> list[SearchResult]:
        """Results for the typed ``text`` (fuzzy text and filters), best first."""
        query = parse_query(text)
        wanted_kinds = (query.kinds or set(KINDS)) & (kinds or set(KINDS))
        allowed = self._allowed(db, query, wanted_kinds)
        if not query.text:
            return self._browse(db, allowed, limit)
        # More candidates than shown: re-ranking may promote some of them.
        hits = self.index.search(query.text, limit * 3, allowed=allowed, cancelled=cancelled)
        if cancelled is not None and cancelled():
            return []
        ranked = _rerank(query.text, [(hit.key, hit.score, hit.spans) for hit in hits],
                         self.items)
        return self._results(db, ranked[:limit])

    def _browse(self, db: Database, allowed, limit: int) -> list[SearchResult]:
        """Filters alone: everything they allow, in document order."""
        keys = [key for key, item in self.items.items() if allowed(key)][:limit]
        return self._results(db, [(key, 0.0, ()) for key in keys])

    def _allowed(self, db: Database, query: Query, kinds: set[str]):
        code_ids: set[int] | None = None
        if query.codes:
            codes = codebook(db)
            by_path = {code.path: code for code in codes}
            code_ids = set()
            for value in query.codes:
                for path in _best_name(value, list(by_path), "code"):
                    prefix = path + " > "
                    code_ids |= {c.id for c in codes if c.path == path or c.path.startswith(prefix)}
        document_ids: set[int] | None = None
        if query.documents:
            titles: dict[str, list[int]] = {}
            for row in db.query("SELECT id, title FROM documents"):
                titles.setdefault(row["title"], []).append(row["id"])
            document_ids = set()
            for value in query.documents:
                for title in _best_name(value, list(titles), "document"):
                    document_ids |= set(titles[title])
        coders: set[str] | None = None
        if query.coders:
            names = [row["name"] for row in db.query("SELECT name FROM coders")]
            coders = set()
            for value in query.coders:
                coders |= set(_best_name(value, names, "coder"))
        items = self.items

        def allowed(key: Hashable) -> bool:
            item = items.get(key)
            if item is None or item.kind not in kinds:
                return False
            if code_ids is not None and not code_ids.intersection(item.code_ids):
                return False
            if document_ids is not None and item.document_id not in document_ids:
                return False
            return not (coders is not None and not coders.intersection(item.coders))

        return allowed

    def _results(self, db: Database, hits: list[tuple]) -> list[SearchResult]:
        paths = {code.id: code.path for code in codebook(db)} if hits else {}
        titles = {row["id"]: row["title"] for row in db.query("SELECT id, title FROM documents")}
        results = []
        for key, score, spans in hits:
            item = self.items.get(key)
            if item is None:
                continue
            results.append(SearchResult(
                key, item.kind, score, item.text, tuple(spans), item.document_id,
                titles.get(item.document_id) if item.document_id is not None else None,
                item.start, item.end,
                tuple(paths[c] for c in item.code_ids if c in paths), item.coders, item.label,
            ))
        return results


def _rerank(query: str, hits: list[tuple], items: dict) -> list[tuple]:
    """Order hits by how much of the query they contain, then by WRatio.

    WRatio alone favours short texts: "throw oil fire" scores 68 against the
    entity "FBI" and 57 against the passage that says "throw oil on the fire".
    Across kinds of very different lengths, a result should first contain
    the query's words (each allowing a typo); WRatio orders the rest.
    """
    from rapidfuzz import fuzz, process, utils

    words = utils.default_process(query).split()
    if not words:
        return hits
    ranked = []
    for key, score, spans in hits:
        text = utils.default_process(items[key].text) if key in items else ""
        tokens = list(dict.fromkeys(text.split()))
        covered = 0.0
        for word in words:
            best = process.extractOne(word, tokens, scorer=fuzz.ratio, processor=None)
            if best is not None and best[1] >= 75:
                covered += best[1] / 100
        coverage = covered / len(words)
        phrase = " ".join(words) in text
        final = min(100.0, 0.5 * score + 45 * coverage + (5 if phrase else 0))
        if final >= MIN_SCORE:
            ranked.append((key, final, spans))
    ranked.sort(key=lambda hit: -hit[1])
    return ranked


_TYPING_FILTER = re.compile(r'(?:^|\s)(code|doc|coder|kind):("[^"]*|[^\s"]*)$', re.IGNORECASE)


def filter_being_typed(text: str) -> tuple[str, str] | None:
    """(filter name, partial value) if the query ends inside a filter."""
    match = _TYPING_FILTER.search(text)
    if match is None:
        return None
    return match.group(1).lower(), match.group(2).lstrip('"')
