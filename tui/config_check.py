"""What the store cannot check in the config file: binding ids and keys.

``[keys]`` remaps bindings by id. An id no binding has, a key name Textual
does not know, or a key that another binding of the same context already uses
(``"reader.code" = "v"`` takes ``v`` from "Select" and hides "Code" from the
key bar) is a problem: the remapping is dropped, the binding keeps its default
keys, and the problem joins the config's others in the start-up notice.

A binding's context is the first part of its id (``reader.``, ``codebook.``,
…): the bindings one screen offers together; the app's (``app.``) are in every
context. Only clashes the remapping makes count (a screen's ``q`` may close it
by design where ``app.quit`` is ``q`` too).
"""

from __future__ import annotations

import importlib
import pkgutil
import unicodedata
from dataclasses import dataclass

from margin.store.util import plural, visible_controls

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
# Modules with no bindings that must not be imported here (click, the entry point).
_SKIPPED = frozenset({"margin.tui.__main__", "margin.tui.cli", "margin.tui.commands"})


@dataclass(frozen=True)
class BindingInfo:
    id: str
    keys: str  # the default keys, "escape,q"
    description: str


def all_bindings() -> dict[str, BindingInfo]:
    """Every binding with an id in margin's screens and widgets, by id."""
    from textual.binding import Binding
    from textual.dom import DOMNode

    import margin.tui

    found: dict[str, BindingInfo] = {}
    for module_info in pkgutil.walk_packages(margin.tui.__path__, "margin.tui."):
        if module_info.name in _SKIPPED:
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, DOMNode)
                    and value.__module__ == module.__name__):
                continue
            for binding in value.__dict__.get("BINDINGS", ()):
                if isinstance(binding, Binding) and binding.id:
                    found.setdefault(binding.id, BindingInfo(
                        binding.id, binding.key, binding.description or binding.action))
    return found


def key_problem(keys: str) -> str | None:
    """Why ``keys`` ("c,enter", "ctrl+k") is not a key list Textual knows, or None."""
    from textual.keys import Keys

    named = {key.value for key in Keys}
    for part in keys.split(","):
        part = part.strip()
        if not part:
            return "an empty key"
        *modifiers, key = part.split("+") if part != "+" else ["+"]
        unknown = [m for m in modifiers if m not in MODIFIERS]
        if unknown:
            return f"{unknown[0]!r} is not a modifier ({', '.join(sorted(MODIFIERS))})"
        if len(key) == 1 and key.isprintable() and not key.isspace():
            continue
        if key in named or (key.startswith("f") and key[1:].isdigit()):
            continue
        try:
            unicodedata.lookup(key.replace("_", " "))  # "question_mark", "full_stop"
        except KeyError:
            return f"{key!r} is not a key name"
    return None


def _context(binding_id: str) -> str:
    return binding_id.split(".", 1)[0]


def _clashes(keys_by_id: dict[str, str]) -> set[tuple[str, str, str]]:
    """(key, id, other id) for each key two bindings of one context share."""
    by_key: dict[tuple[str, str], list[str]] = {}
    contexts = {_context(i) for i in keys_by_id} - {"app"}
    for binding_id, keys in keys_by_id.items():
        context = _context(binding_id)
        for key in {k.strip() for k in keys.split(",")}:
            for each in contexts if context == "app" else (context,):
                by_key.setdefault((each, key), []).append(binding_id)
    return {(key, a, b) for (_, key), ids in by_key.items()
            for a in ids for b in ids if a != b}


def check_keymap(keymap: dict[str, str],
                 bindings: dict[str, BindingInfo] | None = None) -> tuple[dict[str, str], list[str]]:
    """The keymap to apply and the problems found (each dropped remapping)."""
    if not keymap:
        return {}, []
    bindings = all_bindings() if bindings is None else bindings
    problems: list[str] = []
    kept: dict[str, str] = {}
    for binding_id, keys in keymap.items():
        if binding_id not in bindings:
            near = [i for i in bindings if i.split(".")[-1] == binding_id.split(".")[-1]]
            hint = f" (did you mean {' or '.join(sorted(near)[:3])}?)" if near else \
                " (ids are listed by ? in the app)"
            problems.append(f"[keys] unknown binding id {binding_id!r}{hint}; ignored")
            continue
        problem = key_problem(keys)
        if problem:
            problems.append(f"[keys] {binding_id!r} = {keys!r}: {problem}; "
                            f"kept {bindings[binding_id].keys!r}")
            continue
        kept[binding_id] = keys
    defaults = {i: info.keys for i, info in bindings.items()}
    existing = _clashes(defaults)
    # Drop a remapping that clashes, and again: the default it falls back to
    # may clash with another remapping.
    while True:
        applied = {**defaults, **kept}
        new = sorted(clash for clash in _clashes(applied) - existing if clash[1] in kept)
        if not new:
            return kept, problems
        key, binding_id, other = new[0]
        problems.append(
            f"[keys] {binding_id!r} = {kept.pop(binding_id)!r}: {key!r} is already "
            f"{bindings[other].description!r} ({other}); kept {bindings[binding_id].keys!r}")


def report_config_problems(app) -> None:
    """After start-up: apply only the valid part of ``[keys]`` and show every
    problem of the config file (the store's and these) in one notice."""
    config = app.config
    keymap, problems = check_keymap(app.user_keymap) if app.user_keymap else ({}, [])
    if keymap != app.user_keymap:
        app.user_keymap = keymap
        app.set_keymap(keymap)
    problems = config.problems + problems
    if not problems or app.damage:  # the damaged-database screen says what matters
        return
    where = f" in {config.path}" if config.path else ""
    shown = problems[:8] + ([f"… and {len(problems) - 8} more"] if len(problems) > 8 else [])
    app.notify(visible_controls("\n".join(f"• {problem}" for problem in shown), keep="\n"),
               title=visible_controls(f"{plural(len(problems), 'config problem')}{where}"),
               severity="warning", timeout=20)
