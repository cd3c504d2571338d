"""What a test's child process needs to import the ``tests`` package: the repository root
on its ``PYTHONPATH`` (pytest puts it on ``sys.path`` for the test process only)."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root: the folder holding ``tests/`` (and ``actorflow/``).
REPO = Path(__file__).resolve().parents[1]


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment, with :data:`REPO` first on ``PYTHONPATH``."""
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **extra}
