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
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from margin.store.coders import UNKNOWN, coder_ids, coder_name, coders_present
from margin.store.codes import code_paths
from margin.store.db import Database
from margin.store.errors import StoreError
from margin.store.history import HistoryState, Touched, changes_since
from margin.store.search.index import SearchIndex
from margin.store.search.wordindex import WordHit, WordIndex, spans_of
from margin.store.word_postings import CODING_MEMO, MEMO, QUOTE, ensure_index, is_installed

KINDS = ("passage", "memo", "code", "document", "entity")
# Below this (0-100) a result shares too little with the query to be shown:
# half its WRatio plus up to 45 for the query's words it contains.
MIN_SCORE = 40
FILTERS = ("code", "doc", "coder", "kind")
#: Most passages and memos a search ranks (the best of the word index's candidates).
WORD_DEPTH = 100
#: Most codes, titles and entity names a search ranks.
SMALL_DEPTH = 150

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
        return sorted(code_paths(db).values(), key=str.casefold)
    if name == "doc":
        return [row["title"] for row in db.query("SELECT title FROM documents ORDER BY title")]
    if name == "coder":
        names = [row["name"] for row in db.query("SELECT name FROM coders ORDER BY name")]
        # Codings without a coder are "unknown"'s (store/coders.py).
        if UNKNOWN not in names and coders_present(db, [UNKNOWN]):
            names.append(UNKNOWN)
        return names
    if name == "kind":
        return list(KINDS)
    return []


class SearchCorpus:
    """Every searchable item of one database, kept in step.

    Coded passages and memos, which grow with the project, are searched in
    the persistent word index (:class:`~margin.store.search.wordindex.WordIndex`:
    nothing of them is loaded up front); codes, titles and entity names, which
    stay small, in an in-memory :class:`~margin.store.search.index.SearchIndex`.
    """

    def __init__(self) -> None:
        self.index = SearchIndex()  # codes, document titles, entity names
        self.words = WordIndex()  # coded passages and memos, in the database file
        # The small kinds' items, and the passages and memos of recent results.
        self.items: dict[Hashable, SearchItem] = {}
        self._history: HistoryState | None = None  # as far as the index follows it
        self._documents_seen = (0, 0)
        self._entities_seen: tuple = ()
        self.loaded = False
        # Held by whoever refreshes or searches: a search cancelled by a newer
        # keystroke may still be running when the next one starts.
        self.lock = threading.Lock()

    @property
    def size(self) -> int:
        """How many items are searched."""
        return len(self.index) + self.words.size

    # ------------------------------------------------------------- loading

    def load(self, db: Database) -> None:
        """Read the small kinds (once; then :meth:`refresh` keeps them in step)
        and open the word index (rebuilt first if it is missing and the
        connection may write)."""
        if not db.read_only:
            ensure_index(db)
        if not is_installed(db):
            raise StoreError("the search index of this file is missing; open it once with "
                             "margin where it may be written to rebuild it")
        with db.snapshot():
            items: dict[Hashable, SearchItem] = {}
            items.update(self._codes(db))
            items.update(self._documents(db))
            items.update(self._entities(db))
            self._history, _ = changes_since(db)
            self._documents_seen = self._document_state(db)
            self._entities_seen = self._entity_state(db)
            self.words.sync(db)
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
            if not is_installed(db):  # dropped meanwhile (by hand, by a repair)
                self.loaded = False
                self.words = WordIndex()
            else:
                changed = self.words.sync(db)
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
        if not self.loaded:
            self.load(db)
            return True
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
        if "documents" in tables:  # a renamed title
            self._replace_kind(db, "document", self._documents(db))

    def _replace_kind(self, db, kind: str, fresh: dict) -> None:
        for key in [key for key, item in self.items.items() if item.kind == kind]:
            if key not in fresh:
                del self.items[key]
                self.index.remove(key)
        for key, item in fresh.items():
            if self.items.get(key) != item:
                self.items[key] = item
                self.index.add(key, item.text)

    # -------------------------------------------------------------- items

    def _codes(self, db: Database) -> dict:
        return {
            ("code", code_id): SearchItem(
                "code", f"{path} {description or ''}".strip(), code_ids=(code_id,))
            for code_id, path, description in db.execute(
                "SELECT code_id, path, description FROM code_paths")
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

    def _word_keys(self, db: Database, items: list[int]) -> dict[int, tuple]:
        """The result key of each word-index item that exists: a passage is its
        span (every coding of it is one result), a memo its row."""
        keys: dict[int, tuple] = {}
        quotes = [item >> 2 for item in items if item & 3 == QUOTE]
        for start in range(0, len(quotes), 900):
            chunk = quotes[start : start + 900]
            for row_id, document_id, begin, end in db.execute(
                    f'SELECT id, document_id, start, "end" FROM codings WHERE id IN '
                    f'({",".join("?" * len(chunk))})', chunk):
                keys[row_id * 4 + QUOTE] = ("passage", document_id, begin, end)
        for item in items:
            if item & 3 == CODING_MEMO:
                keys[item] = ("memo", "coding", item >> 2)
            elif item & 3 == MEMO:
                keys[item] = ("memo", "memo", item >> 2)  # document or code: see _word_items
        return keys

    def _word_items(self, db: Database, items: Iterable[int]) -> dict[int, tuple]:
        """(key, SearchItem) of word-index items (passages gather every coding
        of their span: its codes and coders)."""
        out: dict[int, tuple] = {}
        meta = _item_rows(db, items)
        spans = {(row["document_id"], row["start"], row["end"])
                 for item, row in meta.items() if item & 3 == QUOTE}
        on_span: dict[tuple, tuple[list, list]] = {span: ([], []) for span in spans}
        for place in sorted({span[:2] for span in spans}):  # an index lookup each
            for document_id, begin, end, code_id, coder in db.execute(
                    'SELECT c.document_id, c.start, c."end", c.code_id, coders.name '
                    "FROM codings c LEFT JOIN coders ON coders.id = c.coder_id "
                    "WHERE c.document_id = ? AND c.start = ? ORDER BY c.id", place):
                found = on_span.get((document_id, begin, end))
                if found is not None:
                    if code_id not in found[0]:  # two coders, one code: named once
                        found[0].append(code_id)
                    if coder and coder not in found[1]:
                        found[1].append(coder)
        for item, row in meta.items():
            kind = item & 3
            if kind == QUOTE:
                span = (row["document_id"], row["start"], row["end"])
                codes, coders = on_span[span]
                out[item] = (("passage", *span), SearchItem(
                    "passage", row["text"], *span, tuple(codes), tuple(coders)))
            elif kind == CODING_MEMO:
                out[item] = (("memo", "coding", item >> 2), SearchItem(
                    "memo", row["text"], row["document_id"], row["start"], row["end"],
                    (row["code_id"],), row["coders"], "coding"))
            elif row["document_id"] is not None:
                out[item] = (("memo", "document", item >> 2), SearchItem(
                    "memo", row["text"], row["document_id"], coders=row["coders"],
                    label="document"))
            else:
                out[item] = (("memo", "code", item >> 2), SearchItem(
                    "memo", row["text"], code_ids=(row["code_id"],), coders=row["coders"],
                    label="code"))
        return out

    # ------------------------------------------------------------- search

    def search(
        self,
        db: Database,
        text: str,
        limit: int = 50,
        cancelled: Callable[[], bool] | None = None,
        kinds: set[str] | None = None,
        coders: Sequence[str] = (),
    ) -> list[SearchResult]:
        """Results for the typed ``text`` (fuzzy text and filters), best first;
        ``coders`` (exact names; empty: all) keeps what those coders coded or wrote.

        The ranking does not depend on ``limit``: a smaller limit gives the
        first results of a larger one (at most the best :data:`WORD_DEPTH`
        passages and memos and :data:`SMALL_DEPTH` codes, titles and entities).
        """
        query = parse_query(text)
        wanted_kinds = (query.kinds or set(KINDS)) & (kinds or set(KINDS))
        filters = self._filters(db, query, coders)
        if limit <= 0:
            return []
        if not query.text:
            return self._browse(db, filters, wanted_kinds, limit)
        ranked: list[tuple] = []  # (score, kind order, key, spans)
        small_kinds = wanted_kinds & {"code", "document", "entity"}
        if small_kinds:
            allowed = self._allowed(filters, small_kinds)
            hits = self.index.search(query.text, SMALL_DEPTH, allowed=allowed,
                                     cancelled=cancelled)
            for key, final, spans in _rerank(
                    query.text, [(hit.key, hit.score, hit.spans) for hit in hits], self.items):
                ranked.append((final, KINDS.index(self.items[key].kind), key, spans))
        if cancelled is not None and cancelled():
            return []
        word_kinds = wanted_kinds & {"passage", "memo"}
        if word_kinds:
            hits = self.words.search(db, query.text, WORD_DEPTH, cancelled=cancelled,
                                     allowed=self._word_filter(db, filters, word_kinds))
            keys = self._word_keys(db, [hit.item for hit in hits])
            seen: dict = {}  # key -> its place in the word index's order
            for hit in hits:
                key = keys.get(hit.item)
                if key is None or key in seen or hit.score < MIN_SCORE:
                    continue  # gone, or a second coding of the same passage
                seen[key] = len(seen)
                kind = "passage" if hit.item & 3 == QUOTE else "memo"
                ranked.append((hit.score, KINDS.index(kind), key, hit))
        if cancelled is not None and cancelled():
            return []
        # Equal scores: passages and memos in the word index's order (which
        # may put a second reading of the query first: see its search()).
        order = seen if word_kinds else {}
        ranked.sort(key=lambda hit: (-round(hit[0], 6), hit[1], order.get(hit[2], 0),
                                     repr(hit[2])))
        ranked = ranked[:limit]
        # Only what is shown is read in full: the passages' codes, the memos' places.
        words_shown = self._word_items(
            db, [hit.item for _s, _k, _key, hit in ranked if isinstance(hit, WordHit)])
        shown = []
        for final, _kind, key, hit in ranked:
            if isinstance(hit, WordHit):
                if hit.item not in words_shown:
                    continue
                key, item = words_shown[hit.item]
                self.items[key] = item
                shown.append((key, final, spans_of(query.text, item.text)))
            else:
                shown.append((key, final, hit))
        return self._results(db, shown)

    def _results(self, db: Database, hits: list[tuple]) -> list[SearchResult]:
        paths = code_paths(db) if hits else {}
        document_ids = {self.items[key].document_id for key, _s, _sp in hits
                        if key in self.items}
        document_ids.discard(None)
        titles = dict(db.execute(
            f"SELECT id, title FROM documents WHERE id IN ({','.join('?' * len(document_ids))})",
            sorted(document_ids)).fetchall()) if document_ids else {}
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

    def _browse(self, db: Database, filters: Filters, kinds: set[str],
                limit: int) -> list[SearchResult]:
        """Filters alone: everything they allow, in document order."""
        allowed = self._allowed(filters, kinds)
        keys = [key for key, item in self.items.items()
                if item.kind not in ("passage", "memo") and allowed(key)][:limit]
        word_kinds = kinds & {"passage", "memo"}
        if word_kinds and len(keys) < limit:
            items = _browse_items(db, filters, word_kinds, 4 * limit)
            found = self._word_items(db, items)
            for item in items:
                if item in found and len(keys) < limit:
                    key, value = found[item]
                    if key not in self.items or key not in keys:
                        self.items[key] = value
                        keys.append(key)
        return self._results(db, [(key, 0.0, ()) for key in keys])

    def _filters(self, db: Database, query: Query, named: Sequence[str] = ()) -> Filters:
        code_ids: set[int] | None = None
        if query.codes:
            paths = code_paths(db)
            code_ids = set()
            for value in query.codes:
                for path in _best_name(value, sorted(set(paths.values())), "code"):
                    prefix = path + " > "
                    code_ids |= {code_id for code_id, other in paths.items()
                                 if other == path or other.startswith(prefix)}
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
            # "unknown" is the coder of codings without one, as everywhere
            # (store/coders.py): a name coder: may mean even with no row.
            names = [row["name"] for row in db.query("SELECT name FROM coders")]
            names += [UNKNOWN] if UNKNOWN not in names else []
            coders = set()
            for value in query.coders:
                coders |= set(_best_name(value, names, "coder"))
        if named:
            coder_ids(db, named)  # an unknown name: the one error that lists the coders
            named = [coder_name(name) for name in named]
            coders = set(named) if coders is None else coders & set(named)
        return Filters(code_ids, document_ids, coders)

    def _allowed(self, filters: Filters, kinds: set[str]):
        items = self.items

        def allowed(key: Hashable) -> bool:
            item = items.get(key)
            if item is None or item.kind not in kinds:
                return False
            return filters.admit(item.code_ids, item.document_id, item.coders)

        return allowed

    def _word_filter(self, db: Database, filters: Filters, kinds: set[str]):
        """What the word index may return: items of the wanted kinds the filters admit."""
        wanted = set()
        if "passage" in kinds:
            wanted.add(QUOTE)
        if "memo" in kinds:
            wanted.update((CODING_MEMO, MEMO))
        if not filters.active:
            if len(wanted) == 3:
                return None
            return lambda items: [item for item in items if item & 3 in wanted]

        def allowed(items: list[int]) -> list[int]:
            items = [item for item in items if item & 3 in wanted]
            rows = _item_rows(db, items, texts=False)
            # A coding or memo without a coder is "unknown"'s (coders.keeps).
            return [item for item in items if item in rows and filters.admit(
                (rows[item]["code_id"],) if rows[item]["code_id"] is not None else (),
                rows[item]["document_id"], rows[item]["coders"] or (UNKNOWN,))]

        return allowed

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


@dataclass(frozen=True)
class Filters:
    """What ``code:``, ``doc:`` and ``coder:`` let through (None: no filter)."""

    code_ids: set[int] | None = None
    document_ids: set[int] | None = None
    coders: set[str] | None = None

    @property
    def active(self) -> bool:
        return not (self.code_ids is None and self.document_ids is None and self.coders is None)

    def admit(self, code_ids, document_id, coders) -> bool:
        if self.code_ids is not None and not self.code_ids.intersection(code_ids):
            return False
        if self.document_ids is not None and document_id not in self.document_ids:
            return False
        return not (self.coders is not None and not self.coders.intersection(coders))


def _item_rows(db: Database, items: Iterable[int], texts: bool = True) -> dict[int, dict]:
    """What the results and filters need of word-index items that exist."""
    by_kind: dict[int, list[int]] = {QUOTE: [], CODING_MEMO: [], MEMO: []}
    for item in items:
        if item & 3 in by_kind:
            by_kind[item & 3].append(item >> 2)
    rows: dict[int, dict] = {}
    coding_columns = 'c.id, c.document_id, c.start, c."end", c.code_id, coders.name AS coder'
    statements = {
        QUOTE: (f"SELECT {coding_columns}{', c.quote AS text' if texts else ''} "
                "FROM codings c LEFT JOIN coders ON coders.id = c.coder_id WHERE c.id IN ({})"),
        CODING_MEMO: (f"SELECT {coding_columns}{', c.memo AS text' if texts else ''} "
                      "FROM codings c LEFT JOIN coders ON coders.id = c.coder_id "
                      "WHERE c.memo != '' AND c.id IN ({})"),
        MEMO: ("SELECT m.id, m.document_id, NULL AS start, NULL AS \"end\", m.code_id, "
               f"coders.name AS coder{', m.text AS text' if texts else ''} FROM memos m "
               "LEFT JOIN coders ON coders.id = m.coder_id WHERE m.text != '' AND m.id IN ({})"),
    }
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            sql = statements[kind].format(",".join("?" * len(chunk)))
            for row in db.query(sql, chunk):
                row["coders"] = (row["coder"],) if row["coder"] else ()
                rows[row["id"] * 4 + kind] = row
    return rows


def _browse_items(db: Database, filters: Filters, kinds: set[str], limit: int) -> list[int]:
    """Word-index items the filters admit, in document order (filters alone, no text)."""
    conditions, params = [], []
    if filters.code_ids is not None:
        conditions.append(f"c.code_id IN ({','.join('?' * len(filters.code_ids))})")
        params.extend(sorted(filters.code_ids))
    if filters.document_ids is not None:
        conditions.append(f"c.document_id IN ({','.join('?' * len(filters.document_ids))})")
        params.extend(sorted(filters.document_ids))
    if filters.coders is not None:
        by_name = f"coders.name IN ({','.join('?' * len(filters.coders))})"
        # Rows without a coder are "unknown"'s (coders.coder_condition's rule).
        conditions.append(f"({by_name} OR coders.id IS NULL)" if UNKNOWN in filters.coders
                          else by_name)
        params.extend(sorted(filters.coders))
    where = " AND ".join(conditions) or "1"
    items: list[int] = []
    if "passage" in kinds:
        items.extend(row[0] * 4 + QUOTE for row in db.execute(
            f'SELECT c.id FROM codings c LEFT JOIN coders ON coders.id = c.coder_id WHERE {where} '
            f'ORDER BY c.document_id, c.start, c."end", c.id LIMIT ?', [*params, limit]))
    if "memo" in kinds:
        items.extend(row[0] * 4 + CODING_MEMO for row in db.execute(
            f"SELECT c.id FROM codings c LEFT JOIN coders ON coders.id = c.coder_id "
            f"WHERE c.memo != '' AND {where} ORDER BY c.document_id, c.start LIMIT ?",
            [*params, limit]))
        memo_where = where.replace("c.code_id", "m.code_id").replace("c.document_id",
                                                                       "m.document_id")
        items.extend(row[0] * 4 + MEMO for row in db.execute(
            f"SELECT m.id FROM memos m LEFT JOIN coders ON coders.id = m.coder_id "
            f"WHERE m.text != '' AND {memo_where} ORDER BY m.id LIMIT ?", [*params, limit]))
    return items


_TYPING_FILTER = re.compile(r'(?:^|\s)(code|doc|coder|kind):("[^"]*|[^\s"]*)$', re.IGNORECASE)


def filter_being_typed(text: str) -> tuple[str, str] | None:
    """(filter name, partial value) if the query ends inside a filter."""
    match = _TYPING_FILTER.search(text)
    if match is None:
        return None
    return match.group(1).lower(), match.group(2).lstrip('"')
