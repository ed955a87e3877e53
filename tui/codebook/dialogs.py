"""The codebook's dialogs: what the codebook pane's keys do to the
highlighted code (create, rename, recolour, describe, memo, move, merge,
delete, list its passages).

The pane posts ``CodebookTree.CodeAction``; the app hands it to
``run_code_action``, which looks the action up in ``DIALOGS``. Each dialog
asks what it needs, then runs one store action through ``app.run_store``
(one undoable action, reported, the screen reloaded).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual.app import App

from margin.store import codes as codebook_store
from margin.store.codes import Code
from margin.store.codings import memo_text, set_memo
from margin.store.util import plural
from margin.tui.codebook.tree import code_label
from margin.tui.modals import Choice, Confirm, CreateNew, FuzzyPicker, MemoEditor, TextPrompt

# The move picker's answer for "no parent"; None means the picker was cancelled.
TOP_LEVEL = "top level"


def run_code_action(app: App, action: str, code: Code | None) -> None:
    """Open the dialog for ``action`` on ``code`` (the highlighted code, or
    None when the codebook is empty); an unknown action does nothing."""
    dialog = DIALOGS.get(action)
    if dialog is None:
        return
    if code is None and action not in NEEDS_NO_CODE:
        app.notify("No code highlighted", severity="warning", timeout=2)
        return
    dialog(app, code)


def show_passages(app: App, code: Code) -> None:
    from margin.tui.codebook.passages import PassagesScreen

    app.push_screen(PassagesScreen(code.id))


def new_code(app: App, code: Code | None, parent: Code | None = None) -> None:
    title = f"New code under {parent.path}" if parent else "New code"

    def create(name: str | None) -> None:
        if name and name.strip():
            parent_id = parent.id if parent else None
            if parent is None and ">" in name:
                app.run_store(codebook_store.ensure_code_path, name,
                              success=f"Created {name.strip()}")
            else:
                app.run_store(codebook_store.create_code, name, parent_id,
                              success=f"Created {name.strip()}")

    app.push_screen(TextPrompt(title, hint="A > B creates B under A"), create)


def new_child_code(app: App, code: Code) -> None:
    new_code(app, None, parent=code)


def rename_code(app: App, code: Code) -> None:
    def rename(name: str | None) -> None:
        if name and name.strip() and name.strip() != code.name:
            app.run_store(codebook_store.rename_code, code.id, name,
                          success=f"Renamed to {name.strip()}")

    app.push_screen(TextPrompt(f"Rename {code.path}", code.name), rename)


# What the picker accepts: the store's one colour parser (`margin codes` too).
colour_from_text = codebook_store.colour_from_text


def recolour_code(app: App, code: Code) -> None:
    choices = [
        Choice(colour, _swatch(colour), colour) for colour in codebook_store.PALETTE
    ]

    def recolour(colour: str | None) -> None:
        if colour:
            app.run_store(codebook_store.recolour_code, code.id, colour,
                          success=f"Recoloured {code.name}")

    app.push_screen(
        FuzzyPicker(f"Colour for {code.path}", choices,
                    hint="Pick a colour, or type #rrggbb or a colour name such as orange",
                    create_label="Use colour", create_value=colour_from_text),
        lambda value: recolour(value.name if isinstance(value, CreateNew) else value),
    )


def describe_code(app: App, code: Code) -> None:
    def describe(text: str | None) -> None:
        if text is not None:
            app.run_store(codebook_store.describe_code, code.id, text,
                          success=f"Description of {code.name} saved")

    app.push_screen(MemoEditor(f"Description of {code.path}", code.description), describe)


def code_memo(app: App, code: Code) -> None:
    def save(text: str | None) -> None:
        if text is not None:
            app.run_store(set_memo, text, app.coder, code_id=code.id,
                          success=f"Memo of {code.name} saved")

    app.push_screen(MemoEditor(f"Memo on code {code.path}",
                               memo_text(app.db, code_id=code.id)), save)


def move_code(app: App, code: Code) -> None:
    top = Choice("(top level)", Text("(top level)"), TOP_LEVEL)
    choices = [top, *_other_codes(app, code)]

    def move(target) -> None:
        if target is None:
            return
        parent_id = None if target is TOP_LEVEL else target.id
        app.run_store(codebook_store.move_code, code.id, parent_id,
                      success=f"Moved {code.name}")

    app.push_screen(FuzzyPicker(f"Move {code.path} under…", choices), move)


def merge_code(app: App, code: Code) -> None:
    def merge(target: Code | None) -> None:
        if target is None:
            return
        app.run_store(codebook_store.merge_codes, code.id, target.id,
                      success=lambda summary: merge_message(code, target, summary))

    app.push_screen(FuzzyPicker(f"Merge {code.path} into…", _other_codes(app, code)), merge)


def merge_message(code: Code, target: Code, summary: codebook_store.MergeSummary) -> str:
    """"Merged A into B (2 codings moved, 3 codings united)"."""
    said = [f"{plural(summary.moved, 'coding')} moved"]
    if summary.united:
        said.append(f"{plural(summary.united, 'coding')} united")
    return f"Merged {code.name} into {target.name} ({', '.join(said)}; u undoes)"


def delete_code(app: App, code: Code) -> None:
    codes, codings = codebook_store.deletion_summary(app.db, code.id)
    what = f"code {code.path}"
    if codes > 1:
        what += f" and the {plural(codes - 1, 'code')} beneath it"

    def delete(confirmed: bool | None) -> None:
        if confirmed:
            app.run_store(codebook_store.delete_code, code.id,
                          success=f"Deleted {code.name} (u undoes)")

    with_codings = plural(codings, "coding")
    if app.visible_coders():
        # Blind mode: my codings counted; the others' not (their number would
        # tell where they coded), but said, always, so none goes unwarned.
        ids = set(codebook_store.descendant_ids(app.db, code.id))
        mine = sum(c.coding_count for c in app.codebook() if c.id in ids)
        with_codings = f"{plural(mine, 'coding')} of yours and every other coder's codings"
    app.push_screen(Confirm(f"Delete {what}, with {with_codings}? (undoable)"), delete)


# CodebookTree.CodeAction's action (its key bindings' argument) -> its dialog.
DIALOGS: dict[str, Callable[..., None]] = {
    "passages": show_passages,
    "new": new_code,
    "new_child": new_child_code,
    "rename": rename_code,
    "recolour": recolour_code,
    "describe": describe_code,
    "memo": code_memo,
    "move": move_code,
    "merge": merge_code,
    "delete": delete_code,
}
# The actions that need no highlighted code.
NEEDS_NO_CODE = frozenset({"new"})


def _other_codes(app: App, code: Code) -> list[Choice]:
    """Every code but ``code`` and the codes beneath it, to pick a target."""
    excluded = set(codebook_store.descendant_ids(app.db, code.id))
    return [
        Choice(other.path, code_label(other, with_path=True), other)
        for other in app.codebook()
        if other.id not in excluded
    ]


def _swatch(colour: str) -> Text:
    return Text.assemble(("■■■ ", Style(color=colour)), colour)
