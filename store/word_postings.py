"""The persistent word postings of coded passages and memos: the part of the
fuzzy search index that writes (the reader and the ranking are in
``margin.store.search.wordindex``, whose docstring explains the design).

In the database file (migration ``0010_search_word_index``):

* ``search_postings``: one row per vocabulary word (rowid = its position in
  the sorted vocabulary + 1): the ascending ids of the items that contain it
  (``array('I')``, little-endian);
* ``search_meta``: the vocabulary (one text, words in order), their document
  frequencies (one blob), the log position the postings include, the number
  of items, and a generation number that changes with each rebuild;
* ``search_pairs`` (migration ``0012_search_word_pairs``): the pairs of
  neighbouring *common* words (each in more than :data:`PAIR_WORDS_ABOVE`
  items: a rarer word finds its passages by itself), "a b" for "a" followed
  by "b", each with the ascending ids of the items that hold it when at most
  :data:`PAIR_RARE` do; a commoner pair is kept with no ids, so that
  a reader knows it tells no passage from thousands;
* ``search_log``: one row per changed item, written by SQLite triggers on
  ``codings`` and ``memos``, in the transaction of the write, whoever makes
  it: an action, its undo and redo, another margin, sqlite-utils, Datasette.

An *item* is a coded passage's quote (``coding id x 4``), a coding's memo
(``x 4 + 1``) or a memo on a document or code (``memo id x 4 + 2``).
:func:`rebuild` folds everything into the postings in one transaction and
empties the log.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterable
from itertools import pairwise

from rapidfuzz.utils import default_process

from margin.store.db import Database

#: Item kinds: the low two bits of an item id.
QUOTE, CODING_MEMO, MEMO = 0, 1, 2
TRIGGERS = {
    "search_log_codings_insert": """
        AFTER INSERT ON codings BEGIN
            INSERT INTO search_log (item) VALUES (NEW.id * 4);
            INSERT INTO search_log (item) SELECT NEW.id * 4 + 1 WHERE NEW.memo != '';
        END""",
    "search_log_codings_delete": """
        AFTER DELETE ON codings BEGIN
            INSERT INTO search_log (item) VALUES (OLD.id * 4);
            INSERT INTO search_log (item) SELECT OLD.id * 4 + 1 WHERE OLD.memo != '';
        END""",
    "search_log_codings_update": """
        AFTER UPDATE OF id, quote, memo ON codings BEGIN
            INSERT INTO search_log (item) VALUES (OLD.id * 4), (OLD.id * 4 + 1);
            INSERT INTO search_log (item) SELECT NEW.id * 4 WHERE NEW.id != OLD.id;
            INSERT INTO search_log (item) SELECT NEW.id * 4 + 1 WHERE NEW.id != OLD.id;
        END""",
    "search_log_memos_insert": """
        AFTER INSERT ON memos BEGIN
            INSERT INTO search_log (item) VALUES (NEW.id * 4 + 2);
        END""",
    "search_log_memos_delete": """
        AFTER DELETE ON memos BEGIN
            INSERT INTO search_log (item) VALUES (OLD.id * 4 + 2);
        END""",
    "search_log_memos_update": """
        AFTER UPDATE OF id, text ON memos BEGIN
            INSERT INTO search_log (item) VALUES (OLD.id * 4 + 2), (NEW.id * 4 + 2);
        END""",
}

#: A pair of neighbouring words in more items than this is kept without them.
PAIR_RARE = 1_000
#: Pairs are kept of words in more items than this (the reader's RARE).
PAIR_WORDS_ABOVE = 1_000

TABLES = (
    "CREATE TABLE IF NOT EXISTS search_postings (id INTEGER PRIMARY KEY, ids BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS search_pairs (pair TEXT PRIMARY KEY, ids BLOB NOT NULL) "
    "WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value)",
    "CREATE TABLE IF NOT EXISTS search_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "item INTEGER NOT NULL)",
)


def install(db: Database) -> None:
    """Create the index's tables and triggers (what is missing of them); the
    caller rebuilds the postings (:func:`rebuild`)."""
    for statement in TABLES:
        db.execute(statement)
    for name, body in TRIGGERS.items():
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def is_installed(db: Database) -> bool:
    names = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE 'search\\_%' ESCAPE '\\'")}
    # (search_pairs may be missing: a file from before them, read-only, is
    # searched without them.)
    return {"search_postings", "search_meta", "search_log", *TRIGGERS} <= names and bool(
        db.execute("SELECT 1 FROM search_meta WHERE key = 'generation'").fetchone())


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the index keeps them (``default_process``)."""
    return default_process(text).split()


def pairs_of(words: list[str], common: Callable[[str], bool]) -> set[str]:
    """The pairs of neighbouring ``words`` that are both ``common``, as
    ``search_pairs`` keys them."""
    return {f"{a} {b}" for a, b in pairwise(words) if common(a) and common(b)}


def item_texts(db: Database, items: Iterable[int] | None = None) -> Iterable[tuple[int, str]]:
    """(item, text) of the given items that exist (all items when None)."""
    if items is None:
        yield from db.execute("SELECT id * 4, quote FROM codings")
        yield from db.execute("SELECT id * 4 + 1, memo FROM codings WHERE memo != ''")
        yield from db.execute("SELECT id * 4 + 2, text FROM memos WHERE text != ''")
        return
    by_kind: dict[int, list[int]] = {QUOTE: [], CODING_MEMO: [], MEMO: []}
    for item in items:
        if item & 3 in by_kind:
            by_kind[item & 3].append(item >> 2)
    queries = {
        QUOTE: "SELECT id * 4, quote FROM codings WHERE id IN ({})",
        CODING_MEMO: "SELECT id * 4 + 1, memo FROM codings WHERE memo != '' AND id IN ({})",
        MEMO: "SELECT id * 4 + 2, text FROM memos WHERE text != '' AND id IN ({})",
    }
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            yield from db.execute(queries[kind].format(",".join("?" * len(chunk))), chunk)


def to_bytes(ids: array) -> bytes:
    if sys.byteorder != "little":
        ids = array("I", ids)
        ids.byteswap()
    return ids.tobytes()


def from_bytes(data: bytes) -> array:
    ids = array("I")
    ids.frombytes(data)
    if sys.byteorder != "little":
        ids.byteswap()
    return ids


def rebuild(db: Database) -> int:
    """Index every passage and memo afresh; the number of items.

    Read in one snapshot, written in one short transaction: actions made
    meanwhile (by this process or another) stay in the log, after the
    position the new postings include. A rebuild that another process
    finished first is not written again.
    """
    if db.conn.in_transaction or not _tables_exist(db):
        with db.atomic():
            install(db)
    with db.snapshot():
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM search_log").fetchone()[0]
        if not seq:
            row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'search_log'"
                             ).fetchone()
            seq = row[0] if row else 0
        generation = _generation(db)
        postings: dict[str, list[int]] = {}
        count = 0
        for item, text in item_texts(db):
            count += 1
            for word in set(tokens(text)):
                posting = postings.get(word)
                if posting is None:
                    postings[word] = [item]
                else:
                    posting.append(item)
        # A second reading for the pairs, once the common words are known:
        # counting every pair of a varied text would take gigabytes. A pair's
        # list is dropped (None) once it is longer than PAIR_RARE.
        common = {word for word, posting in postings.items()
                  if len(posting) > PAIR_WORDS_ABOVE}.__contains__
        pairs: dict[str, list[int] | None] = {}
        for item, text in item_texts(db):
            for pair in pairs_of(tokens(text), common):
                posting = pairs.get(pair, ())
                if posting is None:
                    continue
                if not posting:
                    pairs[pair] = [item]
                elif len(posting) < PAIR_RARE:
                    posting.append(item)
                else:
                    pairs[pair] = None
    words = sorted(postings)
    frequencies = array("I")
    rows = []
    for number, word in enumerate(words, start=1):
        ids = array("I", sorted(postings.pop(word)))
        frequencies.append(len(ids))
        rows.append((number, to_bytes(ids)))
    pair_rows = [(pair, to_bytes(array("I", sorted(ids))) if ids is not None else b"")
                 for pair, ids in pairs.items()]
    del pairs
    meta = {
        "vocabulary": "\n".join(words),
        "frequencies": to_bytes(frequencies),
        "built_seq": seq,
        "items": count,
        "generation": int(generation or 0) + 1,
        "pairs_above": PAIR_WORDS_ABOVE,  # (also: the pairs are built)
    }
    with db.atomic():
        install(db)
        if _generation(db) != generation:
            return count  # another process rebuilt it meanwhile
        db.execute("DELETE FROM search_postings")
        db.conn.executemany("INSERT INTO search_postings (id, ids) VALUES (?, ?)", rows)
        db.execute("DELETE FROM search_pairs")
        db.conn.executemany("INSERT INTO search_pairs (pair, ids) VALUES (?, ?)", pair_rows)
        db.conn.executemany("INSERT OR REPLACE INTO search_meta (key, value) VALUES (?, ?)",
                            list(meta.items()))
        db.execute("DELETE FROM search_log WHERE seq <= ?", [seq])
    return count


def _tables_exist(db: Database) -> bool:
    return db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                      "('search_postings', 'search_pairs', 'search_meta', 'search_log')"
                      ).fetchone()[0] == 4


def _generation(db: Database):
    row = db.execute("SELECT value FROM search_meta WHERE key = 'generation'").fetchone()
    return row[0] if row else None


def rebuild_due(db: Database) -> bool:
    """Whether enough has changed since the last rebuild that one pays."""
    row = db.execute(
        "SELECT (SELECT COUNT(*) FROM search_log), "
        "(SELECT value FROM search_meta WHERE key = 'items')").fetchone()
    logged, items = row[0], row[1] or 0
    return logged > max(2000, items // 20)


def pairs_built(db: Database) -> bool:
    """Whether the last rebuild made ``search_pairs`` (a file from before
    them has the word postings only)."""
    return bool(db.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_pairs'").fetchone()
                and db.execute("SELECT 1 FROM search_meta WHERE key = 'pairs_above'").fetchone())


def ensure_index(db: Database) -> bool:
    """Rebuild the index if it is missing (dropped, never built, or from before
    the pairs); True if it did.
    Needs a writable connection."""
    if is_installed(db) and pairs_built(db):
        return False
    rebuild(db)
    return True


