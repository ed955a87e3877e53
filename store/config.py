"""Where margin keeps things, and the user's configuration file.

The default database lives in the platform's user data directory (on Linux
``$XDG_DATA_HOME/margin``, else ``~/.local/share/margin``). The configuration is
a TOML file in the user config directory::

    coder = "Ada"              # name recorded on every coding; saved when switched in the app
    blind = false              # see only your own codings (blind parallel coding)
    citation_style = "plain"   # copied passages: plain, markdown or apa
    theme = "textual-light"    # any theme of the palette's "Change theme"; saved when changed there
    measure = 88               # the reader's text column, in terminal cells

    [keys]                     # remap any binding by its id (see `?` in the app)
    "reader.code" = "c,enter"

    [entities]
    backend = "auto"           # auto (spaCy if installed, else rules), rules, spacy
    code_template = "{label} > {name}"   # where reviewed mentions are coded

A mistake in the file never stops margin: every problem (an unknown key, a
value of the wrong kind, a template that cannot be filled, a file that is not
TOML) is listed in ``Config.problems`` and the default is used instead. The
settings are the fields of :class:`Config`: a new one is read, checked and
reported like the others (its TOML key is the field's name unless its
``setting()`` names another, its type is the field's).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

from margin.store.errors import StoreError
from margin.store.util import TemplateError, error_reason, fill_template

APP_NAME = "margin"
ENTITY_BACKENDS = ("auto", "rules", "spacy")
CITATION_STYLES = ("plain", "markdown", "apa")
DEFAULT_CODE_TEMPLATE = "{label} > {name}"
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


def setting(default, key: str | None = None, *, choices: tuple = (), check=None):
    """A field of :class:`Config` read from the file: ``key`` is its TOML key
    (``"table.key"`` inside a table; the field's name by default), ``choices``
    the values allowed, ``check(value)`` raises ``StoreError`` for a bad one."""
    return field(default=default, metadata={"key": key, "choices": choices, "check": check})


def check_code_template(template: object) -> None:
    """A code template uses {name} and optionally {label}, and nothing else
    (``StoreError`` saying why, else None)."""
    example = '"{label} > {name}"'
    if not isinstance(template, str) or "{name}" not in template:
        raise StoreError(f"[entities] code_template must contain {{name}}, e.g. {example}")
    try:
        filled = fill_template(template, label="PERSON", name="Ada Lovelace")
    except TemplateError as error:
        raise StoreError(f"[entities] code_template {_shown(template)}: {error}") from None
    if not filled.replace(">", "").strip():
        raise StoreError(f"[entities] code_template {_shown(template)} gives an empty code")


def check_measure(measure: int) -> None:
    if measure < MIN_MEASURE:
        raise StoreError(f"measure must be at least {MIN_MEASURE} columns, "
                         f"e.g. measure = {DEFAULT_MEASURE}")


@dataclass
class Config:
    coder: str | None = setting(None)
    # Blind parallel coding: the app shows the current coder's codings only.
    blind: bool = setting(False)
    citation_style: str = setting("plain", choices=CITATION_STYLES)
    # The app checks the name against its themes (the store knows none).
    theme: str | None = setting(None)
    measure: int = setting(DEFAULT_MEASURE, check=check_measure)
    entity_backend: str = setting("auto", "entities.backend", choices=ENTITY_BACKENDS)
    entity_code_template: str = setting(
        DEFAULT_CODE_TEMPLATE, "entities.code_template", check=check_code_template)
    # [keys]: binding id → keys; the app checks the ids and the clashes.
    keys: dict[str, str] = field(default_factory=dict)
    # Where it was read from, what was wrong with it (defaults used instead),
    # and whether it could be read at all (else nothing is written back to it).
    path: Path | None = None
    problems: list[str] = field(default_factory=list)
    readable: bool = True


# The fields that are not settings read from the file.
_NOT_SETTINGS = frozenset({"keys", "path", "problems", "readable"})
_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


def _settings() -> list[tuple[str, str, type, dict]]:
    """(field name, TOML key, expected type, metadata) of every setting."""
    found = []
    for each in fields(Config):
        if each.name in _NOT_SETTINGS:
            continue
        annotation = str(each.type).replace("None", "").replace("|", " ").split()
        kind = _TYPES.get(annotation[0], str) if annotation else str
        found.append((each.name, each.metadata.get("key") or each.name, kind, each.metadata))
    return found


def _is_kind(value: object, kind: type) -> bool:
    """TOML's true is not a number, its 3 is a float too."""
    if isinstance(value, bool):
        return kind is bool
    return isinstance(value, kind) or (kind is float and isinstance(value, int))


def _kind_name(kind: type) -> str:
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}[kind]


def _shown(value: object) -> str:
    """A value from the file, short and on one line, for a problem's text."""
    text = json.dumps(value, ensure_ascii=True, default=str) if not isinstance(value, str) \
        else json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:39] + "…"


def load_config(path: Path | None = None) -> Config:
    """Read the config file. A missing file is the defaults; every problem in
    it is listed in ``problems`` (its default used), never raised."""
    path = path or config_path()
    config = Config(path=path)
    try:
        if not path.exists():
            return config
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        config.readable = False
        config.problems.append(f"cannot read the file ({error_reason(error)}); defaults used")
        return config
    if sys.version_info >= (3, 11):  # imported here: most users have no config file
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as error:
        config.readable = False
        config.problems.append(f"not valid TOML ({error}); defaults used")
        return config
    problems = config.problems
    settings = _settings()
    tables = {key.split(".")[0] for _, key, _, _ in settings if "." in key} | {"keys"}
    top_level = {key for _, key, _, _ in settings if "." not in key}
    for key, value in data.items():
        if key in tables:
            if not isinstance(value, dict):
                problems.append(f"[{key}] must be a table, not {_shown(value)}; defaults used")
            else:
                known = {k.split(".", 1)[1] for _, k, _, _ in settings if k.startswith(key + ".")}
                problems.extend(
                    f"unknown key {_shown(inner)} in [{key}] (known: {', '.join(sorted(known))}); ignored"
                    for inner in value if key != "keys" and inner not in known)
        elif key not in top_level:
            problems.append(f"unknown key {_shown(key)} (known: "
                            f"{', '.join(sorted(top_level | {f'[{t}]' for t in tables}))}); ignored")
    for name, key, kind, metadata in settings:
        table, _, inner = key.rpartition(".")
        section = data.get(table, {}) if table else data
        if not isinstance(section, dict) or inner not in section:
            continue
        value = section[inner]
        where = f"[{table}] {inner}" if table else inner
        if not _is_kind(value, kind):
            problems.append(f"{where} must be {_kind_name(kind)}, not {_shown(value)}; "
                            f"{_fallback(config, name)}")
            continue
        choices = metadata.get("choices") or ()
        if choices and value not in choices:
            problems.append(f"{where} must be one of {', '.join(choices)}, not {_shown(value)}; "
                            f"{_fallback(config, name)}")
            continue
        check = metadata.get("check")
        if check is not None:
            try:
                check(value)
            except StoreError as error:
                problems.append(f"{error}; {_fallback(config, name)}")
                continue
        setattr(config, name, value)
    keys = data.get("keys", {})
    if isinstance(keys, dict):
        for binding_id, value in keys.items():
            if isinstance(value, str) and value.strip():
                config.keys[binding_id] = value
            else:
                problems.append(f"[keys] {_shown(binding_id)} must be keys such as \"c,enter\", "
                                f"not {_shown(value)}; ignored")
    return config


def _fallback(config: Config, name: str) -> str:
    default = getattr(config, name)
    return "ignored" if default is None else f"default {_shown(default)} used"


_TOP_LEVEL_LINE = r'^\s*(?:{key}|"{key}"|\'{key}\')\s*='


def save_setting(path: Path, key: str, value: str | bool) -> None:
    """Set one top-level setting in the config file (``theme``, ``coder``,
    ``blind``: a string or true/false),
    keeping every other line and comment as it was. The file is replaced
    atomically; one the TOML reader refused is left alone (``StoreError``)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise StoreError(f"cannot save {key} to {path}: the file cannot be read "
                         f"({error_reason(error)})") from None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    new_line = f"{key} = {json.dumps(value)}\n"
    first_table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")),
                       len(lines))
    pattern = re.compile(_TOP_LEVEL_LINE.format(key=re.escape(key)))
    existing = next((i for i in range(first_table) if pattern.match(lines[i])), None)
    if existing is not None:
        old = re.match(r'^(\s*\S+\s*=\s*)("[^"\\]*"|\'[^\']*\'|true|false)(\s*#.*)?$',
                       lines[existing].rstrip("\n"))
        if old is not None:  # keep the line's own spacing and comment
            new_line = f"{old.group(1)}{json.dumps(value)}{old.group(3) or ''}\n"
        lines[existing] = new_line
    elif first_table == len(lines):
        lines.append(new_line)
    else:  # before the first [table], where top-level keys must be
        lines.insert(first_table, new_line + "\n")
    new_text = "".join(lines)
    try:
        written = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        written = {}
    if written.get(key) != value:  # a layout this simple edit does not understand
        raise StoreError(f"cannot save {key} to {path}: edit the file by hand")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(new_text)
                out.flush()
                os.fsync(out.fileno())
            if path.exists():
                os.chmod(temporary, path.stat().st_mode & 0o7777)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise StoreError(f"cannot save {key} to {path}: {error_reason(error)}") from None


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
            if candidate not in ENTITY_BACKENDS:
                raise StoreError(f"unknown entity backend {candidate!r}: use auto, rules or spacy")
            return candidate
    return "auto"
