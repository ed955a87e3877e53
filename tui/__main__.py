"""``python -m margin.tui``: the same as the ``margin`` command."""

from margin.tui.cli import main

main()
