"""margin.store: margin's data and everything done to it, with no interface.

The store is pure Python and never imports textual, rich or margin.tui: the
app and the command line (margin.tui) import the store, never the reverse, so
scripts, tests and other tools can use it on its own. Its functions take the
database first (``apply_coding(db, ...)``), as sqlite-utils does. Every user
action is one transaction through :func:`margin.store.history.action`,
recorded for undo and redo, so a crash loses at most the action in flight.
What goes wrong surfaces as a :class:`~margin.store.errors.StoreError` with a
one-line message, and every SQLite error as a
:class:`~margin.store.errors.DatabaseProblem` (a StoreError that is still its
sqlite3 class), so the interface catches StoreError alone.

The core sits at this package's root: db, schema, history, documents, codes,
codings, textspans, citations, export, config, errors, util. It may import
``sources``, and only the core's import flow the other rooms. The rooms build
on it: ``sources`` (bytes to text), ``search`` (fuzzy and full-text),
``refi`` (REFI-QDA) and ``entities`` (named entities); each room's
``__init__`` says what it may import and what must not import it, and
tests/test_store_rooms.py holds them to it.
"""
