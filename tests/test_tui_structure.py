"""How the tui is put together, read from its source: no import circles, no
SQL, no methods looked up by name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

TUI = Path(__file__).resolve().parent.parent / "tui"
SQL_KEYWORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ")
# What the app calls on a screen (margin.tui.screen.MarginScreen's methods).
SCREEN_METHODS = {"reload", "entities_updated", "is_stale", "mark_read"}


def _modules() -> dict[str, Path]:
    """margin.tui's modules by name (tui/reader/view.py is margin.tui.reader.view)."""
    modules = {}
    for path in sorted(TUI.rglob("*.py")):
        parts = list(path.relative_to(TUI).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(["margin.tui", *parts])] = path
    return modules


def _trees() -> dict[str, ast.Module]:
    return {name: ast.parse(path.read_text(encoding="utf-8"), str(path))
            for name, path in _modules().items()}


def _imports(module: str, tree: ast.Module, known: set[str], *, in_functions: bool) -> set[str]:
    """The margin.tui modules ``module`` imports: at module level (class
    bodies and module-level if/try included), and with ``in_functions`` also
    the imports inside functions, which run later (lazy imports)."""
    is_package = _modules()[module].name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if in_functions:
                    visit(child)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: from . import x, from ..reader import view
                    parent = package.split(".")
                    parent = parent[: len(parent) - child.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                for alias in child.names:
                    submodule = f"{base}.{alias.name}"
                    found.add(submodule if submodule in known else base)
            visit(child)

    visit(tree)
    return {name for name in found if name in known and name != module}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


def _graph(*, in_functions: bool) -> dict[str, set[str]]:
    trees = _trees()
    known = set(trees)
    return {name: _imports(name, tree, known, in_functions=in_functions)
            for name, tree in trees.items()}


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_reader_sees_module_level_and_lazy_imports():
    tree = ast.parse(
        "import margin.tui.keybar\n"
        "from margin.tui.reader import view\n"
        "from margin.tui.modals import Choice\n"
        "class A:\n    from margin.tui import help\n"
        "def f():\n    from margin.tui.app import MarginApp\n")
    known = set(_modules())
    module = "margin.tui.library"
    assert _imports(module, tree, known, in_functions=False) == {
        "margin.tui.keybar", "margin.tui.reader.view", "margin.tui.modals", "margin.tui.help"}
    assert "margin.tui.app" in _imports(module, tree, known, in_functions=True)


def test_no_import_cycles_among_tui_modules():
    graph = _graph(in_functions=False)
    assert "margin.tui.reader.view" in graph["margin.tui.reader.screen"]  # the graph is read
    assert _cycles(graph) == []


def test_no_import_cycles_even_counting_the_imports_inside_functions():
    # app.py <-> reader/screen.py and cli.py <-> commands.py were circles of
    # this kind: one side imported the other only when a function ran.
    assert _cycles(_graph(in_functions=True)) == []


def test_tui_imports_no_sqlite3_and_holds_no_sql():
    problems = []
    for name, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(
                    alias.name.split(".")[0] == "sqlite3" for alias in node.names):
                problems.append(f"{name}:{node.lineno}: import sqlite3")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlite3":
                problems.append(f"{name}:{node.lineno}: from sqlite3 import")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                for keyword in SQL_KEYWORDS:
                    if keyword in node.value:
                        problems.append(f"{name}:{node.lineno}: SQL {keyword.strip()} in a string")
    assert problems == []


def test_tui_never_looks_up_a_screen_method_by_name():
    problems = []
    for name, tree in _trees().items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr") and len(node.args) >= 2):
                continue
            attribute = node.args[1]
            if not (isinstance(attribute, ast.Constant) and isinstance(attribute.value, str)):
                problems.append(f"{name}:{node.lineno}: {node.func.id} with a name built at run time")
            elif attribute.value in SCREEN_METHODS:
                problems.append(f"{name}:{node.lineno}: {node.func.id}(…, {attribute.value!r})")
    assert problems == []


def test_plain_margin_imports_neither_click_nor_textual_before_the_app_runs():
    code = ("import sys, margin.tui.cli, margin.tui.launch; "
            "sys.exit(sorted(m for m in ('click', 'textual') if m in sys.modules) != [])")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
