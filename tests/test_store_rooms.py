"""The store's rooms keep to their walls: what each room may import, what the
running app never imports (the scoring dev tool), and which module alone reads
the history."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCORING = "margin.store.entities.scoring"
ROOMS = ("sources", "search", "refi", "entities", "analysis")
# What each room's modules may import of the store, as the rooms' __init__
# docstrings say. "core" is the package's root; its import flow (importing.py)
# brings the rooms together and may import any of them.
MAY_IMPORT = {
    "core": {"core", "sources"},
    "sources": {"sources"},
    "search": {"core", "search", "entities"},  # entities.storage: context around a hit
    "refi": {"core", "sources", "refi"},
    "entities": {"core", "sources", "entities"},
    "analysis": {"core", "analysis"},
}
IMPORT_FLOW = "margin.store.importing"


def _python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def test_scoring_is_a_dev_tool_never_imported_by_the_app_or_the_command_line(tmp_path):
    article = tmp_path / "article.txt"
    article.write_text("President Trump met Volodymyr Zelensky in Kyiv on Monday.\n",
                       encoding="utf-8")
    database = tmp_path / "p.db"
    code = f"""
import importlib, pkgutil, sys
import margin.tui.app, margin.tui.commands
from margin.tui.commands import run_command_line

for argv in (["import", "--db", {str(database)!r}, "--backend", "rules", {str(article)!r}],
             ["documents", "--db", {str(database)!r}],
             ["entities", "--db", {str(database)!r}, "--backend", "rules", "--rebuild"],
             ["search", "--db", {str(database)!r}, "Kyiv"],
             ["export", "--db", {str(database)!r}, "--format", "csv"]):
    try:
        run_command_line(argv)
    except SystemExit as exit:
        assert not exit.code, (argv, exit.code)
# Every module of the app and the store, as the app may import any of them.
import margin.store, margin.tui
for package in (margin.store, margin.tui):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if module.name != {SCORING!r} and not module.name.endswith(".__main__"):
            importlib.import_module(module.name)
assert {SCORING!r} not in sys.modules, "the scoring dev tool was imported"
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    # Nor imported lazily, inside a function: only bench/ and tests/ name it.
    naming = [str(path.relative_to(ROOT)) for path in _python_files("store", "tui")
              if path.name != "scoring.py"
              and re.search(r"entities\.scoring|import scoring|scoring import",
                            path.read_text(encoding="utf-8"))]
    assert naming == []


def test_only_history_reads_the_history_table():
    # Readers follow the history through history.changes_since / history_stamp;
    # what an action recorded (its "changes" JSON) is history.py's own format.
    reading = re.compile(r"""\bFROM\s+\[?history\b|\[\s*["']history["']\s*\]|table\(\s*["']history""",
                         re.IGNORECASE)
    readers = [str(path.relative_to(ROOT)) for path in _python_files("store", "tui")
               if reading.search(path.read_text(encoding="utf-8"))]
    # schema.py creates the table, history.py alone reads and writes it.
    assert readers == ["store/history.py", "store/schema.py"]
    schema = (ROOT / "store" / "schema.py").read_text(encoding="utf-8")
    assert re.findall(r'\["history"\]\.\w+', schema) == ['["history"].create']


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[2] in ROOMS else "core"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT / "store").with_suffix("").parts
    return ".".join(("margin", "store", *parts)).removesuffix(".__init__")


def _imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at its top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            # "from margin.store import history" imports margin.store.history.
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_each_room_imports_only_what_its_docstring_allows():
    trespasses = []
    for path in _python_files("store"):
        module = _module_name(path)
        # (That the store never imports the interface is import-linter's
        # contract: tests/test_architecture.py.)
        for name in _imported(path):
            if (name.startswith("margin.store.") and module != IMPORT_FLOW
                    and _room(name) not in MAY_IMPORT[_room(module)]):
                trespasses.append(f"{module} imports {name}")
    assert trespasses == []
