"""Where margin keeps things, and the user's configuration file.

The default database lives in the platform's user data directory (on Linux
``$XDG_DATA_HOME/margin``, else ``~/.local/share/margin``). The configuration is
a TOML file in the user config directory::

    coder = "Ada"              # name recorded on every coding

    [keys]                     # remap any binding by its id (see `?` in the app)
    "reader.code" = "c,enter"
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from .errors import StoreError

APP_NAME = "margin"


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
    return Config(coder=coder, keys=dict(keys), path=path)


def resolve_coder(explicit: str | None, config: Config) -> str:
    """--coder, else the config's coder, else the OS user name."""
    for candidate in (explicit, config.coder):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"
