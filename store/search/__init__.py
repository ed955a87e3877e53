"""Search: finding what was coded, written or recognised. ``corpus`` is the
fuzzy search-as-you-type over passages, memos, codes, titles and entity names
(:class:`~margin.store.search.corpus.SearchCorpus`), kept in step with the
database through :func:`margin.store.history.changes_since`; ``index`` is its
in-memory candidate index (pure Python over rapidfuzz, no database);
``fulltext`` is the FTS5 search of the documents' text and the coding of every
hit at once. The room may import the core and, for the context shown around a
hit, ``entities.storage``; the core, sources, refi and entities must not
import it: only the interface (margin.tui) does.
"""
