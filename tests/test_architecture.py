"""The package's shape, enforced: one installed package named margin, a store
that never imports the interface, and tests that see only installed names."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_store_never_imports_the_interface(tmp_path):
    """The import-linter contracts in pyproject.toml hold (textual, rich and
    margin.tui are forbidden to margin.store, lazy imports included).

    In a subprocess, from an empty folder: import-linter puts the current
    folder on sys.path, which from the checkout would make `import store`
    work for every later test."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache",
         str(ROOT / "pyproject.toml")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_ruff_finds_nothing():
    """The rules in pyproject.toml (E F W I B UP SIM RUF TID) hold everywhere."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("ruff")), "check", "--no-cache", str(ROOT)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_margin_names_are_importable():
    """`import store` or `import tui` would mean a folder of the checkout is
    on sys.path, so a test could pass against code that is not installed."""
    for name in ("store", "tui", "seeds"):
        assert importlib.util.find_spec(name) is None, f"{name} is importable"
    assert importlib.util.find_spec("margin.store") is not None
    assert importlib.util.find_spec("margin.tui") is not None


def test_python_dash_m_margin_tui_runs_the_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "margin.tui", "--version"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "margin" in result.stdout


@pytest.mark.skipif(importlib.util.find_spec("setuptools") is None, reason="needs setuptools")
def test_the_wheel_installs_one_top_level_package(tmp_path):
    """What `pip install .` puts in site-packages: margin/ and its metadata,
    with the seeds and the stylesheet inside, and no store/ or tui/."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("store", "tui", "seeds"):
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("margin-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    version = wheel.name.split("-")[1]
    assert {name.split("/")[0] for name in names} == {"margin", f"margin-{version}.dist-info"}
    assert "margin/store/db.py" in names
    assert "margin/tui/app.py" in names
    assert "margin/tui/margin.tcss" in names
    assert "margin/store/entities/data/places_geonames.tsv" in names
    assert sum(name.startswith("margin/seeds/") and name.endswith(".txt") for name in names) == 5
