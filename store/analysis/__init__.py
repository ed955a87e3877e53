"""Analysis: what the codings say once they are made — frequencies,
co-occurrence, code × document matrices, retrieval by code combinations, and
agreement between coders.

Everything here reads; nothing writes (reconciling disagreements writes
through the core's coding writer). The shared ground is :mod:`.units`: the
codings as plain intervals (:func:`~.units.coded_spans`), the units a text is
cut into (sentences, paragraphs, the whole document) and interval arithmetic
(union, intersection, which units an interval touches). Every figure is
computed on intervals, never character by character.

The room may import the core; the core, sources, refi, entities and search
must not import it: only the interface (margin.tui) does.
"""
