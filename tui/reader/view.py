"""The reader: one Line-API widget per document.

The text is wrapped to the widget's width once per width (reader/wrapping.py),
and each visible row is rendered on demand by ``render_line`` into a cached
``Strip``. A gutter on the left draws coding stripes (one lane per overlapping
coding, in its code's colour) and names the codes that start on each row, as
MAXQDA does. The cursor is a code-point offset into the immutable text; a
selection runs from an anchor to the cursor, both inclusive, like vim's visual
mode. Document text is only ever drawn as plain segments, never as markup.
Which codings, entities and find hits lie where is reader/spans.py's work.
"""

from __future__ import annotations

import itertools

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from margin.store.codings import Coding
from margin.store.entities.storage import StoredEntity
from margin.store.textspans import (
    next_end,
    next_start,
    paragraph_spans,
    previous_start,
    sentence_spans,
    span_at,
    word_spans,
)
from margin.tui.cells import fit
from margin.tui.colours import ThemeColours, is_sixteen_colours, theme_colours
from margin.tui.entities.styles import entity_style
from margin.tui.reader.markdown import (
    CODE,
    EMPHASIS,
    HEADING,
    LINK,
    MARKER,
    QUOTE,
    STRONG,
    markdown_spans,
)
from margin.tui.reader.spans import CodingIndex, Match, Selection, SpanIndex, gutter_row
from margin.tui.reader.wrapping import WrappedText, display_text, wrap_text

GUTTER_LANES = 4
GUTTER_LABEL = 12
# Below this width the gutter keeps its stripes and drops the code names.
NARROW = 60
_NO_STYLE = Style()
_MARKUP_STYLES = {
    STRONG: Style(bold=True),
    EMPHASIS: Style(italic=True),
    LINK: Style(underline=True),
    QUOTE: Style(italic=True),
}


def coder_of(coding: Coding) -> str:
    """Whose coding it is ("unknown" for a coding without a coder)."""
    return coding.coder or "unknown"


class ReaderView(ScrollView, can_focus=True):
    """A document with a cursor, a selection, coded passages and a gutter."""

    COMPONENT_CLASSES = {
        "reader--cursor",
        "reader--selection",
        "reader--gutter",
        "reader--gutter-label",
        "reader--match",
        "reader--markup",
        "reader--heading",
        "reader--code",
    }

    DEFAULT_CSS = """
    ReaderView {
        background: $surface;
        color: $foreground;
        scrollbar-gutter: stable;
    }
    ReaderView > .reader--cursor { background: $foreground; color: $surface; }
    ReaderView > .reader--selection { background: $panel-lighten-3; text-style: bold; }
    ReaderView > .reader--gutter { color: $foreground-muted; }
    ReaderView > .reader--gutter-label { color: $foreground-muted; text-style: italic; }
    ReaderView > .reader--match { background: $warning-darken-1; color: $background; }
    ReaderView > .reader--markup { color: $foreground-muted; text-style: dim; }
    ReaderView > .reader--heading { color: $accent; text-style: bold; }
    ReaderView > .reader--code { color: $text-secondary; }
    """

    BINDINGS = [
        Binding("h,left", "move('left')", "Left", show=False, id="reader.left"),
        Binding("l,right", "move('right')", "Right", show=False, id="reader.right"),
        Binding("j,down", "move('down')", "Down", show=False, id="reader.down"),
        Binding("k,up", "move('up')", "Up", show=False, id="reader.up"),
        Binding("w", "move('word')", "Next word", show=False, id="reader.word"),
        Binding("b", "move('word_back')", "Previous word", show=False, id="reader.word_back"),
        Binding(")", "move('sentence')", "Next sentence", show=False, id="reader.sentence"),
        Binding("(", "move('sentence_back')", "Previous sentence", show=False,
                id="reader.sentence_back"),
        Binding("}", "move('paragraph')", "Next paragraph", show=False, id="reader.paragraph"),
        Binding("{", "move('paragraph_back')", "Previous paragraph", show=False,
                id="reader.paragraph_back"),
        Binding("home", "move('line_start')", "Start of line", show=False, id="reader.line_start"),
        Binding("end", "move('line_end')", "End of line", show=False, id="reader.line_end"),
        Binding("g", "move('top')", "Top", show=False, id="reader.top"),
        Binding("G", "move('bottom')", "Bottom", show=False, id="reader.bottom"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="reader.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="reader.page_up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False, id="reader.half_down"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False, id="reader.half_up"),
        Binding("v", "toggle_selection", "Select", id="reader.visual",
                tooltip="Start a selection that the motions extend (v again to stop)"),
        Binding("s", "select_unit('sentence')", "Sentence", id="reader.select_sentence",
                tooltip="Select the sentence under the cursor"),
        Binding("p", "select_unit('paragraph')", "Paragraph", id="reader.select_paragraph",
                tooltip="Select the paragraph under the cursor"),
        Binding("o", "swap_ends", "Other end", show=False, id="reader.swap_ends",
                tooltip="Move the cursor to the other end of the selection"),
        Binding("]", "move('entity')", "Next entity", show=False, id="reader.next_entity",
                tooltip="Move to the next highlighted named entity"),
        Binding("[", "move('entity_back')", "Previous entity", show=False,
                id="reader.previous_entity",
                tooltip="Move to the previous highlighted named entity"),
    ]

    class FirstScreensDrawn(Message):
        """A long document's beginning is on screen: time to load the rest."""

        def __init__(self, view: ReaderView) -> None:
            super().__init__()
            self.view = view

    class CursorMoved(Message):
        """The cursor or the selection changed."""

        def __init__(self, view: ReaderView) -> None:
            super().__init__()
            self.view = view

    def __init__(
        self,
        text: str,
        codings: list[Coding],
        *,
        first_screens_end: int | None = None,
        measure: int | None = None,
        markdown: bool = False,
        id: str | None = None,
    ) -> None:
        """``first_screens_end``: for a long document, the first frame wraps
        and draws only ``text[:first_screens_end]`` (a prefix ending at a line
        break) and the codings passed for it; ``finish_opening()`` then wraps
        the whole text, and any motion before that finishes it at once.
        ``measure``: the widest the text column gets, in cells; a wider view
        centres the column (gutter and text) in its width. ``markdown``:
        draw headings and emphasis styled and their markers dimmed
        (reader/markdown.py; the text and its offsets are unchanged)."""
        super().__init__(id=id)
        self.text = text
        self.measure = measure
        self._first_screens_end = first_screens_end
        self._first_screens: WrappedText | None = None
        self._first_screens_announced = False
        self._redraw_requested = False
        self.index = CodingIndex(codings)
        # Coder → colour number, when the gutter's stripes are drawn in the
        # colours of the coders (several coders' codings shown), else None.
        self.coder_colours: dict[str, int] | None = None
        self.entities = SpanIndex([])
        self.matches = SpanIndex([])
        blocks, inline = markdown_spans(text) if markdown else ([], [])
        self.markup_blocks = SpanIndex(blocks)
        self.markup_inline = SpanIndex(inline)
        self.show_entities = True
        # The cursor and the selection's other end, as offsets into the text.
        self.cursor = 0
        self.anchor: int | None = None
        # Paragraphs are cheap and needed at once (status bar); words and
        # sentences cost ~0.1 s per MB, so they wait for the first motion.
        self._paragraphs = paragraph_spans(text)
        self._word_spans: list[tuple[int, int]] | None = None
        self._sentence_spans: list[tuple[int, int]] | None = None
        self._wrapped: WrappedText | None = None
        self._row_width = 0
        self._text_width = 1
        self._margin = 0  # blank cells left of the gutter that centre the column
        self._label_width = GUTTER_LABEL
        self._colour_styles: dict[tuple[str, bool], Style] = {}
        self._line_cache: LRUCache[int, Strip] = LRUCache(1024)
        # Tints by the set of codings covering a piece (cleared when codings change).
        self._style_cache: dict[tuple[int, ...], Style] = {}
        self._resolved_styles: dict[str, Style] | None = None
        self._theme_colours: ThemeColours | None = None
        self._goal_cell: int | None = None
        self._mouse_selecting = False

    # ----------------------------------------------------------------- state

    @property
    def _words(self) -> list[tuple[int, int]]:
        if self._word_spans is None:
            self._word_spans = word_spans(self.text)
        return self._word_spans

    @property
    def _sentences(self) -> list[tuple[int, int]]:
        if self._sentence_spans is None:
            self._sentence_spans = sentence_spans(self.text, self._paragraphs)
        return self._sentence_spans

    @property
    def selection(self) -> Selection | None:
        """From the anchor to the cursor, both included (whole characters)."""
        if self.anchor is None:
            return None
        start, end = sorted((self.anchor, self.cursor))
        end = self.wrapped.grapheme_span(end)[1] if end < len(self.text) else end
        return Selection(start, max(min(end, len(self.text)), start + 1))

    @property
    def paragraphs(self) -> list[tuple[int, int]]:
        return self._paragraphs

    def codings_at(self, offset: int) -> list[Coding]:
        return self.index.codings_at(offset)

    def set_codings(self, codings: list[Coding],
                    coder_colours: dict[str, int] | None = None) -> None:
        """The codings to draw; ``coder_colours`` (coder → colour number):
        the gutter's stripes in the coders' colours, not the codes'."""
        self.index = CodingIndex(codings)
        self.coder_colours = coder_colours
        self._colour_styles.clear()
        self._line_cache.clear()
        self._style_cache.clear()
        self.refresh()
        self.post_message(self.CursorMoved(self))

    def set_matches(self, matches: list[Match]) -> None:
        self.matches = SpanIndex(matches)
        self._line_cache.clear()
        self.refresh()

    def set_entities(self, entities: list[StoredEntity]) -> None:
        self.entities = SpanIndex(entities)
        self._line_cache.clear()
        self.refresh()
        self.post_message(self.CursorMoved(self))

    def entity_at(self, offset: int) -> StoredEntity | None:
        return self.entities.at(offset) if self.show_entities else None

    def toggle_entities(self) -> bool:
        self.show_entities = not self.show_entities
        self._line_cache.clear()
        self.refresh()
        self.post_message(self.CursorMoved(self))
        return self.show_entities

    def select_range(self, start: int, end: int) -> None:
        """Select text[start:end] with the cursor at its end."""
        previous = self._selection_lines()
        self.anchor = start
        self._set_cursor(max(start, end - 1), keep_goal=False)
        self._refresh_rows(previous | self._selection_lines())

    def clear_selection(self) -> None:
        if self.anchor is None:
            return
        rows = self._selection_lines()
        self.anchor = None
        self._refresh_rows(rows)
        self.post_message(self.CursorMoved(self))

    def move_cursor_to(self, offset: int, *, center: bool = False) -> None:
        self._set_cursor(offset, keep_goal=False)
        if center:
            line = self.wrapped.line_of_offset(self.cursor)
            self.scroll_to(y=max(0, line - self.size.height // 3), animate=False)

    # -------------------------------------------------------------- geometry

    def _measure(self) -> int:
        """Take the widget's width (once per wrap: measuring is not free and
        rows are drawn often) and return the width left for the text."""
        self._row_width = self.scrollable_content_region.width
        self._label_width = GUTTER_LABEL if self._row_width >= NARROW else 0
        room = max(1, self._row_width - self.gutter_width)
        self._text_width = min(room, self.measure) if self.measure else room
        self._margin = (room - self._text_width) // 2
        return self._text_width

    @property
    def gutter_width(self) -> int:
        return GUTTER_LANES + 1 + (self._label_width + 1 if self._label_width else 0)

    @property
    def text_width(self) -> int:
        return self._text_width

    @property
    def text_left(self) -> int:
        """The column where the text starts: the centring margin and the gutter."""
        return self._margin + self.gutter_width

    @property
    def wrapped(self) -> WrappedText:
        """The text wrapped to the current width (re-wrapped on resize only:
        this is read many times per row, and measuring the widget is not free)."""
        if self._first_screens_end is not None:
            self.finish_opening()
        if self._wrapped is None:
            self._wrapped = wrap_text(self.text, self._measure())
            self._line_cache.clear()
            self.virtual_size = Size(self._row_width, len(self._wrapped.lines))
        return self._wrapped

    def finish_opening(self) -> None:
        """Wrap the whole text after a first frame drawn from its beginning."""
        if self._first_screens_end is None:
            return
        self._first_screens_end = None
        self._first_screens = None
        self._wrapped = None
        self._line_cache.clear()
        _ = self.wrapped  # wrap the whole text now, not in the next frame
        self.refresh()
        if not self._first_screens_announced:
            # Finished early (a motion or a jump to an offset needed every
            # row before a frame was drawn): the screen still has to load
            # the codings and entities beyond the first screens.
            self._first_screens_announced = True
            self.post_message(self.FirstScreensDrawn(self))

    def _drawing_wrap(self) -> WrappedText:
        """What render_line draws from: the first screens of a long document
        while it opens, else the whole wrapped text."""
        if self._first_screens_end is None:
            return self.wrapped
        if self._first_screens is None:
            self._first_screens = wrap_text(self.text[: self._first_screens_end], self._measure())
            # The scrollbar's length, estimated until the whole text is wrapped.
            rows = len(self._first_screens.lines) * len(self.text) // self._first_screens_end
            self.virtual_size = Size(self._row_width, max(rows, len(self._first_screens.lines)))
        if not self._first_screens_announced:
            if getattr(self.app, "_batch_count", 0):
                # Textual draws frames inside a batch (its start-up one, when
                # the screen is pushed on mount) and never shows them: draw
                # again once the batch is over.
                if not self._redraw_requested:
                    self._redraw_requested = True
                    self.call_later(self._redraw_after_batch)
            else:
                # Handled once this frame is on the screen: messages wait
                # until the compositor has drawn and written it.
                self._first_screens_announced = True
                self.post_message(self.FirstScreensDrawn(self))
        return self._first_screens

    def _redraw_after_batch(self) -> None:
        self._redraw_requested = False
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        if self._first_screens_end is not None:  # still opening: re-wrap the beginning only
            self._first_screens = None
            self._line_cache.clear()
            return
        if self._wrapped is not None and self.scrollable_content_region.width != self._row_width:
            self._wrapped = None
            self._line_cache.clear()
        self._scroll_cursor_into_view()  # re-wraps (self.wrapped) for the new width

    def cursor_line(self) -> int:
        return self.wrapped.line_of_offset(self.cursor)

    # ------------------------------------------------------------- rendering

    def render_line(self, y: int) -> Strip:
        wrapped = self._drawing_wrap()
        line_index = self.scroll_offset.y + y
        width = self._row_width
        if line_index >= len(wrapped.lines):
            return Strip.blank(width, self._reader_styles()["base"])
        strip = self._line_cache.get(line_index)
        if strip is None:
            strip = self._render_row(line_index, width, wrapped)
            self._line_cache[line_index] = strip
        return strip

    def _reader_styles(self) -> dict[str, Style]:
        # Resolved once per theme, not per row (see notify_style_update).
        if self._resolved_styles is None:
            self._resolved_styles = {
                name: self.get_component_rich_style(name, partial=True)
                for name in self.COMPONENT_CLASSES
            }
            self._resolved_styles["base"] = self.rich_style
        return self._resolved_styles

    def _render_row(self, line_index: int, width: int, wrapped: WrappedText) -> Strip:
        components = self._reader_styles()
        base = components["base"]
        line = wrapped.lines[line_index]
        segments = self._gutter_segments(line.start, line.end, base)
        selection = self.selection
        cursor = self.cursor
        cursor_style = components["reader--cursor"]
        selection_style = components["reader--selection"]
        cuts = {line.start, line.end}
        if selection:
            cuts.update(p for p in (selection.start, selection.end) if line.start < p < line.end)
        cursor_end = wrapped.grapheme_span(cursor)[1] if cursor < len(wrapped.text) else cursor
        if line.start <= cursor < line.end:
            cuts.update((cursor, min(cursor_end, line.end)))
        entities = self.entities
        drawn_entities = self.show_entities and len(entities) > 0
        if drawn_entities:
            cuts |= entities.cuts_within(line.start, line.end)
        matches = self.matches
        if len(matches):
            cuts |= matches.cuts_within(line.start, line.end)
        match_style = components["reader--match"]
        markup = [layer for layer in (self.markup_blocks, self.markup_inline) if len(layer)]
        for layer in markup:
            cuts |= layer.cuts_within(line.start, line.end)
        points = sorted(p for p in cuts if line.start <= p <= line.end)
        for piece_start, piece_end in itertools.pairwise(points):
            entity = entities.at(piece_start) if drawn_entities else None
            found = len(matches) > 0 and matches.at(piece_start) is not None
            piece_base = base
            for layer in markup:
                span = layer.at(piece_start)
                if span is not None:
                    piece_base = piece_base + self._markup_style(span.kind)
            for start, end, active in self.index.pieces(piece_start, piece_end):
                style = piece_base + self._coding_style(active)
                if entity is not None:
                    style += entity_style(entity.label, self._colours())
                if found:
                    style += match_style
                if selection and selection.start <= start < selection.end:
                    style += selection_style
                if start == cursor:
                    style += cursor_style
                segments.append(Segment(wrapped.display[start:end], style))
        # The cursor on a newline, a space dropped at a wrap, or the end of the
        # text shows as a block just after the row's text.
        if not line.start <= cursor < line.end and wrapped.line_of_offset(cursor) == line_index:
            style = base + cursor_style
            if selection and selection.start <= cursor < selection.end:
                style = base + selection_style + cursor_style
            segments.append(Segment(" ", style))
        return Strip(segments).adjust_cell_length(width, base)

    def _markup_style(self, kind: str) -> Style:
        """How a Markdown span is drawn: markers dimmed, the words they mark
        bold, italic, underlined, as a heading or as code."""
        components = self._reader_styles()
        if kind == MARKER:
            return components["reader--markup"]
        if kind == HEADING:
            return components["reader--heading"]
        if kind == CODE:
            return components["reader--code"]
        return _MARKUP_STYLES.get(kind, _NO_STYLE)

    def _coding_style(self, active: tuple[int, ...]) -> Style:
        if not active:
            return Style()
        style = self._style_cache.get(active)
        if style is None:
            tint = self._colours().code_tint([self.index.by_id[i].colour for i in active],
                                             sixteen=self._sixteen())
            style = Style(bgcolor=tint.rich_color, underline=len(active) > 1)
            self._style_cache[active] = style
        return style

    def _sixteen(self) -> bool:
        """A terminal of 16 colours (headless, as in tests and screenshots,
        draws in true colour whatever $TERM says)."""
        return is_sixteen_colours(self.app.console.color_system) and not self.app.is_headless

    def _gutter_segments(self, start: int, end: int, base: Style) -> list[Segment]:
        components = self._reader_styles()
        gutter = base + components["reader--gutter"]
        by_coder = self.coder_colours is not None
        row = gutter_row(self.index, start, end, GUTTER_LANES,
                         coder_of if by_coder else None)
        segments = [Segment(" " * self._margin, base)] if self._margin else []
        segments += [
            Segment(mark, gutter if colour is None
                    else base + (self.coder_style(colour) if by_coder
                                 else self._colour_style(colour, bold=True)))
            for mark, colour in row.lanes
        ]
        label_width = self._label_width
        label = fit(display_text(row.label), label_width) if label_width else ""
        label_style = base + components["reader--gutter-label"]
        if row.label_colour is not None:
            label_style += self._colour_style(row.label_colour)
        segments.append(Segment(" ", gutter))
        if label_width:
            segments.append(Segment(label, label_style))
            segments.append(Segment(" ", gutter))
        return segments

    def _colour_style(self, colour: str, bold: bool = False) -> Style:
        key = (colour, bold)
        style = self._colour_styles.get(key)
        if style is None:
            style = self._colour_styles[key] = Style(
                color=self._colours().code_ink(colour).rich_color, bold=bold)
        return style

    def coder_style(self, coder: str) -> Style:
        """A coder's colour (tui/colours.py), for the stripes and the info line."""
        key = ("coder:" + coder, True)
        style = self._colour_styles.get(key)
        if style is None:
            number = (self.coder_colours or {}).get(coder, 0)
            style = self._colour_styles[key] = Style(
                color=self._colours().coder_ink(number, self._sixteen()).rich_color, bold=True)
        return style

    def _colours(self) -> ThemeColours:
        """The theme's colours (tui/colours.py), looked up once per theme."""
        if self._theme_colours is None:
            self._theme_colours = theme_colours(self.app.current_theme, self.app.ansi_theme)
        return self._theme_colours

    def _refresh_rows(self, rows: set[int]) -> None:
        top = self.scroll_offset.y
        for row in rows:
            self._line_cache.discard(row)
            if top <= row < top + self.size.height:
                self.refresh_line(row)  # takes a document row: it subtracts the scroll itself

    def notify_style_update(self) -> None:
        # A theme change: every cached row and tint was drawn with the old colours.
        super().notify_style_update()
        self._line_cache.clear()
        self._style_cache.clear()
        self._colour_styles.clear()
        self._resolved_styles = None
        self._theme_colours = None

    def _selection_lines(self) -> set[int]:
        selection = self.selection
        if selection is None:
            return set()
        first = self.wrapped.line_of_offset(selection.start)
        last = self.wrapped.line_of_offset(max(selection.start, selection.end - 1))
        return set(range(first, last + 1))

    # --------------------------------------------------------------- motions

    def _set_cursor(self, offset: int, *, keep_goal: bool) -> None:
        offset = max(0, min(offset, max(0, len(self.text) - 1)))
        if self.text:  # never inside a grapheme (an emoji's modifier, a combining mark)
            offset = self.wrapped.grapheme_span(offset)[0]
        rows = {self.cursor_line()} | self._selection_lines()
        self.cursor = offset
        if not keep_goal:
            self._goal_cell = None
        rows |= {self.cursor_line()} | self._selection_lines()
        self._refresh_rows(rows)
        self._scroll_cursor_into_view()
        self.post_message(self.CursorMoved(self))

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        line = self.cursor_line()
        top = self.scroll_offset.y
        if line < top:
            self.scroll_to(y=line, animate=False, immediate=True)
        elif line >= top + height:
            self.scroll_to(y=line - height + 1, animate=False, immediate=True)

    def action_move(self, motion: str) -> None:
        text_end = max(0, len(self.text) - 1)
        cursor = self.cursor
        wrapped = self.wrapped
        target: int | None = cursor
        if motion == "left":
            target = wrapped.grapheme_span(max(0, cursor - 1))[0]
        elif motion == "right":
            target = wrapped.grapheme_span(cursor)[1]
        elif motion in ("up", "down"):
            self._move_rows(-1 if motion == "up" else 1)
            return
        elif motion == "word":
            target = next_start(self._words, cursor)
        elif motion == "word_back":
            target = previous_start(self._words, cursor)
        elif motion == "sentence" and self.anchor is not None:
            # A selection ends where the sentence does (vim would take the
            # next sentence's first letter along).
            target = next_end(self._sentences, cursor)
        elif motion == "paragraph" and self.anchor is not None:
            target = next_end(self._paragraphs, cursor)
        elif motion == "sentence":
            target = next_start(self._sentences, cursor)
        elif motion == "sentence_back":
            target = previous_start(self._sentences, cursor)
        elif motion == "paragraph":
            target = next_start(self._paragraphs, cursor)
        elif motion == "paragraph_back":
            target = previous_start(self._paragraphs, cursor)
        elif motion == "line_start":
            target = wrapped.lines[wrapped.line_of_offset(cursor)].start
        elif motion == "line_end":
            line = wrapped.lines[wrapped.line_of_offset(cursor)]
            target = max(line.start, line.end - 1) if line.end > line.start else line.start
        elif motion == "top":
            target = 0
        elif motion == "bottom":
            target = text_end
        elif motion in ("entity", "entity_back"):
            if not self.show_entities:
                self.app.bell()  # hidden entities are not jumped to (e shows them)
                return
            entities = self.entities
            target = (entities.next_start(cursor) if motion == "entity"
                      else entities.previous_start(cursor))
            if target is None:
                self.app.bell()
                return
        if target is None:
            # No further word/sentence/paragraph: go to the end in that direction.
            target = 0 if motion.endswith("_back") else text_end
        self._set_cursor(target, keep_goal=False)

    def _move_rows(self, rows: int) -> None:
        wrapped = self.wrapped
        line = wrapped.line_of_offset(self.cursor)
        if self._goal_cell is None:
            self._goal_cell = wrapped.cell_of_offset(self.cursor)
        target_line = max(0, min(len(wrapped.lines) - 1, line + rows))
        goal = self._goal_cell
        self._set_cursor(wrapped.offset_at(target_line, goal), keep_goal=True)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        self.scroll_to(y=top + direction * height, animate=False, immediate=True)
        self._move_rows(direction * height)

    def action_half_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height // 2)
        top = self.scroll_offset.y
        self.scroll_to(y=top + direction * height, animate=False, immediate=True)
        self._move_rows(direction * height)

    # ------------------------------------------------------------- selection

    def action_toggle_selection(self) -> None:
        if self.anchor is None:
            self.anchor = self.cursor
            self._refresh_rows({self.cursor_line()})
            self.post_message(self.CursorMoved(self))
        else:
            self.clear_selection()

    def action_select_unit(self, unit: str) -> None:
        spans = self._sentences if unit == "sentence" else self._paragraphs
        span = span_at(spans, self.cursor, self.text)
        if span is None:
            self.app.bell()
            return
        self.select_range(*span)

    def action_swap_ends(self) -> None:
        if self.anchor is None:
            return
        anchor, cursor = self.cursor, self.anchor
        self.anchor = anchor
        self._set_cursor(cursor, keep_goal=False)

    # ----------------------------------------------------------------- mouse

    def _offset_at_point(self, x: int, y: int) -> int:
        wrapped = self.wrapped
        line = max(0, min(len(wrapped.lines) - 1, self.scroll_offset.y + y))
        return wrapped.offset_at(line, max(0, x - self.text_left))

    async def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        self.focus()
        offset = self._offset_at_point(event.x, event.y)
        rows = self._selection_lines()
        self.anchor = offset
        self._mouse_selecting = True
        self.capture_mouse()
        self._set_cursor(offset, keep_goal=False)
        self._refresh_rows(rows)

    async def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._mouse_selecting:
            self._set_cursor(self._offset_at_point(event.x, event.y), keep_goal=False)

    async def on_mouse_up(self, event: events.MouseUp) -> None:
        if not self._mouse_selecting:
            return
        self._mouse_selecting = False
        self.release_mouse()
        if self.anchor == self.cursor:
            self.clear_selection()  # a click places the cursor; a drag selects
