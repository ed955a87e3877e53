"""Where margin keeps things, and the user's configuration file.

The default database lives in the platform's user data directory (on Linux
``$XDG_DATA_HOME/margin``, else ``~/.local/share/margin``). The configuration is
a TOML file in the user config directory::

    coder = "Ada"              # name recorded on every coding
    citation_style = "plain"   # copied passages: plain, markdown or apa
    measure = 88               # the reader's text column, in terminal cells

    [keys]                     # remap any binding by its id (see `?` in the app)
    "reader.code" = "c,enter"

    [entities]
    backend = "auto"           # auto (spaCy if installed, else rules), rules, spacy
    code_template = "{label} > {name}"   # where reviewed mentions are coded
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from margin.store.errors import StoreError

APP_NAME = "margin"
#: The reader's text column (cells): long lines are hard to read.
DEFAULT_MEASURE = 88
MIN_MEASURE = 20


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "margin.db"


def config_path() -> Path:
    override = os.environ.get("MARGIN_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


@dataclass
class Config:
    coder: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    entity_backend: str = "auto"
    citation_style: str = "plain"
    entity_code_template: str = "{label} > {name}"
    measure: int = DEFAULT_MEASURE


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file is an empty config, a broken one an error."""
    path = path or config_path()
    if not path.exists():
        return Config(path=path)
    if sys.version_info >= (3, 11):  # imported here: most users have no config file
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise StoreError(f"cannot read config file {path}: {error}") from None
    coder = data.get("coder")
    keys = data.get("keys", {})
    if coder is not None and not isinstance(coder, str):
        raise StoreError(f"{path}: 'coder' must be a string")
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise StoreError(f'{path}: [keys] must map binding ids to key strings, e.g. "reader.code" = "c"')
    entities = data.get("entities", {})
    if not isinstance(entities, dict):
        raise StoreError(f"{path}: [entities] must be a table")
    backend = entities.get("backend", "auto")
    if backend not in ("auto", "rules", "spacy"):
        raise StoreError(f"{path}: [entities] backend must be auto, rules or spacy")
    template = entities.get("code_template", "{label} > {name}")
    check_code_template(template, path)
    citation_style = data.get("citation_style", "plain")
    if citation_style not in ("plain", "markdown", "apa"):
        raise StoreError(f"{path}: citation_style must be plain, markdown or apa")
    measure = data.get("measure", DEFAULT_MEASURE)
    if isinstance(measure, bool) or not isinstance(measure, int) or measure < MIN_MEASURE:
        raise StoreError(f"{path}: measure must be a whole number of columns, "
                         f"at least {MIN_MEASURE}, e.g. measure = {DEFAULT_MEASURE}")
    return Config(
        coder=coder, keys=dict(keys), path=path,
        entity_backend=backend, entity_code_template=template, citation_style=citation_style,
        measure=measure,
    )


def check_code_template(template: object, where: Path | str = "config") -> None:
    """A code template uses {name} and optionally {label}, and nothing else."""
    example = '"{label} > {name}"'
    if not isinstance(template, str) or "{name}" not in template:
        raise StoreError(f"{where}: [entities] code_template must contain {{name}}, e.g. {example}")
    try:
        filled = template.format(label="PERSON", name="Ada Lovelace")
    except (KeyError, IndexError, ValueError) as error:
        raise StoreError(
            f"{where}: [entities] code_template {template!r} is not valid ({error}): "
            f"use {{label}} and {{name}}, e.g. {example}"
        ) from None
    if not filled.replace(">", "").strip():
        raise StoreError(f"{where}: [entities] code_template {template!r} gives an empty code")


def resolve_coder(explicit: str | None, config: Config) -> str:
    """--coder, else the config's coder, else the OS user name."""
    for candidate in (explicit, config.coder):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"


def resolve_entity_backend(explicit: str | None, config: Config) -> str:
    """--backend, else $MARGIN_ENTITY_BACKEND, else the config's [entities] backend."""
    for candidate in (explicit, os.environ.get("MARGIN_ENTITY_BACKEND"), config.entity_backend):
        if candidate:
            if candidate not in ("auto", "rules", "spacy"):
                raise StoreError(f"unknown entity backend {candidate!r}: use auto, rules or spacy")
            return candidate
    return "auto"
