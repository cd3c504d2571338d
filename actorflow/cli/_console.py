"""Consoles: rich on a terminal, plain and wide enough when output goes to a file or pipe."""

from __future__ import annotations

import os

from rich.console import Console

__all__ = ["make_console"]

# Without a terminal rich assumes 80 columns and wraps tables into tall cells; logs and
# CI pages are wider than that.
_PLAIN_WIDTH = 120


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that renders plain text when it is not a terminal."""
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(stderr=stderr, highlight=False, width=_PLAIN_WIDTH)
    return console
