"""Uploads cut short: the temporary name a file is written under, and clearing leftovers.

An upload is written to ``<upload id>/.upload-<pid>.part`` and renamed to its own name
once whole. A server killed mid-upload (kill -9, a crash) leaves that part file; the
next server removes its folder when it starts. The pid in the name says whose it is:
a part file of a process still alive (another server sharing the folder) is left alone.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from actorflow._process import pid_alive
from actorflow.bus import get_logger

_log = get_logger("web")
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_PART = re.compile(r"\.upload-(\d+)\.part")


def partial_name() -> str:
    """The name an upload of this process is written under until it is whole."""
    return f".upload-{os.getpid()}.part"


def remove_leftovers(folder: Path) -> int:
    """Remove the upload folders whose file a dead process was still writing.

    Returns:
        How many uploads were removed.
    """
    if not folder.is_dir():
        return 0
    removed = 0
    for upload in folder.iterdir():
        if not (_UPLOAD_ID.fullmatch(upload.name) and upload.is_dir()):
            continue  # not one of ours: the folder may hold other files
        writers = [m for f in upload.iterdir() if (m := _PART.fullmatch(f.name)) is not None]
        if any(not pid_alive(int(m.group(1))) for m in writers):
            shutil.rmtree(upload, ignore_errors=True)
            removed += 1
    if removed:
        _log.warning("removed uploads cut short by a crash", folder=str(folder), count=removed)
    return removed
