"""Entity recognition in worker processes, for batches big enough to pay for them.

Recognition is pure CPU work in Python (the rules) or in spaCy, and the GIL
keeps threads from sharing it out: processes do. :class:`RecognitionRunner`
recognises batches of texts in the order they are given, either in this
process or in a pool of worker processes, while the caller goes on preparing
the next batches; the caller writes the results (SQLite writes stay in one
process, the caller's).

* Start method: "forkserver" where the platform has it, else "spawn". Never
  "fork": the app runs Textual with threads, and forking a threaded process
  can copy a lock held by another thread. The fork server starts once per
  process and preloads only this module, not the caller's ``__main__``, so a
  worker never imports Textual (or the app).
* Each worker loads its recogniser once (for spaCy, the model: about 140 MB
  resident a worker, loaded in one to two seconds).
* Workers get texts and send back (start, end, label) triples; the span's
  text is cut from the caller's copy of the text.
* Cancellation is asked between batches and while waiting for one: pending
  batches are dropped, a batch a worker is running is finished and thrown
  away (batches are small: milliseconds with the rules, about a second with
  spaCy).

Starting the workers costs 0.15-0.3 s (rules) or 1-2 s (spaCy, a model load
in each), so :func:`recognition_workers` asks for them only above
:data:`PARALLEL_MIN_WORDS` words (``bench/import_bench.py`` compares an import
with and without them).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import resource_tracker
from typing import TypeVar

from margin.store.entities import EntitySpan, Recogniser, text_pieces

# Below this many words one process does the work as fast as two that must
# first be started. Measured on this project's 2-core machine (shared, noisy),
# importing with 0 and 2 workers in turn: rules 100k words 0.76 s vs 1.18 s,
# 250k 1.76 vs 1.59, 1M about 1.3x faster with workers; spaCy 20k words
# 2.15 s vs 2.60 s, 50k 6.0 vs 5.0, 100k 1.43x faster with workers. Starting
# the workers costs 0.15-0.3 s with the rules, 1.2-2 s with spaCy (each
# worker loads the model: about 140 MB resident a worker).
PARALLEL_MIN_WORDS = {"rules": 250_000, "spacy": 40_000}
# More workers than this gain little: the caller's writes become the limit.
MAX_WORKERS = 4
# Texts are sent to a worker in batches of about this many characters.
BATCH_CHARS = 60_000
# A text longer than this is recognised in paragraph-aligned pieces of about
# PIECE_CHARS characters, spread over the workers like the batches of many
# texts, and its entities are stored piece by piece as they come
# (storage.store_long_text_entities): a 100 MB text then takes a worker's
# time for each piece, not one worker's for all of it, and neither process
# holds the entities of the whole text at once. A piece is still a long
# stretch (some 150,000 words), so what the rules learn from a whole
# document (names seen in full before, words used in lower case) they learn
# from a piece; a text up to LONG_TEXT_CHARS is recognised whole, as before.
LONG_TEXT_CHARS = 2_000_000
PIECE_CHARS = 1_000_000
# How often a wait for a worker looks at ``cancelled()`` (seconds).
_POLL = 0.1

Key = TypeVar("Key")


def available_cpus() -> int:
    """CPUs this process may run on."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return counter() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def recognition_workers(words: int, backend: str) -> int:
    """How many worker processes to recognise ``words`` words with (0: none,
    recognise in this process)."""
    cpus = available_cpus()
    if cpus < 2 or words < PARALLEL_MIN_WORDS.get(backend, PARALLEL_MIN_WORDS["rules"]):
        return 0
    return min(cpus, MAX_WORKERS)


def start_method() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


class RecognitionRunner:
    """Recognises batches of texts, in order, here or in ``workers`` processes.

    Use it as a context manager: leaving it stops the workers.
    """

    def __init__(
        self,
        recogniser: Recogniser | None,
        workers: int = 0,
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        self.recogniser = recogniser  # None: batches must have no texts
        self.workers = workers if workers >= 2 and recogniser is not None else 0
        self.cancelled = cancelled or (lambda: False)
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False

    def __enter__(self) -> RecognitionRunner:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            # Batches not started are dropped; workers exit after the one in
            # hand (waited for: shutdown(wait=False) leaves the executor's
            # threads to fail at interpreter exit, CPython #83279, #132969).
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _start(self) -> ProcessPoolExecutor | None:
        """The pool, started on first use; None (recognise here) if worker
        processes cannot be started."""
        if self._pool is None and not self._broken:
            context = multiprocessing.get_context(start_method())
            if context.get_start_method() == "forkserver":
                # Replaces the default preload of __main__ (the app, or a test
                # runner): workers import this module and what it needs only.
                context.set_forkserver_preload([__name__])
            try:
                with _stderr_with_a_file_descriptor():
                    # The resource tracker starts with the first pool (once a
                    # process); it is handed our standard error's descriptor.
                    resource_tracker.ensure_running()
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=context,
                    initializer=_start_worker, initargs=(self.recogniser.name,),
                )
            except (OSError, ValueError):  # no processes here (a sandbox, a limit)
                self._broken = True
        return self._pool

    def map(
        self, batches: Iterable[tuple[Key, Sequence[str]]]
    ) -> Iterator[tuple[Key, list[list[EntitySpan]]]]:
        """``(key, texts)`` in, ``(key, entities of each text)`` out, in order.

        ``batches`` is read lazily, a few batches ahead of what is yielded, so
        the caller's preparation of batch n+2 overlaps the workers' recognition
        of n and n+1. Stops early, yielding nothing more, once ``cancelled()``.
        A batch with no texts passes straight through.
        """
        pool = self._start() if self.workers else None  # None: recognise here
        # Batches handed out ahead of the one awaited: two a worker keeps each
        # busy while the caller writes; here, one at a time.
        window = 2 * self.workers or 1
        pending: deque[tuple[Key, Sequence[str], Future | None]] = deque()
        source = iter(batches)
        exhausted = False
        while True:
            # Every batch counts, with texts or without: an import without
            # entities must still write as it reads, not read everything first.
            while not exhausted and len(pending) < window:
                if self.cancelled():
                    return
                try:
                    key, texts = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending.append((key, texts, self._submit(pool, texts)))
            if not pending:
                return
            key, texts, future = pending.popleft()
            found = self._collect(texts, future)
            if found is None:
                return
            yield key, found

    def recognise_pieces(self, text: str) -> Iterator[tuple[int, str, list[EntitySpan]]]:
        """A long text's entities, a piece at a time, in text order:
        ``(offset, piece, entities)``, each entity's offsets into ``piece``
        (add ``offset`` for the whole text). Pieces are cut by
        :func:`~margin.store.entities.text_pieces` (at blank lines where
        possible, so no name is cut in two) and recognised like batches of
        one text. Stops early, yielding nothing more, once ``cancelled()``.
        """
        batches = (((offset, piece), (piece,)) for offset, piece in text_pieces(text, PIECE_CHARS))
        for (offset, piece), (spans,) in self.map(batches):
            yield offset, piece, spans

    def _submit(self, pool: ProcessPoolExecutor | None, texts: Sequence[str]) -> Future | None:
        """The batch handed to a worker; None: recognised here when collected."""
        if pool is None or not texts or self._broken:
            return None
        try:
            return pool.submit(_recognise_batch, list(texts))
        except BrokenProcessPool:
            self._broken = True
            return None

    def _collect(self, texts: Sequence[str], future: Future | None):
        """The entities of a submitted batch; None if cancelled meanwhile.

        If the pool broke (a worker killed, e.g. out of memory), the batch is
        recognised here instead, as are the ones after it.
        """
        if not texts:
            return []
        while future is not None:
            if self.cancelled():
                return None
            try:
                triples = future.result(timeout=_POLL)
                break
            except FutureTimeout:
                continue
            except BrokenProcessPool:
                self._broken = True
                future = None
        else:
            found = list(self.recogniser.recognise_many(texts, cancelled=self.cancelled))
            return found if len(found) == len(texts) else None
        return [
            [EntitySpan(start, end, label, text[start:end]) for start, end, label in spans]
            for text, spans in zip(texts, triples, strict=True)
        ]


@contextmanager
def _stderr_with_a_file_descriptor() -> Iterator[None]:
    """Textual replaces sys.stderr, while an app runs, with an object whose
    fileno() is -1; multiprocessing's resource tracker passes that number to
    the process it starts, which fails ("bad value(s) in fds_to_keep"). For
    that moment sys.stderr is a stand-in that writes where it wrote but has
    the process's real standard error as its file descriptor."""
    current = sys.stderr
    try:
        usable = current is not None and current.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    real = sys.__stderr__
    if usable or real is None:
        yield
        return
    sys.stderr = _StderrStandIn(current, real.fileno())
    try:
        yield
    finally:
        if isinstance(sys.stderr, _StderrStandIn):
            sys.stderr = current


class _StderrStandIn:
    def __init__(self, wrapped, descriptor: int) -> None:
        self._wrapped = wrapped
        self._descriptor = descriptor

    def fileno(self) -> int:
        return self._descriptor

    def __getattr__(self, name: str):
        return getattr(self._wrapped, name)


# ------------------------------------------------------------ in the workers

_worker_recogniser: Recogniser | None = None


def _start_worker(backend: str) -> None:
    global _worker_recogniser
    # A worker shares the terminal with its parent: under the app, a warning
    # printed here would be drawn over the screen. The parent, which loads
    # the same recogniser, shows what matters; results go back through pipes.
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    os.close(quiet)
    if backend == "spacy":
        from margin.store.entities.spacy_backend import SpacyRecogniser

        _worker_recogniser = SpacyRecogniser.load()
    else:
        from margin.store.entities.rules import RuleRecogniser

        _worker_recogniser = RuleRecogniser()


def _recognise_batch(texts: list[str]) -> list[list[tuple[int, int, str]]]:
    assert _worker_recogniser is not None
    return [
        [(span.start, span.end, span.label) for span in spans]
        for spans in _worker_recogniser.recognise_many(texts)
    ]


def _loaded_modules() -> list[str]:
    """The modules a worker has imported (tests: no Textual in workers)."""
    import sys

    return sorted(sys.modules)
