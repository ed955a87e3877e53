"""Named entities in the background: recognition after start-up and on
request, and the corpus-wide review's entity picker.

Recognition runs in the app's worker group "entities" on its own database
connection and posts ``EntitiesUpdated`` to the app after each batch of
documents (so do the import dialogs); the app passes it on to every
``MarginScreen`` (the reader shows the new highlights). Opening a document
never waits for recognition. The app imports this module only when it is
first needed, after start-up.
"""

from __future__ import annotations

from functools import partial

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.message import Message
from textual.worker import get_current_worker

from margin.store.util import plural
from margin.tui.modals import Choice, FuzzyPicker
from margin.tui.workers import worker_database

# Documents recognised between two EntitiesUpdated messages.
BATCH = 4


class EntitiesUpdated(Message):
    """Recognition stored new entities for these documents."""

    def __init__(self, document_ids: list[int]) -> None:
        super().__init__()
        self.document_ids = document_ids


def recognise_pending(app: App) -> None:
    """Recognise, in the background, every document that has no entities yet
    (the sample corpus of a new database, imports made with --no-entities)."""
    from margin.store.entities.storage import documents_needing_entities

    running = any(w.group == "entities" and w.is_running for w in app.workers)
    # A running worker looks for more documents before it stops; starting
    # another would cancel it (a rebuild half done).
    if not running and documents_needing_entities(app.db):
        _start_recognition(app, None, announce=False)


def rebuild_entities(app: App) -> None:
    """Recognise every document again (with the configured backend)."""
    from margin.store.entities.storage import all_document_ids

    app.notify("Recognising the entities of every document again…", timeout=3)
    _start_recognition(app, all_document_ids(app.db), announce=True)


def _start_recognition(app: App, document_ids: list[int] | None, *, announce: bool) -> None:
    app.run_worker(partial(_recognise, app, document_ids, announce), name="recognise",
                   group="entities", exclusive=True, exit_on_error=False, thread=True)


def _recognise(app: App, document_ids: list[int] | None, announce: bool) -> None:
    """Recognise ``document_ids``, then every document that has no entities
    yet, until none is left (documents imported meanwhile are picked up too).
    Runs in the worker."""
    from margin.store.entities import get_recogniser
    from margin.store.entities.storage import documents_needing_entities, recognise_documents

    worker = get_current_worker()

    def recognise(db) -> None:
        recogniser, notice = get_recogniser(app.entity_backend)
        if notice:
            app.call_from_thread(app.notify, notice, severity="warning", timeout=6)
        pending = list(document_ids or []) or documents_needing_entities(db)
        found = done = 0
        while pending and not worker.is_cancelled:
            for first in range(0, len(pending), BATCH):
                batch = pending[first:first + BATCH]
                summary = recognise_documents(db, batch, recogniser,
                                              cancelled=lambda: worker.is_cancelled)
                found, done = found + summary.entities, done + summary.documents
                app.post_message(EntitiesUpdated(batch))
                if worker.is_cancelled:
                    return
            pending = documents_needing_entities(db)
        if announce:
            app.call_from_thread(
                app.notify,
                f"{plural(found, 'entity')} in {plural(done, 'document')} ({recogniser.name})",
                timeout=4)

    worker_database(app, recognise)


def review_entities(app: App) -> None:
    """Pick an entity (or a whole type) of the corpus, then review it.
    Grouping a big corpus's mentions takes a while: it runs in a worker."""
    app.notify("Gathering the corpus's entities…", timeout=2)
    app.run_worker(partial(_gather_entities, app), name="gather entities",
                   group="gather-entities", exclusive=True, exit_on_error=False, thread=True)


def _gather_entities(app: App) -> None:
    from margin.store.entities.storage import corpus_groups

    groups = worker_database(app, corpus_groups)
    if groups is not None:
        app.call_from_thread(_pick_entity, app, groups)


def _pick_entity(app: App, groups) -> None:
    from margin.store.entities import ALL_LABELS
    from margin.tui.entities.review import ReviewScreen
    from margin.tui.entities.styles import NOT_HIGHLIGHTED, entity_style

    # Bare numbers are not shown in the reader: not offered for review either.
    groups = [group for group in groups if group.label not in NOT_HIGHLIGHTED]
    if not groups:
        app.notify("No entities yet", severity="warning", timeout=3)
        return
    counts: dict[str, int] = {}
    for group in groups:
        counts[group.label] = counts.get(group.label, 0) + group.count
    order = {label: index for index, label in enumerate(ALL_LABELS)}
    choices = [
        Choice(f"{label} all", Text.assemble((label, entity_style(label)),
                                              (f"  every mention ({count})", Style(dim=True))),
               (label, None))
        for label, count in sorted(counts.items(), key=lambda i: order.get(i[0], len(order)))
    ] + [
        Choice(f"{group.canonical} {group.label}",
               Text.assemble((f"{group.label:<8} ", entity_style(group.label)),
                             group.canonical, (f"  {group.count}", Style(dim=True))),
               (group.label, group))
        for group in sorted(groups, key=lambda g: -g.count)
    ]

    def review(choice) -> None:
        if choice is not None:
            app.push_screen(ReviewScreen(*choice))

    app.push_screen(FuzzyPicker("Review which entity?", choices,
                                placeholder="Name or type, e.g. NATO or PERSON"), review)
