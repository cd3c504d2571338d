"""Processes of this host: whether one is still alive (the run store's owner checks and the
web service's upload clean-up both ask)."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host (assumed so off POSIX)."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would not probe on Windows; the lease decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
