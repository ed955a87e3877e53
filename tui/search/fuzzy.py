"""Search everything coded or written, as you type (`/` anywhere).

Each keystroke starts a search in a worker; a newer keystroke cancels the
older search, so the screen never waits. Results show their kind, codes,
document and the matching part of the text. Enter opens a result; in the list,
space marks results, `y` copies the marked (or highlighted) ones with their
citations, `w` writes them to a file.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from margin.store.citations import citable_passage, format_citation, join_citations
from margin.store.coders import codes_of_passage, keeps
from margin.store.codes import code_paths
from margin.store.errors import StoreError
from margin.store.export import write_atomically
from margin.store.search.corpus import (
    SearchCorpus,
    SearchResult,
    complete_filter,
    filter_being_typed,
    parse_query,
)
from margin.store.util import plural
from margin.store.word_postings import rebuild, rebuild_due
from margin.tui.clipboard import copy_text
from margin.tui.concordance import MATCH_STYLE, flat
from margin.tui.keybar import KeyBar
from margin.tui.modals import FilePrompt
from margin.tui.reader.wrapping import display_text
from margin.tui.workers import worker_database

RESULTS = 50
_KIND_STYLES = {
    "passage": Style(color="#7ee787", bold=True),
    "memo": Style(color="#d2a8ff", bold=True),
    "code": Style(color="#ffa657", bold=True),
    "document": Style(color="#79c0ff", bold=True),
    "entity": Style(color="#e3c26c", bold=True),
}
_SNIPPET = 108  # one line of a 120-column terminal, before the list is laid out
_INDENT = 4  # the snippet's line starts under the kind


class SearchScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="search.back"),
        Binding("down", "move(1)", "Next", show=False, id="search.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="search.previous"),
        Binding("tab", "tab", "Complete/results", id="search.tab",
                tooltip="Complete the filter being typed, else move between query and results"),
        Binding("space", "mark", "Mark", id="search.mark",
                tooltip="Mark the result (to copy or write several)"),
        Binding("y", "copy", "Copy", id="search.copy",
                tooltip="Copy the marked results (or the highlighted one) with citations"),
        Binding("w", "write", "Write", id="search.write",
                tooltip="Write the marked results (or all shown) to a Markdown or JSONL file"),
    ]

    DEFAULT_CSS = """
    SearchScreen #query { margin: 0 1; }
    SearchScreen #completions { height: 1; padding: 0 2; color: $foreground-muted; }
    SearchScreen #results { height: 1fr; }
    """

    #: How long the search took, in the status line (snapshot tests turn it off).
    show_timing = True

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial = query
        self.results: list[SearchResult] = []
        self.marked: set = set()
        self.completions: list[str] = []
        self._folded = False

    def compose(self) -> ComposeResult:
        yield Static(Text("Search passages, memos, codes, titles and entities", Style(bold=True)),
                     id="title-bar")
        yield Input(value=self.initial, id="query",
                    placeholder="Type a half-remembered phrase · filters: code: doc: coder: kind:")
        yield Static(id="completions")
        yield OptionList(id="results")
        yield Static(id="status-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()
        _ = self.corpus  # made here, on the UI thread, before any worker uses it
        self._search(self.initial)

    @property
    def corpus(self) -> SearchCorpus:
        corpus = getattr(self.app, "search_corpus", None)
        if corpus is None:
            corpus = self.app.search_corpus = SearchCorpus()
        return corpus

    # ------------------------------------------------------------- search

    @on(Input.Changed, "#query")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)
        self._show_completions(event.value)

    def _search(self, text: str) -> None:
        if not self.corpus.loaded:
            self._status(Text("Indexing the project…", Style(dim=True)))
        self._search_worker(text)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search_worker(self, text: str) -> None:
        worker = get_current_worker()
        started = time.perf_counter()
        blind = self.app.visible_coders()

        def search(db) -> list[SearchResult] | None:
            corpus = self.corpus
            with corpus.lock:
                if worker.is_cancelled:
                    return None
                corpus.refresh(db)
                if worker.is_cancelled:
                    return None
                # Blind mode drops others' passages and memos: ask for more.
                results = corpus.search(db, text, RESULTS * (3 if blind else 1),
                                        cancelled=lambda: worker.is_cancelled)
            return blind_results(db, results, blind, text)[:RESULTS] if blind else results

        results = worker_database(self.app, search, on_error=self._search_failed)
        if results is not None and not worker.is_cancelled:
            elapsed = time.perf_counter() - started
            self.app.call_from_thread(self._show_results, text, results, elapsed)

    def codings_changed(self) -> None:
        """The coder or blind mode changed: search again."""
        self._search(self.query_one("#query", Input).value)
    @work(thread=True, exclusive=True, group="search-index", exit_on_error=False)
    def _fold_index(self) -> None:
        """Fold the changes logged since the word index was built into its
        postings, in the background, once they are many (one short write)."""

        def fold(db) -> None:
            if not db.read_only and rebuild_due(db):
                rebuild(db)

        worker_database(self.app, fold, on_error=lambda _error: None)

    def entities_updated(self, document_ids) -> None:
        """Entities recognised in the background (a new database's first
        seconds): a query typed before they came finds them now. Not while
        the list has the focus: the highlight would jump."""
        query = self.query_one("#query", Input)
        if query.has_focus:
            self._search(query.value)

    def _search_failed(self, error: Exception) -> None:
        self._status(Text(str(error), Style(color="red")))

    def _list_results(self) -> None:
        """The results in the list, each cut to its width (again after a resize)."""
        options = self.query_one("#results", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        # At once: OptionList lays its lines out again on every add_option.
        width = _prompt_width(options)  # once a list, not once a result
        options.add_options([Option(self._result_prompt(result, width))
                             for result in self.results])
        if highlighted is not None and highlighted < len(self.results):
            options.highlighted = highlighted

    def on_resize(self) -> None:
        if self.results:
            self.call_after_refresh(self._list_results)  # once the list has its new width

    def _show_results(self, text: str, results: list[SearchResult], elapsed: float) -> None:
        if self.query_one("#query", Input).value != text:
            return  # a newer search is on its way
        self.results = results
        self._list_results()
        if results:
            self.query_one("#results", OptionList).highlighted = 0
        if not self._folded:
            self._folded = True
            self._fold_index()
        items = self.corpus.size
        self._status(Text.assemble(
            (f"{len(results)} result{'s' * (len(results) != 1)}", Style(bold=True)),
            (f" of {items:,} items" + (f" · {elapsed * 1000:.0f} ms" if self.show_timing else ""),
             Style(dim=True)),
            ("   enter opens · tab to the list: space marks, y copies, w writes", Style(dim=True)),
        ))

    def _result_prompt(self, result: SearchResult, width: int) -> Text:
        # Two lines, each cut to the list's ``width`` with "…": the list
        # wraps what is longer, and a wrapped title or a lone "…" takes a line.
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("● " if result.key in self.marked else "  ", Style(color="yellow", bold=True))
        kind = result.kind if not result.label else f"{result.kind}·{result.label.lower()}"
        line.append(f"{kind:<16}", _KIND_STYLES.get(result.kind, Style()))
        if result.codes:
            line.append(display_text(", ".join(result.codes)), Style(italic=True))
            line.append("  ")
        if result.document_title:
            line.append(display_text(result.document_title), Style(dim=True))
        snippet = _snippet(result, width - _INDENT - 2 if width > 40 else _SNIPPET)
        if width > 40:
            line.truncate(width, overflow="ellipsis")
            snippet.truncate(width - _INDENT, overflow="ellipsis")
        line.append("\n" + " " * _INDENT)
        line.append_text(snippet)
        return line

    def _status(self, text: Text) -> None:
        self.query_one("#status-bar", Static).update(text)

    # -------------------------------------------------------- completion

    def _show_completions(self, text: str) -> None:
        typing = filter_being_typed(text)
        self.completions = []
        if typing is not None:
            try:
                self.completions = complete_filter(self.app.db, *typing)
            except StoreError:
                self.completions = []
        line = Text()
        if self.completions:
            line.append(f"{typing[0]}: ", Style(bold=True))
            line.append("  ·  ".join(display_text(c) for c in self.completions))
            line.append("   (tab completes)", Style(dim=True))
        self.query_one("#completions", Static).update(line)

    def action_tab(self) -> None:
        query = self.query_one("#query", Input)
        typing = filter_being_typed(query.value)
        if query.has_focus and typing is not None and self.completions:
            _name, partial = typing
            head = query.value[: len(query.value) - len(partial)].rstrip('"')
            choice = self.completions[0]
            value = f'"{choice}"' if " " in choice else choice
            query.value = f"{head}{value} "
            query.cursor_position = len(query.value)
            return
        results = self.query_one("#results", OptionList)
        (query if results.has_focus else results).focus()

    # ------------------------------------------------------------ actions

    def action_move(self, step: int) -> None:
        options = self.query_one("#results", OptionList)
        if options.option_count:
            options.action_cursor_down() if step > 0 else options.action_cursor_up()

    @on(Input.Submitted, "#query")
    def _submitted(self) -> None:
        self._open(self.query_one("#results", OptionList).highlighted)

    @on(OptionList.OptionSelected, "#results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option_index)

    def _open(self, index: int | None) -> None:
        if index is None or not 0 <= index < len(self.results):
            return
        result = self.results[index]
        if result.kind in ("code",) or (result.kind == "memo" and result.label == "code"):
            from margin.tui.codebook.passages import PassagesScreen

            code_id = self.corpus.items[result.key].code_ids[0]
            self.app.push_screen(PassagesScreen(code_id))
        elif result.document_id is not None:
            self.app.open_document(result.document_id, result.start or 0)

    def _chosen(self) -> list[SearchResult]:
        marked = [r for r in self.results if r.key in self.marked]
        if marked:
            return marked
        index = self.query_one("#results", OptionList).highlighted
        return [self.results[index]] if index is not None and index < len(self.results) else []

    def action_mark(self) -> None:
        options = self.query_one("#results", OptionList)
        index = options.highlighted
        if index is None or index >= len(self.results):
            return
        key = self.results[index].key
        self.marked.symmetric_difference_update({key})
        options.replace_option_prompt_at_index(
            index, self._result_prompt(self.results[index], _prompt_width(options)))
        options.action_cursor_down()

    def _citations(self, results: list[SearchResult]) -> list[str]:
        texts = []
        for result in results:
            if result.kind == "passage" and result.document_id is not None:
                citable = citable_passage(self.app.db, result.document_id, result.start,
                                          result.end)
                texts.append(format_citation(citable, self.app.citation_style))
            else:
                where = f" — {result.document_title}" if result.document_title else ""
                texts.append(f"{result.kind}: {' '.join(result.text.split())}{where}")
        return texts

    def action_copy(self) -> None:
        chosen = self._chosen()
        if not chosen:
            self.app.notify("Nothing to copy", severity="warning", timeout=2)
            return
        try:
            text = join_citations(self._citations(chosen))
        except StoreError as error:
            self.app.report(error)
            return
        where = copy_text(self.app, text)
        self.app.notify(f"Copied {len(chosen)} result{'s' * (len(chosen) != 1)} with "
                        f"citations to the {where}", timeout=3)

    def action_write(self) -> None:
        chosen = [r for r in self.results if r.key in self.marked] or list(self.results)
        if not chosen:
            self.app.notify("No results to write", severity="warning", timeout=2)
            return

        folder = Path.cwd()

        def write(target: Path) -> Path:
            if target.suffix.lower() == ".jsonl":
                import json

                content = "".join(json.dumps(r.as_dict(), ensure_ascii=False) + "\n"
                                  for r in chosen)
            else:
                content = join_citations(self._citations(chosen)) + "\n"
            write_atomically(target, content)
            return target

        def written(target: Path | None) -> None:
            if target is not None:
                self.app.notify(f"Wrote {what} to {target}", timeout=6)

        kinds = {result.kind for result in chosen}
        what = plural(len(chosen), "passage" if kinds == {"passage"} else "result")
        # A relative path is in the folder the prompt names, said in full.
        self.app.push_screen(FilePrompt(
            f"Write {what} to", str(folder / "margin-search.md"), write, folder=folder,
            hint=f"Markdown with citations (.md) or JSON lines (.jsonl); "
                 f"a name without a folder goes in {folder}"), written)

    def action_back(self) -> None:
        query = self.query_one("#query", Input)
        if self.query_one("#results", OptionList).has_focus:
            query.focus()
        else:
            self.app.pop_screen()


def blind_results(db, results: list[SearchResult], coders: tuple[str, ...],
                  text: str) -> list[SearchResult]:
    """Blind mode: the passages and coding memos of ``coders`` only, a
    passage with only the codes they gave it. With a code: filter, a passage others coded
    too is left out (it may have matched through another coder's code)."""
    query = parse_query(text)
    code_filter = bool(query.codes)
    # A coder: filter naming someone else would tell, by what it keeps, where
    # they coded what I coded too: in blind mode it keeps none of those.
    mine = {name.casefold() for name in coders}
    others_asked = any(not any(name.startswith(value.casefold()) for name in mine)
                       for value in query.coders)
    paths = code_paths(db)  # per keystroke: no counting of codings
    kept = []
    for result in results:
        if result.kind not in ("passage", "memo") or result.label in ("document", "code"):
            # Codes, titles, entities, and the one shared memo of a document
            # or a code (the reader and the codebook show it to everyone).
            kept.append(result)
            continue
        if others_asked:
            continue
        # The one coder rule (store/coders.py): a coding without a coder is
        # "unknown"'s. The corpus lists no coder for it: a passage may have
        # one besides the coders listed (codes_of_passage below tells).
        names = (*result.coders, None) if result.kind == "passage" else result.coders or (None,)
        if not any(keeps(coders, name) for name in names):
            continue
        if result.kind == "passage":
            mine = tuple(paths[code_id] for code_id in codes_of_passage(
                db, result.document_id, result.start, result.end, coders, strict=False))
            if not mine or (code_filter and set(result.codes) - set(mine)):
                continue
            result = replace(result, codes=mine, coders=tuple(coders))
        kept.append(result)
    return kept


def _prompt_width(options: OptionList) -> int:
    """The cells an option's line has: the list's width less its options'
    padding and a scrollbar (there or about to be: the results are measured
    before they are added)."""
    padding = options.get_component_styles("option-list--option").padding
    scrollbar = 0 if options.show_vertical_scrollbar else options.styles.scrollbar_size_vertical
    return (options.scrollable_content_region.width - padding.left - padding.right
            - scrollbar)


def _snippet(result: SearchResult, length: int = _SNIPPET) -> Text:
    """The text around its first match (``length`` characters of it), the
    matching parts highlighted."""
    text = result.text
    spans = sorted(result.spans)
    first = spans[0][0] if spans else 0
    left = max(0, min(first - min(60, length // 2), len(text) - length))
    right = min(len(text), left + length)
    snippet = Text(no_wrap=True, overflow="ellipsis")
    if left:
        snippet.append("…", Style(dim=True))
    position = left
    for start, end in spans:
        start, end = max(start, position), min(end, right)
        if start >= end:
            continue
        snippet.append(flat(text[position:start]))
        snippet.append(flat(text[start:end]), MATCH_STYLE)
        position = end
    snippet.append(flat(text[position:right]))
    if right < len(text):
        snippet.append("…", Style(dim=True))
    return snippet
