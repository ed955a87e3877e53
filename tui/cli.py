"""The `margin` entry point: opens the app, or runs a subcommand.

Mistakes a user can make (a wrong path, an unknown code, a broken database)
end in one ``Error: ...`` line and a non-zero exit, never a traceback.

Start-up speed: plain ``margin [--db FILE] [--coder NAME]`` opens the app
without importing click (~40 ms); everything else goes through the click
commands in tui/commands.py, which never import Textual.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from margin.store.errors import DatabaseProblem, StoreError
from margin.store.util import visible_controls

# tui/launch.py (the configuration, platformdirs, tempfile…) is imported by
# main(), once garbage collection is off: collecting among what start-up
# builds only delays the first frame (see main).
if TYPE_CHECKING:
    from margin.tui.launch import Settings


def app_settings(argv: list[str]) -> Settings | None:
    """Settings when the arguments only open the app (``--db``, ``--coder``),
    else None: the click command line handles them (and --help, errors…)."""
    from margin.tui.launch import Settings

    if os.environ.get("_MARGIN_COMPLETE"):
        return None  # the shell asks click for completions: never open the app
    values: dict[str, str] = {}
    arguments = list(argv)
    while arguments:
        argument = arguments.pop(0)
        name, equals, value = argument.partition("=")
        if name not in ("--db", "--coder") or name in values:
            return None
        if not equals:
            if not arguments or arguments[0].startswith("-"):
                return None
            value = arguments.pop(0)
        if not value:
            return None
        values[name] = value
    db_path = values.get("--db") or os.environ.get("MARGIN_DB") or None
    return Settings(Path(db_path) if db_path else None, values.get("--coder"))


def main(argv: list[str] | None = None) -> None:
    # Start-up builds many long-lived objects (Textual's CSS, widgets, the
    # document's wrapped rows); collecting garbage among them only delays the
    # first frame. The app re-enables collection once it is on screen; the
    # subcommands re-enable it at once.
    gc.disable()
    argv = sys.argv[1:] if argv is None else argv
    try:
        settings = app_settings(argv)
        if settings is not None:
            from margin.tui.launch import run_app

            run_app(settings)
            return
        gc.enable()
        from margin.tui.commands import run_command_line

        run_command_line(argv)
    except DatabaseProblem as error:
        damage = _damage(error)
        shown = damage or f"database problem: {error}"
        print(f"Error: {visible_controls(shown)}", file=sys.stderr)
        sys.exit(1)
    except StoreError as error:
        # A message may quote a title or a name: its control characters shown.
        print(f"Error: {visible_controls(str(error))}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # `margin export ... | head`: the reader went away; not an error.
        from margin.tui.commands import reader_went_away

        reader_went_away()
    except Exception as error:
        # A damaged file can fail where no StoreError is made (a cursor read
        # outside the store's wrappers): still one line, never a traceback.
        damage = _damage(error)
        if damage is None:
            raise
        print(f"Error: {damage}", file=sys.stderr)
        sys.exit(1)


def _damage(error: BaseException) -> str | None:
    """The one-line message for a damaged database file, else None."""
    from margin.store.db import damaged_database

    damage = damaged_database(error)
    return None if damage is None else str(damage)


if __name__ == "__main__":
    main()
