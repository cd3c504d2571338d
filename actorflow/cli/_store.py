"""Opening the run store for a command: ``--db``, else ``ACTORFLOW_DB``, else the default."""

from __future__ import annotations

import os
from pathlib import Path

from actorflow.store import RunStore, default_path

__all__ = ["open_existing_store", "open_store", "store_path"]


def store_path(db: str | os.PathLike[str] | None) -> Path:
    """The store file a command uses."""
    return Path(db).expanduser() if db is not None else default_path()


def open_store(db: str | os.PathLike[str] | None, *, timeout_s: float) -> RunStore:
    """Open (creating if needed) the run store.

    Raises:
        StoreError: locked, corrupt, unreadable or from a newer version; the CLI turns
            it into a one-line error with exit code 2.
    """
    return RunStore(store_path(db), busy_timeout_s=timeout_s)


def open_existing_store(db: str | os.PathLike[str] | None, *, timeout_s: float) -> RunStore | None:
    """Open the run store if its file exists: read-only commands never create one."""
    path = store_path(db)
    if not path.exists():
        return None
    return RunStore(path, busy_timeout_s=timeout_s)
