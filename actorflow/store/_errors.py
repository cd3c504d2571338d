"""``StoreError`` and the translation of sqlite3's terse errors into ones that say what to do."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from actorflow.contracts import ActorflowError


class StoreError(ActorflowError):
    """The run store cannot be used: locked, corrupt, unreadable or from a newer version.

    Attributes:
        path: the file at fault (the database, or an output file next to it).
    """

    def __init__(self, message: str, *, path: Path) -> None:
        self.path = path
        super().__init__(message)


_LOCKED = ("database is locked", "database table is locked", "database is busy")
_CORRUPT = ("file is not a database", "malformed", "file is encrypted", "not a database")


def store_error(exc: sqlite3.Error, *, path: Path, doing: str, busy_timeout_s: float) -> StoreError:
    """Describe ``exc`` (raised while ``doing`` something with ``path``) as a ``StoreError``."""
    text = str(exc)
    lowered = text.lower()
    if any(marker in lowered for marker in _LOCKED):
        message = (
            f"run store {path} is locked by another connection: waited {busy_timeout_s:g}s "
            f"while {doing}. Another program holds a long write lock on it; finish or close "
            "that program, or give the store a longer busy_timeout_s."
        )
    elif any(marker in lowered for marker in _CORRUPT):
        message = (
            f"run store {path} is corrupt or not a SQLite database ({text}) while {doing}. "
            "Move the file aside (a new store is created in its place) or pass another path "
            "(argument or ACTORFLOW_DB)."
        )
    elif "unable to open" in lowered or "readonly" in lowered:
        message = (
            f"cannot write run store {path} ({text}) while {doing}: check that its folder "
            "exists and is writable, or pass another path (argument or ACTORFLOW_DB)."
        )
    else:
        message = f"run store {path}: {text} while {doing}."
    error = StoreError(message, path=path)
    error.__cause__ = exc
    return error
