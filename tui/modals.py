"""Small dialogs: a fuzzy picker, a one-line prompt, a memo editor, a confirmation.

Labels built from user data (code names, titles, memos) are rich ``Text``
objects, never markup strings, so "[bold]" in a code name shows as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, Generic, TypeVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from margin.store.util import error_reason, visible_controls

T = TypeVar("T")


@dataclass(frozen=True)
class Choice(Generic[T]):
    """One entry of a picker: what to search, how to show it, what it returns."""

    search: str
    label: Text
    value: T


@dataclass(frozen=True)
class CreateNew:
    """The picker's answer when the user asks for a new entry named ``name``."""

    name: str


def rank_choices(query: str, choices: Sequence[Choice], limit: int = 200) -> list[Choice]:
    """Choices that fuzzily match the query, best first (typos and word order
    tolerated); an exact substring outranks a fuzzy match."""
    query = query.strip()
    if not query:
        return list(choices)[:limit]
    from rapidfuzz import fuzz, process, utils  # on first use: keeps start-up fast

    processed = utils.default_process(query)
    scored = process.extract(
        processed,
        [utils.default_process(choice.search) for choice in choices],
        scorer=fuzz.WRatio,
        processor=None,
        limit=None,
        score_cutoff=55,
    )
    ranked = []
    for _text, score, index in scored:
        haystack = choices[index].search.casefold()
        bonus = 0
        if query.casefold() in haystack:
            bonus = 30 if haystack.startswith(query.casefold()) else 20
        ranked.append((score + bonus, -index, choices[index]))
    ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [choice for _score, _index, choice in ranked[:limit]]


def matches_well(query: str, candidate: str) -> bool:
    """Whether an existing name is what ``query`` most likely means: the
    query is part of it, a near-exact spelling of its last level, or each of
    the query's words begins a word of it or is a near spelling of one
    ("signaling diplo" → "Diplomatic signalling"). A query with a word of its
    own ("Escalation risk" beside "Escalation") names something new."""
    from rapidfuzz import fuzz

    query, candidate = query.casefold().strip(), candidate.casefold()
    if not query:
        return False
    last_level = candidate.rsplit(" > ", 1)[-1]
    if query in candidate or fuzz.ratio(query, last_level) >= 90:
        return True
    words = [word for word in candidate.replace(">", " ").split()]
    return all(
        any(word.startswith(part) or fuzz.ratio(part, word) >= 80 for word in words)
        for part in query.split()
    )


class FuzzyPicker(ModalScreen[Any]):
    """Type to filter, arrows to move, Enter to pick, Escape to cancel.

    With ``create_label`` set, a query that names no existing choice exactly
    offers to create it; Enter on that option returns ``CreateNew(query)``.
    An existing choice that matches the query well is highlighted and the
    offer to create comes last, so Enter never makes a near-duplicate; only
    when nothing matches well does the offer come first. ``create_value``,
    if given, turns the query into what ``CreateNew`` carries, or None when
    the query is not acceptable (then nothing is offered).
    """

    DEFAULT_CSS = """
    FuzzyPicker { align: center middle; }
    FuzzyPicker > Vertical {
        width: 70; max-width: 90%; height: auto; max-height: 80%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    FuzzyPicker Label.title { text-style: bold; margin-bottom: 1; width: 100%; }
    FuzzyPicker Label.hint { color: $foreground-muted; width: 100%; }
    FuzzyPicker OptionList { height: auto; max-height: 16; border: none; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "cursor(1)", "Next", show=False, id="picker.down"),
        Binding("up", "cursor(-1)", "Previous", show=False, id="picker.up"),
    ]

    def __init__(
        self,
        title: str,
        choices: Sequence[Choice],
        *,
        create_label: str | None = None,
        hint: str = "",
        placeholder: str = "Type to filter",
        create_value: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.create_label = create_label
        self.create_value = create_value
        self.hint = hint
        self.placeholder = placeholder
        self._shown: list[Any] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), classes="title")
            yield Input(placeholder=self.placeholder, id="query")
            yield OptionList(id="options")
            if self.hint:
                yield Label(Text(self.hint), classes="hint")

    def on_mount(self) -> None:
        self._refilter("")

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        self._refilter(event.value)

    def _refilter(self, query: str) -> None:
        options = self.query_one("#options", OptionList)
        ranked = rank_choices(query, self.choices)
        self._shown = [choice.value for choice in ranked]
        prompts: list[Option] = [Option(choice.label) for choice in ranked]
        name = " ".join(query.split())
        exact = any(choice.search.casefold() == name.casefold() for choice in self.choices)
        value = name
        if self.create_value is not None and name:
            value = self.create_value(name)
        highlighted = 0
        if self.create_label and name and not exact and value:
            label = Text.assemble((f"+ {self.create_label} ", Style(bold=True)), f"“{name}”")
            if value != name:
                label.append(f" → {value}", Style(dim=True))
            create = Option(label)
            # An existing choice that matches well is the default and the new
            # name is the last row; else the new name goes first, so "new
            # name + Enter" creates it.
            well = next((index for index, choice in enumerate(ranked[:10])
                         if matches_well(name, choice.search)), None)
            if well is not None:
                prompts.append(create)
                self._shown.append(CreateNew(value))
                highlighted = well
            else:
                prompts.insert(0, create)
                self._shown.insert(0, CreateNew(value))
        options.clear_options()
        options.add_options(prompts)
        if prompts:
            options.highlighted = highlighted

    def action_cursor(self, step: int) -> None:
        options = self.query_one("#options", OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = (current + step) % options.option_count

    @on(Input.Submitted, "#query")
    def _submitted(self) -> None:
        options = self.query_one("#options", OptionList)
        if options.highlighted is not None and self._shown:
            self.dismiss(self._shown[options.highlighted])

    @on(OptionList.OptionSelected, "#options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._shown[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text (a name, a title, a path)."""

    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical {
        width: 70; max-width: 90%; height: auto;
        border: round $accent; background: $panel; padding: 0 1;
    }
    TextPrompt Label.title { text-style: bold; margin-bottom: 1; }
    TextPrompt Label.hint { color: $foreground-muted; width: 100%; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, value: str = "", *, hint: str = "", placeholder: str = ""):
        super().__init__()
        self.title_text = title
        self.value = value
        self.hint = hint
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), classes="title")
            yield Input(self.value, placeholder=self.placeholder, id="value")
            yield from self.below_box()
            yield Label(Text(self.hint or "Enter to accept, Escape to cancel"), classes="hint")

    def below_box(self) -> list[Label]:
        """Lines between the box and the hint (a subclass's error line)."""
        return []

    @on(Input.Submitted, "#value")
    def _submitted(self, event: Input.Submitted) -> None:
        self.accept(event.value)

    def accept(self, value: str) -> None:
        """What Enter does with the text: answer it."""
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FilePrompt(TextPrompt):
    """Ask for a file to write, and write it: ``write(path)`` does it (and
    returns what the dialog answers, such as the path written) or raises
    ``StoreError``/``OSError``. An existing file is replaced only after a yes
    (Confirm). A path that cannot be written (a missing folder, a folder, no
    permission) keeps the dialog open with the reason on one line under the
    box, and what was typed stays there to mend. A relative path is taken
    in ``folder``."""

    DEFAULT_CSS = """
    FilePrompt Label.error { color: $text-error; width: 100%; }
    """

    def __init__(self, title: str, value: str, write: Callable[[Path], Any], *,
                 folder: Path | None = None, hint: str = ""):
        super().__init__(title, value, hint=hint)
        self.write = write
        self.folder = folder

    def below_box(self) -> list[Label]:
        return [Label(id="error", classes="error")]

    def on_mount(self) -> None:
        self.query_one("#error", Label).display = False

    def show_error(self, message: str) -> None:
        error = self.query_one("#error", Label)
        error.update(Text(visible_controls(" ".join(message.split()), keep="")))
        error.display = True
        self.query_one("#value", Input).focus()

    @on(Input.Changed, "#value")
    def _edited(self) -> None:
        self.query_one("#error", Label).display = False  # the mistake is being mended

    def accept(self, value: str) -> None:
        self.query_one("#error", Label).display = False
        typed = value.strip()
        if not typed:
            self.show_error("Type a file's path, or press Escape to cancel")
            return
        try:
            path = Path(typed).expanduser()  # ("~nobody/x": no such user)
            if self.folder is not None:
                path = (self.folder / path).absolute()
            exists = path.is_file()  # (a name too long, a folder not ours)
        except (RuntimeError, OSError, ValueError) as error:
            self.show_error("Cannot write: " + error_reason(error))
            return
        if exists:
            def answered(replace: bool | None) -> None:
                if replace:
                    self._write(path)
                else:
                    self.query_one("#value", Input).focus()

            self.app.push_screen(Confirm(f"Replace {path}? It exists already."), answered)
            return
        self._write(path)

    def _write(self, path: Path) -> None:
        from margin.store.errors import StoreError

        try:
            answer = self.write(path)
        except (StoreError, OSError, ValueError) as error:
            # The path is in the box above: the reason alone ("it is a folder").
            self.show_error("Cannot write: "
                            + error_reason(error).removeprefix(f"cannot write {path}: "))
            return
        self.dismiss(answer)


class MemoEditor(ModalScreen[str | None]):
    """Write or edit a memo or a description: ctrl+s saves, Escape cancels.

    Control characters in the text show as visible pictures ("␛"), so a memo
    never sends an escape sequence to the terminal; what is saved keeps the
    characters that were there wherever the user did not edit
    (:func:`keep_original_controls`)."""

    DEFAULT_CSS = """
    MemoEditor { align: center middle; }
    MemoEditor > Vertical {
        width: 80; max-width: 95%; height: 20; max-height: 90%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    MemoEditor Label.title { text-style: bold; }
    MemoEditor Label.hint { color: $foreground-muted; }
    MemoEditor TextArea { height: 1fr; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="memo.save"),
        Binding("escape", "cancel", "Cancel", id="memo.cancel"),
    ]

    def __init__(self, title: str, text: str):
        super().__init__()
        self.title_text = visible_controls(title, keep="")
        self.text = text
        self.shown = visible_controls(text)

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea  # heavy; only memo editing needs it

        with Vertical():
            yield Label(Text(self.title_text), classes="title")
            yield TextArea(self.shown, id="memo", soft_wrap=True, show_line_numbers=False)
            yield Label(Text("ctrl+s save · Escape cancel · an empty memo is deleted"),
                        classes="hint")

    def on_mount(self) -> None:
        area = self.query_one("#memo")
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        edited = self.query_one("#memo").text
        self.dismiss(keep_original_controls(self.text, self.shown, edited))

    def action_cancel(self) -> None:
        self.dismiss(None)


def keep_original_controls(original: str, shown: str, edited: str) -> str:
    """The edited text, with the original characters back wherever the
    editor showed a control character as its picture and the user left it:
    ``shown`` is ``visible_controls(original)``, the same length."""
    if shown == original:
        return edited
    if edited == shown:
        return original
    parts: list[str] = []
    matcher = SequenceMatcher(None, shown, edited, autojunk=False)
    for tag, first, last, edited_first, edited_last in matcher.get_opcodes():
        parts.append(original[first:last] if tag == "equal"
                     else edited[edited_first:edited_last])
    return "".join(parts)


class Confirm(ModalScreen[bool]):
    """A yes/no question; y or Enter confirms, n or Escape declines. The
    question is shown whole, wrapped at the dialog's width, its control
    characters as visible symbols."""

    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical {
        width: 64; max-width: 90%; height: auto;
        border: round $error; background: $panel; padding: 0 1;
    }
    /* The question wraps within the dialog: cut, it would lose the very
       name or count it asks about. */
    Confirm Label { width: 100%; }
    Confirm Label.hint { color: $foreground-muted; margin-top: 1; }
    """

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(visible_controls(self.question, keep="\n")), id="question")
            yield Label(Text("y / Enter: yes    n / Escape: no"), classes="hint")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
